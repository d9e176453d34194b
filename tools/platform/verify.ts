/**
 * Request verification, docs/protocol.md §4 steps 1–5, before anything is processed. Step 6 (the nonce) runs in
 * the same transaction as the processing (platform.ts), so a counter is consumed exactly when its request is.
 */
import {
	type InnerList,
	type MessageView,
	macEquals,
	contentDigest,
	hmacSha256,
	parseDictionary,
	signatureBase,
	StructuredFieldError,
	SignatureBaseError,
} from "./httpSig";
import type { Cause } from "./refusals";
import { DEVICE_ID } from "./keys";

export const LABEL = "enigm";
export const REQUEST_TAG = "enigm-key-v1";
export const RESPONSE_TAG = "enigm-platform-v1";
export const ALG = "hmac-sha256";
export const REQUEST_COMPONENTS = Object.freeze(["@method", "@authority", "@path", "content-type", "content-digest"]);
export const NONCE_MAX = 2147483647;
const NONCE = /^[1-9][0-9]{0,9}$/;
const ALLOWED_PARAMS = new Set(["created", "keyid", "nonce", "alg", "tag"]);

export interface RequestView extends MessageView {
	readonly method: string;
	readonly authority: string;
	readonly path: string;
}

export interface DeviceKeyInfo {
	readonly key: Buffer;
	readonly revoked: boolean;
}

export interface Verified {
	readonly ok: true;
	readonly deviceId: string;
	readonly key: Buffer;
	readonly nonce: number;
	readonly created: number | undefined;
	readonly revoked: boolean;
}

export interface Refused {
	readonly ok: false;
	readonly cause: Cause;
	/** Set once the keyid named a registered device. */
	readonly deviceId?: string;
	/** Set only once the MAC verified: the response may then be signed. */
	readonly key?: Buffer;
	/** Safe to log: never a key, a MAC or a signature value. */
	readonly detail: string;
}

export interface VerifyOptions {
	/** Looks a device up; undefined when the key id is not registered. */
	readonly lookup: (deviceId: string) => DeviceKeyInfo | undefined;
	/** Platform time, Unix seconds. */
	readonly nowSeconds: number;
	/** Allowed |created - now|, seconds (protocol §4 step 5: 300). */
	readonly createdSkew: number;
}

function refuse(cause: Cause, detail: string, deviceId?: string, key?: Buffer): Refused {
	return { ok: false, cause, detail, ...(deviceId ? { deviceId } : {}), ...(key ? { key } : {}) };
}

function single(fields: ReadonlyMap<string, readonly string[]>, name: string): string | undefined {
	const v = fields.get(name);
	if (!v || v.length === 0) return undefined;
	return v.map((x) => x.trim()).join(", ");
}

export function verifyRequest(request: RequestView, body: Uint8Array, options: VerifyOptions): Verified | Refused {
	// Step 1: syntax of the signature fields, the covered list, the parameters, and Content-Digest presence.
	const inputField = single(request.fields, "signature-input");
	const sigField = single(request.fields, "signature");
	if (inputField === undefined || sigField === undefined) return refuse("signature-missing", "Signature-Input or Signature absent");
	let input: InnerList;
	let signature: Uint8Array;
	try {
		const inputs = parseDictionary(inputField);
		const sigs = parseDictionary(sigField);
		const i = inputs.get(LABEL);
		const s = sigs.get(LABEL);
		if (!i || !s) return refuse("signature-missing", `no ${LABEL} member`);
		if (!("items" in i)) return refuse("signature-malformed", "Signature-Input member is not an inner list");
		if ("items" in s || !(s.value instanceof Uint8Array)) return refuse("signature-malformed", "Signature member is not a byte sequence");
		input = i;
		signature = s.value;
	} catch (e) {
		if (e instanceof StructuredFieldError) return refuse("signature-malformed", `structured field: ${e.message}`);
		throw e;
	}
	const names = input.items.map((it) => it.value);
	if (
		names.length !== REQUEST_COMPONENTS.length ||
		names.some((n, k) => n !== REQUEST_COMPONENTS[k] || input.items[k]!.params.size !== 0)
	)
		return refuse("covered-components", "covered components differ from protocol §4");
	const p = input.params;
	for (const k of p.keys()) if (!ALLOWED_PARAMS.has(k)) return refuse("signature-malformed", `unknown parameter ${k}`);
	const keyid = p.get("keyid");
	const nonceRaw = p.get("nonce");
	const alg = p.get("alg");
	const tag = p.get("tag");
	const created = p.get("created");
	if (typeof keyid !== "string" || !DEVICE_ID.test(keyid)) return refuse("signature-malformed", "keyid missing or not 32 lowercase hex");
	if (typeof nonceRaw !== "string" || !NONCE.test(nonceRaw) || Number(nonceRaw) > NONCE_MAX)
		return refuse("signature-malformed", "nonce missing or not a decimal string in 1..2147483647");
	if (created !== undefined && (typeof created !== "number" || !Number.isInteger(created) || created < 0))
		return refuse("signature-malformed", "created is not a non-negative integer");
	if (alg === undefined || tag === undefined) return refuse("signature-malformed", "alg or tag missing");
	if (alg !== ALG || tag !== REQUEST_TAG) return refuse("algorithm", "alg or tag not accepted");
	if (signature.length !== 32) return refuse("signature-malformed", "signature is not 32 bytes");
	const digestField = single(request.fields, "content-digest");
	if (digestField === undefined) return refuse("digest-missing", "no Content-Digest");

	// Step 2: the key id names a registered device.
	const device = options.lookup(keyid);
	if (!device) return refuse("unknown-key", "keyid not registered");

	// Step 3: digest of the body received, then the MAC over the rebuilt base (constant-time compare).
	// protocol §3: the whole field value is compared as a string.
	if (digestField !== contentDigest(body)) return refuse("digest-mismatch", "Content-Digest does not match the body", keyid);
	let base: string;
	try {
		base = signatureBase(input, request);
	} catch (e) {
		if (e instanceof SignatureBaseError) return refuse("signature-malformed", `signature base: ${e.message}`, keyid);
		throw e;
	}
	if (!macEquals(hmacSha256(device.key, base), signature)) return refuse("bad-mac", "HMAC does not verify", keyid);

	// Step 4: revoked devices are refused for ever (signed, so the device can trust it).
	if (device.revoked) return refuse("revoked", "device revoked", keyid, device.key);

	// Step 5: created, only when present.
	if (created !== undefined && Math.abs((created as number) - options.nowSeconds) > options.createdSkew)
		return refuse("created", `created off by ${(created as number) - options.nowSeconds} s`, keyid, device.key);

	return { ok: true, deviceId: keyid, key: device.key, nonce: Number(nonceRaw), created: created as number | undefined, revoked: false };
}
