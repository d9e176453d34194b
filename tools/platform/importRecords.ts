/**
 * Platform import records written by tools/provision (`platform-import.jsonl`, one JSON object per line):
 *
 *   {"type":"enigm.provision.device","v":1,"deviceId":"<32 hex>","serial":"<text>","board":"<board>",
 *    "keyStore":"<nvs|efuse…>","key":{"alg":"A256GCM","kid":"<16 hex>","iv":"<24 hex>","ct":"<64 hex>",
 *    "tag":"<32 hex>"},"createdAt":<…>}
 *
 * The device key is wrapped with AES-256-GCM under the platform import key (shared with the factory). The
 * additional authenticated data `enigm-provision-v1|device-key|<deviceId>|<serial>|<board>` binds it to the
 * device, so a record edited to name another device fails to unwrap. `kid` is the first 8 bytes of
 * SHA-256("enigm-platform-import-key-id" || import key), hex: a record wrapped under another import key is named
 * as such instead of failing as "tampered". Parsed here independently of tools/provision/wrap.ts.
 */
import { createDecipheriv, createHash } from "node:crypto";
import { DEVICE_ID } from "./keys";

export interface ImportRecord {
	readonly deviceId: string;
	readonly serial: string;
	readonly board: string;
	readonly keyStore: string;
	readonly kid: string;
	readonly iv: Buffer;
	readonly ciphertext: Buffer;
	readonly tag: Buffer;
	readonly aad: string;
}

export class ImportError extends Error {}

function hexField(o: Record<string, unknown>, k: string, bytes: number): Buffer {
	const v = o[k];
	if (typeof v !== "string" || v.length !== bytes * 2 || !/^[0-9a-f]+$/.test(v)) throw new ImportError(`key.${k} is not ${bytes} bytes of lowercase hex`);
	return Buffer.from(v, "hex");
}

function text(o: Record<string, unknown>, k: string): string {
	const v = o[k];
	if (typeof v !== "string" || v.length === 0 || v.length > 128 || /[\u0000-\u001f|]/.test(v)) throw new ImportError(`${k} missing or invalid`);
	return v;
}

/** Public id of an import key (same derivation as tools/provision). */
export function importKeyId(key: Uint8Array): string {
	return createHash("sha256").update("enigm-platform-import-key-id").update(key).digest("hex").slice(0, 16);
}

/** Parses one line; errors name the field, never its content. */
export function parseImportRecord(line: string): ImportRecord {
	let o: Record<string, unknown>;
	try {
		const v: unknown = JSON.parse(line);
		if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error();
		o = v as Record<string, unknown>;
	} catch {
		throw new ImportError("record is not a JSON object");
	}
	if (o.type !== "enigm.provision.device" || o.v !== 1) throw new ImportError("not an enigm.provision.device v1 record");
	const deviceId = text(o, "deviceId");
	if (!DEVICE_ID.test(deviceId)) throw new ImportError("deviceId is not 32 lowercase hex");
	const serial = text(o, "serial");
	const board = text(o, "board");
	const keyStore = typeof o.keyStore === "string" ? o.keyStore : "unknown";
	const k = o.key;
	if (typeof k !== "object" || k === null || Array.isArray(k)) throw new ImportError("key missing");
	const key = k as Record<string, unknown>;
	if (key.alg !== "A256GCM") throw new ImportError("key.alg is not A256GCM");
	if (typeof key.kid !== "string" || !/^[0-9a-f]{16}$/.test(key.kid)) throw new ImportError("key.kid is not 16 hex");
	return {
		deviceId,
		serial,
		board,
		keyStore,
		kid: key.kid,
		iv: hexField(key, "iv", 12),
		ciphertext: hexField(key, "ct", 32),
		tag: hexField(key, "tag", 16),
		aad: `enigm-provision-v1|device-key|${deviceId}|${serial}|${board}`,
	};
}

/** AES-256-GCM unwrap; throws ImportError (no key material in the message) when authentication fails. */
export function unwrapImportRecord(importKey: Uint8Array, r: ImportRecord): Buffer {
	if (r.kid !== importKeyId(importKey)) throw new ImportError(`record for ${r.deviceId} is wrapped under import key ${r.kid}, not ${importKeyId(importKey)}`);
	try {
		const d = createDecipheriv("aes-256-gcm", importKey, r.iv);
		d.setAAD(Buffer.from(r.aad, "utf8"));
		d.setAuthTag(r.tag);
		return Buffer.concat([d.update(r.ciphertext), d.final()]);
	} catch {
		throw new ImportError(`record for ${r.deviceId} does not authenticate under the import key`);
	}
}
