import { suite } from "uvu";
import * as assert from "uvu/assert";
import { component, componentValue, readSignature, serializeSignatureParams, signatureBase } from "modules/protocol/signature";
import type { HttpRequest, HttpResponse } from "modules/protocol/message";
import { hmacSha256 } from "modules/protocol/sha256";
import { encodeAscii, encodeUtf8, fromBase64, toBase64 } from "modules/protocol/bytes";

const sig = suite("modules/protocol/signature (RFC 9421)");

// RFC 9421 Appendix B.2 `test-request` and `test-response` (RFC 8792 line wrapping undone).
const testRequest: HttpRequest = {
	method: "POST",
	authority: "example.com",
	path: "/foo",
	query: "param=Value&Pet=dog",
	headers: [
		["Host", "example.com"],
		["Date", "Tue, 20 Apr 2021 02:07:55 GMT"],
		["Content-Type", "application/json"],
		["Content-Digest", "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"],
		["Content-Length", "18"],
	],
	body: encodeUtf8("{\"hello\": \"world\"}"),
};

// RFC 9421 Appendix B.1.4 `test-shared-secret`
const testSharedSecret = fromBase64("uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==");

sig("reproduces RFC 9421 B.2.5 (hmac-sha256): signature base byte for byte and the signature value", () => {
	const input = { components: [component("date"), component("@authority"), component("content-type")], params: [["created", 1618884473], ["keyid", "test-shared-secret"]] as Array<[string, number | string]> };
	const base = signatureBase(input, testRequest);
	assert.is(
		base,
		"\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n" +
			"\"@authority\": example.com\n" +
			"\"content-type\": application/json\n" +
			"\"@signature-params\": (\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\"",
	);
	assert.is(serializeSignatureParams(input), "(\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\"");
	assert.is(toBase64(hmacSha256(testSharedSecret, encodeAscii(base))), "pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=");
});

sig("reproduces the RFC 9421 §2.5 example signature base", () => {
	const request: HttpRequest = { ...testRequest, headers: testRequest.headers.filter(([n]) => n !== "Date").concat([]) };
	const input = {
		components: ["@method", "@authority", "@path", "content-digest", "content-length", "content-type"].map((n) => component(n)),
		params: [["created", 1618884473], ["keyid", "test-key-rsa-pss"]] as Array<[string, number | string]>,
	};
	assert.is(
		signatureBase(input, request),
		"\"@method\": POST\n\"@authority\": example.com\n\"@path\": /foo\n" +
			"\"content-digest\": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:\n" +
			"\"content-length\": 18\n\"content-type\": application/json\n" +
			"\"@signature-params\": (\"@method\" \"@authority\" \"@path\" \"content-digest\" \"content-length\" \"content-type\");created=1618884473;keyid=\"test-key-rsa-pss\"",
	);
});

sig("reproduces the RFC 9421 §2.4 request-response base (;req components)", () => {
	const response: HttpResponse = {
		status: 503,
		reason: "Service Unavailable",
		headers: [
			["Date", "Tue, 20 Apr 2021 02:07:56 GMT"],
			["Content-Type", "application/json"],
			["Content-Length", "62"],
			["Content-Digest", "sha-512=:0Y6iCBzGg5rZtoXS95Ijz03mslf6KAMCloESHObfwnHJDbkkWWQz6PhhU9kxsTbARtY2PTBOzq24uJFpHsMuAg==:"],
		],
		body: encodeUtf8("{\"busy\": true, \"message\": \"Your call is very important to us\"}"),
	};
	const req = [["req", true]] as Array<[string, boolean]>;
	const input = {
		components: [
			component("@status"), component("content-digest"), component("content-type"),
			component("@authority", req), component("@method", req), component("@path", req), component("content-digest", req),
		],
		params: [["created", 1618884479], ["keyid", "test-key-ecc-p256"]] as Array<[string, number | string]>,
	};
	assert.is(
		signatureBase(input, response, testRequest),
		"\"@status\": 503\n" +
			"\"content-digest\": sha-512=:0Y6iCBzGg5rZtoXS95Ijz03mslf6KAMCloESHObfwnHJDbkkWWQz6PhhU9kxsTbARtY2PTBOzq24uJFpHsMuAg==:\n" +
			"\"content-type\": application/json\n" +
			"\"@authority\";req: example.com\n\"@method\";req: POST\n\"@path\";req: /foo\n" +
			"\"content-digest\";req: sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:\n" +
			"\"@signature-params\": (\"@status\" \"content-digest\" \"content-type\" \"@authority\";req \"@method\";req \"@path\";req \"content-digest\";req);created=1618884479;keyid=\"test-key-ecc-p256\"",
	);
});

sig("resolves dictionary members strictly (RFC 9421 §2.1.2 examples)", () => {
	const m: HttpRequest = { ...testRequest, headers: [["Example-Dict", " a=1, b=2;x=1;y=2, c=(a   b    c), d"]] };
	assert.is(componentValue(component("example-dict", [["key", "a"]]), m), "1");
	assert.is(componentValue(component("example-dict", [["key", "d"]]), m), "?1");
	assert.is(componentValue(component("example-dict", [["key", "b"]]), m), "2;x=1;y=2");
	assert.is(componentValue(component("example-dict", [["key", "c"]]), m), "(a b c)");
	assert.is(componentValue(component("example-dict", [["sf", true]]), m), "a=1, b=2;x=1;y=2, c=(a b c), d");
	assert.throws(() => componentValue(component("example-dict", [["key", "z"]]), m), /no member/);
});

sig("combines repeated fields with ', ' and trims them (RFC 9421 §2.1)", () => {
	const m: HttpRequest = { ...testRequest, headers: [["Cache-Control", "max-age=60"], ["cache-control", "   must-revalidate"]] };
	assert.is(componentValue(component("cache-control"), m), "max-age=60, must-revalidate");
});

sig("fails the base for absent fields, duplicates, unknown parameters, ;req in a request and @status in a request", () => {
	const p = [] as Array<[string, string]>;
	assert.throws(() => signatureBase({ components: [component("x-missing")], params: p }, testRequest), /absent/);
	assert.throws(() => signatureBase({ components: [component("date"), component("date")], params: p }, testRequest), /twice/);
	assert.throws(() => signatureBase({ components: [component("date", [["bogus", true]])], params: p }, testRequest), /unsupported/);
	assert.throws(() => signatureBase({ components: [component("@method", [["req", true]])], params: p }, testRequest), /request/);
	assert.throws(() => signatureBase({ components: [component("@status")], params: p }, testRequest), /cannot be resolved/);
	assert.throws(() => signatureBase({ components: [component("@unknown")], params: p }, testRequest), /cannot be resolved/);
});

sig("reads a labelled signature back from Signature-Input and Signature", () => {
	const headers: Array<[string, string]> = [
		["Signature-Input", "sig-b25=(\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\""],
		["Signature", "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:"],
	];
	const { input, signature } = readSignature(headers, "sig-b25");
	assert.equal(input.components.map((c) => c.name), ["date", "@authority", "content-type"]);
	assert.is(toBase64(signature), "pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=");
	const base = signatureBase(input, testRequest);
	assert.is(toBase64(hmacSha256(testSharedSecret, encodeAscii(base))), toBase64(signature));
	assert.throws(() => readSignature(headers, "other"), /no Signature-Input/);
	assert.throws(() => readSignature([headers[0]], "sig-b25"), /missing/);
});

sig.run();
