import { suite } from "uvu";
import * as assert from "uvu/assert";
import RequestSigner from "modules/protocol/requestSigner";
import { serializeRequest } from "modules/protocol/http";
import { decodeLatin1, encodeUtf8, toBase64 } from "modules/protocol/bytes";
import type { HttpResponse } from "modules/protocol/message";
import { fieldValue } from "modules/protocol/message";
import { readSignature, signatureBase } from "modules/protocol/signature";
import { paramGet } from "modules/protocol/structuredFields";
import { routes } from "modules/protocol/constants";
import { sha256 } from "modules/protocol/sha256";
import * as ex from "./fixtures";

const signer = suite("modules/protocol/requestSigner");

function exampleSigner(wallTime?: () => number | undefined, nonce = ex.exampleNonce) {
	let n = nonce;
	return new RequestSigner({ keystore: ex.exampleKeystore(), counter: { next: () => n++ }, host: ex.exampleHost, wallTime });
}

function signExample() {
	const r = exampleSigner(() => ex.exampleCreatedMs).sign(routes.locations(ex.exampleEventId), encodeUtf8(ex.exampleBody));
	if (!r.ok) throw new Error(r.error);
	return r.request;
}

const exampleResponse: HttpResponse = { status: 200, reason: "OK", headers: ex.exampleResponseHead, body: encodeUtf8(ex.exampleResponseBody) };

signer("reproduces the docs/protocol.md worked request byte for byte (computed with node:crypto)", () => {
	const request = signExample();
	assert.is(decodeLatin1(serializeRequest(request)), ex.exampleRequestText);
	assert.is(request.nonce, 1042);
	assert.is(request.created, 1763783105);
});

signer("omits created when the wall time is unknown, and still signs", () => {
	for (const wallTime of [undefined, () => undefined, () => NaN]) {
		const r = exampleSigner(wallTime).sign(routes.open, encodeUtf8("{}"));
		assert.ok(r.ok);
		if (!r.ok) continue;
		const input = fieldValue(r.request.headers, "signature-input")!;
		assert.not.match(input, "created");
		assert.match(input, /^enigm=\("@method" "@authority" "@path" "content-type" "content-digest"\);keyid="5f0c3a9e1b7d4c2a8e6f1032547698ab";nonce="1042";alg="hmac-sha256";tag="enigm-key-v1"$/);
	}
});

signer("its output parses back and its MAC recomputes over the rebuilt base", () => {
	const request = signExample();
	const { input, signature } = readSignature(request.headers, "enigm");
	assert.is(paramGet(input.params, "nonce"), "1042");
	assert.is(paramGet(input.params, "keyid"), ex.exampleDeviceId);
	const base = signatureBase(input, request);
	const ks = ex.exampleKeystore();
	assert.is(toBase64(ks.hmacSha256(encodeUtf8(base))), toBase64(signature));
});

signer("every signature uses a fresh, increasing nonce", () => {
	const s = exampleSigner(undefined, 7);
	const nonces = [1, 2, 3].map(() => {
		const r = s.sign(routes.open, encodeUtf8("{}"));
		return r.ok ? r.request.nonce : -1;
	});
	assert.equal(nonces, [7, 8, 9]);
});

signer("reports counter exhaustion, store failure and bad input as results", () => {
	const ks = ex.exampleKeystore();
	const exhausted = new RequestSigner({ keystore: ks, counter: { next: () => undefined, lastError: "exhausted" }, host: "h.example" });
	assert.equal(exhausted.sign("/v1/events", new Uint8Array(0)), { ok: false, error: "counter-exhausted" });
	const broken = new RequestSigner({ keystore: ks, counter: { next: () => undefined, lastError: "store" }, host: "h.example" });
	assert.equal(broken.sign("/v1/events", new Uint8Array(0)), { ok: false, error: "counter-store" });
	assert.equal(broken.sign("no-slash", new Uint8Array(0)), { ok: false, error: "invalid-request" });
	assert.equal(broken.sign("/a b", new Uint8Array(0)), { ok: false, error: "invalid-request" });
	const closed = ex.exampleKeystore();
	const s = new RequestSigner({ keystore: closed, counter: { next: () => 1 }, host: "h.example" });
	closed.close();
	assert.equal(s.sign("/v1/events", new Uint8Array(0)), { ok: false, error: "keystore" });
});

signer("refuses bad options at construction", () => {
	const ks = ex.exampleKeystore();
	const counter = { next: () => 1 };
	assert.throws(() => new RequestSigner({ keystore: ks, counter, host: "Bad Host" }), RangeError);
	assert.throws(() => new RequestSigner({ keystore: { deviceId: "imei", hmacSha256: () => new Uint8Array(32), close() {} }, counter, host: "a.example" }), TypeError);
	assert.throws(() => new RequestSigner({ keystore: ks, counter: {} as never, host: "a.example" }), TypeError);
});

const verify = suite("modules/protocol/requestSigner response verification");

verify("accepts the docs/protocol.md worked response (signed with node:crypto)", () => {
	const request = signExample();
	const r = exampleSigner().verifyResponse(request, exampleResponse);
	assert.ok(r.ok, JSON.stringify(r));
	if (!r.ok) return;
	assert.is(r.status, 200);
	assert.is(r.created, 1763783106);
	assert.equal(r.body, { state: "open", event: ex.exampleEventId, interval: 30, time: 1763783106, ack: 1 });
});

