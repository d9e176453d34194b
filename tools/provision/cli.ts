/**
 * Manufacturing provisioning CLI (see tools/provision/README.md).
 *
 *   node --import tsx tools/provision/cli.ts platform-key --out <file>
 *   node --import tsx tools/provision/cli.ts generate --board <board> --out <dir> (--count N [--prefix P] | --csv serials.csv)
 *        --platform-key <file> [--nvs-keys] [--efuse-block 0..5] [--nvs-efuse-block 0..5] [--jobs N]
 *        [--platform-host <host[:port]> --platform-ca <pem>]
 *   node --import tsx tools/provision/cli.ts verify <image.bin> [--nvs-keys <nvs_keys.bin> | --nvs-hmac-key <nvs_hmac_key.bin>] [--json]
 *   node --import tsx tools/provision/cli.ts reemit --out <dir> --platform-key <file> [--serial S]...
 *
 * stdout carries results (summaries, verify listings) and stderr progress and notices; neither ever carries a key,
 * and blob values are shown by length only.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { boards } from "./boards";
import { BatchError, LEDGER_FILE, defaultJobs, tuneHeapForBatches, generateBatch, reemitBatch, type FaultPoint } from "./batch";
import { CsvError } from "./csv";
import { checkDeviceImage } from "./identity";
import { NvsFormatError, decryptNvsImage, deriveNvsKeysFromHmac, parseNvsImage, parseNvsKeysPartition, type ParsedEntry } from "./nvs";
import { WrapError, createPlatformKey, readPlatformKey } from "./wrap";

export interface Io {
	stdout: (text: string) => void;
	stderr: (text: string) => void;
	/** Whether stderr is a terminal (redrawn progress bar) or not (periodic plain lines). */
	isTTY: boolean;
	/**
	 * Ctrl-C: called with a handler for each SIGINT while a batch runs; returns the function that removes it. The
	 * CLI entry point wires process SIGINT; without it (tests, embedding) a batch is not interruptible by signal.
	 */
	onInterrupt?: (handler: () => void) => () => void;
	/** Leaves the process at once (second Ctrl-C). */
	exit?: (code: number) => never;
	/** Test hook passed to generateBatch (fault injection). */
	fault?: (point: FaultPoint) => void;
}

/** How the user runs this CLI, for the resume hint (no secrets: the platform key is named by its file). */
const SELF = "node --import tsx tools/provision/cli.ts";
const quote = (a: string) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);

const usage = `usage:
  cli.ts platform-key --out <file>
  cli.ts generate --board <${Object.keys(boards).join("|")}> --out <dir> (--count N [--prefix P] [--start N] | --csv serials.csv)
         --platform-key <file> [--nvs-keys] [--efuse-block 0..5] [--nvs-efuse-block 0..5] [--jobs N] [--chunk N]
         [--platform-host <host[:port]> --platform-ca <pem>]
  cli.ts verify <image.bin> [--nvs-keys <nvs_keys.bin> | --nvs-hmac-key <nvs_hmac_key.bin>] [--json]
  cli.ts reemit --out <dir> --platform-key <file> [--serial S]...
`;

class UsageError extends Error {}

/** Progress on stderr: a redrawn bar on a terminal, otherwise a plain line every 10 %. */
export function progressReporter(io: Io): (done: number, total: number) => void {
	let lastTenth = -1;
	let lastDraw = 0;
	const started = Date.now();
	return (done, total) => {
		const fraction = total === 0 ? 1 : done / total;
		const rate = done / Math.max(0.001, (Date.now() - started) / 1000);
		if (io.isTTY) {
			const t = Date.now();
			if (done !== total && t - lastDraw < 100) return;
			lastDraw = t;
			const width = 30;
			const fill = Math.round(fraction * width);
			io.stderr(`\r[${"#".repeat(fill)}${".".repeat(width - fill)}] ${done}/${total} ${Math.floor(fraction * 100)}% ${Math.round(rate)}/s`);
			if (done === total) io.stderr("\n");
		} else {
			const tenth = Math.floor(fraction * 10);
			if (tenth === lastTenth) return;
			lastTenth = tenth;
			io.stderr(`progress: ${done}/${total} (${tenth * 10}%)\n`);
		}
	};
}

function describe(e: ParsedEntry): string {
	const v = e.value;
	const shown = v instanceof Uint8Array ? `<${v.length} bytes, not shown>` : typeof v === "string" ? JSON.stringify(v) : String(v);
	return `${e.namespace}\t${e.key}\t${e.type}\t${shown}`;
}

