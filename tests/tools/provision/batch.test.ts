import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
	AUDIT_FILE, BatchError, IMPORT_FILE, LEDGER_FILE, MANIFEST_FILE, generateBatch, reemitBatch, writeArtifactFile,
	type GenerateOptions,
} from "../../../tools/provision/batch";
import { checkDeviceImage } from "../../../tools/provision/identity";
import type { CsvError } from "../../../tools/provision/csv";
import { decryptNvsImage, deriveNvsKeysFromHmac, moddableReadableTypes, parseNvsImage, parseNvsKeysPartition } from "../../../tools/provision/nvs";
import { WrapError, platformKeyId, unwrapKey, wrapAad, wrapKey, type Wrapped } from "../../../tools/provision/wrap";

const root = mkdtempSync(join(tmpdir(), "enigm-batch-"));
let runs = 0;
const platformKey = new Uint8Array(randomBytes(32));

function outDir(): string {
	return join(root, `out${runs++}`);
}

function lines<T = Record<string, unknown>>(out: string, name: string): T[] {
	return readFileSync(join(out, name), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as T);
}

interface ImportRecord {
	type: string; v: number; deviceId: string; serial: string; board: string; keyStore: string; key: Wrapped; createdAt: string;
}

function unwrapRecord(r: ImportRecord, key = platformKey): Uint8Array {
	return unwrapKey(key, r.key, wrapAad("device-key", r.deviceId, r.serial, r.board));
}

async function run(extra: Partial<GenerateOptions> & { out: string }, log: string[] = []): Promise<Awaited<ReturnType<typeof generateBatch>>> {
	return generateBatch({ platformKey, log: (l) => log.push(l), ...extra } as GenerateOptions);
}

const batch = suite("provision batch");

batch("S3 board: key in key.bin for espefuse (not in NVS), image verifies, import record unwraps to key.bin", async () => {
	const out = outDir();
	const result = await run({ out, board: "lilygo_t_sim7080g_s3", count: 3, prefix: "S3" });
	assert.equal(result, { total: 3, issued: 3, skipped: 0, reemitted: 0, recovered: 0, discarded: 0, orphans: 0, interrupted: false, out });
	const records = lines<ImportRecord>(out, IMPORT_FILE);
	assert.equal(records.map((r) => r.serial), ["S3-1", "S3-2", "S3-3"]);
	for (const r of records) {
		const dir = join(out, "devices", r.serial);
		const key = new Uint8Array(readFileSync(join(dir, "key.bin")));
		assert.is(key.length, 32);
		assert.equal(unwrapRecord(r), key);
		// NVS is encrypted with the HMAC-based scheme: XTS keys derived from nvs_hmac_key.bin (another eFuse block).
		const nvsHmacKey = new Uint8Array(readFileSync(join(dir, "nvs_hmac_key.bin")));
		assert.is(nvsHmacKey.length, 32);
		assert.is.not(Buffer.compare(nvsHmacKey, key), 0);
		assert.is(statSync(join(dir, "nvs_hmac_key.bin")).mode & 0o777, 0o600);
		const encrypted = readFileSync(join(dir, "nvs.bin"));
		assert.throws(() => parseNvsImage(encrypted), /entry CRC mismatch/);
		const parsed = parseNvsImage(decryptNvsImage(encrypted, deriveNvsKeysFromHmac(nvsHmacKey)));
		assert.equal(checkDeviceImage(parsed), []);
		const byKey = new Map(parsed.entries.map((e) => [e.key, e]));
		assert.is(byKey.get("device_id")!.value, r.deviceId);
		assert.is(byKey.get("key_store")!.value, 2);
		assert.is(byKey.get("efuse_block")!.value, 5);
		assert.not.ok(byKey.has("hmac_key"));
		assert.is(statSync(join(dir, "key.bin")).mode & 0o777, 0o600);
		assert.is(r.type, "enigm.provision.device");
		assert.is(r.keyStore, "efuse");
		assert.match(r.deviceId, /^[0-9a-f]{32}$/);
	}
	assert.is(new Set(records.map((r) => r.deviceId)).size, 3);
	const manifest = lines<{ serial: string; commands: string[] }>(out, MANIFEST_FILE);
	assert.equal(manifest[0]!.commands, [
		"esptool.py --chip esp32s3 write_flash 0x9000 devices/S3-1/nvs.bin",
		"espefuse.py --chip esp32s3 burn_key BLOCK_KEY5 devices/S3-1/key.bin HMAC_UP",
		"espefuse.py --chip esp32s3 burn_key BLOCK_KEY4 devices/S3-1/nvs_hmac_key.bin HMAC_UP",
	]);
	const audit = lines<{ event: string; nvsEncrypted: boolean; nvsKeyProtection: string; nvsEfuseBlock: number }>(out, AUDIT_FILE)[0]!;
	assert.equal([audit.nvsEncrypted, audit.nvsKeyProtection, audit.nvsEfuseBlock], [true, "hmac", 4]);
});

