/**
 * Every reason the platform refuses a device request. `status` and `error` are the wire contract of
 * docs/protocol.md §4 (the firmware acts on them); `cause` is finer and distinct per reason: it goes in the log
 * line, the `refusals` table and, for unsigned refusals only, a `reason` field of the body (the device ignores
 * unsigned bodies, protocol §5, so the extra field cannot change its behaviour).
 */
export interface RefusalKind {
	readonly status: number;
	/** protocol §4 `error` value */
	readonly error: string;
	/** signed (protocol §5) when the request's MAC verified, so the device can trust it */
	readonly signed: boolean;
	readonly meaning: string;
}

export const Refusals = Object.freeze({
	"signature-missing": { status: 422, error: "signature-input", signed: false, meaning: "Signature-Input or Signature absent, or without the enigm member" },
	"signature-malformed": { status: 422, error: "signature-input", signed: false, meaning: "Signature-Input/Signature not RFC 8941, a parameter missing, ill-typed or unknown, bad nonce syntax" },
	"covered-components": { status: 422, error: "signature-input", signed: false, meaning: "covered components not exactly (\"@method\" \"@authority\" \"@path\" \"content-type\" \"content-digest\")" },
	algorithm: { status: 422, error: "signature-input", signed: false, meaning: "alg is not hmac-sha256 or tag is not enigm-key-v1" },
	"digest-missing": { status: 422, error: "signature-input", signed: false, meaning: "no Content-Digest field" },
	"unknown-key": { status: 412, error: "unknown-key", signed: false, meaning: "keyid is not a registered device" },
	"digest-mismatch": { status: 401, error: "bad-signature", signed: false, meaning: "Content-Digest does not match the body received (tampered body)" },
	"bad-mac": { status: 401, error: "bad-signature", signed: false, meaning: "HMAC over the rebuilt signature base does not match (tampered component or wrong key)" },
	revoked: { status: 403, error: "revoked", signed: true, meaning: "the device is revoked (for ever)" },
	// Signed (the MAC verified at step 3) so the device can take the platform's `time` from it and resend at once:
	// network time is untrusted and must not block an alert (issue 9.4).
	created: { status: 422, error: "created", signed: true, meaning: "created more than the allowed skew away from platform time" },
	"nonce-replayed": { status: 409, error: "nonce", signed: true, meaning: "nonce not above the highest accepted for this device" },
	"nonce-window": { status: 409, error: "nonce", signed: true, meaning: "nonce further above the highest accepted than the device's window allows" },
	body: { status: 400, error: "body", signed: true, meaning: "body is not JSON or not the schema of protocol §6" },
	"point-mac": { status: 400, error: "body", signed: true, meaning: "a location point's MAC (protocol §6.2) does not verify: the batch is refused whole" },
	"unknown-event": { status: 404, error: "unknown-event", signed: true, meaning: "no such event for this device" },
	"not-found": { status: 404, error: "not-found", signed: false, meaning: "no such route (checked before verification)" },
	method: { status: 405, error: "method", signed: false, meaning: "device routes take POST only" },
	"too-large": { status: 413, error: "too-large", signed: false, meaning: "body over the size limit" },
} satisfies Record<string, RefusalKind>);

export type Cause = keyof typeof Refusals;