function verify(args: string[], io: Io): number {
	const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { "nvs-keys": { type: "string" }, "nvs-hmac-key": { type: "string" }, json: { type: "boolean" } } });
	if (positionals.length !== 1) throw new UsageError("verify takes one image file");
	if (values["nvs-keys"] !== undefined && values["nvs-hmac-key"] !== undefined) throw new UsageError("give --nvs-keys or --nvs-hmac-key, not both");
	const file = positionals[0]!;
	let image: Uint8Array = readFileSync(file);
	try {
		if (values["nvs-keys"] !== undefined) image = decryptNvsImage(image, parseNvsKeysPartition(readFileSync(values["nvs-keys"])));
		if (values["nvs-hmac-key"] !== undefined) {
			const hmacKey = readFileSync(values["nvs-hmac-key"]);
			if (hmacKey.length !== 32) throw new NvsFormatError(`${values["nvs-hmac-key"]}: an NVS HMAC key file holds 32 bytes`);
			const keys = deriveNvsKeysFromHmac(hmacKey);
			hmacKey.fill(0);
			image = decryptNvsImage(image, keys);
			keys.encryption.fill(0);
			keys.tweak.fill(0);
		}
		const parsed = parseNvsImage(image);
		const problems = checkDeviceImage(parsed);
		if (values.json) {
			io.stdout(`${JSON.stringify({
				file,
				ok: problems.length === 0,
				problems,
				pages: parsed.pages,
				entries: parsed.entries.map((e) => ({
					namespace: e.namespace, key: e.key, type: e.type, page: e.page, entry: e.entry,
					...(e.value instanceof Uint8Array ? { length: e.value.length } : { value: typeof e.value === "bigint" ? e.value.toString() : e.value }),
				})),
			})}\n`);
		} else {
			io.stdout(`${file}: ${parsed.pages.length} pages (${parsed.pages.map((p) => p.state).join(", ")}), all CRCs valid\n`);
			for (const e of parsed.entries) io.stdout(`${describe(e)}\n`);
			for (const p of problems) io.stdout(`device schema: ${p}\n`);
		}
		if (problems.length > 0) {
			io.stderr(`verify: ${file}: not a valid provisioned device image (${problems.length} problem${problems.length === 1 ? "" : "s"})\n`);
			return 1;
		}
		return 0;
	} catch (error) {
		if (error instanceof NvsFormatError) {
			io.stderr(`verify: ${file}: CORRUPT: ${error.message}\n`);
			return 1;
		}
		throw error;
	}
}

