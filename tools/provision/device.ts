/**
 * One device's identity and artifacts: fresh secrets, the NVS image, the key files, the wrapped ledger row and the
 * JSON lines it contributes. Runs on the main thread or in a worker (tools/provision/worker.ts); it never touches the
 * ledger. Artifacts are written into a PENDING folder (devices/.pending/<serial>/); batch.ts renames it to
 * devices/<serial>/ only after the ledger has recorded the identity, so a folder under a final name always belongs
 * to a recorded identity.
 */
import * as crypto from "node:crypto";
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { join, sep } from "node:path";
import { boards, type BoardInfo, type NvsLayout } from "./boards";
import { SERIAL } from "./csv";
import { DEVICE_ID, NAMESPACE, deviceNvsItems, type PlatformEndpoint } from "./identity";
import type { LedgerRow } from "./ledger";
import {
	buildNvsImage, buildNvsKeysPartition, buildNvsTemplate, deriveNvsKeysFromHmac, encryptNvsImage, setNvsValue, type NvsKeys, type NvsTemplate,
} from "./nvs";
import { loadNative, type NativeEngine } from "./nativeEngine";
import { unwrapKey, wrapAad, wrapKey, type Wrapped } from "./wrap";

export const DEVICES_DIR = "devices";
/** Artifacts of identities not yet recorded in the ledger (never flashable: not under a device's name). */
export const PENDING_DIR = join(DEVICES_DIR, ".pending");

export type NewRow = Omit<LedgerRow, "seq">;

export interface DeviceFiles {
	dir: string;
	nvs: string;
	key?: string;
	nvsKeys?: string;
	nvsHmacKey?: string;
}

/** File names inside a device folder. */
export const FILE = Object.freeze({ nvs: "nvs.bin", key: "key.bin", nvsKeys: "nvs_keys.bin", nvsHmacKey: "nvs_hmac_key.bin" });

export function deviceFiles(row: Pick<LedgerRow, "serial" | "keyStore" | "nvsKeys"> & { nvsHmacKey?: unknown }): DeviceFiles {
	// What path.join gives (serials have no separators or dot segments: csv.ts SERIAL), without its per-call garbage.
	const dir = `${DEVICES_DIR}${sep}${row.serial}`;
	const files: DeviceFiles = { dir, nvs: `${dir}${sep}${FILE.nvs}` };
	if (row.keyStore === "efuse") files.key = `${dir}${sep}${FILE.key}`;
	if (row.nvsKeys) files.nvsKeys = `${dir}${sep}${FILE.nvsKeys}`;
	if (row.nvsHmacKey) files.nvsHmacKey = `${dir}${sep}${FILE.nvsHmacKey}`;
	return files;
}

export interface Secrets {
	hmacKey: Uint8Array;
	/** --nvs-keys (classic ESP32, flash-encryption-based scheme): random XTS keys in an nvs_keys partition. */
	nvsKeys?: NvsKeys;
	/** ESP32-S3 HMAC-based scheme: the eFuse HMAC key the XTS keys are derived from. */
	nvsHmacKey?: Uint8Array;
}

export interface Built {
	image: Uint8Array;
	keyFile?: Uint8Array;
	keysPartition?: Uint8Array;
	nvsHmacKeyFile?: Uint8Array;
}

type BuildRow = Pick<LedgerRow, "deviceId" | "board" | "keyStore" | "efuseBlock">;

/** eky | tky for the native engine (per thread, wiped after each use). */
const xtsKeys = new Uint8Array(64);

/** One image buffer per partition size and thread, reused for every device: no 24 KB allocation per image. */
const scratch = new Map<number, Uint8Array>();

/**
 * Per thread, one NVS template (nvs.ts) per partition size, board, key store, eFuse block and platform endpoint:
 * within a batch only the device id (and, with the key in NVS, the key) differs from device to device, always with
 * the same length, so every image is the template with those values set.
 */
const templates = new Map<string, NvsTemplate>();
const endpointIds = new WeakMap<PlatformEndpoint, number>();
let endpoints = 0;

