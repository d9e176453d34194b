/**
 * Response signing, docs/protocol.md §5: RFC 9421 §2.4, the response bound to the request's own signature (which
 * covers its unique nonce), so an "event closed" or "revoked" answer cannot be forged or replayed by a middlebox.
 */
import { type InnerList, type MessageView, contentDigest, hmacSha256, serializeInnerList, signatureBase } from "./httpSig";
import { ALG, LABEL, RESPONSE_TAG } from "./verify";

/** Protocol §5 response body; keys in this order, absent ones omitted. */
export interface ResponseBody {
	state: "open" | "closed" | "revoked" | "suspended" | "error";
	event?: string;
	interval?: number;
	time: number;
	ack?: number;
	error?: string;
	nonce?: number;
}

export function encodeResponseBody(b: ResponseBody): Buffer {
	const ordered: Record<string, unknown> = { state: b.state };
	for (const k of ["event", "interval", "time", "ack", "error", "nonce"] as const) if (b[k] !== undefined) ordered[k] = b[k];
	return Buffer.from(JSON.stringify(ordered), "utf8");
}

export interface SignedResponse {
	readonly status: number;
	readonly headers: Record<string, string>;
	readonly body: Buffer;
}

/**
 * `request` must carry the request's method, path and its Signature field exactly as received.
 */
export function signResponse(
	key: Uint8Array,
	deviceId: string,
	status: number,
	body: Buffer,
	request: MessageView,
	createdSeconds: number,
): SignedResponse {
	const headers: Record<string, string> = {
		"content-type": "application/json",
		"content-digest": contentDigest(body),
	};
	const list: InnerList = {
		items: [
			{ value: "@status", params: new Map() },
			{ value: "content-type", params: new Map() },
			{ value: "content-digest", params: new Map() },
			{ value: "@method", params: new Map([["req", true]]) },
			{ value: "@path", params: new Map([["req", true]]) },
			{ value: "signature", params: new Map<string, string | boolean>([["req", true], ["key", LABEL]]) },
		],
		params: new Map<string, string | number>([
			["created", createdSeconds],
			["keyid", deviceId],
			["alg", ALG],
			["tag", RESPONSE_TAG],
		]),
	};
	const response: MessageView = {
		status,
		fields: new Map(Object.entries(headers).map(([k, v]) => [k, [v]])),
	};
	const base = signatureBase(list, response, request);
	headers["signature-input"] = `${LABEL}=${serializeInnerList(list)}`;
	headers["signature"] = `${LABEL}=:${hmacSha256(key, base).toString("base64")}:`;
	return { status, headers, body };
}
