import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
	contentDigest,
	hmacSha256,
	parseDictionary,
	serializeInnerList,
	signatureBase,
	StructuredFieldError,
	type InnerList,
} from "../../../tools/platform/httpSig";
import { verifyRequest, type RequestView } from "../../../tools/platform/verify";
import { encodeResponseBody, signResponse } from "../../../tools/platform/sign";
import { pointMac, pointMacInput } from "../../../tools/platform/messages";

const Rfc = suite("platform httpSig: RFC vectors");

// RFC 9421 Appendix B.1.4: the test-shared-secret key (base64).
const B14 = Buffer.from("uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==", "base64");

Rfc("RFC 9421 B.2.5: hmac-sha256 over date, @authority, content-type reproduces the RFC's signature", () => {
	const input = parseDictionary('sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"').get("sig-b25") as InnerList;
	const base = signatureBase(input, {
		method: "POST",
		authority: "example.com",
		path: "/foo",
		query: "param=Value&Pet=dog",
		fields: new Map([
			["date", ["Tue, 20 Apr 2021 02:07:55 GMT"]],
			["content-type", ["application/json"]],
		]),
	});
	assert.is(
		base,
		'"date": Tue, 20 Apr 2021 02:07:55 GMT\n"@authority": example.com\n"content-type": application/json\n"@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
	);
	assert.is(hmacSha256(B14, base).toString("base64"), "pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=");
	const sig = parseDictionary("sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:").get("sig-b25");
	assert.ok(sig && "value" in sig && sig.value instanceof Uint8Array);
	assert.equal(Buffer.from(sig.value as Uint8Array), hmacSha256(B14, base));
});

Rfc("RFC 9530 §2: Content-Digest of {\"hello\": \"world\"}", () => {
	assert.is(contentDigest(Buffer.from('{"hello": "world"}')), "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
});

Rfc("RFC 8941: inner list with parameters round-trips canonically", () => {
	const text = '("@method" "@path");created=1;keyid="a\\"b";nonce="7"';
	const m = parseDictionary(`enigm=${text}`).get("enigm") as InnerList;
	assert.is(serializeInnerList(m), text);
});

Rfc("RFC 8941: malformed dictionaries are refused", () => {
	for (const bad of ["enigm=(", 'enigm=("a"', "enigm=:abc:", "Enigm=1", "enigm=1,", 'enigm="\u00e9"', "enigm=?2", "enigm=1234567890123456"])
		assert.throws(() => parseDictionary(bad), (e: unknown) => e instanceof StructuredFieldError, bad);
});

const Proto = suite("platform httpSig: docs/protocol.md §9 worked example");

const KEY = Buffer.from("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "hex");
const DEVICE = "5f0c3a9e1b7d4c2a8e6f1032547698ab";
const EVENT = "9d2e41f07ab35c6680e1d4f2a7c9b053";
const BODY = Buffer.from('{"points":[{"s":1,"t":1763783100,"la":473769000,"lo":85417000,"a":5,"al":408,"n":9,"q":"3d","m":"vIdWvjavD9ihk2CH_c9VAA"}]}');
const REQUEST: RequestView = {
	method: "POST",
	authority: "platform.example",
	scheme: "https",
	path: `/v1/events/${EVENT}/locations`,
	fields: new Map([
		["content-type", ["application/json"]],
		["content-length", ["123"]],
		["content-digest", ["sha-256=:GG/2jB8knVSOxWQH9p0YO5xXPOlfJzu6OdJrStQuQeM=:"]],
		["signature-input", [`enigm=("@method" "@authority" "@path" "content-type" "content-digest");created=1763783105;keyid="${DEVICE}";nonce="1042";alg="hmac-sha256";tag="enigm-key-v1"`]],
		["signature", ["enigm=:4KPUToQsW/VCOuaWXeP7NbiKHhuNxNB+vA4XZkGEywM=:"]],
	]),
};

Proto("the point MAC input and m of point 1", () => {
	const p = { s: 1, t: 1763783100, la: 473769000, lo: 85417000, a: 5, al: 408, n: 9, q: "3d" as const };
	assert.is(pointMacInput(EVENT, p), `enigm-point-v1\n${EVENT}\n1,1763783100,473769000,85417000,5,408,9,3d`);
	assert.is(pointMac(KEY, EVENT, p), "vIdWvjavD9ihk2CH_c9VAA");
});

Proto("the example request verifies", () => {
	const v = verifyRequest(REQUEST, BODY, { lookup: (id) => (id === DEVICE ? { key: KEY, revoked: false } : undefined), nowSeconds: 1763783106, createdSkew: 300 });
	assert.ok(v.ok);
	if (v.ok) {
		assert.is(v.nonce, 1042);
		assert.is(v.created, 1763783105);
	}
});

Proto("the example response is reproduced byte for byte", () => {
	const body = encodeResponseBody({ state: "open", event: EVENT, interval: 30, time: 1763783106, ack: 1 });
	assert.is(body.toString(), `{"state":"open","event":"${EVENT}","interval":30,"time":1763783106,"ack":1}`);
	const r = signResponse(KEY, DEVICE, 200, body, REQUEST, 1763783106);
	assert.is(r.headers["content-digest"], "sha-256=:/UpI51P2jpy//UeE5M0V3cS+FsA3coOMonYoaXaIzH8=:");
	assert.is(
		r.headers["signature-input"],
		`enigm=("@status" "content-type" "content-digest" "@method";req "@path";req "signature";req;key="enigm");created=1763783106;keyid="${DEVICE}";alg="hmac-sha256";tag="enigm-platform-v1"`,
	);
	assert.is(r.headers["signature"], "enigm=:97tzu9xNnqPhHVdJLiRyUPNwZdlDs6OUhZFyFiZMLoE=:");
});

Proto("one flipped bit of the body, the key or the nonce fails verification", () => {
	const opts = { nowSeconds: 1763783106, createdSkew: 300 };
	const flipped = Buffer.from(BODY);
	flipped[20] ^= 1;
	const r1 = verifyRequest(REQUEST, flipped, { ...opts, lookup: () => ({ key: KEY, revoked: false }) });
	assert.is(r1.ok ? "ok" : r1.cause, "digest-mismatch");
	const other = Buffer.from(KEY);
	other[0] ^= 1;
	const r2 = verifyRequest(REQUEST, BODY, { ...opts, lookup: () => ({ key: other, revoked: false }) });
	assert.is(r2.ok ? "ok" : r2.cause, "bad-mac");
	const fields = new Map(REQUEST.fields);
	fields.set("signature-input", [REQUEST.fields.get("signature-input")![0]!.replace('nonce="1042"', 'nonce="1043"')]);
	const r3 = verifyRequest({ ...REQUEST, fields }, BODY, { ...opts, lookup: () => ({ key: KEY, revoked: false }) });
	assert.is(r3.ok ? "ok" : r3.cause, "bad-mac");
});

Rfc.run();
Proto.run();
