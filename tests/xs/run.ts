/**
 * The XS lane: runs firmware tests inside the real XS engine (xsnap, see ./xsnap.ts).
 *
 *     node --import tsx tests/xs/run.ts [-v] [--meter] [--timeout <ms>] [files...]
 *
 * Without files it runs every `tests/firmware/**\/*.test.ts`. Each file is bundled by esbuild into one IIFE script
 * (an ESM bundle in xsnap exits 0 on any error) with `uvu`, `uvu/assert` and the Moddable modules (`timer`, `time`,
 * `preference`, `embedded:io/*`, `embedded:provider/builtin`) replaced by the shims in this folder, then run as
 * `xsnap <bundle>`. A file passes only if xsnap exits 0, prints exactly one `XS-RESULT <p> passed, 0 failed` line
 * with at least one test run, and prints no "unhandled exception"/"unhandled rejection". Node-only APIs fail
 * naturally: XS has no `Buffer`, `process`, `require` or `setTimeout`, `node:*` imports do not bundle, and the
 * xsnap extras Moddable lacks (`TextEncoder`, `performance`, `print`, ...) are removed first (see xsnapExtras).
 *
 * Prints one status line per file and ends with `<N> passed, <N> failed` (tests; a file that failed without a
 * result line counts as one failed test); exits 1 on any failure.
 */
import { build } from "esbuild";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ensureXsnap, repoRoot } from "./xsnap";

const here = join(repoRoot, "tests", "xs");
const shims = join(here, "shims");

/** Module specifiers the bundle resolves to host shims. */
export const xsAliases: Readonly<Record<string, string>> = Object.freeze({
	uvu: join(here, "uvu-shim.ts"),
	"uvu/assert": join(here, "uvu-assert-shim.ts"),
	"embedded:io/digital": join(shims, "digital.ts"),
	"embedded:io/serial": join(shims, "serial.ts"),
	"embedded:io/i2c": join(shims, "i2c.ts"),
	"embedded:provider/builtin": join(shims, "builtin.ts"),
	timer: join(shims, "timer.ts"),
	time: join(shims, "time.ts"),
	preference: join(shims, "preference.ts"),
});

export const bundleDir = join(repoRoot, ".cache", "xs-bundles");

/**
 * Globals xsnap adds that Moddable's runtime lacks are removed before the test code runs, so firmware cannot come
 * to depend on them: `print` and the meter move to a private `__xsnap` for the shims. `setImmediate` stays (the
 * shims and hal/sim/manualClock's settle() drive promise turns with it; firmware must not use it, and does not
 * get it on the device).
 */
export const xsnapExtras = Object.freeze(["print", "gc", "resetMeter", "currentMeterLimit", "performance", "TextEncoder", "TextDecoder", "Base64", "issueCommand", "global"]);

const banner = `(() => {
	const g = globalThis;
	if (typeof g.print !== "function") return;
	Object.defineProperty(g, "__xsnap", { value: Object.freeze({ print: g.print, resetMeter: g.resetMeter }) });
	for (const name of ${JSON.stringify(xsnapExtras)}) delete g[name];
})();`;

export interface XsRunOptions {
	/** Print `XS-METER` instruction counts per test and in total, and return them in `meter`. */
	meter?: boolean;
	/** Path of the xsnap binary (default: ensureXsnap()). */
	xsnap?: string;
	/** Wall-clock limit for one file in xsnap (default 60 s, or XS_TIMEOUT_MS). */
	timeoutMs?: number;
}

export interface XsRunResult {
	file: string;
	ok: boolean;
	passed: number;
	failed: number;
	skipped: number;
	/** Why the file failed (empty when ok). */
	reasons: string[];
	stdout: string;
	stderr: string;
	exitCode: number | null;
	/** `XS-METER <count> <label>` lines: label -> instructions (a repeated label keeps its last count). */
	meter?: Record<string, number>;
	bundleMs: number;
	runMs: number;
}

function bundleName(file: string, meter: boolean): string {
	const rel = relative(repoRoot, resolve(file)).replace(/\.[cm]?[jt]s$/, "");
	return `${rel.replace(/[\\/]/g, "__").replace(/[^\w.-]/g, "_")}${meter ? ".meter" : ""}.js`;
}

/** Bundles one test file into an IIFE script for xsnap; returns the bundle's path. Throws on bundle errors. */
export async function bundleForXs(file: string, options: { meter?: boolean } = {}): Promise<string> {
	const result = await build({
		entryPoints: [resolve(file)],
		absWorkingDir: repoRoot,
		bundle: true,
		write: false,
		format: "iife",
		platform: "neutral",
		target: "es2022",
		tsconfig: join(repoRoot, "tsconfig.json"),
		alias: { ...xsAliases },
		inject: [join(shims, "globals.ts")],
		define: { __XS_METER__: options.meter ? "true" : "false" },
		banner: { js: banner },
		charset: "utf8",
		logLevel: "silent",
	});
	mkdirSync(bundleDir, { recursive: true });
	const out = join(bundleDir, bundleName(file, !!options.meter));
	// Write then rename: a concurrent run of the same file never reads half a bundle.
	const partial = `${out}.${process.pid}.partial`;
	writeFileSync(partial, result.outputFiles[0]!.contents);
	renameSync(partial, out);
	return out;
}

