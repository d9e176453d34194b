/**
 * Provisioning benchmark, one batch per process (tools/bench/provisioning.ts runs it in a child per batch size, so
 * each peak RSS is that batch's own): N devices into a fresh temporary directory with the CLI's settings (worker
 * threads, one fewer than the cores, the main thread issuing too; group commit; ledger, audit, manifest and import
 * records as in production).
 * Prints one JSON line: images/s (wall time), CPU time per device (user + system, all threads), peak RSS
 * (process.resourceUsage().maxRSS, main thread and workers), and the deterministic byte counts.
 *
 *   node <PROVISION_NODE_FLAGS, nodeFlags.ts> --import tsx tools/provision/bench.ts [--count N] [--board B] [--jobs N] [--dir <parent>] [--keep]
 *
 * The default parent directory is /dev/shm when it exists (tmpfs: the tool is measured, not the disk), else the
 * OS temp directory; the JSON names the one used.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { AUDIT_FILE, IMPORT_FILE, MANIFEST_FILE, defaultJobs, generateBatch, tuneHeapForBatches } from "./batch";
import { engineStatus } from "./nativeEngine";

tuneHeapForBatches(); // as the CLI does

const { values } = parseArgs({ options: { count: { type: "string" }, board: { type: "string" }, jobs: { type: "string" }, chunk: { type: "string" }, dir: { type: "string" }, keep: { type: "boolean" } } });
const count = Number(values.count ?? 10_000);
const board = values.board ?? "lilygo_t_sim7080g_s3";
const jobs = values.jobs !== undefined ? Number(values.jobs) : defaultJobs();
const parent = values.dir ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());
const dir = mkdtempSync(join(parent, "enigm-provision-bench-"));
const platformKey = randomBytes(32);
// Found (or built) before the clock starts, as the bundle is: a one-time step of an installation, not of a batch.
const engine = engineStatus();

const before = process.resourceUsage();
const rssBaseKiB = before.maxRSS;
const started = process.hrtime.bigint();
let result;
try {
	result = await generateBatch({ out: dir, board, count, platformKey, prefix: "BENCH", jobs, ...(values.chunk ? { chunk: Number(values.chunk) } : {}) });
} finally {
	platformKey.fill(0);
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const after = process.resourceUsage();
const peakRssKiB = after.maxRSS;
const mem = process.memoryUsage();

let imageBytes = 0;
for (const serial of readdirSync(join(dir, "devices"))) if (serial !== ".pending") imageBytes += statSync(join(dir, "devices", serial, "nvs.bin")).size;
const size = (f: string) => statSync(join(dir, f)).size;
const report = {
	bench: "provision",
	board,
	engine: engine.engine,
	jobs,
	dir: parent,
	devices: result.issued,
	seconds: Number(seconds.toFixed(3)),
	imagesPerSecond: Math.round(result.issued / seconds),
	peakRssKiB,
	rssBeforeBatchKiB: rssBaseKiB,
	// CPU time of the batch, all threads (user and system, microseconds): less sensitive than wall time to other
	// processes on the machine, and what the rate would be with the cores to itself (cpuMicrosPerDevice / cores).
	cpuMicrosPerDevice: Math.round((after.userCPUTime - before.userCPUTime + after.systemCPUTime - before.systemCPUTime) / result.issued),
	userMicrosPerDevice: Math.round((after.userCPUTime - before.userCPUTime) / result.issued),
	systemMicrosPerDevice: Math.round((after.systemCPUTime - before.systemCPUTime) / result.issued),
	heapTotalKiB: Math.round(mem.heapTotal / 1024),
	externalKiB: Math.round(mem.external / 1024),
	imageBytes,
	imageBytesPerDevice: imageBytes / result.issued,
	importRecordBytes: size(IMPORT_FILE),
	manifestBytes: size(MANIFEST_FILE),
	auditBytes: size(AUDIT_FILE),
};
if (!values.keep) rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(report)}\n`);