batch("S3: the two eFuse key blocks must differ; both are configurable", async () => {
	const out = outDir();
	for (const o of [{ efuseBlock: 4 }, { efuseBlock: 2, nvsEfuseBlock: 2 }]) {
		let message = "";
		try { await run({ out, board: "lilygo_t_sim7080g_s3", count: 1, ...o }); } catch (error) { message = (error as Error).message; }
		assert.match(message, /separate eFuse key blocks/);
	}
	assert.not.ok(existsSync(out));
	await run({ out, board: "lilygo_t_sim7080g_s3", count: 1, efuseBlock: 4, nvsEfuseBlock: 3 });
	assert.equal(lines<{ commands: string[] }>(out, MANIFEST_FILE)[0]!.commands.slice(1), [
		"espefuse.py --chip esp32s3 burn_key BLOCK_KEY4 devices/ENK-1/key.bin HMAC_UP",
		"espefuse.py --chip esp32s3 burn_key BLOCK_KEY3 devices/ENK-1/nvs_hmac_key.bin HMAC_UP",
	]);
});

/** What Moddable's Preference.get returns for an entry (modules/files/preference/esp32/modPreference.c order). */
function preferenceGet(entries: ReturnType<typeof parseNvsImage>["entries"], key: string): unknown {
	const e = entries.find((x) => x.namespace === "enigm" && x.key === key);
	if (!e) return undefined;
	switch (e.type) {
		case "u8": return e.value !== 0; // nvs_get_u8 -> xsmcSetBoolean
		case "i32": return e.value;
		case "string": return e.value;
		case "blob": return (e.value as Uint8Array).buffer;
		default: throw new Error(`Preference.get throws on ${e.type}`);
	}
}

batch("what the firmware reads through Moddable Preference: numbers stay numbers (no u8 read back as boolean)", async () => {
	const out = outDir();
	await run({ out, board: "lilygo_t_sim7080g_s3", count: 1, efuseBlock: 3 });
	const nvsKeys = deriveNvsKeysFromHmac(readFileSync(join(out, "devices", "ENK-1", "nvs_hmac_key.bin")));
	const s3 = parseNvsImage(decryptNvsImage(readFileSync(join(out, "devices", "ENK-1", "nvs.bin")), nvsKeys)).entries;
	assert.is(preferenceGet(s3, "efuse_block"), 3);
	assert.is(preferenceGet(s3, "key_store"), 2);
	assert.is(preferenceGet(s3, "schema"), 1);
	assert.type(preferenceGet(s3, "device_id"), "string");
	await run({ out, board: "lilygo_t_sim7000g", count: 1, prefix: "C" });
	const classic = parseNvsImage(readFileSync(join(out, "devices", "C-1", "nvs.bin"))).entries;
	assert.is(preferenceGet(classic, "key_store"), 1);
	assert.instance(preferenceGet(classic, "hmac_key"), ArrayBuffer);
	assert.is((preferenceGet(classic, "hmac_key") as ArrayBuffer).byteLength, 32);
});