function withHeader(name: string, value: string | undefined): HttpResponse {
	const headers = exampleResponse.headers.filter(([n]) => n.toLowerCase() !== name.toLowerCase());
	return { ...exampleResponse, headers: value === undefined ? headers : headers.concat([[name, value]]) };
}

const sigInput = ex.exampleResponseHead[3][1];

const tampered: Array<[string, () => HttpResponse]> = [
	["status 200 -> 403", () => ({ ...exampleResponse, status: 403 })],
	["status 200 -> 201", () => ({ ...exampleResponse, status: 201 })],
	["one body byte", () => ({ ...exampleResponse, body: encodeUtf8(ex.exampleResponseBody.replace("open", "clos")) })],
	["body replaced with a matching Content-Digest", () => {
		const body = "{\"state\":\"closed\",\"event\":\"9d2e41f07ab35c6680e1d4f2a7c9b053\",\"time\":1763783106}";
		return { ...withHeader("Content-Digest", "sha-256=:" + toBase64(sha(body)) + ":"), body: encodeUtf8(body) };
	}],
	["Content-Digest removed", () => withHeader("Content-Digest", undefined)],
	["Content-Type changed", () => withHeader("Content-Type", "text/plain")],
	["Content-Type removed", () => withHeader("Content-Type", undefined)],
	["Signature removed", () => withHeader("Signature", undefined)],
	["Signature-Input removed", () => withHeader("Signature-Input", undefined)],
	["unsigned", () => ({ ...exampleResponse, headers: exampleResponse.headers.slice(0, 3) })],
	["signature bit flipped", () => withHeader("Signature", "enigm=:97tzu9xNnqPhHVdJLiRyUPNwZdlDs6OUhZFyFiZMLoF=:")],
	["signature truncated", () => withHeader("Signature", "enigm=:97tzu9xNnqPhHVdJLiRyUPNwZdlDs6OUhZFyFiZM:")],
	["other label", () => ({ ...withHeader("Signature", "other=:97tzu9xNnqPhHVdJLiRyUPNwZdlDs6OUhZFyFiZMLoE=:") })],
	["created changed", () => withHeader("Signature-Input", sigInput.replace("created=1763783106", "created=1763783107"))],
	["created dropped", () => withHeader("Signature-Input", sigInput.replace(";created=1763783106", ""))],
	["created as a string", () => withHeader("Signature-Input", sigInput.replace("created=1763783106", "created=\"1763783106\""))],
	["keyid of another device", () => withHeader("Signature-Input", sigInput.replace("5f0c3a9e", "5f0c3a9f"))],
	["keyid dropped", () => withHeader("Signature-Input", sigInput.replace(/;keyid="[0-9a-f]+"/, ""))],
	["alg changed", () => withHeader("Signature-Input", sigInput.replace("hmac-sha256", "ed25519"))],
	["alg dropped", () => withHeader("Signature-Input", sigInput.replace(";alg=\"hmac-sha256\"", ""))],
	["tag of a request", () => withHeader("Signature-Input", sigInput.replace("enigm-platform-v1", "enigm-key-v1"))],
	["tag dropped", () => withHeader("Signature-Input", sigInput.replace(";tag=\"enigm-platform-v1\"", ""))],
	["extra parameter", () => withHeader("Signature-Input", sigInput + ";nonce=\"1\"")],
	["@status not covered", () => withHeader("Signature-Input", sigInput.replace("\"@status\" ", ""))],
	["request signature not covered", () => withHeader("Signature-Input", sigInput.replace(" \"signature\";req;key=\"enigm\"", ""))],
	["@path;req not covered", () => withHeader("Signature-Input", sigInput.replace(" \"@path\";req", ""))],
	["components reordered", () => withHeader("Signature-Input", sigInput.replace("\"content-type\" \"content-digest\"", "\"content-digest\" \"content-type\""))],
	["component added", () => withHeader("Signature-Input", sigInput.replace("(\"@status\"", "(\"@status\" \"content-length\""))],
	["malformed Signature-Input", () => withHeader("Signature-Input", "enigm=(\"@status\"")],
];

// An attacker's body with its correct digest (SHA-256 itself is pinned by the vectors in sha256.test.ts).
function sha(text: string): Uint8Array {
	return sha256(encodeUtf8(text));
}

for (const [name, make] of tampered) {
	verify(`rejects a response with ${name}`, () => {
		const r = exampleSigner().verifyResponse(signExample(), make());
		assert.not.ok(r.ok, name);
	});
}

verify("rejects the genuine response when it answers another request (method, path or nonce differ)", () => {
	const request = signExample();
	const s = exampleSigner();
	assert.not.ok(s.verifyResponse({ ...request, method: "PUT" }, exampleResponse).ok, "method");
	assert.not.ok(s.verifyResponse({ ...request, path: routes.close(ex.exampleEventId) }, exampleResponse).ok, "path");
	const later = exampleSigner(() => ex.exampleCreatedMs, 1043).sign(routes.locations(ex.exampleEventId), encodeUtf8(ex.exampleBody));
	assert.ok(later.ok);
	if (later.ok) assert.not.ok(s.verifyResponse(later.request, exampleResponse).ok, "replayed to a later request with another nonce");
});

verify("rejects a response verified with another device's key", () => {
	const other = new RequestSigner({
		keystore: { deviceId: ex.exampleDeviceId, hmacSha256: () => new Uint8Array(32), close() {} },
		counter: { next: () => 1 },
		host: ex.exampleHost,
	});
	assert.equal(other.verifyResponse(signExample(), exampleResponse), { ok: false, error: "mac" });
});

signer.run();
verify.run();