export interface ParsedOutput {
	ok: boolean;
	passed: number;
	failed: number;
	skipped: number;
	reasons: string[];
	meter: Record<string, number>;
}

/** Judges one xsnap run from its output and exit code (pure, so the rules are tested on their own). */
export function parseXsOutput(stdout: string, stderr: string, exitCode: number | null): ParsedOutput {
	const reasons: string[] = [];
	const lines = stdout.split(/\r?\n/);
	const results = lines.map((line) => /^XS-RESULT (\d+) passed, (\d+) failed$/.exec(line)).filter((m) => m !== null);
	const skippedLine = lines.map((line) => /^XS-SKIPPED (\d+)$/.exec(line)).find((m) => m !== null);
	const meter: Record<string, number> = {};
	for (const line of lines) {
		const m = /^XS-METER (\d+) (.+)$/.exec(line);
		if (m) meter[m[2]!] = Number(m[1]);
	}
	let passed = 0;
	let failed = 0;
	if (exitCode !== 0) reasons.push(exitCode === null ? "xsnap was killed" : `xsnap exited with code ${exitCode}`);
	const output = `${stdout}\n${stderr}`;
	const unhandled = /unhandled (exception|rejection)[^\n]*/i.exec(output);
	if (unhandled) reasons.push(unhandled[0].trim());
	if (results.length === 0)
		reasons.push("no XS-RESULT line: the file crashed, never called test.run(), or a test never settled");
	else if (results.length > 1) reasons.push(`${results.length} XS-RESULT lines (expected one)`);
	else {
		passed = Number(results[0]![1]);
		failed = Number(results[0]![2]);
		if (failed > 0) reasons.push(`${failed} test(s) failed`);
		else if (passed === 0) reasons.push("no test ran");
	}
	const skipped = skippedLine ? Number(skippedLine[1]) : 0;
	return { ok: reasons.length === 0, passed, failed, skipped, reasons, meter };
}

function runXsnap(xsnap: string, bundle: string, timeoutMs: number): Promise<{ stdout: string; stderr: string; exitCode: number | null; timedOut: boolean }> {
	return new Promise((resolvePromise, reject) => {
		const child = spawn(xsnap, [bundle], { stdio: ["ignore", "pipe", "pipe"] });
		const out: Buffer[] = [];
		const err: Buffer[] = [];
		let timedOut = false;
		const timer = setTimeout(() => {
			timedOut = true;
			child.kill("SIGKILL");
		}, timeoutMs);
		child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
		child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
		child.on("error", (error) => {
			clearTimeout(timer);
			reject(error);
		});
		child.on("close", (code) => {
			clearTimeout(timer);
			resolvePromise({
				stdout: Buffer.concat(out).toString("utf8"),
				stderr: Buffer.concat(err).toString("utf8"),
				exitCode: code,
				timedOut,
			});
		});
	});
}

function defaultTimeout(): number {
	const fromEnv = Number(process.env.XS_TIMEOUT_MS);
	return fromEnv > 0 ? fromEnv : 60_000;
}

/** Bundles `file`, runs it in xsnap and judges the output. Never throws for a failing test file. */
export async function runFileInXs(file: string, options: XsRunOptions = {}): Promise<XsRunResult> {
	const xsnap = options.xsnap ?? (await ensureXsnap());
	const timeoutMs = options.timeoutMs ?? defaultTimeout();
	const base = { file, passed: 0, failed: 0, skipped: 0, stdout: "", stderr: "", exitCode: null, runMs: 0 };
	const bundleStart = performance.now();
	let bundle: string;
	try {
		bundle = await bundleForXs(file, { meter: !!options.meter });
	} catch (error) {
		const errors = (error as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors;
		const detail = errors?.length
			? errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text)).join("\n")
			: String(error);
		return { ...base, ok: false, reasons: [`bundle failed: ${detail}`], bundleMs: performance.now() - bundleStart };
	}
	const bundleMs = performance.now() - bundleStart;
	const runStart = performance.now();
	const run = await runXsnap(xsnap, bundle, timeoutMs);
	const runMs = performance.now() - runStart;
	const parsed = parseXsOutput(run.stdout, run.stderr, run.exitCode);
	if (run.timedOut) parsed.reasons.splice(0, 1, `timed out after ${timeoutMs} ms`);
	const result: XsRunResult = {
		file,
		ok: parsed.reasons.length === 0,
		passed: parsed.passed,
		failed: parsed.failed,
		skipped: parsed.skipped,
		reasons: parsed.reasons,
		stdout: run.stdout,
		stderr: run.stderr,
		exitCode: run.exitCode,
		bundleMs,
		runMs,
	};
	if (options.meter) result.meter = parsed.meter;
	return result;
}

