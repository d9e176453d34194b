/**
 * Batch provisioning: issues identities, writes per-device artifacts and the JSON-lines outputs, resumably.
 *
 * One step per device, committed a chunk at a time (group commit; README "Commit protocol"):
 *   1. per new serial (in worker threads, or on this thread with jobs = 0): fresh key and id, artifacts written into
 *      devices/.pending/<serial>/, secrets wiped, the wrapped ledger row returned;
 *   2. the chunk's files are flushed to disk at once (syncfs via `sync -f`, or fsync per file where that is missing);
 *   3. the chunk's lines, appended to the import/audit/manifest files as its devices were issued (in order; a later
 *      chunk's may follow them), are fsynced;
 *   4. ONE ledger transaction (synchronous = FULL), which took the chunk's identities as they were issued, records
 *      each output's committed length (its length after the chunk's last line) and commits;
 *   5. each pending folder is renamed to devices/<serial>/ and the devices directory is fsynced.
 * A folder under a device's name therefore always belongs to a recorded identity. After a crash or Ctrl-C the next
 * run truncates the outputs to their committed lengths, deletes pending folders the ledger does not know (their
 * keys were never recorded and never under a flashable name), rebuilds from the ledger the folders of identities
 * that committed but were not yet renamed, moves final-named folders that no ledger row knows (left by an older
 * version of this tool) to orphans/ and reports them, skips every recorded serial and issues the rest.
 * Nothing secret is logged; errors name files and serials only.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import {
	closeSync, existsSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, opendirSync, readdirSync, renameSync, rmSync,
	statSync, truncateSync, writeSync,
} from "node:fs";
import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { join, sep } from "node:path";
import { Worker } from "node:worker_threads";
import { bundleFile } from "./bundle.mjs";
import { boards, nvsLayout, type NvsLayout } from "./boards";
import { SERIAL, readSerialCsv, validateSerialCsv, type SerialRow } from "./csv";
import {
	DEVICES_DIR, FILE, PENDING_DIR, build, deviceFiles, issueSlice, recycleBuffers, sha256, unwrapSecrets, wipe, writeDeviceDir,
	writeArtifactFile, type ArtifactWriter, type IssueContext, type Job, type NewRow, type Slice,
} from "./device";
import { endpointProblem, type PlatformEndpoint } from "./identity";
import { engineStatus, loadNative, type EngineChoice, type NativeEngine } from "./nativeEngine";
import Ledger, { type LedgerRow } from "./ledger";
import { platformKeyId } from "./wrap";

export { PROVISION_NODE_FLAGS } from "./nodeFlags";
import type { WorkReply, WorkRequest, WorkerSetup } from "./worker";

export { deviceFiles, writeArtifactFile, type ArtifactWriter, type DeviceFiles } from "./device";

export const LEDGER_FILE = "ledger.sqlite";
export const IMPORT_FILE = "platform-import.jsonl";
export const AUDIT_FILE = "audit.jsonl";
export const MANIFEST_FILE = "manifest.jsonl";
export const ORPHANS_DIR = "orphans";
const OUTPUTS = [IMPORT_FILE, AUDIT_FILE, MANIFEST_FILE] as const;
const EMPTY = new Uint8Array(0);

/** Device HMAC key: BLOCK_KEY5. NVS HMAC key (ESP32-S3 NVS encryption): BLOCK_KEY4 (README "eFuse key blocks"). */
export const DEFAULT_EFUSE_BLOCK = 5;
export const DEFAULT_NVS_EFUSE_BLOCK = 4;

export class BatchError extends Error {
	override name = "BatchError";
}

/**
 * Where a run can be interrupted, in commit order. Tests inject a crash at each (the hook throws or kills the
 * process); the next run must then find every key either recorded in the ledger or only in a pending folder.
 */
export const FAULT_POINTS = [
	"device-written", // jobs = 0 only: one device's pending folder is complete
	"chunk-written", // every pending folder of the chunk is written
	"files-synced", // the chunk's files are on disk
	"outputs-appended", // the chunk's JSON lines are appended, not yet fsynced
	"outputs-synced",
	"ledger-insert", // inside the ledger transaction, rows inserted, not committed (a throw rolls it back)
	"ledger-committed",
	"device-renamed", // one pending folder moved to its final name
	"chunk-done", // the devices directory is fsynced
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

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
	/** eFuse key block of the device HMAC key (ESP32-S3), default 5. */
	efuseBlock?: number;
	/** eFuse key block of the NVS encryption HMAC key (ESP32-S3), default 4; must differ from efuseBlock. */
	nvsEfuseBlock?: number;
	/** The platform every device of the batch talks to, written into each image; fixed for a batch once issued. */
	platform?: PlatformEndpoint;
	/** NVS layout per board (default: the board's partitions.csv). */
	layout?: (board: string) => NvsLayout;
	/** Devices per ledger transaction (group commit). */
	chunk?: number;
	/** Worker threads issuing devices; 0 (the default here; the CLI uses one per core) issues on this thread. */
	jobs?: number;
	/**
	 * Issuing engine (nativeEngine.ts): "auto" (default) the native one when it builds here, else JavaScript; "native"
	 * refuses to run without it; "js" never uses it. Same outputs either way.
	 */
	engine?: EngineChoice;
	/** jobs = 0 only: how each artifact file is written (tests inject failures; the JavaScript path then runs). */
	writeArtifact?: ArtifactWriter;
	/** Stops the batch cleanly: no new devices start, those in progress are committed, the result says interrupted. */
	signal?: AbortSignal;
	/** Test hook, called at each FaultPoint. */
	fault?: (point: FaultPoint) => void;
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
	/** Identities committed by an interrupted run but not yet moved into place: rebuilt from the ledger. */
	recovered: number;
	/** Pending folders of an interrupted run whose identity never reached the ledger: deleted. */
	discarded: number;
	/** Final-named device folders no ledger row knows: moved to orphans/ and reported. */
	orphans: number;
	/** The run stopped early on request (signal); everything it issued is recorded. */
	interrupted: boolean;
	out: string;
}