batch("classic ESP32: the key is the hmac_key blob in NVS; only Preference-readable entry types", async () => {
	const out = outDir();
	await run({ out, board: "lilygo_t_sim7000g", count: 2, efuseBlock: 3 });
	for (const r of lines<ImportRecord>(out, IMPORT_FILE)) {
		const parsed = parseNvsImage(readFileSync(join(out, "devices", r.serial, "nvs.bin")));
		assert.equal(checkDeviceImage(parsed), []);
		for (const e of parsed.entries) assert.ok(moddableReadableTypes.has(e.type), `${e.key} is ${e.type}`);
		assert.equal(parsed.entries.map((e) => e.key), ["schema", "board", "device_id", "key_store", "hmac_key"]);
		assert.equal(parsed.entries.find((e) => e.key === "hmac_key")!.value, unwrapRecord(r));
		assert.not.ok(existsSync(join(out, "devices", r.serial, "key.bin")));
		assert.is(r.keyStore, "nvs");
	}
});

batch("--nvs-keys: encrypted image plus nvs_keys partition; decrypted image holds the wrapped key", async () => {
	const out = outDir();
	await run({ out, board: "lilygo_t_sim7000g", count: 2, nvsKeys: true });
	for (const r of lines<ImportRecord>(out, IMPORT_FILE)) {
		const dir = join(out, "devices", r.serial);
		const image = readFileSync(join(dir, "nvs.bin"));
		assert.throws(() => parseNvsImage(image), /CRC mismatch/);
		const keys = parseNvsKeysPartition(readFileSync(join(dir, "nvs_keys.bin")));
		const parsed = parseNvsImage(decryptNvsImage(image, keys));
		assert.equal(checkDeviceImage(parsed), []);
		assert.equal(parsed.entries.find((e) => e.key === "hmac_key")!.value, unwrapRecord(r));
	}
	const m = lines<{ commands: string[] }>(out, MANIFEST_FILE)[0]!;
	assert.equal(m.commands[1], "esptool.py --chip esp32 write_flash 0x3f0000 devices/ENK-1/nvs_keys.bin");
	const audit = lines<{ nvsEncrypted?: boolean }>(out, AUDIT_FILE);
	assert.ok(audit[0]!.nvsEncrypted);
});

batch("--nvs-keys is refused for an eFuse board before anything is written, in count and CSV mode", async () => {
	const out = outDir();
	try {
		await run({ out, board: "lilygo_t_sim7080g_s3", count: 1, nvsKeys: true });
		assert.unreachable();
	} catch (error) {
		assert.instance(error, BatchError);
	}
	const csv = join(root, "nvskeys.csv");
	writeFileSync(csv, "serial,board\nK-1,lilygo_t_sim7000g\nK-2,lilygo_t_sim7080g_s3\nK-3,sim\n");
	try {
		await run({ out, csv, nvsKeys: true });
		assert.unreachable();
	} catch (error) {
		assert.equal((error as CsvError).problems, [
			"line 3: --nvs-keys applies to ESP32 boards that keep the key in NVS, not lilygo_t_sim7080g_s3",
			"line 4: --nvs-keys applies to ESP32 boards that keep the key in NVS, not sim",
		]);
	}
	assert.not.ok(existsSync(out));
});

batch("CSV batch with per-row boards", async () => {
	const out = outDir();
	const csv = join(root, "mixed.csv");
	writeFileSync(csv, "serial,board\nM-1,lilygo_t_sim7080g_s3\nM-2,lilygo_t_sim7000g\nM-3,\n");
	const result = await run({ out, csv, board: "sim" });
	assert.is(result.issued, 3);
	assert.equal(lines<ImportRecord>(out, IMPORT_FILE).map((r) => [r.serial, r.board, r.keyStore]), [
		["M-1", "lilygo_t_sim7080g_s3", "efuse"], ["M-2", "lilygo_t_sim7000g", "nvs"], ["M-3", "sim", "nvs"],
	]);
	assert.equal(lines<{ commands: string[] }>(out, MANIFEST_FILE)[2]!.commands, []);
});

