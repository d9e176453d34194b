/**
 * The native issuing engine (tools/provision/native/provision_native.c through nativeEngine.ts) against its
 * references: ESP-IDF's generator's golden encrypted images for XTS (golden/README.md), node:crypto (OpenSSL) for
 * AES-256-GCM, node:fs's behaviour for the file calls, and the JavaScript engine for whole batches. Where no C
 * compiler or no Node headers are at hand, each case is a named skip, never a pass.
 */
import { createCipheriv, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { BatchError, IMPORT_FILE, generateBatch, groupSyncAsync, moveAllIntoPlace } from "../../../tools/provision/batch";
import { checkDeviceImage } from "../../../tools/provision/identity";
import { buildNative, engineStatus, loadNative, probeNative, selfTest, type NativeEngine } from "../../../tools/provision/nativeEngine";
import { decryptNvsImage, deriveNvsKeysFromHmac, encryptNvsImage, parseNvsImage, parseNvsKeysPartition, writtenEntries } from "../../../tools/provision/nvs";
import { unwrapKey, wrapAad, wrapKey, type Wrapped } from "../../../tools/provision/wrap";
import { skipCase } from "../skip";

const golden = join(dirname(fileURLToPath(import.meta.url)), "golden");
const read = (name: string) => new Uint8Array(readFileSync(join(golden, name)));
const root = mkdtempSync(join(tmpdir(), "enigm-native-"));

/**
 * The module is built here and loaded directly, not through engineStatus(): a module that fails the self-test must
 * fail these cases, not turn them into skips. Only a machine without a compiler or Node's headers skips; a compile
 * error where both are present is a failure (below).
 */
let built: string | undefined;
let unavailable: string | undefined;
let buildError: string | undefined;
try {
	built = buildNative();
} catch (error) {
	const message = (error as Error).message;
	if (/no C compiler|headers are missing|Linux and macOS only/.test(message)) unavailable = message;
	else buildError = message;
}
const engine: NativeEngine | undefined = built !== undefined ? loadNative(built) : undefined;

const N = suite("provision native engine (provision_native.c)");
N.after(() => rmSync(root, { recursive: true, force: true }));

/** A case that needs the built engine: a named skip with the reason when this machine cannot build it. */
function withEngine(name: string, fn: (e: NativeEngine) => void | Promise<void>): void {
	if (unavailable) skipCase(N, name, `native engine unavailable: ${unavailable}`);
	else N(name, () => {
		assert.ok(engine, `the native engine must build where a compiler and Node's headers are present: ${buildError}`);
		return fn(engine!);
	});
}

withEngine("it builds here, and a batch's engine choice takes it (the self-test passes)", () => {
	const status = engineStatus("auto");
	assert.is(status.engine, "native", status.reason);
	assert.is(status.path, built);
});

withEngine("XTS of the plain golden with the generator's nvs_keys gives its encrypted image (eky|tky form)", (e) => {
	const keys = parseNvsKeysPartition(read("nvs_keys.bin"));
	const image = read("device_classic.bin");
	const both = new Uint8Array(64);
	both.set(keys.encryption, 0);
	both.set(keys.tweak, 32);
	e.xtsEntries(image, writtenEntries(image), both);
	assert.equal(Buffer.compare(image, read("device_classic.enc.bin")), 0);
});

withEngine("XTS from the HMAC key (derivation in C) gives the generator's encrypted S3 image (encrypt --key_protect_hmac)", (e) => {
	const image = read("device_s3.bin");
	e.xtsEntries(image, writtenEntries(image), read("nvs_keys_hmac.bin"));
	assert.equal(Buffer.compare(image, read("device_s3.hmac.enc.bin")), 0);
	// And it round-trips through the JavaScript decryption with the JavaScript derivation.
	const plain = decryptNvsImage(image, deriveNvsKeysFromHmac(read("nvs_keys_hmac.bin")));
	assert.equal(Buffer.compare(plain, read("device_s3.bin")), 0);
});

withEngine("XTS equals the JavaScript encryptNvsImage on random images, keys and entry sets", (e) => {
	for (let i = 0; i < 50; i++) {
		const image = new Uint8Array(randomBytes(8192));
		const entries = Uint32Array.from(new Set(Array.from({ length: 1 + (i % 40) }, () => 64 + 32 * (randomBytes(1)[0]! % 120))));
		const keys = new Uint8Array(randomBytes(64));
		const mine = image.slice();
		e.xtsEntries(mine, entries, keys);
		const reference = encryptNvsImage(image, { encryption: keys.slice(0, 32), tweak: keys.slice(32) }, { entries });
		assert.equal(Buffer.compare(mine, reference), 0, `case ${i}`);
	}
});

withEngine("XTS refuses bad arguments before touching the image", (e) => {
	const image = new Uint8Array(4096).fill(0xab);
	assert.throws(() => e.xtsEntries(image, Uint32Array.from([64, 4080]), new Uint8Array(64)), /outside the image/);
	assert.throws(() => e.xtsEntries(image, Uint32Array.from([64]), new Uint8Array(48)), /64 bytes|32/);
	assert.throws(() => e.xtsEntries(image, [64] as unknown as Uint32Array, new Uint8Array(64)), /xtsEntries\(/);
	assert.ok(image.every((b) => b === 0xab), "nothing was encrypted");
});

withEngine("AES-256-GCM equals node:crypto for every plaintext length 0..64 and random AADs", (e) => {
	for (let length = 0; length <= 64; length++) {
		const key = randomBytes(32);
		const iv = randomBytes(12);
		const aad = randomBytes(length * 3);
		const plaintext = randomBytes(length);
		const out = new Uint8Array(length + 16);
		e.gcmSeal(key, iv, aad, plaintext, out);
		const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(aad);
		const expected = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
		assert.equal(Buffer.compare(out, expected), 0, `length ${length}`);
	}
	assert.throws(() => e.gcmSeal(new Uint8Array(16), new Uint8Array(12), new Uint8Array(0), new Uint8Array(32), new Uint8Array(48)), /key 32 bytes/);
	assert.throws(() => e.gcmSeal(new Uint8Array(32), new Uint8Array(12), new Uint8Array(0), new Uint8Array(32), new Uint8Array(32)), /out = plaintext \+ 16/);
});

withEngine("wrapKey through the engine gives the same record as node:crypto's, and it unwraps", (e) => {
	const platformKey = new Uint8Array(randomBytes(32));
	for (const secret of [randomBytes(32), randomBytes(64)]) {
		const iv = new Uint8Array(randomBytes(12));
		const aad = wrapAad("device-key", "0123456789abcdef0123456789abcdef", "ENK-1", "lilygo_t_sim7080g_s3");
		const viaEngine = wrapKey(platformKey, secret, aad, iv, undefined, e);
		const viaNode = wrapKey(platformKey, secret, aad, iv);
		assert.equal(viaEngine, viaNode);
		assert.equal(Buffer.compare(unwrapKey(platformKey, viaEngine, aad), secret), 0);
	}
});

withEngine("writeDir creates the folder 0700 and each file 0600 with its bytes; errors carry code, syscall and path like node:fs", (e) => {
	const dir = join(root, "wd", "ENK-1");
	mkdirSync(dirname(dir), { recursive: true });
	const image = new Uint8Array(randomBytes(24576));
	const key = new Uint8Array(randomBytes(32));
	// umask 0 for the call: the modes checked are the ones the code asks for, not what a strict umask leaves.
	const umask = process.umask(0);
	try {
		e.writeDir(dir, ["nvs.bin", "key.bin"], [image, key]);
	} finally {
		process.umask(umask);
	}
	assert.is(statSync(dir).mode & 0o777, 0o700);
	assert.equal(readdirSync(dir).sort(), ["key.bin", "nvs.bin"]);
	assert.equal(Buffer.compare(readFileSync(join(dir, "nvs.bin")), image), 0);
	assert.equal(Buffer.compare(readFileSync(join(dir, "key.bin")), key), 0);
	assert.is(statSync(join(dir, "key.bin")).mode & 0o777, 0o600);
	assert.is(statSync(join(dir, "nvs.bin")).mode & 0o777, 0o600);

	const exists = catchError(() => e.writeDir(dir, ["x"], [new Uint8Array(1)]));
	assert.equal([exists.code, exists.syscall, exists.path], ["EEXIST", "mkdir", dir]);
	const missing = join(root, "no-such-parent", "ENK-2");
	const enoent = catchError(() => e.writeDir(missing, ["nvs.bin"], [image]));
	assert.equal([enoent.code, enoent.syscall, enoent.path], ["ENOENT", "mkdir", missing]);
	assert.match(enoent.message, /^ENOENT: no such file or directory, mkdir '/);
	// The message names the path only: never the bytes being written.
	assert.not.match(enoent.message, new RegExp(Buffer.from(image.subarray(0, 8)).toString("hex")));

	// A bad name is refused before the folder exists.
	const refused = join(root, "wd", "ENK-3");
	assert.throws(() => e.writeDir(refused, ["../escape"], [key]), /plain file name/);
	assert.throws(() => e.writeDir(refused, ["a", "b"], [key]), /writeDir\(/);
	assert.not.ok(existsSync(refused));
});

withEngine("syncfs resolves for a folder and rejects with ENOENT and the path for a missing one", async (e) => {
	await e.syncfs(root);
	const missing = join(root, "nowhere");
	const error = await e.syncfs(missing).then(() => undefined, (err: NodeJS.ErrnoException) => err);
	assert.ok(error, "rejected");
	assert.equal([error!.code, error!.path], ["ENOENT", missing]);
});

N("a chunk's sync: a writeback error fails the commit; only 'not supported' falls back (to sync -f, then fsync per file)", async () => {
	const failing = (code: string): NativeEngine => ({
		xtsEntries: () => {}, gcmSeal: () => {}, writeDir: () => {}, renameAll: () => {},
		syncfs: () => Promise.reject(Object.assign(new Error(`${code}: simulated, syncfs '${root}'`), { code })),
	});
	const dir = join(root, "sync-chunk", "A-1");
	mkdirSync(dir, { recursive: true });
	writeFileSync(join(dir, "nvs.bin"), "x");
	let helperAsked = 0;
	const helper = () => { helperAsked++; return { syncfs: async () => true } as never; };
	const eio = await groupSyncAsync(helper, root, () => [dir], failing("EIO")).then(() => undefined, (error: Error) => error);
	assert.instance(eio, BatchError);
	assert.match(eio!.message, /syncing the chunk's files to disk failed: EIO/);
	assert.is(helperAsked, 0, "no second syncfs, which would not see the error again");
	await groupSyncAsync(helper, root, () => [dir], failing("ENOSYS"));
	assert.is(helperAsked, 1, "not supported: the sync -f helper instead");
});

withEngine("renameAll moves folders in order; a stale target stops it with `renamed`, and moveAllIntoPlace replaces it and goes on", (e) => {
	const out = join(root, "mv");
	mkdirSync(join(out, "devices", ".pending"), { recursive: true });
	const serials = ["A-1", "A-2", "A-3", "A-4"];
	for (const s of serials) {
		mkdirSync(join(out, "devices", ".pending", s));
		writeFileSync(join(out, "devices", ".pending", s, "nvs.bin"), `new ${s}`);
	}
	mkdirSync(join(out, "devices", "A-3"));
	writeFileSync(join(out, "devices", "A-3", "nvs.bin"), "stale");
	const error = catchError(() => e.renameAll(join(out, "devices", ".pending"), join(out, "devices"), serials)) as NodeJS.ErrnoException & { renamed: number };
	assert.is(error.renamed, 2);
	assert.ok(["ENOTEMPTY", "EEXIST"].includes(error.code!), error.code);
	assert.ok(existsSync(join(out, "devices", "A-2")) && existsSync(join(out, "devices", ".pending", "A-3")));

	moveAllIntoPlace(out, serials.slice(2), e);
	for (const s of serials) assert.is(readFileSync(join(out, "devices", s, "nvs.bin"), "utf8"), `new ${s}`);
	assert.equal(readdirSync(join(out, "devices", ".pending")), []);
	assert.throws(() => e.renameAll(out, out, ["a/b"]), /plain file name/);
});

N("a module that computes other bytes than node:crypto and nvs.ts is refused by the self-test", () => {
	const honest = engine;
	const broken: NativeEngine = {
		xtsEntries: (image, entries, keys) => (honest ? honest.xtsEntries(image, entries, keys) : encryptNvsImage(image, { encryption: keys.slice(0, 32), tweak: keys.slice(32) }, { inPlace: true, entries })),
		gcmSeal: (_k, _iv, _aad, plaintext, out) => { out.set(plaintext); },
		writeDir: () => {}, syncfs: async () => {}, renameAll: () => {},
	};
	assert.throws(() => selfTest(broken), /AES-256-GCM differs/);
	const badXts: NativeEngine = { ...broken, gcmSeal: (key, iv, aad, plaintext, out) => {
		const c = createCipheriv("aes-256-gcm", key, iv).setAAD(aad);
		out.set(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]));
	}, xtsEntries: (image) => { image[64]! ^= 1; } };
	assert.throws(() => selfTest(badXts), /XTS-AES-256 differs/);
});

N("without a C compiler the engine is the JavaScript one, with the reason; ENIGM_PROVISION_ENGINE=js and 'js' never build", () => {
	const cache = join(root, "cache-no-cc");
	const probe = probeNative({ cc: join(root, "no-such-cc"), cacheDir: cache });
	assert.is(probe.engine, "js");
	assert.match(probe.reason!, /no C compiler/);
	assert.not.ok(existsSync(cache) && readdirSync(cache).some((n) => n.endsWith(".node")), "nothing half-built left behind");
	assert.equal(engineStatus("js"), { engine: "js", reason: "the JavaScript engine was asked for" });
	const before = process.env.ENIGM_PROVISION_ENGINE;
	process.env.ENIGM_PROVISION_ENGINE = "js";
	try {
		assert.is(engineStatus().engine, "js");
	} finally {
		if (before === undefined) delete process.env.ENIGM_PROVISION_ENGINE;
		else process.env.ENIGM_PROVISION_ENGINE = before;
	}
	assert.throws(() => engineStatus("fast" as never), /auto, native or js/);
});

interface ImportRecord { deviceId: string; serial: string; board: string; key: Wrapped }

/** Every S3 device of a batch: key.bin unwraps from its record, the image decrypts with keys derived from nvs_hmac_key.bin. */
function checkS3Batch(out: string, platformKey: Uint8Array): number {
	const records = readFileSync(join(out, IMPORT_FILE), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as ImportRecord);
	for (const r of records) {
		const dir = join(out, "devices", r.serial);
		const key = readFileSync(join(dir, "key.bin"));
		assert.equal(Buffer.compare(unwrapKey(platformKey, r.key, wrapAad("device-key", r.deviceId, r.serial, r.board)), key), 0, r.serial);
		const parsed = parseNvsImage(decryptNvsImage(readFileSync(join(dir, "nvs.bin")), deriveNvsKeysFromHmac(readFileSync(join(dir, "nvs_hmac_key.bin")))));
		assert.equal(checkDeviceImage(parsed), [], r.serial);
		assert.is(parsed.entries.find((x) => x.key === "device_id")!.value, r.deviceId);
	}
	return records.length;
}

for (const choice of ["native", "js"] as const) {
	const name = `a batch with the ${choice} engine (worker + main thread) verifies device by device`;
	if (choice === "native" && unavailable) skipCase(N, name, `native engine unavailable: ${unavailable}`);
	else N(name, async () => {
		const platformKey = new Uint8Array(randomBytes(32));
		const out = join(root, `batch-${choice}`);
		const result = await generateBatch({ out, board: "lilygo_t_sim7080g_s3", count: 150, prefix: "NE", platformKey, jobs: 1, chunk: 64, engine: choice });
		assert.is(result.issued, 150);
		assert.is(checkS3Batch(out, platformKey), 150);
		assert.equal(readdirSync(join(out, "devices", ".pending")), []);
	});
}

function catchError(fn: () => void): NodeJS.ErrnoException {
	try {
		fn();
	} catch (error) {
		return error as NodeJS.ErrnoException;
	}
	throw new Error("expected an error");
}

N.run();