function imageItems(row: BuildRow, deviceId: string, hmacKey: Uint8Array, platform?: PlatformEndpoint) {
	return deviceNvsItems({
		deviceId,
		board: row.board,
		keyStore: row.keyStore,
		...(row.keyStore === "nvs" ? { hmacKey } : { efuseBlock: row.efuseBlock ?? undefined }),
		...(platform ? { platform } : {}),
	});
}

const idBytes = new Uint8Array(33); // 32 hex characters and the NUL (per thread, reused)

function setDeviceValues(template: NvsTemplate, image: Uint8Array, deviceId: string, keyStore: string, hmacKey: Uint8Array): void {
	const id = idBytes;
	for (let i = 0; i < 32; i++) id[i] = deviceId.charCodeAt(i);
	setNvsValue(template, image, NAMESPACE, "device_id", id);
	if (keyStore === "nvs") setNvsValue(template, image, NAMESPACE, "hmac_key", hmacKey);
}

function templateFor(row: BuildRow, size: number, platform?: PlatformEndpoint): NvsTemplate {
	let endpoint = 0;
	if (platform) {
		endpoint = endpointIds.get(platform) ?? 0;
		if (endpoint === 0) endpointIds.set(platform, (endpoint = ++endpoints));
	}
	const id = `${size}|${row.board}|${row.keyStore}|${row.efuseBlock}|${endpoint}`;
	let template = templates.get(id);
	if (template) return template;
	template = buildNvsTemplate(imageItems(row, "0".repeat(32), new Uint8Array(32), platform), { size });
	// The template is a shortcut, never a second format: it must give buildNvsImage's bytes for any other values.
	const otherId = "0123456789abcdef".repeat(2);
	const otherKey = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
	const direct = buildNvsImage(imageItems(row, otherId, otherKey, platform), { size });
	const patched = template.image.slice();
	setDeviceValues(template, patched, otherId, row.keyStore, otherKey);
	if (Buffer.compare(direct, patched) !== 0) throw new Error(`NVS template for ${row.board} differs from the full build`);
	templates.set(id, template);
	return template;
}

/**
 * Builds a device's artifacts. The image is built in this thread's scratch buffer and stays valid only until the
 * next build(): write it out before building the next device.
 */
export function build(row: BuildRow, secrets: Secrets, layout: NvsLayout, platform?: PlatformEndpoint, engine?: NativeEngine): Built {
	if (!DEVICE_ID.test(row.deviceId)) throw new RangeError("device id must be 32 lowercase hex characters");
	if (row.keyStore === "nvs" && secrets.hmacKey.length !== 32) throw new RangeError("NVS key store needs a 32-byte key");
	const size = layout.nvs.size;
	const template = templateFor(row, size, platform);
	let image = scratch.get(size);
	if (!image) scratch.set(size, (image = new Uint8Array(size)));
	image.set(template.image);
	setDeviceValues(template, image, row.deviceId, row.keyStore, secrets.hmacKey);
	const built: Built = { image };
	if (secrets.nvsKeys) {
		// The plain image (it holds the key) is overwritten.
		if (engine) {
			xtsKeys.set(secrets.nvsKeys.encryption, 0);
			xtsKeys.set(secrets.nvsKeys.tweak, 32);
			try {
				engine.xtsEntries(image, template.entries, xtsKeys);
			} finally {
				xtsKeys.fill(0);
			}
		} else encryptNvsImage(image, secrets.nvsKeys, { inPlace: true, entries: template.entries });
		built.keysPartition = buildNvsKeysPartition(secrets.nvsKeys);
	} else if (secrets.nvsHmacKey) {
		// The native engine derives eky and tky itself (the same HMACs) and wipes them.
		if (engine) engine.xtsEntries(image, template.entries, secrets.nvsHmacKey);
		else {
			const derived = deriveNvsKeysFromHmac(secrets.nvsHmacKey);
			encryptNvsImage(image, derived, { inPlace: true, entries: template.entries });
			derived.encryption.fill(0);
			derived.tweak.fill(0);
		}
		// espefuse burn_key BLOCK_KEYn <file> HMAC_UP takes the same 32 bytes nvs_partition_gen.py reads with
		// --kp_hmac_inputkey (ESP-IDF NVS encryption guide, HMAC-based scheme).
		built.nvsHmacKeyFile = secrets.nvsHmacKey.slice();
	}
	// espefuse burn_key takes the key as the HMAC peripheral will use it (it reverses the byte order itself).
	if (row.keyStore === "efuse") built.keyFile = secrets.hmacKey.slice();
	return built;
}