batch("worker threads and the main thread share each chunk (pieces of 64): every output and ledger row in input order, every image matches its record", async () => {
	const out = outDir();
	// 2 workers and the main thread; chunks of 300 are 5 pieces each, the last chunk is short.
	const result = await run({ out, board: "lilygo_t_sim7080g_s3", count: 700, chunk: 300, jobs: 2, prefix: "P" });
	assert.is(result.issued, 700);
	const serials = Array.from({ length: 700 }, (_, i) => `P-${i + 1}`);
	const records = lines<ImportRecord>(out, IMPORT_FILE);
	const audit = lines<{ event: string; serial: string; deviceId: string; imageSha256: string }>(out, AUDIT_FILE).filter((l) => l.event === "issued");
	const manifest = lines<{ serial: string; deviceId: string }>(out, MANIFEST_FILE);
	assert.equal(records.map((r) => r.serial), serials);
	assert.equal(audit.map((r) => r.serial), serials);
	assert.equal(manifest.map((r) => r.serial), serials);
	const Database = (await import("better-sqlite3")).default;
	const db = new Database(join(out, LEDGER_FILE), { readonly: true });
	const rows = db.prepare("SELECT serial, device_id, image_sha256 FROM devices ORDER BY seq").all() as { serial: string; device_id: string; image_sha256: string }[];
	db.close();
	assert.equal(rows.map((r) => r.serial), serials);
	for (let i = 0; i < 700; i++) {
		assert.is(records[i]!.deviceId, rows[i]!.device_id);
		assert.is(audit[i]!.deviceId, rows[i]!.device_id);
		assert.is(manifest[i]!.deviceId, rows[i]!.device_id);
		assert.is(audit[i]!.imageSha256, rows[i]!.image_sha256);
		assert.is(createHash("sha256").update(readFileSync(join(out, "devices", serials[i]!, "nvs.bin"))).digest("hex"), rows[i]!.image_sha256);
	}
	assert.is(new Set(rows.map((r) => r.device_id)).size, 700);
	assert.equal(readdirSync(join(out, "devices", ".pending")), []);
});

batch("re-running a finished batch issues nothing and changes no output", async () => {
	const out = outDir();
	await run({ out, board: "lilygo_t_sim7000g", count: 5 });
	const before = readFileSync(join(out, IMPORT_FILE));
	const image = readFileSync(join(out, "devices", "ENK-3", "nvs.bin"));
	const again = await run({ out, board: "lilygo_t_sim7000g", count: 7 });
	assert.equal([again.issued, again.skipped, again.reemitted], [2, 5, 0]);
	assert.equal(readFileSync(join(out, IMPORT_FILE)).subarray(0, before.length), before);
	assert.equal(readFileSync(join(out, "devices", "ENK-3", "nvs.bin")), image);
	assert.is(lines(out, IMPORT_FILE).length, 7);
});

batch("a run killed mid-batch (failing writer) leaves no final-named folder of an unrecorded key and resumes", async () => {
	const out = outDir();
	let writes = 0;
	const failing = (path: string, data: Uint8Array) => {
		if (++writes === 21) throw new Error("simulated crash: disk unplugged");
		writeArtifactFile(path, data);
	};
	try {
		await run({ out, board: "lilygo_t_sim7080g_s3", count: 20, chunk: 4, writeArtifact: failing });
		assert.unreachable();
	} catch (error) {
		assert.match((error as Error).message, /simulated crash/);
	}
	// S3 devices write 3 files: chunk 1 (ENK-1..4) is writes 1-12 and commits; write 21 is ENK-7's in chunk 2.
	const committed = lines<ImportRecord>(out, IMPORT_FILE);
	assert.equal(committed.map((r) => r.serial), ["ENK-1", "ENK-2", "ENK-3", "ENK-4"]);
	// The interrupted chunk's devices exist only as pending folders, never under their serial.
	assert.equal(readdirSync(join(out, "devices")).sort(), [".pending", "ENK-1", "ENK-2", "ENK-3", "ENK-4"]);
	assert.equal(readdirSync(join(out, "devices", ".pending")).sort(), ["ENK-5", "ENK-6", "ENK-7"]);

	const log: string[] = [];
	const result = await run({ out, board: "lilygo_t_sim7080g_s3", count: 20, chunk: 4 }, log);
	assert.equal([result.issued, result.skipped, result.discarded, result.recovered], [16, 4, 3, 0]);
	assert.ok(log.some((l) => /deleted 3 pending device folder\(s\).*never recorded/.test(l)), log.join("\n"));
	const all = lines<ImportRecord>(out, IMPORT_FILE);
	assert.equal(all.map((r) => r.serial), Array.from({ length: 20 }, (_, i) => `ENK-${i + 1}`));
	assert.is(new Set(all.map((r) => r.deviceId)).size, 20);
	assert.equal(all.slice(0, 4), committed);
	const enk5 = all.find((r) => r.serial === "ENK-5")!;
	assert.equal(unwrapRecord(enk5), new Uint8Array(readFileSync(join(out, "devices", "ENK-5", "key.bin"))));
	const audit = lines<{ event: string; serial: string }>(out, AUDIT_FILE);
	const issued = audit.filter((a) => a.event === "issued");
	assert.is(issued.length, 20);
	assert.is(new Set(issued.map((a) => a.serial)).size, 20);
	assert.equal(audit.filter((a) => a.event === "discarded").map((a) => a.serial).sort(), ["ENK-5", "ENK-6", "ENK-7"]);
	assert.is(lines(out, MANIFEST_FILE).length, 20);
	assert.equal(readdirSync(join(out, "devices", ".pending")), []);
});

