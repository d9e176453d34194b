/**
 * Key material at rest. Device keys never sit in the database in clear: each is wrapped with AES-256-GCM under the
 * platform storage key (a 32-byte file outside the database, mode 0600), with the device id as additional data so
 * a wrapped key copied onto another device's row fails to unwrap. The server unwraps a key in memory when it
 * verifies that device's request. The provisioning import key is a different key, shared with the factory; the
 * storage key never leaves the platform.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export const DEVICE_ID = /^[0-9a-f]{32}$/;
const STORAGE_AAD_PREFIX = "enigm-platform-device-key-v1|";

export class KeyError extends Error {}

/** Reads a 32-byte key stored as 64 hex characters (whitespace ignored), or raw 32 bytes. */
export function readKeyFile(file: string): Buffer {
	const raw = readFileSync(file);
	if (raw.length === 32) return Buffer.from(raw);
	const text = raw.toString("latin1").trim();
	if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, "hex");
	if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return Buffer.from(text, "base64");
	// The file name is safe to show; its content is not.
	throw new KeyError(`${file}: not a 32-byte key (expected 64 hex characters)`);
}

/** The platform storage key, created with a CSPRNG on first use. */
export function loadOrCreateKeyFile(file: string): Buffer {
	if (existsSync(file)) return readKeyFile(file);
	mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
	const key = randomBytes(32);
	writeFileSync(file, `${key.toString("hex")}\n`, { mode: 0o600, flag: "wx" });
	chmodSync(file, 0o600);
	return key;
}

export interface WrappedKey {
	/** 12-byte GCM nonce. */
	readonly iv: Buffer;
	/** ciphertext || 16-byte tag. */
	readonly wrapped: Buffer;
}

export function wrapDeviceKey(storageKey: Uint8Array, deviceId: string, key: Uint8Array): WrappedKey {
	if (key.length !== 32) throw new KeyError("device key must be 32 bytes");
	const iv = randomBytes(12);
	const cipher = createCipheriv("aes-256-gcm", storageKey, iv);
	cipher.setAAD(Buffer.from(STORAGE_AAD_PREFIX + deviceId, "utf8"));
	const ct = Buffer.concat([cipher.update(key), cipher.final()]);
	return { iv, wrapped: Buffer.concat([ct, cipher.getAuthTag()]) };
}

export function unwrapDeviceKey(storageKey: Uint8Array, deviceId: string, w: WrappedKey): Buffer {
	if (w.iv.length !== 12 || w.wrapped.length !== 48) throw new KeyError("wrapped key has the wrong size");
	try {
		const decipher = createDecipheriv("aes-256-gcm", storageKey, w.iv);
		decipher.setAAD(Buffer.from(STORAGE_AAD_PREFIX + deviceId, "utf8"));
		decipher.setAuthTag(w.wrapped.subarray(32));
		return Buffer.concat([decipher.update(w.wrapped.subarray(0, 32)), decipher.final()]);
	} catch {
		throw new KeyError(`key of device ${deviceId} does not unwrap under the platform storage key`);
	}
}