export function wipe(s: Secrets, b?: Built): void {
	s.hmacKey.fill(0);
	s.nvsKeys?.encryption.fill(0);
	s.nvsKeys?.tweak.fill(0);
	s.nvsHmacKey?.fill(0);
	b?.keyFile?.fill(0);
	b?.keysPartition?.fill(0);
	b?.nvsHmacKeyFile?.fill(0);
	if (s.nvsKeys === undefined && s.nvsHmacKey === undefined) b?.image.fill(0); // plain images of NVS-key boards hold the key
}

/** crypto.hash (Node >= 20.12) skips a Hash object per image; createHash where it is missing. */
export const sha256: (data: Uint8Array) => string = typeof crypto.hash === "function"
	? (data) => crypto.hash("sha256", data, "hex")
	: (data) => crypto.createHash("sha256").update(data).digest("hex");
const hex = (n: number) => `0x${n.toString(16)}`;

function commands(info: BoardInfo, files: DeviceFiles, layout: NvsLayout, row: Pick<LedgerRow, "efuseBlock" | "nvsEfuseBlock">): string[] {
	if (info.chip === "sim") return [];
	const c = [`esptool.py --chip ${info.chip} write_flash ${hex(layout.nvs.offset)} ${files.nvs}`];
	if (files.nvsKeys && layout.nvsKeys)
		// Written plain before the first boot: the bootloader then encrypts every partition flagged "encrypted".
		c.push(`esptool.py --chip ${info.chip} write_flash ${hex(layout.nvsKeys.offset)} ${files.nvsKeys}`);
	if (files.key) c.push(`espefuse.py --chip ${info.chip} burn_key BLOCK_KEY${row.efuseBlock} ${files.key} HMAC_UP`);
	if (files.nvsHmacKey) c.push(`espefuse.py --chip ${info.chip} burn_key BLOCK_KEY${row.nvsEfuseBlock} ${files.nvsHmacKey} HMAC_UP`);
	return c;
}

/** The lines one device contributes to [platform-import, audit, manifest]. */
export function records(row: NewRow, layout: NvsLayout, kid: string): [string, string, string] {
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
		nvsEncrypted: row.nvsKeys !== null || row.nvsHmacKey !== null,
		...(row.nvsHmacKey !== null ? { nvsKeyProtection: "hmac", nvsEfuseBlock: row.nvsEfuseBlock } : {}),
		kid,
	};
	const manifest = {
		serial: row.serial,
		deviceId: row.deviceId,
		board: row.board,
		chip: info.chip,
		files,
		commands: commands(info, files, layout, row),
	};
	return [importRecord, audit, manifest].map((o) => `${JSON.stringify(o)}\n`) as [string, string, string];
}

export function unwrapSecrets(platformKey: Uint8Array, row: NewRow): Secrets {
	const aad = (purpose: "device-key" | "nvs-keys" | "nvs-hmac-key") => wrapAad(purpose, row.deviceId, row.serial, row.board);
	const secrets: Secrets = { hmacKey: unwrapKey(platformKey, row.key, aad("device-key")) };
	if (row.nvsKeys !== null) {
		const both = unwrapKey(platformKey, row.nvsKeys, aad("nvs-keys"));
		secrets.nvsKeys = { encryption: both.slice(0, 32), tweak: both.slice(32, 64) };
		both.fill(0);
	}
	if (row.nvsHmacKey !== null) secrets.nvsHmacKey = unwrapKey(platformKey, row.nvsHmacKey, aad("nvs-hmac-key"));
	return secrets;
}

