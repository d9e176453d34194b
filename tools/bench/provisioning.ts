/**
 * Provisioning figures for `npm run bench` (issue 13.4): images/s and peak RSS at 1,000, 5,000 and 40,000 devices,
 * each batch in its own child process (tools/provision/bench.ts, run from its bundle as `npm run provision` runs the
 * CLI: tools/provision/bench.mjs) so that each peak RSS belongs to that batch alone. Wall time by nature; the child
 * runs the CLI's configuration (one worker thread per core, group commit, ledger, audit, manifest, wrapped import
 * records) on the ESP32-S3 board (encrypted NVS, two key files per device). A second figure per size times the
 * whole command, `node <flags> tools/provision/provision.mjs generate ...` from spawn to exit (process start,
 * module loading and the batch), which is what a person timing `npm run provision` sees (without npm's own start).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROVISION_NODE_FLAGS } from "../provision/nodeFlags";

export const PROVISIONING_SIZES = [1_000, 5_000, 40_000] as const;

/** As package.json `provision` runs the CLI: a small fixed young generation and early full GCs (batch.ts). */
export { PROVISION_NODE_FLAGS } from "../provision/nodeFlags";

export interface ProvisioningRun {
	devices: number;
	seconds: number;
	imagesPerSecond: number;
	peakRssKiB: number;
	jobs: number;
	dir: string;
	board: string;
	imageBytesPerDevice: number;
	/** The whole CLI command, spawn to exit: devices / seconds. */
	endToEndSeconds: number;
	endToEndImagesPerSecond: number;
}

export interface ProvisioningFigures {
	wallTime: true;
	method: string;
	runs: ProvisioningRun[];
	/** Peak RSS at the largest batch over that at the smallest (target: at most 1.10). */
	rssRatio: number;
}

type ChildRun = Omit<ProvisioningRun, "endToEndSeconds" | "endToEndImagesPerSecond">;

function runChild(repoRoot: string, count: number): Promise<ChildRun> {
	return new Promise((resolvePromise, reject) => {
		const child = spawn(process.execPath, [...PROVISION_NODE_FLAGS, join(repoRoot, "tools", "provision", "bench.mjs"), "--count", String(count)], {
			cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"],
		});
		let out = "";
		let err = "";
		child.stdout.on("data", (c: Buffer) => { out += c.toString("utf8"); });
		child.stderr.on("data", (c: Buffer) => { err += c.toString("utf8"); });
		child.on("error", reject);
		child.on("close", (code) => {
			const line = out.split("\n").find((l) => l.startsWith("{"));
			if (code !== 0 || !line) { reject(new Error(`provisioning bench (${count}) failed (${code}): ${err.trim().slice(0, 500)}`)); return; }
			resolvePromise(JSON.parse(line) as ChildRun);
		});
	});
}

/** `provision.mjs generate` for `count` devices into `parent`, timed from spawn to exit (seconds). */
function runCommand(repoRoot: string, count: number, parent: string): Promise<number> {
	const work = mkdtempSync(join(parent, "enigm-provision-e2e-"));
	const key = join(work, "platform.key");
	writeFileSync(key, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
	return new Promise<number>((resolvePromise, reject) => {
		const started = process.hrtime.bigint();
		const child = spawn(process.execPath, [...PROVISION_NODE_FLAGS, join(repoRoot, "tools", "provision", "provision.mjs"), "generate",
			"--board", "lilygo_t_sim7080g_s3", "--count", String(count), "--prefix", "E2E", "--out", join(work, "batch"), "--platform-key", key], {
			cwd: repoRoot, stdio: ["ignore", "ignore", "pipe"],
		});
		let err = "";
		child.stderr.on("data", (c: Buffer) => { err += c.toString("utf8"); });
		child.on("error", reject);
		child.on("close", (code) => {
			const seconds = Number(process.hrtime.bigint() - started) / 1e9;
			if (code !== 0) reject(new Error(`provision generate (${count}) failed (${code}): ${err.trim().slice(-500)}`));
			else resolvePromise(seconds);
		});
	}).finally(() => rmSync(work, { recursive: true, force: true }));
}

export async function provisioningFigures(repoRoot: string, progress: (line: string) => void = () => {}): Promise<ProvisioningFigures> {
	const runs: ProvisioningRun[] = [];
	for (const n of PROVISIONING_SIZES) {
		progress(`provisioning ${n.toLocaleString("en")} devices (wall time, child process)`);
		const r = await runChild(repoRoot, n);
		const endToEnd = await runCommand(repoRoot, n, r.dir === "/dev/shm" ? "/dev/shm" : tmpdir());
		runs.push({
			devices: r.devices, seconds: r.seconds, imagesPerSecond: r.imagesPerSecond, peakRssKiB: r.peakRssKiB,
			jobs: r.jobs, dir: r.dir, board: r.board, imageBytesPerDevice: r.imageBytesPerDevice,
			endToEndSeconds: Number(endToEnd.toFixed(3)), endToEndImagesPerSecond: Math.round(n / endToEnd),
		});
	}
	return {
		wallTime: true,
		method: "tools/provision/bench.ts, run from its bundle without tsx (tools/provision/bench.mjs, as npm run provision runs the CLI), in a child process per batch size: `generate` with the CLI's settings (PROVISION_NODE_FLAGS; worker threads + the main thread issuing) into a fresh directory (tmpfs /dev/shm when present); images/s = devices / wall seconds of the batch; peak RSS = process.resourceUsage().maxRSS of that child (main thread and workers). endToEnd: the whole command `node <PROVISION_NODE_FLAGS> tools/provision/provision.mjs generate ...`, spawn to exit (process start, module loading, the batch), into the same kind of directory.",
		runs,
		rssRatio: Number((runs[runs.length - 1]!.peakRssKiB / runs[0]!.peakRssKiB).toFixed(3)),
	};
}

export function provisioningLines(p: ProvisioningFigures | Record<string, never>): string[] {
	if (!("runs" in p)) return [];
	const lines = p.runs.map((r) => `Provisioning ${String(r.devices).padStart(6)} devices: ${String(r.imagesPerSecond).padStart(6)} images/s in the batch, ${String(r.endToEndImagesPerSecond).padStart(6)} images/s for the whole command (${r.endToEndSeconds} s), peak RSS ${(r.peakRssKiB / 1024).toFixed(1)} MiB (${r.jobs} worker${r.jobs === 1 ? "" : "s"} + the main thread, ${r.dir}, wall time)`);
	lines.push(`Provisioning peak RSS ${p.runs[p.runs.length - 1]!.devices} vs ${p.runs[0]!.devices} devices: x${p.rssRatio} (target <= 1.10)`);
	return lines;
}