batch("lines appended but never committed are rolled back on resume", async () => {
	const out = outDir();
	await run({ out, board: "sim", count: 2 });
	const committed = readFileSync(join(out, IMPORT_FILE));
	appendFileSync(join(out, IMPORT_FILE), '{"type":"enigm.provision.device","serial":"GHOST"}\n');
	const log: string[] = [];
	await run({ out, board: "sim", count: 2 }, log);
	assert.equal(readFileSync(join(out, IMPORT_FILE)), committed);
	assert.ok(log.some((l) => /recovered: dropped \d+ uncommitted bytes from platform-import\.jsonl/.test(l)));
});

batch("an output shorter than the ledger's committed length is refused", async () => {
	const out = outDir();
	await run({ out, board: "sim", count: 2 });
	writeFileSync(join(out, IMPORT_FILE), "");
	try {
		await run({ out, board: "sim", count: 2 });
		assert.unreachable();
	} catch (error) {
		assert.instance(error, BatchError);
		assert.match((error as Error).message, /shorter than the ledger/);
	}
});

batch("missing artifacts of an issued serial are re-emitted from the ledger, byte-identical", async () => {
	const out = outDir();
	await run({ out, board: "lilygo_t_sim7000g", count: 3, nvsKeys: true });
	const dir = join(out, "devices", "ENK-2");
	const image = readFileSync(join(dir, "nvs.bin"));
	const keys = readFileSync(join(dir, "nvs_keys.bin"));
	unlinkSync(join(dir, "nvs.bin"));
	unlinkSync(join(dir, "nvs_keys.bin"));
	const result = await run({ out, board: "lilygo_t_sim7000g", count: 3, nvsKeys: true });
	assert.equal([result.issued, result.skipped, result.reemitted], [0, 3, 1]);
	assert.not.ok(existsSync(join(out, "devices", ".pending", "ENK-2")));
	assert.equal(readFileSync(join(dir, "nvs.bin")), image);
	assert.equal(readFileSync(join(dir, "nvs_keys.bin")), keys);
	assert.is(reemitBatch(out, platformKey, ["ENK-1"]), 1);
	assert.throws(() => reemitBatch(out, platformKey, ["NOPE-1"]), /not in the ledger/);
});

batch("resuming with a different platform key is refused before anything is issued", async () => {
	const out = outDir();
	await run({ out, board: "sim", count: 1 });
	try {
		await generateBatch({ out, board: "sim", count: 2, platformKey: new Uint8Array(randomBytes(32)) });
		assert.unreachable();
	} catch (error) {
		assert.match((error as Error).message, new RegExp(`wrapped under platform key ${platformKeyId(platformKey)}`));
	}
	assert.is(lines(out, IMPORT_FILE).length, 1);
});

