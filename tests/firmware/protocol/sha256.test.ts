import { suite } from "uvu";
import * as assert from "uvu/assert";
import { HmacSha256, Sha256, hmacSha256, sha256 } from "modules/protocol/sha256";
import { encodeAscii, fromHex, toHex } from "modules/protocol/bytes";

const hash = suite("modules/protocol/sha256");

// FIPS 180-4 examples (NIST CSRC "Example Algorithms", SHA256.pdf) and the empty-string digest.
hash("reproduces the FIPS 180-4 one-block and two-block examples", () => {
	assert.is(toHex(sha256(encodeAscii("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert.is(
		toHex(sha256(encodeAscii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	);
	assert.is(toHex(sha256(new Uint8Array(0))), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
});

hash("hashes one million 'a' fed in uneven pieces (FIPS 180-4 long message)", () => {
	const h = new Sha256();
	const piece = new Uint8Array(997).fill(0x61);
	let left = 1_000_000;
	while (left > 0) {
		const n = Math.min(left, piece.length);
		h.update(piece.subarray(0, n));
		left -= n;
	}
	assert.is(toHex(h.digest()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
});

hash("gives the same digest whatever the split, across the 55/56/64-byte padding edges", () => {
	for (const n of [55, 56, 63, 64, 65, 119, 120, 128]) {
		const data = new Uint8Array(n);
		for (let i = 0; i < n; i++) data[i] = (i * 31 + 7) & 0xff;
		const whole = toHex(sha256(data));
		for (let cut = 0; cut <= n; cut++) {
			const h = new Sha256().update(data.subarray(0, cut)).update(data.subarray(cut));
			assert.is(toHex(h.digest()), whole, `n=${n} cut=${cut}`);
		}
	}
});

hash("refuses update or digest after digest", () => {
	const h = new Sha256();
	h.digest();
	assert.throws(() => h.digest());
	assert.throws(() => h.update(new Uint8Array(1)));
});

const hmac = suite("modules/protocol/sha256 HMAC");

// RFC 4231 §4.2-4.8, HMAC-SHA-256 results.
const rfc4231: Array<{ name: string; key: Uint8Array; data: Uint8Array; mac: string }> = [
	{ name: "4.2", key: new Uint8Array(20).fill(0x0b), data: encodeAscii("Hi There"), mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ name: "4.3", key: encodeAscii("Jefe"), data: encodeAscii("what do ya want for nothing?"), mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ name: "4.4", key: new Uint8Array(20).fill(0xaa), data: new Uint8Array(50).fill(0xdd), mac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ name: "4.5", key: fromHex("0102030405060708090a0b0c0d0e0f10111213141516171819"), data: new Uint8Array(50).fill(0xcd), mac: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ name: "4.6 (truncated to 128 bits)", key: new Uint8Array(20).fill(0x0c), data: encodeAscii("Test With Truncation"), mac: "a3b6167473100ee06e0c796c2955552b" },
	{ name: "4.7", key: new Uint8Array(131).fill(0xaa), data: encodeAscii("Test Using Larger Than Block-Size Key - Hash Key First"), mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{
		name: "4.8",
		key: new Uint8Array(131).fill(0xaa),
		data: encodeAscii("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
		mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
	},
];

for (const v of rfc4231) {
	hmac(`reproduces RFC 4231 test case ${v.name}`, () => {
		const full = toHex(hmacSha256(v.key, v.data));
		assert.is(full.slice(0, v.mac.length), v.mac);
		const keyed = new HmacSha256(v.key);
		assert.is(toHex(keyed.mac(v.data)).slice(0, v.mac.length), v.mac, "precomputed key schedule, first use");
		assert.is(toHex(keyed.mac(v.data)).slice(0, v.mac.length), v.mac, "precomputed key schedule, reused");
		keyed.close();
	});
}

hmac("a closed HMAC refuses to MAC", () => {
	const h = new HmacSha256(new Uint8Array(32));
	h.close();
	assert.throws(() => h.mac(new Uint8Array(1)), /closed/);
});

hash.run();
hmac.run();
