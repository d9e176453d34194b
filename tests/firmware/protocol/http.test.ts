import { suite } from "uvu";
import * as assert from "uvu/assert";
import HttpResponseParser from "modules/protocol/httpResponseParser";
import { serializeRequest } from "modules/protocol/http";
import { decodeLatin1, decodeUtf8, encodeAscii, encodeUtf8 } from "modules/protocol/bytes";
import * as ex from "./fixtures";

const parser = suite("modules/protocol/httpResponseParser");

const responseText =
	"HTTP/1.1 200 OK\r\n" + ex.exampleResponseHead.map(([n, v]) => `${n}: ${v}\r\n`).join("") + "\r\n" + ex.exampleResponseBody;
const responseBytes = encodeAscii(responseText);

function parseAll(bytes: Uint8Array, cuts: number[]) {
	const p = new HttpResponseParser();
	let last = 0;
	let result;
	for (const cut of [...cuts, bytes.length]) {
		const r = p.push(bytes.subarray(last, cut));
		last = cut;
		if (r) {
			result = r;
			if (cut < bytes.length) return { result, rest: bytes.subarray(cut), parser: p };
		}
	}
	return { result, rest: new Uint8Array(0), parser: p };
}

parser("parses the worked response whole", () => {
	const r = new HttpResponseParser().push(responseBytes);
	assert.ok(r?.ok);
	if (!r?.ok) return;
	assert.is(r.response.status, 200);
	assert.is(r.response.reason, "OK");
	assert.equal(r.response.headers, ex.exampleResponseHead);
	assert.is(decodeUtf8(r.response.body), ex.exampleResponseBody);
});

parser("gives the same response whatever byte the input is split at (one and two cuts)", () => {
	const whole = new HttpResponseParser().push(responseBytes);
	for (let i = 0; i <= responseBytes.length; i++) {
		const { result } = parseAll(responseBytes, [i]);
		assert.equal(result, whole, `cut at ${i}`);
	}
	for (let i = 0; i <= responseBytes.length; i += 7)
		for (let j = i; j <= responseBytes.length; j += 5) assert.equal(parseAll(responseBytes, [i, j]).result, whole, `cuts ${i},${j}`);
});

parser("returns nothing until the body is complete, fed a byte at a time", () => {
	const p = new HttpResponseParser();
	for (let i = 0; i < responseBytes.length - 1; i++) assert.is(p.push(responseBytes.subarray(i, i + 1)), undefined, `byte ${i}`);
	assert.ok(p.push(responseBytes.subarray(responseBytes.length - 1))?.ok);
});

parser("keeps bytes after the response in rest", () => {
	const p = new HttpResponseParser();
	const r = p.push(encodeAscii(responseText + "HTTP/1.1 204 No Content\r\n\r\n"));
	assert.ok(r?.ok);
	assert.is(decodeLatin1(p.rest), "HTTP/1.1 204 No Content\r\n\r\n");
	const next = new HttpResponseParser().push(p.rest);
	assert.ok(next?.ok);
	if (next?.ok) assert.is(next.response.body.length, 0);
});

parser("decodes chunked bodies split anywhere (RFC 9112 §7.1), with extensions and trailers", () => {
	const text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n" +
		"5;ext=1\r\n{\"sta\r\n" + "A\r\nte\":\"open\"\r\n" + "1\r\n}\r\n" + "0\r\nX-Trailer: 1\r\n\r\n";
	const bytes = encodeAscii(text);
	for (let i = 0; i <= bytes.length; i++) {
		const { result } = parseAll(bytes, [i]);
		assert.ok(result?.ok, `cut ${i}`);
		if (result?.ok) assert.is(decodeUtf8(result.response.body), "{\"state\":\"open\"}");
	}
});

parser("skips 1xx interim responses", () => {
	const r = new HttpResponseParser().push(encodeAscii("HTTP/1.1 100 Continue\r\n\r\n" + responseText));
	assert.ok(r?.ok);
	if (r?.ok) assert.is(r.response.status, 200);
});

const errors: Array<[string, string, string]> = [
	["status-line", "HTTP/2 200 OK\r\n\r\n", "not HTTP/1.x"],
	["status-line", "HTTP/1.1 20 OK\r\n\r\n", "two-digit status"],
	["status-line", "garbage\r\n\r\n", "garbage"],
	["header", "HTTP/1.1 200 OK\r\nNo-Colon\r\n\r\n", "field without colon"],
	["header", "HTTP/1.1 200 OK\r\nA: 1\r\n  folded\r\n\r\n", "obs-fold"],
	["header", "HTTP/1.1 200 OK\r\nBad Name: 1\r\n\r\n", "space in name"],
	["header", "HTTP/1.1 200 OK\r\nA: caf\u00e9\r\n\r\n", "non-ASCII value"],
	["length", "HTTP/1.1 200 OK\r\n\r\n", "no Content-Length"],
	["length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "negative length"],
	["length", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "conflicting lengths"],
	["length", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported coding"],
	["length", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", "both framings"],
	["body-too-large", "HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n\r\n", "huge body"],
	["chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"],
	["chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc", "chunk without CRLF"],
];

for (const [error, text, name] of errors) {
	parser(`reports ${error} for ${name}`, () => {
		const bytes = new Uint8Array(Array.from(text, (c) => c.charCodeAt(0)));
		const r = new HttpResponseParser().push(bytes);
		assert.ok(r && !r.ok, name);
		if (r && !r.ok) {
			assert.is(r.error, error);
			assert.type(r.detail, "string");
		}
	});
}

parser("reports header-too-large and a connection closed mid-body", () => {
	const big = new HttpResponseParser({ maxHeaderBytes: 64 }).push(encodeAscii("HTTP/1.1 200 OK\r\nX: " + "a".repeat(100)));
	assert.is(big && !big.ok && big.error, "header-too-large");
	const p = new HttpResponseParser();
	assert.is(p.push(responseBytes.subarray(0, 50)), undefined);
	const end = p.end();
	assert.is(!end.ok && end.error, "closed");
	assert.equal(p.push(responseBytes), end, "stays failed");
});

const request = suite("modules/protocol/http serializeRequest");

request("writes request line, fields and body (RFC 9112 §3, §5)", () => {
	const bytes = serializeRequest({ method: "POST", authority: "a.example", path: "/v1/events", headers: [["Host", "a.example"], ["Content-Length", "2"]], body: encodeUtf8("{}") });
	assert.is(decodeLatin1(bytes), "POST /v1/events HTTP/1.1\r\nHost: a.example\r\nContent-Length: 2\r\n\r\n{}");
});

request("refuses header injection", () => {
	assert.throws(() => serializeRequest({ method: "POST", authority: "a", path: "/", headers: [["X", "a\r\nEvil: 1"]], body: new Uint8Array(0) }), RangeError);
	assert.throws(() => serializeRequest({ method: "POST", authority: "a", path: "/", headers: [["X Y", "1"]], body: new Uint8Array(0) }), RangeError);
});

parser.run();
request.run();