/** Rebuilds a ledger row's artifacts from its wrapped secrets; the image must hash to the recorded SHA-256. */
export function reemitDevice(out: string, row: NewRow, platformKey: Uint8Array, layout: NvsLayout, write: ArtifactWriter = writeArtifactFile, platform?: PlatformEndpoint): void {
	const secrets = unwrapSecrets(platformKey, row);
	const built = build(row, secrets, layout, platform);
	try {
		if (sha256(built.image) !== row.imageSha256)
			throw new BatchError(`ledger: serial ${row.serial} rebuilds to a different image (partition layout changed?)`);
		const pending = join(out, PENDING_DIR, row.serial);
		writeDeviceDir(pending, row, built, write);
		moveIntoPlace(out, row.serial);
	} finally {
		wipe(secrets, built);
	}
}

/** Renames a pending folder to the device's name, replacing a stale folder of that name. */
function moveIntoPlace(out: string, serial: string): void {
	// Concatenated, not path.join: called per device, and serials have no separators or dot segments (csv.ts SERIAL).
	const final = `${out}${sep}${DEVICES_DIR}${sep}${serial}`;
	const pending = `${out}${sep}${PENDING_DIR}${sep}${serial}`;
	try {
		renameSync(pending, final);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
		rmSync(final, { recursive: true, force: true });
		renameSync(pending, final);
	}
}

/**
 * moveIntoPlace for many serials in one native call (renameAll: rename(2) each, in order, no JavaScript per device);
 * a serial whose final folder is already there (a stale copy) goes through moveIntoPlace, which replaces it.
 */
export function moveAllIntoPlace(out: string, serials: string[], engine: NativeEngine): void {
	const from = `${out}${sep}${PENDING_DIR}`;
	const to = `${out}${sep}${DEVICES_DIR}`;
	let done = 0;
	while (done < serials.length) {
		try {
			engine.renameAll(from, to, done === 0 ? serials : serials.slice(done));
			return;
		} catch (error) {
			const renamed = (error as { renamed?: number }).renamed;
			if (renamed === undefined) throw error;
			done += renamed;
			// Replaces a stale final folder (ENOTEMPTY/EEXIST), or throws the error that stopped renameAll.
			moveIntoPlace(out, serials[done]!);
			done++;
		}
	}
}

function artifactsPresent(out: string, row: LedgerRow, layout: NvsLayout): boolean {
	const files = deviceFiles(row);
	const size = (f: string) => (existsSync(join(out, f)) ? statSync(join(out, f)).size : -1);
	if (size(files.nvs) !== layout.nvs.size) return false;
	if (files.key && size(files.key) !== 32) return false;
	if (files.nvsKeys && size(files.nvsKeys) !== 4096) return false;
	if (files.nvsHmacKey && size(files.nvsHmacKey) !== 32) return false;
	return true;
}

function fsyncPath(path: string): void {
	const fd = openSync(path, "r");
	try {
		fsyncSync(fd);
	} finally {
		closeSync(fd);
	}
}

let syncfsWorks: boolean | undefined;

/**
 * Group commit of artifact files: one syncfs(2) of the output's file system (`sync -f`, GNU coreutils) flushes every
 * file and directory written so far, in one call instead of one fsync per file. Where `sync -f` is not available,
 * every file and folder of the chunk is fsynced.
 */
export function groupSync(out: string, dirs: string[]): void {
	if (syncfsWorks !== false) {
		try {
			execFileSync("sync", ["-f", out], { stdio: "ignore" });
			syncfsWorks = true;
			return;
		} catch {
			syncfsWorks = false;
		}
	}
	fsyncEach(dirs);
}

/**
 * Runs `sync -f <dir>` on request from one long-lived `sh` started once per batch, rather than one process per chunk
 * started from node (forking this process cost ~15 ms of CPU a chunk: its address space is large). Answers false
 * when the helper is gone or sync failed; the caller then fsyncs file by file.
 */
class SyncHelper {
	#child: ChildProcess | undefined;
	readonly #waiting: ((ok: boolean) => void)[] = [];
	#pending = "";

