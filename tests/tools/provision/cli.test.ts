import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { main, progressReporter, type Io } from "../../../tools/provision/cli";
import { IMPORT_FILE } from "../../../tools/provision/batch";
import { PROVISION_NODE_FLAGS } from "../../../tools/provision/nodeFlags";
import { deriveNvsKeysFromHmac, parseNvsKeysPartition } from "../../../tools/provision/nvs";
import { readPlatformKey, unwrapKey, wrapAad, type Wrapped } from "../../../tools/provision/wrap";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const golden = join(repo, "tests", "tools", "provision", "golden");
const dir = mkdtempSync(join(tmpdir(), "enigm-cli-"));

function capture(isTTY = false): Io & { out: string[]; err: string[] } {
	const out: string[] = [];
	const err: string[] = [];
	return { out, err, isTTY, stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
}

async function cli(args: string[], isTTY = false) {
	const io = capture(isTTY);
	const code = await main(args, io);
	return { code, stdout: io.out.join(""), stderr: io.err.join("") };
}

const cmd = suite("provision CLI");
const keyFile = join(dir, "platform.key");

cmd("`npm run provision` starts node with the batch heap flags the bench measures with (nodeFlags.ts)", () => {
	const scripts = (JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
	const words = scripts.provision!.split(/\s+/);
	for (const flag of PROVISION_NODE_FLAGS) assert.ok(words.includes(flag), `package.json provision lacks ${flag}`);
});

cmd("platform-key creates a 0600 key file and refuses to overwrite it", async () => {
	const first = await cli(["platform-key", "--out", keyFile]);
	assert.is(first.code, 0);
	assert.is(statSync(keyFile).mode & 0o777, 0o600);
	assert.is(readPlatformKey(keyFile).length, 32);
	assert.not.ok(first.stdout.includes(readFileSync(keyFile, "utf8").trim()));
	const again = await cli(["platform-key", "--out", keyFile]);
	assert.is(again.code, 1);
	assert.match(again.stderr, /EEXIST/);
});

cmd("generate prints a JSON summary on stdout and plain progress lines on a non-TTY stderr", async () => {
	const r = await cli(["generate", "--board", "lilygo_t_sim7080g_s3", "--out", join(dir, "b1"), "--count", "12", "--platform-key", keyFile]);
	assert.is(r.code, 0, r.stderr);
	assert.equal(JSON.parse(r.stdout), { total: 12, issued: 12, skipped: 0, reemitted: 0, recovered: 0, discarded: 0, orphans: 0, interrupted: false, out: join(dir, "b1") });
	assert.match(r.stderr, /^progress: 0\/12 \(0%\)\nprogress: 12\/12 \(100%\)\n$/);
});

cmd("progress on a TTY redraws one bar with carriage returns", () => {
	const io = capture(true);
	const p = progressReporter(io);
	p(0, 4);
	p(4, 4);
	const text = io.err.join("");
	assert.match(text, /^\r\[\.+\] 0\/4 0%/);
	assert.match(text, /\r\[#{30}\] 4\/4 100% \d+\/s\n$/);
});

cmd("verify lists entries with blobs by length only, exit 0 for a good image", async () => {
	const r = await cli(["verify", join(golden, "device_classic.bin")]);
	assert.is(r.code, 0, r.stderr);
	assert.match(r.stdout, /enigm\thmac_key\tblob\t<32 bytes, not shown>/);
	assert.match(r.stdout, /enigm\tdevice_id\tstring\t"8f14e45fceea167a5a36dedd4bea2543"/);
	assert.not.match(r.stdout, /000102030405/);
});

cmd("verify --json and --nvs-keys decrypt an encrypted image", async () => {
	const r = await cli(["verify", join(golden, "device_classic.enc.bin"), "--nvs-keys", join(golden, "nvs_keys.bin"), "--json"]);
	assert.is(r.code, 0, r.stderr);
	const report = JSON.parse(r.stdout) as { ok: boolean; entries: { key: string; length?: number; value?: unknown }[] };
	assert.ok(report.ok);
	assert.equal(report.entries.find((e) => e.key === "hmac_key"), { namespace: "enigm", key: "hmac_key", type: "blob", page: 0, entry: 10, length: 32 });
	assert.not.ok(r.stdout.includes("000102030405"));
});

cmd("verify exits non-zero naming the corruption; the encrypted image without keys fails", async () => {
	const bad = new Uint8Array(readFileSync(join(golden, "device_s3.bin")));
	bad[64 + 32 + 10] ^= 1;
	const file = join(dir, "bad.bin");
	writeFileSync(file, bad);
	const r = await cli(["verify", file]);
	assert.is(r.code, 1);
	assert.match(r.stderr, /verify: .*bad\.bin: CORRUPT: page 0 entry 1: entry CRC mismatch/);
	const enc = await cli(["verify", join(golden, "device_classic.enc.bin")]);
	assert.is(enc.code, 1);
	assert.match(enc.stderr, /CORRUPT: page 0 entry 0: entry CRC mismatch/);
});

cmd("verify flags a valid NVS image that is not a provisioned device", async () => {
	const r = await cli(["verify", join(golden, "format_mix.bin")]);
	assert.is(r.code, 1);
	assert.match(r.stdout, /device schema: schema: missing/);
	assert.match(r.stdout, /u64max: type u64 is not readable by Moddable Preference/);
});

cmd("usage errors exit 2 with the usage text", async () => {
	for (const args of [[], ["frobnicate"], ["generate", "--out", dir], ["generate", "--bogus"], ["verify"],
		["generate", "--out", join(dir, "y"), "--platform-key", keyFile, "--board", "sim", "--count", "1", "--platform-host", "p.example"]]) {
		const r = await cli(args);
		assert.is(r.code, 2, args.join(" "));
	}
	const r = await cli(["generate", "--out", join(dir, "x"), "--platform-key", keyFile, "--board", "sim"]);
	assert.is(r.code, 1);
	assert.match(r.stderr, /exactly one of --csv or --count/);
});

cmd("the real entry point: every byte a batch prints (stdout + stderr) is free of every key", () => {
	const out = join(dir, "spawned");
	const csv = join(dir, "serials.csv");
	writeFileSync(csv, "serial,board\nF-1,lilygo_t_sim7000g\nF-2,lilygo_t_sim7000g\n");
	const runs = [
		["generate", "--board", "lilygo_t_sim7080g_s3", "--out", out, "--count", "5", "--prefix", "F-S3", "--platform-key", keyFile],
		["generate", "--out", out, "--csv", csv, "--nvs-keys", "--platform-key", keyFile],
		["generate", "--out", out, "--csv", csv, "--nvs-keys", "--platform-key", keyFile],
		["reemit", "--out", out, "--platform-key", keyFile],
		["verify", join(out, "devices", "F-1", "nvs.bin"), "--nvs-keys", join(out, "devices", "F-1", "nvs_keys.bin")],
		["verify", join(out, "devices", "F-S3-1", "nvs.bin"), "--nvs-hmac-key", join(out, "devices", "F-S3-1", "nvs_hmac_key.bin"), "--json"],
		["generate", "--out", out, "--csv", csv, "--platform-key", join(golden, "nvs_keys_hmac.bin")],
	];
	let printed = "";
	const codes: number[] = [];
	for (const args of runs) {
		const r = spawnSync(process.execPath, ["--import", "tsx", "tools/provision/cli.ts", ...args], { cwd: repo, encoding: "utf8" });
		codes.push(r.status ?? -1);
		printed += r.stdout + r.stderr;
	}
	assert.equal(codes, [0, 0, 0, 0, 0, 0, 1]);
	assert.match(printed, /"issued":5/);
	assert.match(printed, /"skipped":2/);
	assert.match(printed, /"reemitted":7/);
	const platformKey = readPlatformKey(keyFile);
	const secrets: Uint8Array[] = [platformKey];
	for (const line of readFileSync(join(out, IMPORT_FILE), "utf8").split("\n").filter(Boolean)) {
		const r = JSON.parse(line) as { deviceId: string; serial: string; board: string; key: Wrapped };
		secrets.push(unwrapKey(platformKey, r.key, wrapAad("device-key", r.deviceId, r.serial, r.board)));
	}
	for (const serial of readdirSync(join(out, "devices")).filter((s) => s.startsWith("F-") && !s.startsWith("F-S3"))) {
		const k = parseNvsKeysPartition(readFileSync(join(out, "devices", serial, "nvs_keys.bin")));
		secrets.push(k.encryption, k.tweak);
	}
	for (const serial of readdirSync(join(out, "devices")).filter((s) => s.startsWith("F-S3"))) {
		const k = new Uint8Array(readFileSync(join(out, "devices", serial, "nvs_hmac_key.bin")));
		const derived = deriveNvsKeysFromHmac(k);
		secrets.push(k, derived.encryption, derived.tweak);
	}
	assert.is(secrets.length, 1 + 7 + 4 + 5 * 3);
	for (const s of secrets) {
		const b = Buffer.from(s);
		for (const form of [b.toString("hex"), b.toString("hex").toUpperCase(), b.toString("base64"), b.toString("base64url")])
			assert.not.ok(printed.includes(form), "a key was printed");
	}
});

cmd.after(() => rmSync(dir, { recursive: true, force: true }));
cmd.run();