batch("no secret appears in the logs, the JSON-lines outputs or the ledger, in hex, base64 or raw", async () => {
	const out = outDir();
	const log: string[] = [];
	const progress: string[] = [];
	await run({ out, board: "lilygo_t_sim7080g_s3", count: 6, chunk: 4, progress: (d, t) => progress.push(`${d}/${t}`) }, log);
	await run({ out, board: "lilygo_t_sim7000g", csv: (() => { const f = join(root, "c.csv"); writeFileSync(f, "serial\nC-1\nC-2\n"); return f; })(), nvsKeys: true }, log);
	const secrets: Uint8Array[] = [platformKey];
	for (const serial of readdirSync(join(out, "devices"))) {
		const dir = join(out, "devices", serial);
		if (existsSync(join(dir, "key.bin"))) secrets.push(new Uint8Array(readFileSync(join(dir, "key.bin"))));
		if (existsSync(join(dir, "nvs_hmac_key.bin"))) {
			const k = new Uint8Array(readFileSync(join(dir, "nvs_hmac_key.bin")));
			const derived = deriveNvsKeysFromHmac(k);
			secrets.push(k, derived.encryption, derived.tweak);
		}
		if (existsSync(join(dir, "nvs_keys.bin"))) {
			const k = parseNvsKeysPartition(readFileSync(join(dir, "nvs_keys.bin")));
			secrets.push(k.encryption, k.tweak);
		}
	}
	for (const r of lines<ImportRecord>(out, IMPORT_FILE)) secrets.push(unwrapRecord(r));
	assert.is(secrets.length, 1 + 6 + 6 * 3 + 2 * 2 + 8);
	const texts = [log.join("\n"), progress.join("\n"), ...[IMPORT_FILE, AUDIT_FILE, MANIFEST_FILE].map((f) => readFileSync(join(out, f), "utf8"))];
	const ledger = readFileSync(join(out, LEDGER_FILE));
	for (const s of secrets) {
		const b = Buffer.from(s);
		const forms = [b.toString("hex"), b.toString("hex").toUpperCase(), b.toString("base64"), b.toString("base64url"), b.toString("base64").slice(0, 40)];
		for (const t of texts) for (const f of forms) assert.not.ok(t.includes(f), "secret found in output");
		assert.is(ledger.indexOf(b), -1);
		for (const f of forms) assert.is(ledger.indexOf(Buffer.from(f)), -1);
	}
});

batch.after(() => rmSync(root, { recursive: true, force: true }));
const endpointPem = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2FmZQ==\n-----END CERTIFICATE-----\n";

batch("a platform endpoint goes into every image as Preference-readable strings, fixed for the batch, kept by reemit", async () => {
	const out = outDir();
	const platform = { host: "platform.example:8443", ca: endpointPem };
	await run({ out, board: "lilygo_t_sim7000g", count: 2, prefix: "EP", platform });
	for (const serial of ["EP-1", "EP-2"]) {
		const parsed = parseNvsImage(readFileSync(join(out, "devices", serial, "nvs.bin")));
		assert.equal(checkDeviceImage(parsed), []);
		const byKey = new Map(parsed.entries.map((e) => [e.key, e]));
		assert.equal([byKey.get("platform_host")!.type, byKey.get("platform_host")!.value], ["string", "platform.example:8443"]);
		assert.equal([byKey.get("platform_ca")!.type, byKey.get("platform_ca")!.value], ["string", endpointPem]);
	}
	// reemit rebuilds the same bytes (it checks each image against the SHA-256 the ledger recorded)
	const before = readFileSync(join(out, "devices", "EP-1", "nvs.bin"));
	unlinkSync(join(out, "devices", "EP-1", "nvs.bin"));
	assert.is(reemitBatch(out, platformKey, ["EP-1"]), 1);
	assert.equal(readFileSync(join(out, "devices", "EP-1", "nvs.bin")), before);
	// a second run must name the same platform; without one it keeps the recorded one
	let refused = "";
	try {
		await run({ out, board: "lilygo_t_sim7000g", count: 3, prefix: "EP", platform: { ...platform, host: "other.example" } });
	} catch (error) {
		refused = (error as Error).message;
	}
	assert.match(refused, /talk to platform\.example:8443/);
	await run({ out, board: "lilygo_t_sim7000g", count: 3, prefix: "EP" });
	const third = parseNvsImage(readFileSync(join(out, "devices", "EP-3", "nvs.bin")));
	assert.is(third.entries.find((e) => e.key === "platform_host")!.value, "platform.example:8443");
});