/** Writes one 0600 file (no fsync here: the batch's group commit makes a chunk durable at once). */
export type ArtifactWriter = (path: string, data: Uint8Array) => void;

export const writeArtifactFile: ArtifactWriter = (path, data) => {
	const fd = openSync(path, "w", 0o600);
	try {
		writeSync(fd, data);
	} finally {
		closeSync(fd);
	}
};

/** Writes a device's artifacts into `dir` (created fresh; a leftover of an interrupted run is replaced). */
export function writeDeviceDir(dir: string, row: NewRow, built: Built, write: ArtifactWriter = writeArtifactFile, engine?: NativeEngine): void {
	const names: string[] = [FILE.nvs];
	const contents: Uint8Array[] = [built.image];
	if (built.keyFile) { names.push(FILE.key); contents.push(built.keyFile); }
	if (built.keysPartition) { names.push(FILE.nvsKeys); contents.push(built.keysPartition); }
	if (built.nvsHmacKeyFile) { names.push(FILE.nvsHmacKey); contents.push(built.nvsHmacKeyFile); }
	/** Creates the folder (the engine: with its files), replacing a leftover of that name. */
	const fresh = (create: () => void) => {
		try {
			create();
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
			rmSync(dir, { recursive: true, force: true });
			create();
		}
	};
	if (engine && write === writeArtifactFile) {
		fresh(() => engine.writeDir(dir, names, contents));
		return;
	}
	fresh(() => mkdirSync(dir, { mode: 0o700 }));
	// Plain concatenation: `dir` is already joined, and the names are fixed (path.join per file showed in profiles).
	for (let i = 0; i < names.length; i++) write(`${dir}/${names[i]}`, contents[i]!);
	void row;
}

/**
 * Random bytes from node:crypto's CSPRNG (OpenSSL RAND_bytes), drawn 64 KB at a time: one call per ~600 devices
 * instead of six per device (the per-call overhead was the largest cost of issuing a device). Each slice is copied
 * out and the pool's copy zeroed at once, so no secret stays in the pool.
 */
const POOL_SIZE = 65536;
const pool = new Uint8Array(POOL_SIZE);
let poolAt = POOL_SIZE;
export function randomBytesFromPool(n: number): Buffer {
	if (n > POOL_SIZE) throw new RangeError("random draw larger than the pool");
	if (poolAt + n > POOL_SIZE) {
		crypto.randomFillSync(pool);
		poolAt = 0;
	}
	const out = Buffer.from(pool.subarray(poolAt, poolAt + n));
	pool.fill(0, poolAt, poolAt + n);
	poolAt += n;
	return out;
}

let pendingFor: string | undefined;
let pendingPath = "";
/** join(out, PENDING_DIR), computed once per output directory. */
function pendingRoot(out: string): string {
	if (pendingFor !== out) { pendingPath = join(out, PENDING_DIR); pendingFor = out; }
	return pendingPath;
}

/** What a worker (or the main thread) needs to issue devices. Plain data: it crosses postMessage. */
export interface IssueContext {
	out: string;
	platformKey: Uint8Array;
	/** platformKeyId(platformKey), for the audit lines. */
	kid: string;
	/** Resolved NVS layout of every board the batch may use. */
	layouts: Record<string, NvsLayout>;
	endpoint?: PlatformEndpoint;
	/** --nvs-keys for NVS-key ESP32 boards. */
	nvsKeys: boolean;
	efuseBlock: number;
	nvsEfuseBlock: number;
	/** The native engine's module (nativeEngine.ts engineStatus().path); unset: the JavaScript path. */
	nativePath?: string;
}

/** An issued device: the row to record and its [platform-import, audit, manifest] lines. */
export interface Issued {
	row: NewRow;
	lines: [string, string, string];
}