async function generate(args: string[], io: Io): Promise<number> {
	const { values, positionals } = parseArgs({
		args,
		allowPositionals: true,
		options: {
			board: { type: "string" }, out: { type: "string" }, count: { type: "string" }, csv: { type: "string" },
			prefix: { type: "string" }, start: { type: "string" }, "platform-key": { type: "string" },
			"nvs-keys": { type: "boolean" }, "efuse-block": { type: "string" }, "nvs-efuse-block": { type: "string" },
			jobs: { type: "string" }, chunk: { type: "string" }, "platform-host": { type: "string" }, "platform-ca": { type: "string" },
		},
	});
	if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
	if (!values.out) throw new UsageError("generate needs --out <dir>");
	if (!values["platform-key"]) throw new UsageError("generate needs --platform-key <file> (create one with: cli.ts platform-key --out <file>)");
	const int = (name: string, text: string | undefined) => {
		if (text === undefined) return undefined;
		if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a non-negative integer`);
		return Number(text);
	};
	if ((values["platform-host"] === undefined) !== (values["platform-ca"] === undefined))
		throw new UsageError("give --platform-host and --platform-ca together");
	const platform = values["platform-host"] !== undefined
		? { host: values["platform-host"], ca: readFileSync(values["platform-ca"]!, "utf8") }
		: undefined;
	const platformKey = readPlatformKey(values["platform-key"]);
	const resume = `${SELF} generate ${args.map(quote).join(" ")}`;
	// Ctrl-C: the first finishes the devices in progress (their ledger commit, then the rename) and stops; the second
	// stops at once, which is also safe: the next run deletes the pending folders of unrecorded keys.
	const controller = new AbortController();
	let interrupts = 0;
	const removeHandler = io.onInterrupt?.(() => {
		interrupts++;
		if (interrupts === 1) {
			io.stderr("\ninterrupt: finishing the devices in progress, then stopping (Ctrl-C again to stop at once)\n");
			controller.abort();
			return;
		}
		io.stderr(`\nstopped at once: devices not yet recorded stay in ${values.out}/devices/.pending and are deleted by the next run; nothing recorded is lost.\nresume with: ${resume}\n`);
		(io.exit ?? process.exit)(130);
	});
	try {
		const result = await generateBatch({
			...(platform ? { platform } : {}),
			out: values.out,
			board: values.board,
			csv: values.csv,
			count: int("count", values.count),
			prefix: values.prefix,
			start: int("start", values.start),
			platformKey,
			nvsKeys: values["nvs-keys"] ?? false,
			efuseBlock: int("efuse-block", values["efuse-block"]),
			nvsEfuseBlock: int("nvs-efuse-block", values["nvs-efuse-block"]),
			jobs: int("jobs", values.jobs) ?? defaultJobs(),
			...(values.chunk !== undefined ? { chunk: int("chunk", values.chunk)! } : {}),
			signal: controller.signal,
			...(io.fault ? { fault: io.fault } : {}),
			progress: progressReporter(io),
			log: (line) => io.stderr(`${line}\n`),
		});
		io.stdout(`${JSON.stringify(result)}\n`);
		if (result.interrupted) {
			io.stderr(`interrupted: every device issued so far is recorded in the ledger with its files in place, none is half-done (${result.issued} issued this run).\n` +
				`Do not flash this batch yet. Resume with the same command (recorded serials are skipped):\n  ${resume}\n`);
			return 130;
		}
		return 0;
	} catch (error) {
		if (error instanceof Error && existsSync(join(values.out, LEDGER_FILE)))
			(error as { hint?: string }).hint = `the batch stopped; every recorded device is kept, none is half-done. After fixing the cause, resume with:\n  ${resume}`;
		throw error;
	} finally {
		removeHandler?.();
		platformKey.fill(0);
	}
}

function reemit(args: string[], io: Io): number {
	const { values } = parseArgs({ args, options: { out: { type: "string" }, "platform-key": { type: "string" }, serial: { type: "string", multiple: true } } });
	if (!values.out || !values["platform-key"]) throw new UsageError("reemit needs --out <dir> and --platform-key <file>");
	const platformKey = readPlatformKey(values["platform-key"]);
	try {
		const n = reemitBatch(values.out, platformKey, values.serial ?? []);
		io.stdout(`${JSON.stringify({ reemitted: n, out: values.out })}\n`);
		return 0;
	} finally {
		platformKey.fill(0);
	}
}

function platformKey(args: string[], io: Io): number {
	const { values } = parseArgs({ args, options: { out: { type: "string" } } });
	if (!values.out) throw new UsageError("platform-key needs --out <file>");
	const kid = createPlatformKey(values.out);
	io.stdout(`${JSON.stringify({ file: values.out, kid })}\n`);
	return 0;
}

/** Runs one command; returns the exit code. Every failure becomes one line on stderr (no stack, no secret). */
export async function main(argv: string[], io: Io): Promise<number> {
	const [command, ...rest] = argv;
	try {
		switch (command) {
			case "generate": return await generate(rest, io);
			case "verify": return verify(rest, io);
			case "reemit": return reemit(rest, io);
			case "platform-key": return platformKey(rest, io);
			case undefined: case "help": case "--help": case "-h":
				io.stdout(usage);
				return command === undefined ? 2 : 0;
			default: throw new UsageError(`unknown command ${JSON.stringify(command)}`);
		}
	} catch (error) {
		const hint = (error as { hint?: string }).hint;
		const code = report(error, io);
		if (hint) io.stderr(`${hint}\n`);
		return code;
	}
}

function report(error: unknown, io: Io): number {
	{
		if (error instanceof UsageError || (error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
			io.stderr(`provision: ${(error as Error).message}\n${usage}`);
			return 2;
		}
		if (error instanceof CsvError || error instanceof BatchError || error instanceof WrapError || error instanceof NvsFormatError || error instanceof RangeError) {
			io.stderr(`provision: ${error.message}\n`);
			return 1;
		}
		const e = error as NodeJS.ErrnoException;
		if (e.code && e.path) {
			io.stderr(`provision: ${e.code}: ${e.path}\n`);
			return 1;
		}
		io.stderr(`provision: ${e.name ?? "Error"}: ${e.message}\n`);
		return 1;
	}
}

/** The CLI as a process runs it: process streams and SIGINT; resolves to the exit code. */
export function runFromCommandLine(argv: readonly string[]): Promise<number> {
	tuneHeapForBatches();
	// Output piped into a reader that stops early (`verify ... | head`): not an error of the command.
	process.stdout.on("error", (e: NodeJS.ErrnoException) => {
		if (e.code !== "EPIPE") throw e;
		process.exit(process.exitCode ?? 0);
	});
	return main([...argv], {
		stdout: (t) => process.stdout.write(t),
		stderr: (t) => process.stderr.write(t),
		isTTY: process.stderr.isTTY === true,
		onInterrupt: (handler) => {
			process.on("SIGINT", handler);
			return () => process.off("SIGINT", handler);
		},
	});
}

// Run directly (node --import tsx tools/provision/cli.ts); tools/provision/provision.mjs calls runFromCommandLine.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await runFromCommandLine(process.argv.slice(2));
