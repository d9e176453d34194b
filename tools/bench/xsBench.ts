/**
 * XS figures for the bench: the instruction meter per signed location update (tools/bench/xs/signedLocation.bench.ts
 * through the XS lane), and the XS heap that path occupies, read from xsnap snapshots.
 *
 * xsnap has no heap-size API. What it has is `-w <file>`: write a snapshot of the machine at exit. Writing a
 * snapshot first runs a full garbage collection, so the snapshot holds exactly the live heap; `-d <file>` dumps its
 * sections, among them BLOC (the live chunks: strings, array buffers, bytecode, closures' data) and HEAP (the live
 * slots: every object, property and value cell). BLOC + HEAP bytes is the figure. It is a 64-bit host's figure
 * (xsnap on x86-64 / arm64, 32-byte slots); on the ESP32 (32-bit, 16-byte slots) the slot part is about half.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleForXs, parseXsOutput, runFileInXs } from "../../tests/xs/run";
import { ensureXsnap, repoRoot } from "../../tests/xs/xsnap";

export const xsBenchDir = join(repoRoot, "tools", "bench", "xs");
const pieces = ["capturePoint", "encodeLocationBatch", "sign", "serializeRequest", "parseResponse", "verifyResponse"] as const;

export interface XsMeterFigures {
	/** Instructions for one whole update (all pieces), warm (the fifth update of the run). */
	perUpdate: number;
	/** Instructions spent inside the TypeScript HMAC (the device's hardware HMAC replaces these). */
	hmac: number;
	hmacCalls: number;
	/** perUpdate - hmac: what stays in XS on an ESP32-S3 with the HMAC peripheral. */
	perUpdateWithoutHmac: number;
	/** The first update of the run (XS has no JIT: equal to warm unless something initialises lazily). */
	coldPerUpdate: number;
	pieces: Record<string, number>;
	requestBytes: number;
}

export interface SnapshotSizes {
	bloc: number;
	heap: number;
	total: number;
}

export interface XsMemoryFigures {
	/** Live heap of the bundle with one signer, keystore, parser and the last update alive. */
	withUpdate: SnapshotSizes;
	/** The same modules loaded, nothing run. */
	modulesOnly: SnapshotSizes;
	/** The lane's shims and an empty test. */
	baseline: SnapshotSizes;
	/** modulesOnly - baseline: the signing path's code and module state. */
	code: number;
	/** withUpdate - modulesOnly: what one signer/keystore plus one update's objects keep alive. */
	state: number;
	method: string;
}

/** Reads `XS-METER` figures of the signed-update bundle into the bench's shape (pure; tested). */
export function meterFigures(meter: Record<string, number>): XsMeterFigures {
	const need = (label: string): number => {
		const value = meter[label];
		if (typeof value !== "number") throw new Error(`XS bench: no XS-METER line "${label}"`);
		return value;
	};
	const piecesOut: Record<string, number> = {};
	for (const p of pieces) piecesOut[p] = need(`warm ${p}`);
	const perUpdate = need("warm update");
	const hmac = need("warm hmac");
	return {
		perUpdate, hmac, hmacCalls: need("warm hmacCalls"), perUpdateWithoutHmac: perUpdate - hmac,
		coldPerUpdate: need("cold update"), pieces: piecesOut, requestBytes: need("warm requestBytes"),
	};
}

/** Parses the BLOC and HEAP section sizes out of `xsnap -d` output (pure; tested). */
export function snapshotSizes(dump: string): SnapshotSizes {
	const size = (tag: string): number => {
		const m = new RegExp(`^${tag} (\\d+)$`, "m").exec(dump);
		if (!m) throw new Error(`xsnap -d: no ${tag} section`);
		return Number(m[1]);
	};
	const bloc = size("BLOC");
	const heap = size("HEAP");
	return { bloc, heap, total: bloc + heap };
}

function run(xsnap: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
	return new Promise((resolve, reject) => {
		const child = spawn(xsnap, args, { stdio: ["ignore", "pipe", "pipe"] });
		const out: Buffer[] = [];
		const err: Buffer[] = [];
		const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
		child.stdout.on("data", (c: Buffer) => out.push(c));
		child.stderr.on("data", (c: Buffer) => err.push(c));
		child.on("error", (e) => { clearTimeout(timer); reject(e); });
		child.on("close", (code) => {
			clearTimeout(timer);
			resolve({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), code });
		});
	});
}

async function liveHeap(xsnap: string, file: string, dir: string): Promise<SnapshotSizes> {
	const bundle = await bundleForXs(file);
	const snap = join(dir, `${file.replace(/[^\w]/g, "_")}.xss`);
	const ran = await run(xsnap, ["-w", snap, bundle]);
	const judged = parseXsOutput(ran.stdout, ran.stderr, ran.code);
	if (!judged.ok) throw new Error(`XS bench ${file}: ${judged.reasons.join("; ")}\n${ran.stdout}${ran.stderr}`);
	const dump = await run(xsnap, ["-d", snap]);
	return snapshotSizes(dump.stderr + dump.stdout);
}

export async function xsMeter(): Promise<XsMeterFigures> {
	const r = await runFileInXs(join(xsBenchDir, "signedLocation.bench.ts"), { meter: true });
	if (!r.ok || !r.meter) throw new Error(`XS bench failed: ${r.reasons.join("; ")}\n${r.stdout}${r.stderr}`);
	return meterFigures(r.meter);
}

/**
 * Where one update's instructions go (tools/bench/xs/profile.bench.ts): each sub-step metered alone, the second
 * (warm) round. The HMAC calls are in `sign`/`verifyResponse` and `hmac(base)`; the rest is what XS runs on a device
 * with the HMAC peripheral.
 */
export async function xsProfile(): Promise<Record<string, number>> {
	const r = await runFileInXs(join(xsBenchDir, "profile.bench.ts"), { meter: true });
	if (!r.ok || !r.meter) throw new Error(`XS profile failed: ${r.reasons.join("; ")}\n${r.stdout}${r.stderr}`);
	const out: Record<string, number> = {};
	for (const [label, count] of Object.entries(r.meter)) if (label.startsWith("p ")) out[label.slice(2)] = count;
	return out;
}

export async function xsMemory(): Promise<XsMemoryFigures> {
	const xsnap = await ensureXsnap();
	const dir = mkdtempSync(join(tmpdir(), "enigm-xsbench-"));
	try {
		const [withUpdate, modulesOnly, baseline] = await Promise.all([
			liveHeap(xsnap, join(xsBenchDir, "signedLocation.bench.ts"), dir),
			liveHeap(xsnap, join(xsBenchDir, "imports.bench.ts"), dir),
			liveHeap(xsnap, join(xsBenchDir, "baseline.bench.ts"), dir),
		]);
		return {
			withUpdate, modulesOnly, baseline,
			code: modulesOnly.total - baseline.total,
			state: withUpdate.total - modulesOnly.total,
			method: "xsnap -w snapshot at exit (written after a full GC) then xsnap -d: BLOC (live chunks) + HEAP (live slots) bytes, 64-bit host (32-byte slots; about half the slot bytes on the 32-bit ESP32)",
		};
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}