/**
 * Devices issued together, packed for the trip to the main thread: a few byte buffers instead of thousands of
 * small objects or strings, so neither the worker nor the main thread holds per-device garbage for long. `rows` is
 * the ledger rows, one ledgerLine() per device; `lines` the concatenated platform-import, audit and
 * manifest lines. All UTF-8, transferred (not copied) from a worker.
 */
export interface Slice {
	/** The worker that issued it (batch.ts sends its buffers back there once committed); unset on the main thread. */
	from?: number;
	serials: string[];
	rows: Uint8Array;
	lines: [Uint8Array, Uint8Array, Uint8Array];
}

/**
 * A row as one line for ledger.ts Ledger.insertRows: a JSON array of the column values in INSERT order, the wrapped keys as
 * their JSON text. Worker threads build these lines; the main thread only parses and binds them.
 */
export function ledgerLine(r: NewRow): string {
	return `${JSON.stringify([
		r.serial, r.deviceId, r.board, r.keyStore, r.efuseBlock, JSON.stringify(r.key), r.nvsKeys === null ? null : JSON.stringify(r.nvsKeys),
		r.imageSha256, r.createdAt, r.nvsHmacKey === null ? null : JSON.stringify(r.nvsHmacKey), r.nvsEfuseBlock,
	])}\n`;
}

/**
 * ArrayBuffers a thread reuses for its slices' bytes: the main thread sends a worker's buffers back once the chunk is
 * committed (batch.ts Pool), so a worker allocates its few buffers once per batch rather than once per slice, and
 * memory stays flat in the batch size. The contents are wrapped keys and public lines, never a secret in clear.
 */
const spare: ArrayBuffer[] = [];
/** Enough for two chunks' pieces in flight (batch.ts); more are dropped. */
const MAX_SPARE = 1024;

export function recycleBuffers(buffers: readonly ArrayBuffer[]): void {
	for (const b of buffers) if (spare.length < MAX_SPARE && b.byteLength > 0) spare.push(b);
}

function takeBuffer(size: number): ArrayBuffer {
	let best = -1;
	for (let i = 0; i < spare.length; i++) if (spare[i]!.byteLength >= size && (best < 0 || spare[i]!.byteLength < spare[best]!.byteLength)) best = i;
	if (best >= 0) return spare.splice(best, 1)[0]!;
	return new ArrayBuffer(Math.max(4096, size));
}

/**
 * A growing byte buffer that owns its ArrayBuffer (not Node's shared pool), so it can be transferred. The text is
 * ASCII by construction (serials match csv.ts SERIAL, checked in issueDevice; board names, hex, ISO times, fixed
 * words), so it is written as latin1: one byte per character, without the UTF-8 encoder.
 */
