/**
 * Key wrapping for the platform import records and the batch ledger: AES-256-GCM (NIST SP 800-38D) under the
 * 32-byte platform import key, a fresh random 96-bit IV per wrap, and additional authenticated data that binds the
 * wrapped key to the device id, the serial and the board, so a record edited to another device fails to unwrap.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { chmodSync, closeSync, openSync, readFileSync, writeSync } from "node:fs";

export const WRAP_ALG = "A256GCM";

export type WrapPurpose = "device-key" | "nvs-keys" | "nvs-hmac-key";

export interface Wrapped {
	alg: typeof WRAP_ALG;
	/** platformKeyId() of the wrapping key. */
	kid: string;
	/** 12-byte IV, hex. */
	iv: string;
	/** Ciphertext, hex (same length as the key). */
	ct: string;
	/** 16-byte GCM tag, hex. */
	tag: string;
}

export class WrapError extends Error {
	override name = "WrapError";
}

/** The AAD string, UTF-8: "enigm-provision-v1|<purpose>|<deviceId>|<serial>|<board>" (no field contains "|"). */
export function wrapAad(purpose: WrapPurpose, deviceId: string, serial: string, board: string): string {
	for (const f of [deviceId, serial, board]) if (f.includes("|")) throw new RangeError("AAD field contains '|'");
	return `enigm-provision-v1|${purpose}|${deviceId}|${serial}|${board}`;
}

/** Public identifier of a platform key: first 8 bytes of SHA-256("enigm-platform-import-key-id" || key), hex. */
export function platformKeyId(key: Uint8Array): string {
	return createHash("sha256").update("enigm-platform-import-key-id").update(key).digest("hex").slice(0, 16);
}

/** AES-256-GCM with a 96-bit IV into out = ciphertext | tag (nativeEngine.ts NativeEngine.gcmSeal). */
export interface GcmSealer {
	gcmSeal(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array): void;
}

const sealed = Buffer.alloc(64 + 16);

/**
 * `iv`: 12 fresh random bytes from the caller's CSPRNG draw (a batch draws many at once); by default its own.
 * `kid`: platformKeyId(platformKey), which a batch computes once.
 * `sealer`: the native engine, which does the same AES-GCM without a Cipher object per wrap (the same bytes:
 * tests/tools/provision/native.test.ts).
 */
export function wrapKey(platformKey: Uint8Array, secret: Uint8Array, aad: string, iv: Uint8Array = randomBytes(12), kid = platformKeyId(platformKey), sealer?: GcmSealer): Wrapped {
	if (platformKey.length !== 32) throw new WrapError("platform key must be 32 bytes");
	if (iv.length !== 12) throw new WrapError("IV must be 12 bytes");
	if (sealer && secret.length <= 64) {
		const out = sealed.subarray(0, secret.length + 16);
		sealer.gcmSeal(platformKey, iv, Buffer.from(aad, "utf8"), secret, out);
		const wrapped: Wrapped = {
			alg: WRAP_ALG, kid, iv: Buffer.from(iv.buffer, iv.byteOffset, iv.byteLength).toString("hex"),
			ct: out.toString("hex", 0, secret.length), tag: out.toString("hex", secret.length),
		};
		out.fill(0);
		return wrapped;
	}
	const cipher = createCipheriv("aes-256-gcm", platformKey, iv);
	cipher.setAAD(Buffer.from(aad, "utf8"));
	// GCM is a stream mode: update() returns every ciphertext byte and final() none (it computes the tag), so no
	// concatenation is needed.
	const ct = cipher.update(secret);
	if (cipher.final().length !== 0 || ct.length !== secret.length) throw new WrapError("unexpected AES-GCM output length");
	return { alg: WRAP_ALG, kid, iv: Buffer.from(iv.buffer, iv.byteOffset, iv.byteLength).toString("hex"), ct: ct.toString("hex"), tag: cipher.getAuthTag().toString("hex") };
}

export function unwrapKey(platformKey: Uint8Array, w: Wrapped, aad: string): Uint8Array {
	if (w.alg !== WRAP_ALG || !/^[0-9a-f]{24}$/.test(w.iv) || !/^[0-9a-f]{32}$/.test(w.tag) || !/^([0-9a-f]{2})+$/.test(w.ct))
		throw new WrapError("malformed wrapped key");
	if (w.kid !== platformKeyId(platformKey)) throw new WrapError(`wrapped under platform key ${w.kid}, not ${platformKeyId(platformKey)}`);
	try {
		const decipher = createDecipheriv("aes-256-gcm", platformKey, Buffer.from(w.iv, "hex"));
		decipher.setAAD(Buffer.from(aad, "utf8"));
		decipher.setAuthTag(Buffer.from(w.tag, "hex"));
		const out = Buffer.concat([decipher.update(Buffer.from(w.ct, "hex")), decipher.final()]);
		return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
	} catch {
		throw new WrapError("wrapped key does not authenticate (wrong platform key or record fields changed)");
	}
}

/** Reads a platform key file: 64 hex characters (whitespace ignored), or exactly 32 raw bytes. */
export function readPlatformKey(file: string): Uint8Array {
	const raw = readFileSync(file);
	if (raw.length === 32) return new Uint8Array(raw);
	const text = raw.toString("latin1").trim();
	if (/^[0-9a-fA-F]{64}$/.test(text)) return new Uint8Array(Buffer.from(text, "hex"));
	throw new WrapError(`${file}: not a platform key (expected 64 hex characters or 32 bytes)`);
}

/** Creates a new platform key file (64 hex + newline, mode 0600); refuses to overwrite an existing file. */
export function createPlatformKey(file: string): string {
	const key = randomBytes(32);
	const fd = openSync(file, "wx", 0o600);
	try {
		writeSync(fd, `${key.toString("hex")}\n`);
	} finally {
		closeSync(fd);
	}
	chmodSync(file, 0o600);
	const kid = platformKeyId(key);
	key.fill(0);
	return kid;
}
