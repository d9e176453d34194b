/**
 * Provisioning figures for `npm run bench` (issue 13.4): images/s and peak RSS at 1,000, 5,000 and 40,000 devices,
 * each batch in its own child process (tools/provision/bench.ts) so that each peak RSS belongs to that batch alone.
 * Wall time by nature; the child runs the CLI's configuration (one worker thread per core, group commit, ledger,
 * audit, manifest, wrapped import records) on the ESP32-S3 board (encrypted NVS, two key files per device).
 */
import { spawn } from "node:child_process";
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
}

export interface ProvisioningFigures {
	wallTime: true;
	method: string;
	runs: ProvisioningRun[];
	/** Peak RSS at the largest batch over that at the smallest (target: at most 1.10). */
	rssRatio: number;
}

function runChild(repoRoot: string, count: number): Promise<ProvisioningRun> {
	return new Promise((resolvePromise, reject) => {
		const child = spawn(process.execPath, [...PROVISION_NODE_FLAGS, "--import", "tsx", join(repoRoot, "tools", "provision", "bench.ts"), "--count", String(count)], {
			cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TSX_TSCONFIG_PATH: "tsconfig.tools.json" },
		});
		let out = "";
		let err = "";
		child.stdout.on("data", (c: Buffer) => { out += c.toString("utf8"); });
		child.stderr.on("data", (c: Buffer) => { err += c.toString("utf8"); });
		child.on("error", reject);
		child.on("close", (code) => {
			const line = out.split("\n").find((l) => l.startsWith("{"));
			if (code !== 0 || !line) { reject(new Error(`provisioning bench (${count}) failed (${code}): ${err.trim().slice(0, 500)}`)); return; }
			resolvePromise(JSON.parse(line) as ProvisioningRun);
		});
	});
}

export async function provisioningFigures(repoRoot: string, progress: (line: string) => void = () => {}): Promise<ProvisioningFigures> {
	const runs: ProvisioningRun[] = [];
	for (const n of PROVISIONING_SIZES) {
		progress(`provisioning ${n.toLocaleString("en")} devices (wall time, child process)`);
		const r = await runChild(repoRoot, n);
		runs.push({
			devices: r.devices, seconds: r.seconds, imagesPerSecond: r.imagesPerSecond, peakRssKiB: r.peakRssKiB,
			jobs: r.jobs, dir: r.dir, board: r.board, imageBytesPerDevice: r.imageBytesPerDevice,
		});
	}
	return {
		wallTime: true,
		method: "tools/provision/bench.ts in a child process per batch size: `generate` with the CLI's settings (PROVISION_NODE_FLAGS; worker threads + the main thread issuing) into a fresh directory (tmpfs /dev/shm when present); images/s = devices / wall seconds of the batch; peak RSS = process.resourceUsage().maxRSS of that child (main thread and workers).",
		runs,
		rssRatio: Number((runs[runs.length - 1]!.peakRssKiB / runs[0]!.peakRssKiB).toFixed(3)),
	};
}

export function provisioningLines(p: ProvisioningFigures | Record<string, never>): string[] {
	if (!("runs" in p)) return [];
	const lines = p.runs.map((r) => `Provisioning ${String(r.devices).padStart(6)} devices: ${String(r.imagesPerSecond).padStart(6)} images/s, peak RSS ${(r.peakRssKiB / 1024).toFixed(1)} MiB (${r.jobs} worker${r.jobs === 1 ? "" : "s"} + the main thread, ${r.dir}, wall time)`);
	lines.push(`Provisioning peak RSS ${p.runs[p.runs.length - 1]!.devices} vs ${p.runs[0]!.devices} devices: x${p.rssRatio} (target <= 1.10)`);
	return lines;
}