class AsciiSink {
	#buf: Buffer;
	#length = 0;
	constructor(capacity: number) {
		this.#buf = Buffer.from(takeBuffer(capacity));
	}
	write(text: string): void {
		const need = this.#length + text.length;
		if (need > this.#buf.length) {
			const bigger = Buffer.from(takeBuffer(Math.max(need, this.#buf.length * 2)));
			this.#buf.copy(bigger, 0, 0, this.#length);
			recycleBuffers([this.#buf.buffer as ArrayBuffer]);
			this.#buf = bigger;
		}
		this.#length += this.#buf.write(text, this.#length, "latin1");
	}
	bytes(): Uint8Array {
		return new Uint8Array(this.#buf.buffer, 0, this.#length);
	}
}

export function issueSlice(ctx: IssueContext, jobs: readonly Job[], createdAt: string, write?: ArtifactWriter, each?: () => void): Slice {
	// Sized for the usual lines (about 450, 350, 550 and 600 bytes a device) so they rarely grow.
	const n = jobs.length;
	const rows = new AsciiSink(n * 700);
	const lines = [new AsciiSink(n * 500), new AsciiSink(n * 400), new AsciiSink(n * 650)] as const;
	const serials: string[] = [];
	for (const job of jobs) {
		const issued = issueDevice(ctx, job, createdAt, write);
		rows.write(ledgerLine(issued.row));
		for (let i = 0; i < 3; i++) lines[i]!.write(issued.lines[i]!);
		serials.push(job.serial);
		each?.();
	}
	return { serials, rows: rows.bytes(), lines: [lines[0].bytes(), lines[1].bytes(), lines[2].bytes()] };
}

/** A device to issue (a csv.ts SerialRow with its board resolved is one). */
export interface Job {
	serial: string;
	board: string;
}

/**
 * Issues one device: fresh secrets from the CSPRNG, artifacts into its pending folder, secrets wiped; returns the
 * row to record (keys wrapped only).
 */
export function issueDevice(ctx: IssueContext, job: Job, createdAt: string, write?: ArtifactWriter): Issued {
	const info = boards[job.board];
	// Also what keeps every output line ASCII (AsciiSink).
	if (!info || !SERIAL.test(job.serial)) throw new RangeError(`invalid serial or board for ${JSON.stringify(job.serial.slice(0, 80))}`);
	const layout = ctx.layouts[job.board]!;
	// With a custom writer (tests inject write failures) the JavaScript path runs, so the writer sees every file.
	const engine = ctx.nativePath !== undefined && write === undefined ? loadNative(ctx.nativePath) : undefined;
	const useNvsKeys = ctx.nvsKeys && info.keyStore === "nvs" && info.chip !== "sim";
	const useHmacScheme = info.keyStore === "efuse";
	// One draw for every random value of the device: key, NVS keys, device id, IVs.
	const draw = randomBytesFromPool(32 + 16 + 12 + (useNvsKeys ? 64 + 12 : 0) + (useHmacScheme ? 32 + 12 : 0));
	let at = 0;
	const take = (n: number) => draw.subarray(at, (at += n));
	const secrets: Secrets = { hmacKey: take(32) };
	let built: Built | undefined;
	try {
		const nvsKeysAt = at;
		if (useNvsKeys) secrets.nvsKeys = { encryption: take(32), tweak: take(32) };
		if (useHmacScheme) secrets.nvsHmacKey = take(32);
		const deviceId = take(16).toString("hex");
		const efuseBlock = useHmacScheme ? ctx.efuseBlock : null;
		built = build({ deviceId, board: job.board, keyStore: info.keyStore, efuseBlock }, secrets, layout, ctx.endpoint, engine);
		const aad = (purpose: "device-key" | "nvs-keys" | "nvs-hmac-key") => wrapAad(purpose, deviceId, job.serial, job.board);
		let nvsKeys: Wrapped | null = null;
		if (secrets.nvsKeys) {
			// Wrapped together as eky | tky: adjacent in the draw.
			const both = draw.subarray(nvsKeysAt, nvsKeysAt + 64);
			nvsKeys = wrapKey(ctx.platformKey, both, aad("nvs-keys"), take(12), ctx.kid, engine);
		}
		const key = wrapKey(ctx.platformKey, secrets.hmacKey, aad("device-key"), take(12), ctx.kid, engine);
		const nvsHmacKey = secrets.nvsHmacKey ? wrapKey(ctx.platformKey, secrets.nvsHmacKey, aad("nvs-hmac-key"), take(12), ctx.kid, engine) : null;
		// A literal, not a spread of a base object: the spread's copies were the main thread's largest source of
		// promoted garbage (sampling heap profiler: ~440 of ~1,000 promoted bytes per device).
		const row: NewRow = {
			serial: job.serial, deviceId, board: job.board, keyStore: info.keyStore, efuseBlock,
			nvsEfuseBlock: useHmacScheme ? ctx.nvsEfuseBlock : null, createdAt, key, nvsKeys, nvsHmacKey, imageSha256: sha256(built.image),
		};
		writeDeviceDir(`${pendingRoot(ctx.out)}/${job.serial}`, row, built, write, engine);
		return { row, lines: records(row, layout, ctx.kid) };
	} finally {
		wipe(secrets, built);
		draw.fill(0);
	}
}
