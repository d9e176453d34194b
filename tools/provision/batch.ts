/**
 * Batch provisioning: issues identities, writes per-device artifacts and the JSON-lines outputs, resumably.
 *
 * Commit protocol, per chunk of devices (memory holds one chunk of small rows, never images):
 *   1. per new serial: fresh key and id, artifacts written (temp file + rename), secrets wiped, wrapped row kept;
 *   2. the chunk's lines are appended to the import/audit/manifest files and flushed to disk;
 *   3. ONE ledger transaction inserts the chunk's identities and the new committed length of each output file.
 * An identity is issued exactly when its ledger row commits. After a crash the next run truncates the outputs to
 * their committed lengths (dropping lines of identities that never committed), skips every serial the ledger
 * holds (rewriting its artifacts from the ledger if they are missing) and issues the rest: artifacts of
 * uncommitted identities are overwritten. So flash a batch only after `generate` has exited 0.
 * Nothing secret is logged; errors name files and serials only.
 */
import { createHash, randomBytes } from "node:crypto";
import {
	closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, truncateSync, writeSync,
} from "node:fs";
import { join } from "node:path";
import { boards, nvsLayout, type BoardInfo, type NvsLayout } from "./boards";
import { SERIAL, readSerialCsv, validateSerialCsv, type SerialRow } from "./csv";
import { deviceNvsItems, endpointProblem, type PlatformEndpoint } from "./identity";
import Ledger, { type LedgerRow } from "./ledger";
import { buildNvsImage, buildNvsKeysPartition, encryptNvsImage, type NvsKeys } from "./nvs";
import { platformKeyId, unwrapKey, wrapAad, wrapKey, type Wrapped } from "./wrap";

export const LEDGER_FILE = "ledger.sqlite";
export const IMPORT_FILE = "platform-import.jsonl";
export const AUDIT_FILE = "audit.jsonl";
export const MANIFEST_FILE = "manifest.jsonl";
const OUTPUTS = [IMPORT_FILE, AUDIT_FILE, MANIFEST_FILE] as const;

export const DEFAULT_EFUSE_BLOCK = 5;

export class BatchError extends Error {
	override name = "BatchError";
}

export type ArtifactWriter = (path: string, data: Uint8Array) => void;

/** Writes a 0600 file atomically (temp + rename), so a crash never leaves a half-written image under its name. */
export const writeArtifactFile: ArtifactWriter = (path, data) => {
	const tmp = `${path}.tmp`;
	const fd = openSync(tmp, "w", 0o600);
	try {
		writeSync(fd, data);
	} finally {
		closeSync(fd);
	}
	renameSync(tmp, path);
};

export interface GenerateOptions {
	out: string;
	/** Board for rows that name none (count mode: every device). */
	board?: string;
	csv?: string;
	count?: number;
	/** Count mode serials are `${prefix}-${n}`, n from `start` (default 1). */
	prefix?: string;
	start?: number;
	platformKey: Uint8Array;
	/** Classic ESP32 (key in NVS): also an nvs_keys partition per device, and the NVS image encrypted with it. */
	nvsKeys?: boolean;
	efuseBlock?: number;
	/** The platform every device of the batch talks to, written into each image; fixed for a batch once issued. */
	platform?: PlatformEndpoint;
	/** NVS layout per board (default: the board's partitions.csv). */
	layout?: (board: string) => NvsLayout;
	/** Devices per ledger transaction. */
	chunk?: number;
	writeArtifact?: ArtifactWriter;
	progress?: (done: number, total: number) => void;
	/** Human-readable notices (stderr in the CLI); never given secrets. */
	log?: (line: string) => void;
	now?: () => Date;
}

export interface GenerateResult {
	total: number;
	issued: number;
	skipped: number;
	/** Already-issued devices whose missing artifacts were rewritten from the ledger. */
	reemitted: number;
	out: string;
}

export interface DeviceFiles {
	dir: string;
	nvs: string;
	key?: string;
	nvsKeys?: string;
}

