/**
 * tools/provision/provision.mjs, what `npm run provision` runs: the CLI from a cached esbuild bundle instead of through
 * tsx. It must behave as the CLI (output, exit codes, a verifiable batch), and a bundle must never outlive an edit of
 * the sources it was built from. Each case runs the launcher as a process, from a copy of tools/provision in a
 * temporary tree so that the repository's own .cache is left alone.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";

const repo = join(import.meta.dirname, "..", "..", "..");
const root = mkdtempSync(join(tmpdir(), "enigm-provision-launcher-"));
const tools = join(root, "tools", "provision");
mkdirSync(tools, { recursive: true });
for (const name of readdirSync(join(repo, "tools", "provision"))) if (/\.(ts|mjs)$/.test(name)) copyFileSync(join(repo, "tools", "provision", name), join(tools, name));
symlinkSync(join(repo, "node_modules"), join(root, "node_modules"), "dir");

function launch(...args: string[]) {
	const r = spawnSync(process.execPath, [join(tools, "provision.mjs"), ...args], { cwd: root, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
	return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const bundles = () => readdirSync(join(root, ".cache", "provision-bundles")).filter((n) => n.endsWith(".mjs"));
// The S3 board's partition table, which the bench's board reads (tools/provision/boards.ts nvsLayout).
const partitions = join("boards", "lilygo_t_sim7080g_s3", "sdkconfig");
mkdirSync(join(root, partitions), { recursive: true });
copyFileSync(join(repo, partitions, "partitions.csv"), join(root, partitions, "partitions.csv"));

const Launcher = suite("provision launcher (npm run provision)");

Launcher.after(() => rmSync(root, { recursive: true, force: true }));

Launcher("package.json's provision script runs the launcher, not tsx", () => {
	const scripts = (JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
	assert.ok(scripts.provision!.split(/\s+/).includes("tools/provision/provision.mjs"), scripts.provision);
	assert.not.ok(/--import\s+tsx/.test(scripts.provision!), "no tsx loader on the batch path");
});

Launcher("the CLI's exit codes and output: usage error 2, refused input 1, a batch that verifies 0", () => {
	const unknown = launch("frobnicate");
	assert.is(unknown.code, 2, unknown.stderr);
	assert.match(unknown.stderr, /unknown command "frobnicate"/);
	assert.is(bundles().length, 1, "built once, on first use");

	const key = join(root, "platform.key");
	assert.is(launch("platform-key", "--out", key).code, 0);
	const missing = launch("generate", "--board", "sim", "--count", "2", "--out", join(root, "b0"), "--platform-key", join(root, "nope.key"));
	assert.is(missing.code, 1, missing.stderr);

	const out = join(root, "batch");
	const made = launch("generate", "--board", "lilygo_t_sim7000g", "--count", "3", "--prefix", "LT", "--out", out, "--platform-key", key);
	assert.is(made.code, 0, made.stderr);
	const summary = JSON.parse(made.stdout.trim().split("\n").pop()!) as { issued: number };
	assert.is(summary.issued, 3);
	// This copy has no tools/provision/native/: the batch runs the JavaScript engine, and says so in one line.
	assert.match(made.stderr, /^note: the JavaScript engine issues this batch \(slower; same outputs\): the native engine's source is missing \(.*provision_native\.c\)$/m, made.stderr);
	const verified = launch("verify", join(out, "devices", "LT-2", "nvs.bin"), "--json");
	assert.is(verified.code, 0, verified.stderr);
	assert.match(verified.stdout, /"device_id"/);
	assert.not.match(made.stdout + made.stderr + verified.stdout + verified.stderr, new RegExp(readFileSync(key, "utf8").trim()), "the platform key is never printed");
	assert.is(bundles().length, 1, "the same sources reuse the bundle");
});

Launcher("bench.mjs runs the benchmark from its own bundle and prints its JSON line", () => {
	const r = spawnSync(process.execPath, [join(tools, "bench.mjs"), "--count", "20", "--dir", root], { cwd: root, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
	assert.is(r.status, 0, r.stderr);
	const report = JSON.parse(r.stdout.trim()) as { devices: number; imageBytesPerDevice: number; peakRssKiB: number };
	assert.is(report.devices, 20);
	assert.is(report.imageBytesPerDevice, 24_576, "the S3 board's NVS partition (boards/lilygo_t_sim7080g_s3 partitions.csv)");
	assert.ok(bundles().some((b) => b.startsWith("bench-")) && bundles().some((b) => b.startsWith("cli-")));
});

Launcher("an edited source gets a new bundle: the launcher never runs stale code", () => {
	const before = bundles();
	const cli = join(tools, "cli.ts");
	writeFileSync(cli, readFileSync(cli, "utf8").replace("`unknown command ${", "`unknown subcommand ${"));
	const edited = launch("frobnicate");
	assert.is(edited.code, 2);
	assert.match(edited.stderr, /unknown subcommand "frobnicate"/, "the edit is what runs");
	const after = bundles();
	assert.is(after.length, before.length + 1);
	assert.ok(before.every((b) => after.includes(b)));
});

Launcher.run();
