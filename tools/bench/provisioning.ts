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
import { bundleFile } from "../provision/bundle.mjs";
import { engineStatus } from "../provision/nativeEngine";
import { median } from "./stages";

export const PROVISIONING_SIZES = [1_000, 5_000, 40_000] as const;
/**
 * Rounds per size, interleaved (1k, 5k, 40k, 1k, ...): wall time on a shared VM moves by 10-20 % from run to run and
 * drifts over minutes, so each figure is the median of three, with the range beside it.
 */
export const PROVISIONING_ROUNDS = 3;

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
	/** "native" or "js" (tools/provision/nativeEngine.ts). */
	engine: string;
	/** Every round's figures (the fields above are their medians). */
	rounds: { imagesPerSecond: number; endToEndImagesPerSecond: number; peakRssKiB: number }[];
}

export interface ProvisioningFigures {
	wallTime: true;
	method: string;
	runs: ProvisioningRun[];
	/** Peak RSS at the largest batch over that at the smallest (target: at most 1.10). */
	rssRatio: number;
}

type ChildRun = Omit<ProvisioningRun, "endToEndSeconds" | "endToEndImagesPerSecond" | "rounds">;

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
	// Built here, before anything is timed: the bundles (esbuild in the child would count in its time and RSS) and
	// the native engine (a compile the first time).
	for (const [entry, format] of [["bench.ts", "esm"], ["cli.ts", "esm"], ["worker.ts", "cjs"]] as const) bundleFile(entry, format);
	const engine = engineStatus();
	if (engine.engine !== "native") progress(`provisioning: JavaScript engine (${engine.reason})`);
	const byRound = new Map<number, { child: ChildRun; endToEnd: number }[]>();
	for (let round = 0; round < PROVISIONING_ROUNDS; round++) {
		for (const n of PROVISIONING_SIZES) {
			progress(`provisioning ${n.toLocaleString("en")} devices, round ${round + 1}/${PROVISIONING_ROUNDS} (wall time, child process)`);
			const child = await runChild(repoRoot, n);
			const endToEnd = await runCommand(repoRoot, n, child.dir === "/dev/shm" ? "/dev/shm" : tmpdir());
			byRound.set(n, [...(byRound.get(n) ?? []), { child, endToEnd }]);
		}
	}
	const runs: ProvisioningRun[] = PROVISIONING_SIZES.map((n) => {
		const all = byRound.get(n)!;
		const r = all[0]!.child;
		const endToEndSeconds = median(all.map((a) => a.endToEnd));
		return {
			devices: r.devices, seconds: Number(median(all.map((a) => a.child.seconds)).toFixed(3)), imagesPerSecond: Math.round(median(all.map((a) => a.child.imagesPerSecond))),
			peakRssKiB: Math.round(median(all.map((a) => a.child.peakRssKiB))), jobs: r.jobs, dir: r.dir, board: r.board, imageBytesPerDevice: r.imageBytesPerDevice,
			endToEndSeconds: Number(endToEndSeconds.toFixed(3)), endToEndImagesPerSecond: Math.round(n / endToEndSeconds), engine: r.engine,
			rounds: all.map((a) => ({ imagesPerSecond: a.child.imagesPerSecond, endToEndImagesPerSecond: Math.round(n / a.endToEnd), peakRssKiB: a.child.peakRssKiB })),
		};
	});
	return {
		wallTime: true,
		method: `tools/provision/bench.ts, run from its bundle without tsx (tools/provision/bench.mjs, as npm run provision runs the CLI), in a child process per batch size: \`generate\` with the CLI's settings (PROVISION_NODE_FLAGS; worker threads + the main thread issuing; the native engine when it builds) into a fresh directory (tmpfs /dev/shm when present); images/s = devices / wall seconds of the batch; peak RSS = process.resourceUsage().maxRSS of that child (main thread and workers). endToEnd: the whole command \`node <PROVISION_NODE_FLAGS> tools/provision/provision.mjs generate ...\`, spawn to exit (process start, module loading, the batch), into the same kind of directory. ${PROVISIONING_ROUNDS} interleaved rounds; each figure is the median, \`rounds\` has them all. Bundles and the native engine are built before anything is timed.`,
		runs,
		rssRatio: Number((runs[runs.length - 1]!.peakRssKiB / runs[0]!.peakRssKiB).toFixed(3)),
	};
}

export function provisioningLines(p: ProvisioningFigures | Record<string, never>): string[] {
	if (!("runs" in p)) return [];
	const range = (values: number[]) => `${Math.min(...values)}-${Math.max(...values)}`;
	const lines = p.runs.map((r) => `Provisioning ${String(r.devices).padStart(6)} devices: ${String(r.imagesPerSecond).padStart(6)} images/s in the batch (${range(r.rounds.map((x) => x.imagesPerSecond))}), ${String(r.endToEndImagesPerSecond).padStart(6)} for the whole command (${r.endToEndSeconds} s; ${range(r.rounds.map((x) => x.endToEndImagesPerSecond))}), peak RSS ${(r.peakRssKiB / 1024).toFixed(1)} MiB (${r.engine} engine, ${r.jobs} worker${r.jobs === 1 ? "" : "s"} + the main thread, ${r.dir}, wall time, median of ${r.rounds.length})`);
	lines.push(`Provisioning peak RSS ${p.runs[p.runs.length - 1]!.devices} vs ${p.runs[0]!.devices} devices: x${p.rssRatio} (target <= 1.10)`);
	return lines;
}
