/**
 * Platform import records written by tools/provision: one JSON object per line, the device key wrapped with
 * AES-256-GCM under the platform import key (shared with the factory), the additional authenticated data binding
 * the device id, serial and board, so a record edited to name another device fails to unwrap.
 *
 * Record (JSON line):
 *   {"v":1,"device_id":"<32 hex>","serial":"<text>","board":"<text>","iv":"<12 bytes>","wrapped_key":"<32-byte
 *    ciphertext followed by the 16-byte tag>","aad":"<optional, see below>"}
 * Binary fields are hex or base64. A separate "tag" field (16 bytes) is accepted too, then wrapped_key is the
 * 32-byte ciphertext alone. camelCase names (deviceId, wrappedKey) are accepted. The AAD is the record's `aad`
 * string when present (it must contain the device id, serial and board), else
 * `enigm-import-v1|<device_id>|<serial>|<board>`.
 */
import { createDecipheriv } from "node:crypto";
import { DEVICE_ID } from "./keys";

export interface ImportRecord {
	readonly deviceId: string;
	readonly serial: string;
	readonly board: string;
	readonly iv: Buffer;
	readonly ciphertext: Buffer;
	readonly tag: Buffer;
	readonly aad: string;
}

export class ImportError extends Error {}

function bytes(v: unknown, what: string): Buffer {
	if (typeof v !== "string" || v.length === 0) throw new ImportError(`${what} missing`);
	if (/^[0-9a-fA-F]+$/.test(v) && v.length % 2 === 0) return Buffer.from(v, "hex");
	if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(v)) return Buffer.from(v, v.includes("-") || v.includes("_") ? "base64url" : "base64");
	throw new ImportError(`${what} is neither hex nor base64`);
}

function text(o: Record<string, unknown>, names: readonly string[], what: string): string {
	for (const n of names) {
		const v = o[n];
		if (typeof v === "string" && v.length > 0 && v.length <= 128 && !/[\u0000-\u001f|]/.test(v)) return v;
	}
	throw new ImportError(`${what} missing or invalid`);
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
	const deviceId = text(o, ["device_id", "deviceId", "id"], "device_id");
	if (!DEVICE_ID.test(deviceId)) throw new ImportError("device_id is not 32 lowercase hex");
	const serial = text(o, ["serial"], "serial");
	const board = text(o, ["board"], "board");
	const iv = bytes(o.iv ?? o.nonce, "iv");
	if (iv.length !== 12) throw new ImportError("iv is not 12 bytes");
	let wrapped = bytes(o.wrapped_key ?? o.wrappedKey ?? o.key_wrapped ?? o.ciphertext, "wrapped_key");
	let tag: Buffer;
	if (o.tag !== undefined || o.auth_tag !== undefined || o.authTag !== undefined) {
		tag = bytes(o.tag ?? o.auth_tag ?? o.authTag, "tag");
	} else {
		if (wrapped.length !== 48) throw new ImportError("wrapped_key is not 48 bytes (ciphertext and tag)");
		tag = wrapped.subarray(32);
		wrapped = wrapped.subarray(0, 32);
	}
	if (wrapped.length !== 32 || tag.length !== 16) throw new ImportError("wrapped key or tag has the wrong size");
	let aad = `enigm-import-v1|${deviceId}|${serial}|${board}`;
	if (o.aad !== undefined) {
		if (typeof o.aad !== "string") throw new ImportError("aad is not a string");
		if (!o.aad.includes(deviceId) || !o.aad.includes(serial) || !o.aad.includes(board))
			throw new ImportError("aad does not bind device id, serial and board");
		aad = o.aad;
	}
	return { deviceId, serial, board, iv, ciphertext: wrapped, tag, aad };
}

/** AES-256-GCM unwrap; throws ImportError (no key material in the message) when authentication fails. */
export function unwrapImportRecord(importKey: Uint8Array, r: ImportRecord): Buffer {
	try {
		const d = createDecipheriv("aes-256-gcm", importKey, r.iv);
		d.setAAD(Buffer.from(r.aad, "utf8"));
		d.setAuthTag(r.tag);
		return Buffer.concat([d.update(r.ciphertext), d.final()]);
	} catch {
		throw new ImportError(`record for ${r.deviceId} does not authenticate under the import key`);
	}
}
