/**
 * Provisioning benchmark: a batch of N devices (default 10,000) into a temporary directory.
 * Reports images per second, peak RSS delta (process.resourceUsage().maxRSS after minus before) and the
 * deterministic byte counts (image bytes, import record bytes); prints one JSON line and a short table.
 *
 *   node --import tsx tools/provision/bench.ts [--count N] [--board B] [--keep]
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { AUDIT_FILE, IMPORT_FILE, MANIFEST_FILE, generateBatch } from "./batch";

const { values } = parseArgs({ options: { count: { type: "string" }, board: { type: "string" }, keep: { type: "boolean" } } });
const count = Number(values.count ?? 10_000);
const board = values.board ?? "lilygo_t_sim7080g_s3";
const dir = mkdtempSync(join(tmpdir(), "enigm-provision-bench-"));
const platformKey = randomBytes(32);

const rssBefore = process.resourceUsage().maxRSS;
const started = process.hrtime.bigint();
const result = await generateBatch({ out: dir, board, count, platformKey, prefix: "BENCH" });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const rssAfter = process.resourceUsage().maxRSS;
platformKey.fill(0);

let imageBytes = 0;
for (const serial of readdirSync(join(dir, "devices"))) imageBytes += statSync(join(dir, "devices", serial, "nvs.bin")).size;
const size = (f: string) => statSync(join(dir, f)).size;
const report = {
	bench: "provision",
	board,
	devices: result.issued,
	seconds: Number(seconds.toFixed(3)),
	imagesPerSecond: Math.round(result.issued / seconds),
	peakRssDeltaKiB: rssAfter - rssBefore,
	peakRssKiB: rssAfter,
	imageBytes,
	imageBytesPerDevice: imageBytes / result.issued,
	importRecordBytes: size(IMPORT_FILE),
	manifestBytes: size(MANIFEST_FILE),
	auditBytes: size(AUDIT_FILE),
};
if (!values.keep) rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(report)}\n`);
const rows: [string, string][] = [
	["devices", String(report.devices)],
	["time", `${report.seconds} s`],
	["images/s", String(report.imagesPerSecond)],
	["peak RSS delta", `${(report.peakRssDeltaKiB / 1024).toFixed(1)} MiB (peak ${(report.peakRssKiB / 1024).toFixed(1)} MiB)`],
	["image bytes", `${report.imageBytes} (${report.imageBytesPerDevice}/device)`],
	["import record bytes", String(report.importRecordBytes)],
];
for (const [k, v] of rows) process.stdout.write(`${k.padEnd(20)} ${v}\n`);
