/**
 * The native issuing engine (native/provision_native.c): built on first use with the machine's C compiler against
 * the headers that ship with Node (include/node: N-API, libuv, and the OpenSSL Node is built with), cached in
 * .cache/provision-native/ under the SHA-256 of its source, Node's version and the compile command, and loaded with
 * require() in the main thread and in every worker.
 *
 * Why: per device, the JavaScript path spent most of its CPU in the wrappers around a few native calls (a Cipher
 * object per AES operation, fs.openSync's argument handling, one process per `sync -f`), not in the work itself.
 * `npm run bench` gives both engines' figures (tools/provision/README.md "Native engine").
 *
 * It is an accelerator, never a second format: every function has a JavaScript twin (nvs.ts encryptNvsImage,
 * wrap.ts wrapKey, device.ts writeDeviceDir, batch.ts groupSync), a self-test compares the loaded engine with them
 * before a batch uses it, and tests/tools/provision/native.test.ts compares them on ESP-IDF's golden images. Where
 * it cannot be built (no compiler, no headers, another OS) or ENIGM_PROVISION_ENGINE=js is set, the batch runs the
 * JavaScript path with the same outputs; `engineStatus()` says which and why.
 */
import { execFileSync } from "node:child_process";
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deriveNvsKeysFromHmac, encryptNvsImage } from "./nvs";

export interface NativeEngine {
	/** XTS-AES-256 of the 32-byte entries at `entries` in place; `keys` = eky | tky (64 bytes) or the HMAC key (32). */
	xtsEntries(image: Uint8Array, entries: Uint32Array, keys: Uint8Array): void;
	/** AES-256-GCM, 96-bit IV: `out` (plaintext.length + 16) = ciphertext | tag. */
	gcmSeal(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array): void;
	/** mkdir(dir, 0700), then each file created 0600 and written whole (no fsync). Throws like node:fs. */
	writeDir(dir: string, names: string[], contents: Uint8Array[]): void;
	/** syncfs(2) of the file system holding `path`, off the main thread. */
	syncfs(path: string): Promise<void>;
	/** rename(from/name, to/name) for each name; a failure carries `renamed`, the count done before it. */
	renameAll(from: string, to: string, names: string[]): void;
}

export type EngineChoice = "auto" | "native" | "js";

export interface EngineStatus {
	engine: "native" | "js";
	/** The compiled module (native only): what a worker thread loads. */
	path?: string;
	/** Why the JavaScript engine runs (js only). */
	reason?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
export const NATIVE_SOURCE = join(here, "native", "provision_native.c");
const CACHE = join(here, "..", "..", ".cache", "provision-native");

/** Where and with what the module is built (tests point these elsewhere). */
export interface BuildOptions {
	/** C compiler: $CC, else cc. */
	cc?: string;
	/** Cache directory: .cache/provision-native/ in the repository. */
	cacheDir?: string;
}

/** Node's own headers: <prefix>/include/node next to <prefix>/bin/node (also where node-gyp builds against). */
function nodeIncludeDir(): string {
	return join(dirname(process.execPath), "..", "include", "node");
}

const loaded = new Map<string, NativeEngine>();

/** Loads a built engine (any thread). */
export function loadNative(path: string): NativeEngine {
	let engine = loaded.get(path);
	if (!engine) {
		engine = createRequire(import.meta.url)(path) as NativeEngine;
		loaded.set(path, engine);
	}
	return engine;
}

/** The compile command for this machine (cc, or $CC): -O2, position-independent, shared, warnings on. */
function compileArgs(output: string, cc: string): { cc: string; args: string[] } {
	const include = nodeIncludeDir();
	const args = ["-O2", "-std=c11", "-Wall", "-Wextra", "-fPIC", "-shared", "-fvisibility=hidden", "-I", include, "-o", output, NATIVE_SOURCE];
	// macOS: Node's symbols (N-API, libuv, OpenSSL) resolve when the module loads, as node-gyp links addons there.
	if (process.platform === "darwin") args.push("-undefined", "dynamic_lookup");
	// Linux: every symbol bound when the module loads (not at its first call), so a node binary that lacks one is a
	// load error here, which falls back, instead of a "symbol lookup error" that ends the process mid-batch.
	else args.push("-Wl,-z,now");
	return { cc, args };
}

/** The compiler's identity for the cache key: its resolved file, size and modification time ("" when not found). */
function compilerIdentity(cc: string): string {
	const candidates = isAbsolute(cc) || cc.includes("/") ? [cc] : (process.env.PATH ?? "").split(delimiter).filter(Boolean).map((d) => join(d, cc));
	for (const candidate of candidates) {
		try {
			const real = realpathSync(candidate);
			const st = statSync(real);
			if (st.isFile()) return `${real}|${st.size}|${st.mtimeMs}`;
		} catch {
			// not this one
		}
	}
	return "";
}

/** Builds the module if it is not in the cache. Returns its path, or throws with a one-line reason. */
export function buildNative(options: BuildOptions = {}): string {
	const compiler = options.cc ?? (process.env.CC || "cc");
	const cacheDir = options.cacheDir ?? CACHE;
	if (process.platform === "win32") throw new Error("the native engine builds on Linux and macOS only");
	const include = nodeIncludeDir();
	for (const header of ["node_api.h", "uv.h", join("openssl", "evp.h")])
		if (!existsSync(join(include, header))) throw new Error(`Node's headers are missing (${join(include, header)})`);
	if (!existsSync(NATIVE_SOURCE)) throw new Error(`the native engine's source is missing (${NATIVE_SOURCE})`);
	const source = readFileSync(NATIVE_SOURCE);
	const probe = compileArgs("OUT", compiler);
	const hash = createHash("sha256").update(source).update("\0").update(process.version).update(process.arch).update(process.platform)
		.update(probe.cc).update(compilerIdentity(compiler)).update(probe.args.join(" ")).digest("hex").slice(0, 32);
	const cached = join(cacheDir, `provision_native-${hash}.node`);
	if (existsSync(cached)) return cached;
	mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
	// Built under a temporary name and renamed: a build cut short never leaves a half module under the real name,
	// and two processes building at once (even from two PID namespaces sharing the directory) each rename a whole one.
	const tmp = `${cached}.${randomBytes(8).toString("hex")}.tmp`;
	const { cc, args } = compileArgs(tmp, compiler);
	try {
		execFileSync(cc, args, { stdio: ["ignore", "ignore", "pipe"], timeout: 120_000 });
		renameSync(tmp, cached);
	} catch (error) {
		rmSync(tmp, { force: true });
		const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
		const detail = e.code === "ENOENT" ? `no C compiler (${cc})` : (e.stderr?.toString().split("\n").find((l) => /error/i.test(l)) ?? e.message).trim();
		throw new Error(`could not compile ${NATIVE_SOURCE}: ${detail.slice(0, 300)}`);
	}
	return cached;
}

/**
 * Compares a loaded engine with its JavaScript twins on fixed inputs (public test values, no secret): a module built
 * against other headers than the running Node's, or miscompiled, is refused before it touches a device.
 */
export function selfTest(engine: NativeEngine): void {
	const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
	const iv = Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i);
	const aad = new TextEncoder().encode("enigm-provision-v1|self-test");
	const plaintext = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
	const sealed = new Uint8Array(80);
	engine.gcmSeal(key, iv, aad, plaintext, sealed);
	const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(aad);
	const expected = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
	if (Buffer.compare(expected, sealed) !== 0) throw new Error("self-test: AES-256-GCM differs from node:crypto");