/** Every `*.test.ts` under tests/firmware, sorted. */
export function defaultFiles(): string[] {
	const root = join(repoRoot, "tests", "firmware");
	if (!existsSync(root)) return [];
	return readdirSync(root, { recursive: true, encoding: "utf8" })
		.filter((name) => name.endsWith(".test.ts"))
		.map((name) => join(root, name))
		.filter((path) => statSync(path).isFile())
		.sort();
}

/** Runs `files` with at most `concurrency` xsnap processes at a time; results in input order. */
export async function runFilesInXs(files: string[], options: XsRunOptions & { concurrency?: number } = {}): Promise<XsRunResult[]> {
	const xsnap = options.xsnap ?? (await ensureXsnap());
	const results: XsRunResult[] = new Array(files.length);
	let nextIndex = 0;
	const worker = async () => {
		for (let i = nextIndex++; i < files.length; i = nextIndex++) results[i] = await runFileInXs(files[i]!, { ...options, xsnap });
	};
	const concurrency = Math.max(1, Math.min(options.concurrency ?? availableParallelism(), files.length));
	await Promise.all(Array.from({ length: concurrency }, worker));
	return results;
}

function tail(text: string, lines: number): string {
	const all = text.trimEnd().split("\n");
	return (all.length > lines ? [`    … (${all.length - lines} lines above)`] : []).concat(all.slice(-lines)).join("\n");
}

async function main(argv: string[]): Promise<number> {
	let verbose = false;
	let meter = false;
	let timeoutMs: number | undefined;
	const files: string[] = [];
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i]!;
		if (arg === "-v" || arg === "--verbose") verbose = true;
		else if (arg === "--meter") meter = true;
		else if (arg === "--timeout") timeoutMs = Number(argv[++i]);
		else if (arg.startsWith("-")) {
			process.stderr.write(`unknown option ${arg}\nusage: node --import tsx tests/xs/run.ts [-v] [--meter] [--timeout ms] [files...]\n`);
			return 2;
		} else files.push(resolve(arg));
	}
	const missing = files.filter((f) => !existsSync(f));
	if (missing.length) {
		process.stderr.write(`no such file: ${missing.join(", ")}\n`);
		return 1;
	}
	const targets = files.length ? files : defaultFiles();
	if (targets.length === 0) {
		process.stdout.write("XS lane: no firmware test files found under tests/firmware\n0 passed, 1 failed\n");
		return 1;
	}

	const buildStart = performance.now();
	const xsnap = await ensureXsnap();
	const buildMs = performance.now() - buildStart;
	if (buildMs > 2000) process.stdout.write(`xsnap ready in ${(buildMs / 1000).toFixed(1)} s\n`);

	const laneStart = performance.now();
	const results = await runFilesInXs(targets, { xsnap, meter, ...(timeoutMs ? { timeoutMs } : {}) });
	let passed = 0;
	let failed = 0;
	let skipped = 0;
	for (const r of results) {
		const rel = relative(repoRoot, r.file);
		const counts = `${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ""}`;
		const times = `bundle ${r.bundleMs.toFixed(0)} ms, xsnap ${r.runMs.toFixed(0)} ms`;
		process.stdout.write(`${r.ok ? "PASS" : "FAIL"} ${rel} (${counts}; ${times})\n`);
		if (!r.ok) for (const reason of r.reasons) process.stdout.write(`  - ${reason}\n`);
		const output = `${r.stdout}${r.stderr ? `\n[stderr]\n${r.stderr}` : ""}`.replace(/^\n+/, "").trimEnd();
		if (output && (verbose || !r.ok))
			process.stdout.write(`${(verbose ? output : tail(output, 40)).replace(/^/gm, "    ")}\n`);
		else if (meter && r.meter)
			for (const [label, count] of Object.entries(r.meter)) process.stdout.write(`    ${count} instructions  ${label}\n`);
		passed += r.passed;
		failed += r.ok ? r.failed : Math.max(1, r.failed);
		skipped += r.skipped;
		// Name each skipped file for tests/run.ts's skip list (uvu's skip() in XS has no reason to report).
		if (r.skipped) process.stdout.write(`SKIP: ${rel}: ${r.skipped} case(s) marked skip or not selected by .only\n`);
	}
	process.stdout.write(
		`XS lane: ${results.length} file(s) in ${((performance.now() - laneStart) / 1000).toFixed(1)} s on xsnap ${relative(repoRoot, xsnap)}\n`,
	);
	process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`);
	return failed > 0 || results.some((r) => !r.ok) ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
	main(process.argv.slice(2)).then(
		(code) => {
			process.exitCode = code;
		},
		(error: unknown) => {
			process.stderr.write(`XS lane error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
			process.stdout.write("0 passed, 1 failed, 0 skipped\n");
			process.exitCode = 1;
		},
	);
}
