import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
	decodeUtf8, encodeAscii, encodeUtf8, equalBytes, equalStrings, fromBase64, fromBase64Url, fromHex, toBase64, toBase64Url, toHex,
} from "modules/protocol/bytes";

const bytes = suite("modules/protocol/bytes");

// RFC 4648 §10 test vectors
const rfc4648: Array<[string, string]> = [["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foob", "Zm9vYg=="], ["fooba", "Zm9vYmE="], ["foobar", "Zm9vYmFy"]];

bytes("base64 encodes and decodes the RFC 4648 §10 vectors", () => {
	for (const [plain, coded] of rfc4648) {
		assert.is(toBase64(encodeAscii(plain)), coded);
		assert.equal(Array.from(fromBase64(coded)), Array.from(encodeAscii(plain)));
		assert.is(toBase64Url(encodeAscii(plain)), coded.replace(/=/g, ""));
		assert.equal(Array.from(fromBase64Url(coded.replace(/=/g, ""))), Array.from(encodeAscii(plain)));
	}
});

bytes("base64url uses - and _ (RFC 4648 §5)", () => {
	assert.is(toBase64(new Uint8Array([0xfb, 0xff])), "+/8=");
	assert.is(toBase64Url(new Uint8Array([0xfb, 0xff])), "-_8");
});

bytes("base64 refuses bad length, bad characters and non-canonical pad bits", () => {
	assert.throws(() => fromBase64("Zm9"), RangeError);
	assert.throws(() => fromBase64("Zm9*"), RangeError);
	assert.throws(() => fromBase64("Zh=="), /non-canonical/);
	assert.throws(() => fromBase64Url("Z"), RangeError);
});

bytes("UTF-8 round-trips ASCII, 2-, 3- and 4-byte characters (RFC 3629 §3)", () => {
	const text = "A\u00e9\u20ac\u{1f6a8}";
	const b = encodeUtf8(text);
	assert.is(toHex(b), "41c3a9e282acf09f9aa8");
	assert.is(decodeUtf8(b), text);
});

bytes("UTF-8 decode refuses overlong, surrogate, truncated and stray bytes", () => {
	for (const hex of ["c0af", "eda080", "e282", "80", "f5808080", "f4908080"]) assert.throws(() => decodeUtf8(fromHex(hex)), RangeError, hex);
});

bytes("ASCII encoding refuses non-ASCII", () => {
	assert.throws(() => encodeAscii("caf\u00e9"), RangeError);
});

bytes("constant-time compares tell equal from different, including lengths", () => {
	assert.ok(equalBytes(fromHex("00ff"), fromHex("00ff")));
	assert.not.ok(equalBytes(fromHex("00ff"), fromHex("00fe")));
	assert.not.ok(equalBytes(fromHex("00ff"), fromHex("00ff00")));
	assert.not.ok(equalBytes(new Uint8Array(0), fromHex("00")));
	assert.ok(equalBytes(new Uint8Array(0), new Uint8Array(0)));
	assert.ok(equalStrings("abc", "abc"));
	assert.not.ok(equalStrings("abc", "abd"));
	assert.not.ok(equalStrings("abc", "ab"));
	assert.not.ok(equalStrings("", "a"));
});

bytes("hex round-trips and refuses odd or non-hex input", () => {
	assert.is(toHex(fromHex("00a1FF")), "00a1ff");
	assert.throws(() => fromHex("abc"), RangeError);
	assert.throws(() => fromHex("zz"), RangeError);
});

bytes.run();
