import type { Keystore } from "hal/keystore";
import { isDeviceId } from "hal/keystore";
import { encodeAscii, equalBytes, toBase64 } from "modules/protocol/bytes";
import { contentDigest } from "modules/protocol/digest";
import { fieldValue, type HttpRequest, type HttpResponse } from "modules/protocol/message";
import { readSignature, serializeSignatureParams, signatureBase, type SignatureInput } from "modules/protocol/signature";
import { type Parameters, paramGet } from "modules/protocol/structuredFields";
import {
	algorithm, contentType, requestComponents, requestTag, responseComponents, responseTag, signatureLabel,
} from "modules/protocol/constants";
import { parseResponseBody, type ResponseBody } from "modules/protocol/messages";

/** What the signer needs of the nonce counter (modules/counter implements it). */
export interface NonceSource {
	next(): number | undefined;
	readonly lastError?: string | undefined;
}

export interface RequestSignerOptions {
	readonly keystore: Keystore;
	readonly counter: NonceSource;
	/** Platform host as in `Host` and `@authority`: lowercase, `:port` only when not 443. */
	readonly host: string;
	/** Wall time in Unix milliseconds when the device knows it (network time), else undefined: no `created` then. */
	readonly wallTime?: () => number | undefined;
}

/** A request ready to serialize (modules/protocol/http `serializeRequest`), with what verification needs. */
export interface SignedRequest extends HttpRequest {
	readonly nonce: number;
	readonly created: number | undefined;
}

export type SignResult =
	| { readonly ok: true; readonly request: SignedRequest }
	| { readonly ok: false; readonly error: "counter-exhausted" | "counter-store" | "keystore" | "invalid-request" };

export type VerifyError =
	| "signature-missing"   // no or malformed Signature-Input / Signature
	| "components"          // covered components differ from docs/protocol.md §5
	| "params"              // keyid, alg, tag or created missing or wrong
	| "content-type"
	| "digest"              // Content-Digest missing or not the body's
	| "mac"                 // HMAC mismatch
	| "body"                // body does not parse as a response body
	| "keystore";

export type VerifyResult =
	| { readonly ok: true; readonly status: number; readonly body: ResponseBody; readonly created: number }
	| { readonly ok: false; readonly error: VerifyError };

const pathPattern = /^\/[A-Za-z0-9\-._~/]*$/;
const hostPattern = /^[a-z0-9.-]+(:[0-9]{1,5})?$/;

/**
 * Signs requests per docs/protocol.md §4 (RFC 9421, hmac-sha256, label `enigm`) and verifies the platform's
 * responses per §5. Each `sign` consumes one counter value; a retry is a new `sign` (a new nonce).
 */
export default class RequestSigner {
	readonly #keystore: Keystore;
	readonly #counter: NonceSource;
	readonly #host: string;
	readonly #wallTime: (() => number | undefined) | undefined;

	constructor(options: RequestSignerOptions) {
		const { keystore, counter, host, wallTime } = options ?? ({} as RequestSignerOptions);
		if (!keystore || typeof keystore.hmacSha256 !== "function" || !isDeviceId(keystore.deviceId)) throw new TypeError("invalid keystore");
		if (!counter || typeof counter.next !== "function") throw new TypeError("invalid counter");
		if (typeof host !== "string" || !hostPattern.test(host)) throw new RangeError("invalid host");
		if (wallTime !== undefined && typeof wallTime !== "function") throw new TypeError("invalid wallTime");
		this.#keystore = keystore;
		this.#counter = counter;
		this.#host = host;
		this.#wallTime = wallTime;
	}

	get deviceId(): string {
		return this.#keystore.deviceId;
	}

	/** Signs `POST <path>` with a JSON `body` (already encoded). */
	sign(path: string, body: Uint8Array, method = "POST"): SignResult {
		if (typeof path !== "string" || !pathPattern.test(path) || !(body instanceof Uint8Array) || !/^[A-Z]+$/.test(method))
			return { ok: false, error: "invalid-request" };
		const nonce = this.#counter.next();
		if (nonce === undefined)
			return { ok: false, error: this.#counter.lastError === "exhausted" ? "counter-exhausted" : "counter-store" };
		const ms = this.#wallTime?.();
		const created = typeof ms === "number" && Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : undefined;
		const params: Parameters = [];
		if (created !== undefined) params.push(["created", created]);
		params.push(["keyid", this.#keystore.deviceId], ["nonce", String(nonce)], ["alg", algorithm], ["tag", requestTag]);
		const input: SignatureInput = { components: requestComponents, params };
		const unsigned: HttpRequest = {
			method,
			authority: this.#host,
			path,
			headers: [
				["Host", this.#host],
				["Content-Type", contentType],
				["Content-Length", String(body.length)],
				["Content-Digest", contentDigest(body)],
			],
			body,
		};
		const paramsText = serializeSignatureParams(input);
		const base = encodeAscii(signatureBase(input, unsigned, undefined, paramsText)); // cannot fail: every component is present
		let mac: Uint8Array;
		try {
			mac = this.#keystore.hmacSha256(base);
		} catch {
			return { ok: false, error: "keystore" };
		}
		const headers = unsigned.headers.concat([
			["Signature-Input", `${signatureLabel}=${paramsText}`],
			["Signature", `${signatureLabel}=:${toBase64(mac)}:`],
		]);
		return { ok: true, request: { ...unsigned, headers, nonce, created } };
	}

	/** Verifies a response to `request` (docs/protocol.md §5, "Device verification"). */
	verifyResponse(request: HttpRequest, response: HttpResponse): VerifyResult {
		return verifyResponse(this.#keystore, request, response);
	}
}

function sameComponents(a: SignatureInput["components"], b: SignatureInput["components"]): boolean {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) {
		if (a[i].name !== b[i].name || a[i].params.length !== b[i].params.length) return false;
		for (let j = 0; j < a[i].params.length; j++) {
			const [k, v] = a[i].params[j], [k2, v2] = b[i].params[j];
			if (k !== k2 || v !== v2) return false;
		}
	}
	return true;
}

/** The device-side response check of docs/protocol.md §5; anything but ok is a transport failure to the caller. */
export function verifyResponse(keystore: Keystore, request: HttpRequest, response: HttpResponse): VerifyResult {
	let parsed;
	try {
		parsed = readSignature(response.headers, signatureLabel);
	} catch {
		return { ok: false, error: "signature-missing" };
	}
	const { input, signature } = parsed;
	if (!sameComponents(input.components, responseComponents)) return { ok: false, error: "components" };
	const params = input.params;
	const created = paramGet(params, "created");
	if (
		params.length !== 4 ||
		typeof created !== "number" ||
		paramGet(params, "keyid") !== keystore.deviceId ||
		paramGet(params, "alg") !== algorithm ||
		paramGet(params, "tag") !== responseTag
	)
		return { ok: false, error: "params" };
	if (fieldValue(response.headers, "content-type") !== contentType) return { ok: false, error: "content-type" };
	const digest = fieldValue(response.headers, "content-digest");
	if (digest === undefined || digest !== contentDigest(response.body)) return { ok: false, error: "digest" };
	let base: string;
	try {
		base = signatureBase(input, response, request);
	} catch {
		return { ok: false, error: "signature-missing" };
	}
	let mac: Uint8Array;
	try {
		mac = keystore.hmacSha256(encodeAscii(base));
	} catch {
		return { ok: false, error: "keystore" };
	}
	if (!equalBytes(mac, signature)) return { ok: false, error: "mac" };
	const body = parseResponseBody(response.body);
	if (!body) return { ok: false, error: "body" };
	return { ok: true, status: response.status, body, created };
}