	const image = Uint8Array.from({ length: 4096 }, (_, i) => (i * 13) & 0xff);
	const entries = Uint32Array.from([64, 96, 4064]);
	const keys = Uint8Array.from({ length: 64 }, (_, i) => i + 3);
	const mine = image.slice();
	engine.xtsEntries(mine, entries, keys);
	const reference = encryptNvsImage(image, { encryption: keys.slice(0, 32), tweak: keys.slice(32) }, { entries });
	if (Buffer.compare(mine, reference) !== 0) throw new Error("self-test: XTS-AES-256 differs from nvs.ts encryptNvsImage");

	// The ESP32-S3 path: the XTS keys derived in C from an HMAC key (nvs_sec_provider.c).
	const hmacKey = Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i);
	const derivedHere = image.slice();
	engine.xtsEntries(derivedHere, entries, hmacKey);
	const derivedReference = encryptNvsImage(image, deriveNvsKeysFromHmac(hmacKey), { entries });
	if (Buffer.compare(derivedHere, derivedReference) !== 0) throw new Error("self-test: XTS-AES-256 from the HMAC key differs from nvs.ts");
}

/**
 * Builds (or finds in the cache), loads and self-tests the native engine; never throws: a failure is the reason. A
 * cached module that does not load or fails the self-test (copied from another machine, say) is deleted, so the next
 * run builds it again; this process, which has loaded it, uses the JavaScript engine.
 */
export function probeNative(options: BuildOptions = {}): EngineStatus {
	let path: string;
	try {
		path = buildNative(options);
	} catch (error) {
		return { engine: "js", reason: (error as Error).message };
	}
	try {
		selfTest(loadNative(path));
		return { engine: "native", path };
	} catch (error) {
		rmSync(path, { force: true });
		return { engine: "js", reason: `${(error as Error).message} (${path} deleted: the next run builds it again)` };
	}
}

let status: EngineStatus | undefined;

/**
 * Which engine a batch runs (main thread; built and self-tested once per process). "auto" (the default, or
 * ENIGM_PROVISION_ENGINE) takes the native engine when it builds; "native" throws when it does not; "js" never
 * builds it.
 */
export function engineStatus(choice: EngineChoice = (process.env.ENIGM_PROVISION_ENGINE as EngineChoice | undefined) || "auto"): EngineStatus {
	if (choice !== "auto" && choice !== "native" && choice !== "js") throw new Error(`engine must be auto, native or js, not ${JSON.stringify(choice)}`);
	if (choice === "js") return { engine: "js", reason: "the JavaScript engine was asked for" };
	status ??= probeNative();
	if (choice === "native" && status.engine !== "native") throw new Error(`native engine unavailable: ${status.reason}`);
	return status;
}