export function deviceFiles(row: { serial: string; keyStore: string; nvsKeys: unknown }): DeviceFiles {
	const dir = join("devices", row.serial);
	const files: DeviceFiles = { dir, nvs: join(dir, "nvs.bin") };
	if (row.keyStore === "efuse") files.key = join(dir, "key.bin");
	if (row.nvsKeys) files.nvsKeys = join(dir, "nvs_keys.bin");
	return files;
}

interface Secrets {
	hmacKey: Uint8Array;
	nvsKeys?: NvsKeys;
}

interface Built {
	image: Uint8Array;
	keyFile?: Uint8Array;
	keysPartition?: Uint8Array;
}

function build(row: Pick<LedgerRow, "deviceId" | "board" | "keyStore" | "efuseBlock">, secrets: Secrets, layout: NvsLayout, platform?: PlatformEndpoint): Built {
	const image = buildNvsImage(
		deviceNvsItems({
			deviceId: row.deviceId,
			board: row.board,
			keyStore: row.keyStore,
			...(row.keyStore === "nvs" ? { hmacKey: secrets.hmacKey } : { efuseBlock: row.efuseBlock ?? undefined }),
			...(platform ? { platform } : {}),
		}),
		{ size: layout.nvs.size },
	);
	const built: Built = { image };
	if (secrets.nvsKeys) {
		built.image = encryptNvsImage(image, secrets.nvsKeys);
		image.fill(0); // the plain image holds the key
		built.keysPartition = buildNvsKeysPartition(secrets.nvsKeys);
	}
	// espefuse burn_key takes the key as the HMAC peripheral will use it (it reverses the byte order itself).
	if (row.keyStore === "efuse") built.keyFile = secrets.hmacKey.slice();
	return built;
}

