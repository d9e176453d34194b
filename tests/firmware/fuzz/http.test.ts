import { suite } from "uvu";
import * as assert from "uvu/assert";
import HttpResponseParser from "modules/protocol/httpResponseParser";
import { ascii, fuzzTest, linearTest } from "./harness";
import { http } from "./targets";

const test = suite("fuzz: modules/protocol/httpResponseParser");

fuzzTest(test, http, 100, 600);

/** Issue 8: `HTTP/1.1 200 OK\r\nX:` + N spaces + `\x01\r\n\r\n` took 0.25 s at N=1000 and 1.8 s at N=2000 (cubic). */
const spaces = (n: number) => ascii("HTTP/1.1 200 OK\r\nX:" + " ".repeat(n) + "\x01\r\n\r\n");

test("N spaces then \\x01 in a field value is a header error at once (issue 8 regression)", () => {
	for (const n of [1000, 2000, 8000 - 30]) {
		const r = new HttpResponseParser().push(spaces(n));
		assert.ok(r && !r.ok, `N=${n}`);
		if (r && !r.ok) assert.is(r.error, "header");
	}
	// Past maxHeaderBytes it is refused for size before any line is checked.
	const big = new HttpResponseParser().push(spaces(9000));
	assert.is(big && !big.ok && big.error, "header-too-large");
});

linearTest(test, "N-spaces field value (issue 8)", (n) => {
	const bytes = spaces(n);
	return () => void new HttpResponseParser().push(bytes);
}, 3000, 150);

linearTest(test, "a head fed one byte at a time", (n) => {
	const bytes = ascii("HTTP/1.1 200 OK\r\n" + "X-A: b\r\n".repeat(Math.floor(n / 8)) + "Content-Length: 0\r\n\r\n");
	return () => {
		const p = new HttpResponseParser();
		for (let i = 0; i < bytes.length; i++) p.push(bytes.subarray(i, i + 1));
	};
}, 3000, 1000);

linearTest(test, "a chunked body of one-byte chunks", (n) => {
	const bytes = ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + "1\r\nx\r\n".repeat(n) + "0\r\n\r\n");
	return () => void new HttpResponseParser().push(bytes);
}, 4000, 2000);

test("bytes held stay bounded on an endless head without a line end, then the error is final", () => {
	const p = new HttpResponseParser();
	const junk = new Uint8Array(1024).fill(0x41);
	let r;
	for (let i = 0; i < 64 && !r; i++) {
		r = p.push(junk);
		assert.ok(p.retained <= 2 * 8192, `retained ${p.retained}`);
	}
	assert.is(r && !r.ok && r.error, "header-too-large");
	assert.is(p.retained, 0);
});

test("a bare LF or CR in the head is a header error, not a line end (RFC 9112 §2.2)", () => {
	for (const text of ["HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", "HTTP/1.1 200 OK\r\nA: 1\rB: 2\r\n\r\n"]) {
		const r = new HttpResponseParser().push(ascii(text));
		assert.ok(r && !r.ok && (r.error === "header" || r.error === "status-line"), JSON.stringify(text));
	}
});

test.run();