	constructor() {
		try {
			const child = spawn("sh", ["-c", 'while IFS= read -r d; do if sync -f -- "$d" 2>/dev/null; then echo ok; else echo fail; fi; done'], {
				stdio: ["pipe", "pipe", "ignore"],
			});
			child.on("error", () => this.#gone());
			child.on("exit", () => this.#gone());
			child.stdin!.on("error", () => this.#gone());
			child.stdout!.setEncoding("utf8");
			child.stdout!.on("data", (text: string) => {
				this.#pending += text;
				for (let end = this.#pending.indexOf("\n"); end >= 0; end = this.#pending.indexOf("\n")) {
					const answer = this.#pending.slice(0, end);
					this.#pending = this.#pending.slice(end + 1);
					this.#waiting.shift()?.(answer === "ok");
				}
			});
			this.#child = child;
		} catch {
			this.#child = undefined;
		}
	}

	#gone(): void {
		this.#child = undefined;
		for (const w of this.#waiting.splice(0)) w(false);
	}

	syncfs(dir: string): Promise<boolean> {
		const child = this.#child;
		if (!child || dir.includes("\n")) return Promise.resolve(false);
		return new Promise((resolve) => {
			this.#waiting.push(resolve);
			child.stdin!.write(`${dir}\n`);
		});
	}

	close(): void {
		this.#child?.stdin!.end();
		this.#child = undefined;
	}
}

/**
 * groupSync without blocking the event loop while `sync -f` runs (the main thread issues devices of the next chunk
 * meanwhile). Resolves once everything is on disk.
 */
export async function groupSyncAsync(helper: () => SyncHelper, out: string, dirs: () => string[], engine?: NativeEngine): Promise<void> {
	if (engine) {
		try {
			await engine.syncfs(out);
			return;
		} catch (error) {
			// Only "not here" falls back. Any other error is a writeback error of this file system (syncfs(2) reports
			// it since Linux 5.8), which a second syncfs would not report again (errseq: seen once): the chunk's
			// commit must fail, so its transaction rolls back and the next run discards its pending folders.
			const code = (error as NodeJS.ErrnoException).code;
			if (code !== "ENOSYS" && code !== "EINVAL" && code !== "ENOTSUP" && code !== "EOPNOTSUPP")
				throw new BatchError(`syncing the chunk's files to disk failed: ${(error as Error).message}`);
		}
	}
	if (syncfsWorks !== false) {
		const ok = await helper().syncfs(out);
		if (ok) {
			syncfsWorks = true;
			return;
		}
		// The helper is gone or sync -f failed (unsupported, or a writeback error it has now consumed): fsync each
		// file and folder, which reports a file's own writeback error (its inode's, not the file system's).
		syncfsWorks = false;
	}
	fsyncEach(dirs());
}

function fsyncEach(dirs: string[]): void {
	for (const dir of dirs) {
		for (const name of readdirSync(dir)) {
			const fd = openSync(join(dir, name), "r");
			try {
				fdatasyncSync(fd);
			} finally {
				closeSync(fd);
			}
		}
		fsyncPath(dir);
	}
	if (dirs.length > 0) fsyncPath(join(dirs[0]!, ".."));
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

	append(name: string, text: string | Uint8Array): void {
		const data = typeof text === "string" ? Buffer.from(text, "utf8") : text;
		let at = 0;
		while (at < data.length) at += writeSync(this.#fds.get(name)!, data, at);
		this.#sizes.set(name, this.#sizes.get(name)! + data.length);
	}

	sync(): void {
		for (const fd of this.#fds.values()) fdatasyncSync(fd);
	}

	/** The outputs' lengths now. */
	sizes(): Map<string, number> {
		return new Map(this.#sizes);
	}

	/** Stages lengths from sizes() into the ledger (inside the caller's transaction). */
	commitSizes(ledger: Ledger, sizes: Map<string, number>): void {
		for (const [name, size] of sizes) ledger.setMeta(`bytes:${name}`, String(size));
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
	const nvsBlock = o.nvsEfuseBlock ?? DEFAULT_NVS_EFUSE_BLOCK;
	if (!Number.isInteger(nvsBlock) || nvsBlock < 0 || nvsBlock > 5) throw new BatchError("--nvs-efuse-block must be 0..5 (BLOCK_KEY0..5)");
	if (nvsBlock === block)
		throw new BatchError(`the device key and the NVS encryption key need separate eFuse key blocks (both are BLOCK_KEY${block}): change --efuse-block or --nvs-efuse-block`);
	if (o.chunk !== undefined && (!Number.isInteger(o.chunk) || o.chunk < 1 || o.chunk > 65536)) throw new BatchError("--chunk must be 1..65536");
	if (o.jobs !== undefined && (!Number.isInteger(o.jobs) || o.jobs < 0 || o.jobs > 64)) throw new BatchError("--jobs must be 0..64");
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

/**
 * The worker's code: tools/provision/worker.ts and its imports in one CommonJS bundle (bundle.mjs), so the worker
 * starts without tsx (through tsx's loader a worker took ~0.4 s to start, as long as issuing 2,000 devices);
 * CommonJS rather than an ES module because a worker is ready sooner without the ES module loader (an empty one:
 * ~53 vs ~62 ms on this VM, 8 interleaved starts each).
 */
const workerSource = (): string => bundleFile("worker.ts", "cjs");

/** Devices per piece of work: small enough to balance the threads, large enough that messages cost little. */
const PIECE = 64;
/** Pieces a worker holds at most: enough to keep it busy while the main thread commits a chunk (~0.1 s). */
const WORKER_BACKLOG = 8;

interface Task {
	pieces: Job[][];
	createdAt: string;
	slices: Slice[];
	/** Next piece not yet handed out, and pieces handed to deliver. */
	next: number;
	delivered: number;
	deliver: Deliver;
	resolve: (slices: Slice[]) => void;
	reject: (e: Error) => void;
}

/** Takes each finished slice, in issue order across tasks; `last` marks a task's final slice. */
type Deliver = (slice: Slice, last: boolean) => void;

/**
 * Issues devices on worker threads and on the main thread together. Each chunk is cut into pieces of PIECE devices
 * (a queue, oldest chunk first): every worker holds up to WORKER_BACKLOG pieces, and the main thread takes the next
 * piece itself whenever it has nothing else to do (between its commits), so the threads share the work whatever
 * the machine's load, and a small batch does not wait for the workers to start (about 0.1-0.3 s). A chunk's slices
 * come back in order.
 */
class Pool {
	readonly #workers: Worker[] = [];
	readonly #ready: boolean[] = [];
	readonly #held: number[] = [];
	readonly #tasks: Task[] = [];
	/** Which task and piece each message id answers. */
	readonly #sent = new Map<number, { task: Task; piece: number }>();
	#ids = 0;
	#helping = false;
	#failed: Error | undefined;

	/**
	 * The workers start at once, before the batch knows its context (the ledger, the engine, the platform endpoint):
	 * a worker takes ~0.05-0.1 s to boot, which overlaps the batch's own start this way. Each answers "ready" once
	 * configure() has sent it the context.
	 */
	constructor(n: number) {
		const source = workerSource();
		try {
			for (let i = 0; i < n; i++) this.#startWorker(source, i);
		} catch (error) {
			// The workers already started would keep the process alive (they hold no key yet: configure() sends it).
			for (const w of this.#workers) void w.terminate();
			throw error;
		}
	}

	#startWorker(source: string, i: number): void {
		// A small young generation: a worker's garbage (strings, small buffers) is collected often instead of the
		// heap growing with the batch, which keeps peak RSS flat in the batch size (see PROVISION_NODE_FLAGS). A
		// worker's live heap is ~4.5 MB whatever the batch size (its pieces only); with a 24 MB cap V8 let its old
		// generation reach 11-15 MB in a long batch, with 12 MB it stays near 8 MB, as in a short one (--trace-gc).
		// execArgv []: the bundle is plain JavaScript, so the worker must not load the parent's `--import tsx`
		// (inherited by default; it took ~0.2 s per worker).
		const w = new Worker(source, { execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 12 } });
		this.#ready.push(false);
		this.#held.push(0);
		w.on("message", (reply: WorkReply | "ready") => {
			if (reply === "ready") {
				this.#ready[i] = true;
				this.#feed();
				return;
			}
			this.#held[i]!--;
			const sent = this.#sent.get(reply.id);
			this.#sent.delete(reply.id);
			if (!sent) return;
			if ("error" in reply) this.#fail(new BatchError(`issuing devices: ${reply.error}`));
			else this.#finish(sent.task, sent.piece, { ...reply.slice, serials: sent.task.pieces[sent.piece]!.map((j) => j.serial), from: i });
			this.#feed();
		});
		w.on("error", (e) => this.#fail(new BatchError(`worker: ${e.name}: ${e.message}`)));
		w.on("exit", (code) => { if (code !== 0) this.#fail(new BatchError(`worker exited with code ${code}`)); });
		this.#workers.push(w);
	}

	#local: ((jobs: Job[], createdAt: string) => Slice) | undefined;

	/** Gives every worker the batch's context (the platform key crosses here, in memory only) and the main thread its issuer. */
	configure(ctx: IssueContext, local: (jobs: Job[], createdAt: string) => Slice): void {
		this.#local = local;
		for (const w of this.#workers) w.postMessage({ ctx } satisfies WorkerSetup);
	}

	#fail(e: Error): void {
		this.#failed ??= e;
		for (const t of this.#tasks.splice(0)) t.reject(e);
		this.#sent.clear();
	}

	#finish(task: Task, piece: number, slice: Slice): void {
		task.slices[piece] = slice;
		// Slices go out in order as soon as they can (the oldest task first), not when their task is complete.
		try {
			for (let head = this.#tasks[0]; head; head = this.#tasks[0]) {
				while (head.delivered < head.pieces.length && head.slices[head.delivered]) {
					head.delivered++;
					head.deliver(head.slices[head.delivered - 1]!, head.delivered === head.pieces.length);
				}
				if (head.delivered < head.pieces.length) return;
				this.#tasks.shift();
				head.resolve(head.slices);
			}
		} catch (error) {
			this.#fail(error as Error);
		}
	}

	/** The oldest task with a piece not yet handed out. */
	#open(): Task | undefined {
		for (const t of this.#tasks) if (t.next < t.pieces.length) return t;
		return undefined;
	}

	#feed(): void {
		if (this.#failed) return;
		for (let i = 0; i < this.#workers.length; i++) {
			while (this.#ready[i] && this.#held[i]! < WORKER_BACKLOG) {
				const task = this.#open();
				if (!task) return;
				const piece = task.next++;
				const id = this.#ids++;
				this.#sent.set(id, { task, piece });
				this.#held[i]!++;
				this.#workers[i]!.postMessage({ id, jobs: task.pieces[piece]!, createdAt: task.createdAt } satisfies WorkRequest);
			}
		}
	}

	/** The main thread's share: one piece per turn of the event loop (so replies and commits come first). */
	async #help(): Promise<void> {
		if (this.#helping) return;
		this.#helping = true;
		try {
			for (;;) {
				await new Promise((resolve) => setImmediate(resolve));
				if (this.#failed) return;
				const task = this.#open();
				if (!task) return;
				const piece = task.next++;
				let slice: Slice;
				try {
					slice = this.#local!(task.pieces[piece]!, task.createdAt);
				} catch (error) {
					this.#fail(error as Error);
					return;
				}
				this.#finish(task, piece, slice);
			}
		} finally {
			this.#helping = false;
		}
	}

	run(jobs: Job[], createdAt: string, deliver: Deliver): Promise<Slice[]> {
		if (this.#failed) return Promise.reject(this.#failed);
		if (jobs.length === 0) return Promise.resolve([]);
		const pieces: Job[][] = [];
		for (let at = 0; at < jobs.length; at += PIECE) pieces.push(jobs.slice(at, at + PIECE));
		return new Promise<Slice[]>((resolve, reject) => {
			this.#tasks.push({ pieces, createdAt, slices: new Array<Slice>(pieces.length), next: 0, delivered: 0, deliver, resolve, reject });
			this.#feed();
			void this.#help();
		});
	}

	/** Hands buffers of a slice back to the thread that filled them, for its next slices. */
	recycle(from: number | undefined, buffers: ArrayBuffer[]): void {
		if (from === undefined) recycleBuffers(buffers);
		else if (!this.#failed) this.#workers[from]?.postMessage({ recycle: buffers }, buffers);
	}

	async close(): Promise<void> {
		await Promise.all(this.#workers.map((w) => w.terminate()));
	}
}

/**
 * For processes that run big batches (the CLI, the bench). The live set stays under ~10 MB per thread whatever the
 * batch size, but by default V8 lets a heap grow well past it before collecting: the young generation grows with
 * allocation throughput (1 MB up to 16 MB per semi-space), and the old generation of the main thread only got its
 * first full collection at ~28 MB (a chunk of 2,048 devices leaves ~1.5 MB of promoted garbage; traced with
 * v8.getHeapSpaceStatistics() per chunk), so a long batch ended 30-40 MB above a short one. The entry points therefore
 * start node with PROVISION_NODE_FLAGS (package.json `provision`, tools/bench/provisioning.ts): a fixed 1 MB
 * semi-space (min = max: the young generation is at its final size from the start), a first old-generation limit of
 * 8 MB, and heap growth of 1.5x the live size after each full collection instead of up to 4x. V8 sizes the heap
 * when it is created, so these must be start-up flags; they are process-wide, so the workers' heaps get them too,
 * with a 2 MB young generation through resourceLimits. CPU per device at 40,000 devices was the same with and
 * without them (229 vs 227-228 µs, same machine, interleaved runs). Growth factor 1 is also set here at run time
 * for processes started without the flags. Process-wide, so called by entry points only.
 */
export function tuneHeapForBatches(): void {
	setFlagsFromString("--semi-space-growth-factor=1");
}

/**
 * Asks V8 for a major collection of the main thread's heap after each chunk commits. A chunk's serials, rows and
 * pieces live until it commits, so they are promoted to the old generation and die there; V8 collects them only when
 * the old generation reaches its limit, which it raises as the heap grows, so a long batch ended several MB above a
 * short one (peak RSS 40,000 vs 1,000 devices x1.14-1.16 without this, x1.07-1.09 with it, both with TurboFan;
 * x1.03-1.04 with it and --no-opt; this VM, interleaved runs). execution "async": V8 posts the collection as a task that runs on this thread after the current one
 * (src/extensions/gc-extension.cc), ~6 ms for the ~5 MB live heap, ~3 µs a device. Needs --expose-gc
 * (PROVISION_NODE_FLAGS); without it (tests, tsx) nothing happens.
 */
function collectChunkGarbage(): void {
	const gc = (globalThis as { gc?: (options: { type: "major"; execution: "async" }) => void }).gc;
	gc?.({ type: "major", execution: "async" });
}

/**
 * The default number of worker threads: one fewer than the cores the process may use (at least one), since the main
 * thread issues devices too between its commits (Pool): one thread per core.
 */
export function defaultJobs(): number {
	return Math.max(1, availableParallelism() - 1);
}

/** Runs (or resumes) a batch. Throws BatchError/CsvError with a clear message; partial work is always resumable. */
export async function generateBatch(o: GenerateOptions): Promise<GenerateResult> {
	checkOptions(o);
	const log = o.log ?? (() => {});
	const now = o.now ?? (() => new Date());
	const fault = o.fault ?? (() => {});
	const layouts: Record<string, NvsLayout> = {};
	const layoutOf = (board: string) => (layouts[board] ??= (o.layout ?? nvsLayout)(board));
	/** Why a board cannot be provisioned with these options, checked for every row before anything is written. */
	const boardProblem = (board: string): string | undefined => {
		if (!o.nvsKeys) return undefined;
		const info = boards[board]!;
		if (info.keyStore !== "nvs" || info.chip === "sim")
			return `--nvs-keys applies to ESP32 boards that keep the key in NVS, not ${board}`;
		const layout = layoutOf(board);
		if (!layout.nvsKeys) return `--nvs-keys: ${layout.source} has no nvs_keys partition for ${board}`;
		return undefined;
	};
	let engine: ReturnType<typeof engineStatus>;
	try {
		engine = engineStatus(o.engine);
	} catch (error) {
		throw new BatchError((error as Error).message);
	}
	if (engine.path === undefined && (o.engine ?? "auto") === "auto" && process.env.ENIGM_PROVISION_ENGINE !== "js")
		log(`note: the JavaScript engine issues this batch (slower; same outputs): ${engine.reason}`);
	const native = engine.path !== undefined ? loadNative(engine.path) : undefined;

	const jobs = o.jobs ?? 0;
	// Started first: they boot while this thread checks the input, opens the ledger and cleans up (Pool).
	const pool = jobs > 0 ? new Pool(jobs) : undefined;
	let total: number;
	try {
		if (o.csv !== undefined) total = await validateSerialCsv(o.csv, o.board, (row) => boardProblem(row.board!));
		else {
			const problem = boardProblem(o.board!);
			if (problem) throw new BatchError(problem);
			total = o.count!;
		}
		for (const board of Object.keys(boards)) layoutOf(board);
	} catch (error) {
		await pool?.close();
		throw error;
	}

	let ledger: Ledger;
	try {
		mkdirSync(join(o.out, PENDING_DIR), { recursive: true, mode: 0o700 });
		ledger = new Ledger(join(o.out, LEDGER_FILE));
	} catch (error) {
		await pool?.close();
		throw error;
	}
	let outputs: Outputs | undefined;
	let syncer: SyncHelper | undefined;
	const result: GenerateResult = { total, issued: 0, skipped: 0, reemitted: 0, recovered: 0, discarded: 0, orphans: 0, interrupted: false, out: o.out };
	const ctx: IssueContext = {
		out: o.out, platformKey: o.platformKey, kid: platformKeyId(o.platformKey), layouts, nvsKeys: o.nvsKeys ?? false,
		efuseBlock: o.efuseBlock ?? DEFAULT_EFUSE_BLOCK, nvsEfuseBlock: o.nvsEfuseBlock ?? DEFAULT_NVS_EFUSE_BLOCK,
	};
	if (engine.path !== undefined) ctx.nativePath = engine.path;
	try {
		const kid = platformKeyId(o.platformKey);
		const known = ledger.meta("kid");
		if (known === undefined) ledger.setMeta("kid", kid);
		else if (known !== kid) throw new BatchError(`this batch's identities are wrapped under platform key ${known}, not ${kid}: use the same --platform-key`);
		const endpoint = batchEndpoint(ledger, o.platform);
		if (endpoint) ctx.endpoint = endpoint;
		outputs = new Outputs(o.out, ledger, log);
		recover(o.out, ledger, outputs, o.platformKey, layoutOf, endpoint, result, log, now);
		// A fresh ledger holds no serial, and the input has none twice (count mode by construction, CSV validated):
		// no per-serial lookup is needed until something has been recorded before this run.
		const recordedBefore = !ledger.rows(1).next().done;

		/**
		 * Takes a slice as soon as it is issued (slices arrive in issue order): its lines are appended to the outputs and
		 * its rows inserted into the ledger's open transaction, and its buffers handed back at once, so that nothing of
		 * a chunk waits for the commit in the main thread's memory but its serials (the rows held there were ~0.6 KB a
		 * device, two chunks in flight). Lines beyond the committed lengths are cut off by the next run after a crash;
		 * rows not committed are rolled back.
		 */
		const arrived = (sl: Slice, chunkId: number) => {
			for (let i = 0; i < OUTPUTS.length; i++) if (sl.lines[i]!.length > 0) outputs!.append(OUTPUTS[i]!, sl.lines[i]!);
			const buffers = sl.lines.map((l) => l.buffer as ArrayBuffer);
			sl.lines = [EMPTY, EMPTY, EMPTY];
			giveBack(sl.from, buffers);
			if (chunkId === current) insert(sl);
			else early.push({ chunkId, sl });
		};
		/** Buffers go back to the thread that filled them, for its next slices. */
		const giveBack = (from: number | undefined, buffers: ArrayBuffer[]) => {
			if (pool) pool.recycle(from, buffers);
			else recycleBuffers(buffers);
		};
		/**
		 * The open ledger transaction holds the rows of one chunk, `current`, the oldest not yet committed: opened by its
		 * first rows, committed (with the outputs' lengths) only once its files and lines are on disk. Rows of the next
		 * chunk, issued while this one finishes and commits, wait in `early`: they must not be committed with it.
		 */
		let open = false;
		let chunks = 0;
		let current = 0;
		const early: { chunkId: number; sl: Slice }[] = [];
		const insert = (sl: Slice) => {
			if (sl.serials.length === 0) return;
			if (!open) { ledger.begin(); open = true; }
			ledger.insertRows(sl.rows, sl.serials.length);
			giveBack(sl.from, [sl.rows.buffer as ArrayBuffer]);
			sl.rows = EMPTY;
		};

		/** Commits the slices of one chunk (their rows already inserted); `sizes`: the outputs' lengths once its lines were appended. */
		const commit = async (chunkId: number, slices: Slice[], sizes: Map<string, number>) => {
			if (chunkId !== current) throw new Error(`internal: chunk ${chunkId} committed before chunk ${current}`);
			// Counted and walked slice by slice: no array of the chunk's serials that would outlive a young-generation GC.
			let count = 0;
			for (const sl of slices) count += sl.serials.length;
			try {
				fault("chunk-written");
				if (count > 0) {
					// The folder list only for the fsync-per-file fallback: building 2,048 paths per chunk for nothing was
					// the main thread's largest source of promoted garbage (sampling heap profiler).
					await groupSyncAsync(() => (syncer ??= new SyncHelper()), o.out, () => slices.flatMap((sl) => sl.serials.map((serial) => join(o.out, PENDING_DIR, serial))), native);
					fault("files-synced");
				}
				// The chunk's lines were appended as its slices arrived (arrived()).
				fault("outputs-appended");
				outputs!.sync();
				fault("outputs-synced");
				if (!open) { ledger.begin(); open = true; }
				outputs!.commitSizes(ledger, sizes);
				fault("ledger-insert");
				ledger.commit();
				open = false;
			} catch (error) {
				if (open) { ledger.rollback(); open = false; }
				throw error;
			}
			// Rows of the next chunk that arrived before this one committed open its transaction.
			current = chunkId + 1;
			let kept = 0;
			for (const e of early) {
				if (e.chunkId === current) insert(e.sl);
				else early[kept++] = e;
			}
			early.length = kept;
			fault("ledger-committed");
			for (const sl of slices) {
				// With a fault hook (tests) one rename at a time, so that a crash can land between any two.
				if (native && o.fault === undefined) moveAllIntoPlace(o.out, sl.serials, native);
				else {
					for (const serial of sl.serials) {
						moveIntoPlace(o.out, serial);
						fault("device-renamed");
					}
				}
			}
			if (count > 0) fsyncPath(join(o.out, DEVICES_DIR));
			fault("chunk-done");
			result.issued += count;
			collectChunkGarbage();
		};

		/** Sorts a chunk into recorded serials (skipped, artifacts restored if missing) and jobs for new ones. */
		const prepare = (chunk: SerialRow[]): Job[] => {
			// Nothing recorded before this run: every row is a job (rows have their board: see below), and the chunk's
			// array serves as the list (no second array of 2,048 per chunk).
			if (!recordedBefore) return chunk as Job[];
			const jobs: Job[] = [];
			for (const r of chunk) {
				const existing = ledger.get(r.serial);
				if (existing) {
					result.skipped++;
					if (existing.board !== r.board)
						log(`serial ${r.serial}: already issued for board ${existing.board}, kept (input says ${r.board})`);
					if (!artifactsPresent(o.out, existing, layoutOf(existing.board))) {
						reemitDevice(o.out, existing, o.platformKey, layoutOf(existing.board), undefined, endpoint);
						result.reemitted++;
					}
					continue;
				}
				// The row is the job, not copied: a chunk's jobs live until it is issued, so per-device copies (and a
				// timestamp string each) ended up in the old generation. Every row has its board by now (count
				// mode sets it; a CSV row without one was refused by validateSerialCsv).
				jobs.push(r as Job);
			}
			return jobs;
		};

		pool?.configure(ctx, (list, createdAt) => issueSlice(ctx, list, createdAt));
		const chunkSize = o.chunk ?? 2048;
		let lengthsBefore = Promise.resolve(outputs.sizes());
		let chunk: SerialRow[] = [];
		let done = 0;
		let inflight: { rows: Promise<{ slices: Slice[]; sizes: Map<string, number> }>; size: number; chunkId: number } | undefined;
		const settle = async () => {
			if (!inflight) return;
			const { rows, size, chunkId } = inflight;
			inflight = undefined;
			const { slices, sizes } = await rows;
			await commit(chunkId, slices, sizes);
			done += size;
			o.progress?.(done, total);
		};
		const step = async () => {
			const size = chunk.length;
			const list = prepare(chunk);
			// One issue time per chunk: its devices are issued together, within the same commit.
			const createdAt = now().toISOString();
			const chunkId = chunks++;
			chunk = [];
			if (pool) {
				// Pipelined: the workers issue this chunk while the previous one commits. Its committed lengths are
				// the outputs' lengths when its last slice was appended (later chunks' lines may follow by the time it
				// commits); a chunk with nothing to issue takes those of the chunk before it.
				let sizes: Map<string, number> | undefined;
				const rows = list.length > 0
					? pool.run(list, createdAt, (sl, last) => { arrived(sl, chunkId); if (last) sizes = outputs!.sizes(); }).then((slices) => ({ slices, sizes: sizes! }))
					: lengthsBefore.then((before) => ({ slices: [], sizes: before }));
				lengthsBefore = rows.then((r) => r.sizes);
				// Observed by settle(); a failure before then must not be "unhandled".
				rows.catch(() => {});
				lengthsBefore.catch(() => {});
				await settle();
				inflight = { rows, size, chunkId };
			} else {
				const slice = issueSlice(ctx, list, createdAt, o.writeArtifact, () => fault("device-written"));
				arrived(slice, chunkId);
				inflight = { rows: Promise.resolve({ slices: [slice], sizes: outputs!.sizes() }), size, chunkId };
				await settle();
			}
		};
		o.progress?.(0, total);
		let stopped = false;
		if (o.csv !== undefined) {
			for await (const r of readSerialCsv(o.csv, o.board)) {
				if (o.signal?.aborted) { stopped = true; break; }
				chunk.push(r);
				if (chunk.length >= chunkSize) await step();
			}
		} else {
			// Count mode without an async generator: a promise and an iterator result per device, for nothing.
			const prefix = o.prefix ?? "ENK";
			const start = o.start ?? 1;
			for (let i = 0; i < o.count!; i++) {
				if (o.signal?.aborted) { stopped = true; break; }
				chunk.push({ line: i + 1, serial: `${prefix}-${start + i}`, board: o.board! });
				if (chunk.length >= chunkSize) await step();
			}
		}
		if (chunk.length > 0) {
			if (o.signal?.aborted) stopped = true;
			else await step();
		}
		chunk = [];
		await settle();
		result.interrupted = stopped;

		const summary = { event: "run", time: now().toISOString(), ...result, kid };
		outputs.append(AUDIT_FILE, `${JSON.stringify(summary)}\n`);
		await commit(chunks++, [], outputs.sizes());
		// Everything this run wrote is on disk before it reports success: the chunks are (each commit synced its files
		// and the devices directory); folders rebuilt, deleted or moved outside a chunk are synced here.
		if (result.reemitted + result.recovered + result.discarded + result.orphans > 0) groupSync(o.out, []);
		return result;
	} finally {
		syncer?.close();
		await pool?.close();
		outputs?.close();
		ledger.close();
	}
}

/**
 * Cleans up after an interrupted run, before anything new is issued:
 * - pending folders whose serial the ledger knows committed but were not yet renamed: rebuilt from the ledger
 *   (their bytes may not have reached the disk) and moved into place;
 * - pending folders the ledger does not know: their keys were never recorded and never under a flashable name:
 *   deleted, one audit line each;
 * - folders under a device's name that no ledger row knows (an older version of this tool wrote artifacts before
 *   recording them): moved to orphans/<serial>/ and reported, one audit line each.
 */
function recover(
	out: string, ledger: Ledger, outputs: Outputs, platformKey: Uint8Array, layoutOf: (b: string) => NvsLayout,
	endpoint: PlatformEndpoint | undefined, result: GenerateResult, log: (line: string) => void, now: () => Date,
): void {
	const audit = (event: string, serial: string, detail: string) =>
		outputs.append(AUDIT_FILE, `${JSON.stringify({ event, time: now().toISOString(), serial, detail })}\n`);
	const pendingRoot = join(out, PENDING_DIR);
	for (const name of readdirSync(pendingRoot)) {
		const row = ledger.get(name);
		const path = join(pendingRoot, name);
		rmSync(path, { recursive: true, force: true });
		if (row) {
			reemitDevice(out, row, platformKey, layoutOf(row.board), undefined, endpoint);
			result.recovered++;
		} else {
			audit("discarded", name, "interrupted before the ledger recorded it: pending folder and its keys deleted");
			result.discarded++;
		}
	}
	if (result.recovered > 0) log(`recovered: ${result.recovered} device folder(s) recorded by the interrupted run were rebuilt from the ledger and moved into place`);
	if (result.discarded > 0) log(`recovered: deleted ${result.discarded} pending device folder(s) of the interrupted run whose keys were never recorded (never under a flashable name)`);

	const orphans: string[] = [];
	const dir = opendirSync(join(out, DEVICES_DIR));
	try {
		for (let e = dir.readSync(); e !== null; e = dir.readSync()) {
			if (!e.isDirectory() || e.name === ".pending" || ledger.get(e.name)) continue;
			orphans.push(e.name);
			if (orphans.length > 100_000) break;
		}
	} finally {
		dir.closeSync();
	}
	if (orphans.length === 0) return;
	mkdirSync(join(out, ORPHANS_DIR), { recursive: true, mode: 0o700 });
	for (const name of orphans) {
		let target = join(out, ORPHANS_DIR, name);
		for (let n = 1; existsSync(target); n++) target = join(out, ORPHANS_DIR, `${name}.${n}`);
		renameSync(join(out, DEVICES_DIR, name), target);
		audit("orphan", name, `device folder with no ledger record moved to ${target.slice(out.length + 1)}`);
	}
	result.orphans = orphans.length;
	const shown = orphans.slice(0, 10).join(", ") + (orphans.length > 10 ? `, ... (${orphans.length - 10} more in audit.jsonl)` : "");
	log(`orphans: ${orphans.length} device folder(s) held keys that no ledger record knows (${shown}); moved to ${ORPHANS_DIR}/. ` +
		`Their keys are unknown to the platform: do not flash them; a device already flashed from one must be flashed again from devices/ after this run. Delete ${ORPHANS_DIR}/ once checked.`);
}

/** Rewrites the artifacts of the given serials (all when empty) from the ledger. Returns how many. */
export function reemitBatch(out: string, platformKey: Uint8Array, serials: string[], layout: (board: string) => NvsLayout = nvsLayout, write: ArtifactWriter = writeArtifactFile): number {
	const file = join(out, LEDGER_FILE);
	if (!existsSync(file)) throw new BatchError(`${file}: no ledger (run generate first)`);
	mkdirSync(join(out, PENDING_DIR), { recursive: true, mode: 0o700 });
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
		groupSync(out, []);
		return n;
	} finally {
		ledger.close();
	}
}

export { FILE };