function wipe(s: Secrets, b?: Built): void {
	s.hmacKey.fill(0);
	s.nvsKeys?.encryption.fill(0);
	s.nvsKeys?.tweak.fill(0);
	b?.keyFile?.fill(0);
	b?.keysPartition?.fill(0);
	if (s.nvsKeys === undefined) b?.image.fill(0); // plain images of NVS-key boards hold the key
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
const hex = (n: number) => `0x${n.toString(16)}`;

function commands(info: BoardInfo, files: DeviceFiles, layout: NvsLayout, efuseBlock: number | null): string[] {
	if (info.chip === "sim") return [];
	const c = [`esptool.py --chip ${info.chip} write_flash ${hex(layout.nvs.offset)} ${files.nvs}`];
	if (files.nvsKeys && layout.nvsKeys)
		// Written plain before the first boot: the bootloader then encrypts every partition flagged "encrypted".
		c.push(`esptool.py --chip ${info.chip} write_flash ${hex(layout.nvsKeys.offset)} ${files.nvsKeys}`);
	if (files.key) c.push(`espefuse.py --chip ${info.chip} burn_key BLOCK_KEY${efuseBlock} ${files.key} HMAC_UP`);
	return c;
}

/** The lines one device contributes to the JSON-lines outputs. */
function records(row: Omit<LedgerRow, "seq">, layout: NvsLayout, kid: string) {
	const info = boards[row.board]!;
	const files = deviceFiles(row);
	const importRecord = {
		type: "enigm.provision.device",
		v: 1,
		deviceId: row.deviceId,
		serial: row.serial,
		board: row.board,
		keyStore: row.keyStore,
		key: row.key,
		createdAt: row.createdAt,
	};
	const audit = {
		event: "issued",
		time: row.createdAt,
		serial: row.serial,
		deviceId: row.deviceId,
		board: row.board,
		keyStore: row.keyStore,
		imageSha256: row.imageSha256,
		nvsEncrypted: row.nvsKeys !== null,
		kid,
	};
	const manifest = {
		serial: row.serial,
		deviceId: row.deviceId,
		board: row.board,
		chip: info.chip,
		files,
		commands: commands(info, files, layout, row.efuseBlock),
	};
	return [importRecord, audit, manifest].map((o) => `${JSON.stringify(o)}\n`);
}

function unwrapSecrets(platformKey: Uint8Array, row: LedgerRow): Secrets {
	const hmacKey = unwrapKey(platformKey, row.key, wrapAad("device-key", row.deviceId, row.serial, row.board));
	if (row.nvsKeys === null) return { hmacKey };
	const both = unwrapKey(platformKey, row.nvsKeys, wrapAad("nvs-keys", row.deviceId, row.serial, row.board));
	const secrets = { hmacKey, nvsKeys: { encryption: both.slice(0, 32), tweak: both.slice(32, 64) } };
	both.fill(0);
	return secrets;
}

function writeArtifacts(out: string, row: Omit<LedgerRow, "seq">, built: Built, write: ArtifactWriter): void {
	const files = deviceFiles(row);
	try {
		mkdirSync(join(out, files.dir), { mode: 0o700 });
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
	}
	write(join(out, files.nvs), built.image);
	if (files.key && built.keyFile) write(join(out, files.key), built.keyFile);
	if (files.nvsKeys && built.keysPartition) write(join(out, files.nvsKeys), built.keysPartition);
}

/** Rebuilds a ledger row's artifacts from its wrapped secrets; the image must hash to the recorded SHA-256. */
export function reemitDevice(out: string, row: LedgerRow, platformKey: Uint8Array, layout: NvsLayout, write: ArtifactWriter = writeArtifactFile, platform?: PlatformEndpoint): void {
	const secrets = unwrapSecrets(platformKey, row);
	const built = build(row, secrets, layout, platform);
	try {
		if (sha256(built.image) !== row.imageSha256)
			throw new BatchError(`ledger: serial ${row.serial} rebuilds to a different image (partition layout changed?)`);
		writeArtifacts(out, row, built, write);
	} finally {
		wipe(secrets, built);
	}
}

function artifactsPresent(out: string, row: LedgerRow, layout: NvsLayout): boolean {
	const files = deviceFiles(row);
	const size = (f: string) => (existsSync(join(out, f)) ? statSync(join(out, f)).size : -1);
	if (size(files.nvs) !== layout.nvs.size) return false;
	if (files.key && size(files.key) !== 32) return false;
	if (files.nvsKeys && size(files.nvsKeys) !== 4096) return false;
	return true;
}

class Outputs {
	readonly #fds = new Map<string, number>();
	readonly #sizes = new Map<string, number>();

	constructor(readonly out: string, ledger: Ledger, log: (line: string) => void) {
		for (const name of OUTPUTS) {
			const path = join(out, name);
			const committed = Number(ledger.meta(`bytes:${name}`) ?? "0");
			const actual = existsSync(path) ? statSync(path).size : 0;
			if (actual < committed)
				throw new BatchError(`${path} is shorter than the ledger's committed length (${actual} < ${committed} bytes): restore it before resuming`);
			if (actual > committed) {
				truncateSync(path, committed);
				log(`recovered: dropped ${actual - committed} uncommitted bytes from ${name}`);
			}
			this.#fds.set(name, openSync(path, "a", 0o600));
			this.#sizes.set(name, committed);
		}
	}

	append(name: string, text: string): void {
		const data = Buffer.from(text, "utf8");
		writeSync(this.#fds.get(name)!, data);
		this.#sizes.set(name, this.#sizes.get(name)! + data.length);
	}

	/** Flushes the outputs to disk and stages their lengths into the ledger (inside the caller's transaction). */
	sync(): void {
		for (const fd of this.#fds.values()) fsyncSync(fd);
	}

	commitSizes(ledger: Ledger): void {
		for (const [name, size] of this.#sizes) ledger.setMeta(`bytes:${name}`, String(size));
	}

	close(): void {
		for (const fd of this.#fds.values()) closeSync(fd);
		this.#fds.clear();
	}
}

function checkOptions(o: GenerateOptions): void {
	if ((o.csv === undefined) === (o.count === undefined)) throw new BatchError("give exactly one of --csv or --count");
	if (o.board !== undefined && !boards[o.board]) throw new BatchError(`unknown board ${JSON.stringify(o.board)} (known: ${Object.keys(boards).join(", ")})`);
	if (o.count !== undefined) {
		if (!Number.isInteger(o.count) || o.count < 1 || o.count > 10_000_000) throw new BatchError("--count must be an integer 1..10000000");
		if (o.board === undefined) throw new BatchError("--count needs --board");
		if (!SERIAL.test(`${o.prefix ?? "ENK"}-1`)) throw new BatchError("--prefix must be letters, digits, '.', '_' or '-'");
	}
	if (o.platformKey.length !== 32) throw new BatchError("platform key must be 32 bytes");
	const block = o.efuseBlock ?? DEFAULT_EFUSE_BLOCK;
	if (!Number.isInteger(block) || block < 0 || block > 5) throw new BatchError("--efuse-block must be 0..5 (BLOCK_KEY0..5)");
	const problem = o.platform && endpointProblem(o.platform);
	if (problem) throw new BatchError(problem);
}

/** The batch's platform endpoint: recorded with its first run, and every later run must agree with it. */
function batchEndpoint(ledger: Ledger, wanted: PlatformEndpoint | undefined): PlatformEndpoint | undefined {
	const host = ledger.meta("platform_host");
	const ca = ledger.meta("platform_ca");
	const recorded = host !== undefined && ca !== undefined ? { host, ca } : undefined;
	if (!wanted) return recorded;
	if (!recorded) {
		if (!ledger.rows(1).next().done) throw new BatchError("this batch was issued without a platform endpoint: start a new batch to add one");
		ledger.setMeta("platform_host", wanted.host);
		ledger.setMeta("platform_ca", wanted.ca);
		return wanted;
	}
	if (recorded.host !== wanted.host || recorded.ca !== wanted.ca)
		throw new BatchError(`this batch's devices talk to ${recorded.host} with another CA: use the same --platform-host and --platform-ca, or a new batch`);
	return recorded;
}

async function* rowsOf(o: GenerateOptions): AsyncGenerator<SerialRow> {
	if (o.csv !== undefined) {
		yield* readSerialCsv(o.csv, o.board);
		return;
	}
	const start = o.start ?? 1;
	for (let i = 0; i < o.count!; i++) yield { line: i + 1, serial: `${o.prefix ?? "ENK"}-${start + i}`, board: o.board! };
}

/** Runs (or resumes) a batch. Throws BatchError/CsvError with a clear message; partial work is always resumable. */
export async function generateBatch(o: GenerateOptions): Promise<GenerateResult> {
	checkOptions(o);
	const log = o.log ?? (() => {});
	const now = o.now ?? (() => new Date());
	const write = o.writeArtifact ?? writeArtifactFile;
	const layouts = new Map<string, NvsLayout>();
	const layoutOf = (board: string) => {
		let l = layouts.get(board);
		if (!l) layouts.set(board, (l = (o.layout ?? nvsLayout)(board)));
		return l;
	};
	const efuseBlock = o.efuseBlock ?? DEFAULT_EFUSE_BLOCK;
	/** Why a board cannot be provisioned with these options, checked for every row before anything is written. */
	const boardProblem = (board: string): string | undefined => {
		if (!o.nvsKeys) return undefined;
		const info = boards[board]!;
		if (info.keyStore !== "nvs" || info.chip === "sim") return `--nvs-keys applies to ESP32 boards that keep the key in NVS, not ${board}`;
		const layout = layoutOf(board);
		if (!layout.nvsKeys) return `--nvs-keys: ${layout.source} has no nvs_keys partition for ${board}`;
		return undefined;
	};
	let total: number;
	if (o.csv !== undefined) total = await validateSerialCsv(o.csv, o.board, (row) => boardProblem(row.board!));
	else {
		const problem = boardProblem(o.board!);
		if (problem) throw new BatchError(problem);
		total = o.count!;
	}

	mkdirSync(join(o.out, "devices"), { recursive: true, mode: 0o700 });
	const ledger = new Ledger(join(o.out, LEDGER_FILE));
	let outputs: Outputs | undefined;
	const result: GenerateResult = { total, issued: 0, skipped: 0, reemitted: 0, out: o.out };
	try {
		const kid = platformKeyId(o.platformKey);
		const known = ledger.meta("kid");
		if (known === undefined) ledger.setMeta("kid", kid);
		else if (known !== kid) throw new BatchError(`this batch's identities are wrapped under platform key ${known}, not ${kid}: use the same --platform-key`);
		const endpoint = batchEndpoint(ledger, o.platform);
		outputs = new Outputs(o.out, ledger, log);

		const chunkSize = o.chunk ?? 1024;
		let chunk: SerialRow[] = [];
		let done = 0;
		const commit = (rows: Omit<LedgerRow, "seq">[]) => {
			outputs!.sync();
			ledger.transaction(() => {
				for (const row of rows) ledger.insert(row);
				outputs!.commitSizes(ledger);
			});
		};
		const runChunk = () => {
			const rows: Omit<LedgerRow, "seq">[] = [];
			for (const r of chunk) {
				const existing = ledger.get(r.serial);
				if (existing) {
					result.skipped++;
					if (existing.board !== r.board)
						log(`serial ${r.serial}: already issued for board ${existing.board}, kept (input says ${r.board})`);
					if (!artifactsPresent(o.out, existing, layoutOf(existing.board))) {
						reemitDevice(o.out, existing, o.platformKey, layoutOf(existing.board), write, endpoint);
						result.reemitted++;
					}
					continue;
				}
				const board = r.board!;
				const info = boards[board]!;
				const layout = layoutOf(board);
				const secrets: Secrets = { hmacKey: randomBytes(32) };
				let built: Built | undefined;
				try {
					if (o.nvsKeys) secrets.nvsKeys = { encryption: randomBytes(32), tweak: randomBytes(32) };
					const deviceId = randomBytes(16).toString("hex");
					const base = {
						serial: r.serial, deviceId, board, keyStore: info.keyStore,
						efuseBlock: info.keyStore === "efuse" ? efuseBlock : null, createdAt: now().toISOString(),
					};
					built = build(base, secrets, layout, endpoint);
					let nvsKeys: Wrapped | null = null;
					if (secrets.nvsKeys) {
						const both = Buffer.concat([secrets.nvsKeys.encryption, secrets.nvsKeys.tweak]);
						nvsKeys = wrapKey(o.platformKey, both, wrapAad("nvs-keys", deviceId, r.serial, board));
						both.fill(0);
					}
					const row = {
						...base,
						key: wrapKey(o.platformKey, secrets.hmacKey, wrapAad("device-key", deviceId, r.serial, board)),
						nvsKeys,
						imageSha256: sha256(built.image),
					};
					writeArtifacts(o.out, row, built, write);
					rows.push(row);
				} finally {
					wipe(secrets, built);
				}
			}
			for (const row of rows)
				for (const [i, line] of records(row, layoutOf(row.board), kid).entries()) outputs!.append(OUTPUTS[i]!, line);
			if (rows.length > 0) commit(rows);
			result.issued += rows.length;
			done += chunk.length;
			chunk = [];
			o.progress?.(done, total);
		};
		o.progress?.(0, total);
		for await (const r of rowsOf(o)) {
			chunk.push(r);
			if (chunk.length >= chunkSize) runChunk();
		}
		if (chunk.length > 0) runChunk();

		const summary = { event: "run", time: now().toISOString(), ...result, kid };
		outputs.append(AUDIT_FILE, `${JSON.stringify(summary)}\n`);
		commit([]);
		return result;
	} finally {
		outputs?.close();
		ledger.close();
	}
}

/** Rewrites the artifacts of the given serials (all when empty) from the ledger. Returns how many. */
export function reemitBatch(out: string, platformKey: Uint8Array, serials: string[], layout: (board: string) => NvsLayout = nvsLayout, write: ArtifactWriter = writeArtifactFile): number {
	const file = join(out, LEDGER_FILE);
	if (!existsSync(file)) throw new BatchError(`${file}: no ledger (run generate first)`);
	mkdirSync(join(out, "devices"), { recursive: true, mode: 0o700 });
	const ledger = new Ledger(file);
	try {
		const endpoint = batchEndpoint(ledger, undefined);
		let n = 0;
		if (serials.length === 0) {
			for (const row of ledger.rows()) { reemitDevice(out, row, platformKey, layout(row.board), write, endpoint); n++; }
		} else {
			for (const serial of serials) {
				const row = ledger.get(serial);
				if (!row) throw new BatchError(`serial ${serial} is not in the ledger`);
				reemitDevice(out, row, platformKey, layout(row.board), write, endpoint);
				n++;
			}
		}
		return n;
	} finally {
		ledger.close();
	}
}