batch("a bad platform endpoint is refused before anything is written", async () => {
	for (const platform of [{ host: "Platform.Example", ca: endpointPem }, { host: "p.example:99999", ca: endpointPem }, { host: "p.example", ca: "not pem" }, { host: "p.example", ca: endpointPem.repeat(80) }]) {
		const out = outDir();
		let message = "";
		try {
			await run({ out, board: "sim", count: 1, platform });
		} catch (error) {
			message = (error as Error).message;
		}
		assert.match(message, /platform (host|port|CA)/, JSON.stringify(platform.host));
		assert.not.ok(existsSync(join(out, IMPORT_FILE)));
	}
});

batch.run();

const wrap = suite("platform import record key wrapping (AES-256-GCM)");

const aad = wrapAad("device-key", "0123456789abcdef0123456789abcdef", "SN-1", "lilygo_t_sim7000g");
const secret = new Uint8Array(randomBytes(32));

wrap("unwraps with the platform key and the same device id, serial and board", () => {
	const w = wrapKey(platformKey, secret, aad);
	assert.equal(unwrapKey(platformKey, w, aad), secret);
	assert.match(w.iv, /^[0-9a-f]{24}$/);
	assert.match(w.tag, /^[0-9a-f]{32}$/);
	assert.is(w.ct.length, 64);
	assert.is(w.kid, platformKeyId(platformKey));
});

wrap("fresh random IV per wrap: same key wrapped twice differs", () => {
	assert.is.not(wrapKey(platformKey, secret, aad).iv, wrapKey(platformKey, secret, aad).iv);
});

wrap("a wrong platform key fails (by key id, and by GCM tag when the id is forged)", () => {
	const w = wrapKey(platformKey, secret, aad);
	const other = new Uint8Array(randomBytes(32));
	assert.throws(() => unwrapKey(other, w, aad), (e: Error) => e instanceof WrapError && /wrapped under platform key/.test(e.message));
	assert.throws(() => unwrapKey(other, { ...w, kid: platformKeyId(other) }, aad), /does not authenticate/);
});

wrap("changed AAD (another serial, device id or board) fails to authenticate", () => {
	const w = wrapKey(platformKey, secret, aad);
	for (const changed of [
		wrapAad("device-key", "0123456789abcdef0123456789abcdef", "SN-2", "lilygo_t_sim7000g"),
		wrapAad("device-key", "f123456789abcdef0123456789abcdef", "SN-1", "lilygo_t_sim7000g"),
		wrapAad("device-key", "0123456789abcdef0123456789abcdef", "SN-1", "sim"),
		wrapAad("nvs-keys", "0123456789abcdef0123456789abcdef", "SN-1", "lilygo_t_sim7000g"),
	]) assert.throws(() => unwrapKey(platformKey, w, changed), /does not authenticate/);
});

wrap("a flipped ciphertext or tag bit fails; the error never contains key material", () => {
	const w = wrapKey(platformKey, secret, aad);
	const flip = (h: string) => (h[0] === "0" ? "1" : "0") + h.slice(1);
	for (const bad of [{ ...w, ct: flip(w.ct) }, { ...w, tag: flip(w.tag) }]) {
		try {
			unwrapKey(platformKey, bad, aad);
			assert.unreachable();
		} catch (error) {
			assert.not.ok((error as Error).message.includes(Buffer.from(secret).toString("hex")));
			assert.not.ok((error as Error).message.includes(Buffer.from(platformKey).toString("hex")));
		}
	}
});

wrap("the AAD is the documented string", () => {
	assert.is(aad, "enigm-provision-v1|device-key|0123456789abcdef0123456789abcdef|SN-1|lilygo_t_sim7000g");
});

wrap.run();
