/**
 * tools/provision/nvs against ESP-IDF's format: golden images produced by ESP-IDF's own generator
 * (esp-idf-nvs-partition-gen, see golden/README.md), field-by-field checks of those bytes, and corruption cases.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createCipheriv, createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
	ENTRY_SIZE, HMAC_EKEY_SEED, HMAC_TKEY_SEED, ItemType, NvsFormatError, deriveNvsKeysFromHmac, PAGE_SIZE, PageState, buildNvsImage, buildNvsKeysPartition, decryptNvsImage,
	buildNvsTemplate, encryptNvsImage, entryCrc32, hmacSha256Of32, nvsCrc32, pageHeaderCrc32, parseNvsImage, parseNvsKeysPartition, setNvsValue, type NvsItem,
	type PrimitiveType,
} from "../../../tools/provision/nvs";
import { deviceNvsItems } from "../../../tools/provision/identity";
import { build } from "../../../tools/provision/device";

const golden = join(dirname(fileURLToPath(import.meta.url)), "golden");
const read = (name: string) => new Uint8Array(readFileSync(join(golden, name)));
const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const u16 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint16(at, true);
const ascii = (s: string) => new TextEncoder().encode(s);
const entryAt = (page: number, entry: number) => page * PAGE_SIZE + 64 + entry * ENTRY_SIZE;

/** The generator's CSV input as items (key,type,encoding,value; no quoting in these files). */
function itemsFromCsv(name: string): NvsItem[] {
	const items: NvsItem[] = [];
	let ns = "";
	for (const line of readFileSync(join(golden, name), "utf8").split("\n").slice(1)) {
		if (!line) continue;
		const [key, type, encoding, ...rest] = line.split(",");
		const value = rest.join(",");
		if (type === "namespace") { ns = key!; continue; }
		if (encoding === "string") items.push({ namespace: ns, key: key!, type: "string", value });
		else if (encoding === "hex2bin") items.push({ namespace: ns, key: key!, type: "blob", value: new Uint8Array(Buffer.from(value, "hex")) });
		else if (encoding === "base64") items.push({ namespace: ns, key: key!, type: "blob", value: new Uint8Array(Buffer.from(value, "base64")) });
		else items.push({ namespace: ns, key: key!, type: encoding as PrimitiveType, value: BigInt(value) });
	}
	return items;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
	if (a.length !== b.length) return Math.min(a.length, b.length);
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
	return -1;
}

/** Rewrites an entry's header CRC after a deliberate change, so the check under test is the next one. */
function fixEntryCrc(image: Uint8Array, at: number): void {
	new DataView(image.buffer, image.byteOffset).setUint32(at + 4, entryCrc32(image, at), true);
}

function rejects(image: Uint8Array, reason: RegExp): void {
	try {
		parseNvsImage(image);
	} catch (error) {
		assert.instance(error, NvsFormatError);
		assert.match((error as Error).message, reason);
		return;
	}
	assert.unreachable(`accepted an image that should fail with ${reason}`);
}

const crc = suite("nvs CRC32 (esp_rom_crc32_le seeded 0xffffffff = zlib.crc32(data, 0xFFFFFFFF))");

crc("check value of '123456789' is 0xd202d277, not the common CRC-32 0xcbf43926", () => {
	assert.is(nvsCrc32(ascii("123456789")), 0xd202d277);
	assert.is.not(nvsCrc32(ascii("123456789")), 0xcbf43926);
});

crc("empty input returns the seed, as zlib.crc32(b'', 0xFFFFFFFF) does", () => {
	assert.is(nvsCrc32(new Uint8Array(0)), 0xffffffff);
});

crc("continuing a CRC over two parts equals the CRC of the whole", () => {
	const data = ascii("123456789");
	assert.is(nvsCrc32(data, nvsCrc32(data.subarray(0, 4)), 4), 0xd202d277);
});

crc.run();

const gold = suite("nvs writer against ESP-IDF's generator (golden images)");

gold("classic-ESP32 device image is byte-identical to nvs_partition_gen's", () => {
	const mine = buildNvsImage(deviceNvsItems({
		deviceId: "8f14e45fceea167a5a36dedd4bea2543",
		board: "lilygo_t_sim7000g",
		keyStore: "nvs",
		hmacKey: Uint8Array.from({ length: 32 }, (_, i) => i),
	}));
	assert.is(firstDifference(mine, read("device_classic.bin")), -1);
});

gold("ESP32-S3 device image (key in eFuse, efuse_block) is byte-identical to nvs_partition_gen's", () => {
	const mine = buildNvsImage(deviceNvsItems({
		deviceId: "c9f0f895fb98ab9159f51fd0297e236d", board: "lilygo_t_sim7080g_s3", keyStore: "efuse", efuseBlock: 5,
	}));
	assert.is(firstDifference(mine, read("device_s3.bin")), -1);
});

gold("every primitive type, UTF-8 and long strings, and a 3-page blob match byte for byte", () => {
	assert.is(firstDifference(buildNvsImage(itemsFromCsv("format_mix.csv")), read("format_mix.bin")), -1);
});

gold("the device CSVs the goldens came from hold exactly the provisioning schema", () => {
	const fromCsv = itemsFromCsv("device_classic.csv").map((i) => `${i.key}:${i.type}`);
	const ours = deviceNvsItems({ deviceId: "8f14e45fceea167a5a36dedd4bea2543", board: "lilygo_t_sim7000g", keyStore: "nvs", hmacKey: new Uint8Array(32) })
		.map((i) => `${i.key}:${i.type}`);
	assert.equal(fromCsv, ours);
});

gold.run();

const layout = suite("nvs layout, field by field (golden device_classic.bin)");
const classic = read("device_classic.bin");

layout("partition is 0x6000 bytes: page 0 ACTIVE, pages 1-5 erased", () => {
	assert.is(classic.length, 0x6000);
	assert.is(u32(classic, 0), PageState.ACTIVE);
	for (let p = 1; p < 6; p++) assert.ok(classic.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE).every((b) => b === 0xff), `page ${p} erased`);
});

layout("page header: sequence 0, version 0xFE, reserved 0xFF, CRC32 over bytes 4..27", () => {
	assert.is(u32(classic, 4), 0);
	assert.is(classic[8], 0xfe);
	assert.ok(classic.subarray(9, 28).every((b) => b === 0xff));
	assert.is(u32(classic, 28), 0xb9ba2d84);
	assert.is(u32(classic, 28), pageHeaderCrc32(classic, 0));
});

layout("bitmap: 11 entries written (10), the rest empty (11), least significant pair first", () => {
	assert.equal([...classic.subarray(32, 35)], [0xaa, 0xaa, 0xea]);
	assert.ok(classic.subarray(35, 64).every((b) => b === 0xff));
});

layout("namespace entry: ns 0, u8, span 1, chunk 0xFF, key 'enigm' NUL-padded, value = index 1", () => {
	const e = classic.subarray(entryAt(0, 0), entryAt(0, 1));
	assert.equal([...e.subarray(0, 4)], [0, ItemType.U8, 1, 0xff]);
	assert.is(u32(e, 4), entryCrc32(classic, entryAt(0, 0)));
	assert.equal([...e.subarray(8, 24)], [...ascii("enigm"), ...new Array(11).fill(0)]);
	assert.equal([...e.subarray(24, 32)], [1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
});

layout("i32 entry: little-endian value, entry CRC over [0:4] + [8:32]", () => {
	const at = entryAt(0, 1);
	assert.equal([...classic.subarray(at, at + 4)], [1, ItemType.I32, 1, 0xff]);
	assert.equal([...classic.subarray(at + 24, at + 32)], [1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
	const manual = nvsCrc32(classic, nvsCrc32(classic, 0xffffffff, at, at + 4), at + 8, at + 32);
	assert.is(u32(classic, at + 4), manual);
});

layout("string entry: span 2, size includes the NUL, 0xFFFF, data CRC; payload padded with 0xFF", () => {
	const at = entryAt(0, 2);
	const text = ascii("lilygo_t_sim7000g\0");
	assert.equal([...classic.subarray(at, at + 4)], [1, ItemType.SZ, 2, 0xff]);
	assert.is(u16(classic, at + 24), text.length);
	assert.is(u16(classic, at + 26), 0xffff);
	assert.is(u32(classic, at + 28), nvsCrc32(text));
	assert.equal([...classic.subarray(at + 32, at + 32 + text.length)], [...text]);
	assert.ok(classic.subarray(at + 32 + text.length, at + 64).every((b) => b === 0xff));
});

layout("blob v2: data entry 0x42 with chunk index 0, then index entry 0x48 (size, chunk count 1, chunk start 0)", () => {
	const data = entryAt(0, 8);
	assert.equal([...classic.subarray(data, data + 4)], [1, ItemType.BLOB_DATA, 2, 0]);
	assert.equal([...classic.subarray(data + 8, data + 17)], [...ascii("hmac_key"), 0]);
	assert.is(u16(classic, data + 24), 32);
	assert.is(u32(classic, data + 28), nvsCrc32(classic.subarray(data + 32, data + 64)));
	const index = entryAt(0, 10);
	assert.equal([...classic.subarray(index, index + 4)], [1, ItemType.BLOB_IDX, 1, 0xff]);
	assert.is(u32(classic, index + 24), 32);
	assert.equal([...classic.subarray(index + 28, index + 32)], [1, 0, 0xff, 0xff]);
});

layout("parser reads the device entries back with their types", () => {
	const parsed = parseNvsImage(classic);
	assert.equal([...parsed.namespaces], [[1, "enigm"]]);
	assert.equal(parsed.entries.map((e) => [e.key, e.type]), [
		["schema", "i32"], ["board", "string"], ["device_id", "string"], ["key_store", "i32"], ["hmac_key", "blob"],
	]);
	assert.equal([...(parsed.entries[4]!.value as Uint8Array)], Array.from({ length: 32 }, (_, i) => i));
});

layout("multi-page blob: chunks of 512, 4000 and 1488 bytes on pages 0-2, index on page 2; earlier pages FULL", () => {
	const mix = read("format_mix.bin");
	assert.equal([0, 1, 2].map((p) => u32(mix, p * PAGE_SIZE)), [PageState.FULL, PageState.FULL, PageState.ACTIVE]);
	assert.equal([0, 1, 2].map((p) => u32(mix, p * PAGE_SIZE + 4)), [0, 1, 2]);
	const parsed = parseNvsImage(mix);
	const chunks: [number, number, number][] = [];
	for (let p = 0; p < 3; p++)
		for (let i = 0; i < 126; i++) {
			const at = entryAt(p, i);
			const state = (mix[p * PAGE_SIZE + 32 + (i >> 2)]! >> ((i & 3) * 2)) & 3;
			if (state === 2 && mix[at + 1] === ItemType.BLOB_DATA && mix[at + 8] === 0x62 /* b */ && mix[at + 9] === 0x69)
				chunks.push([p, mix[at + 3]!, u16(mix, at + 24)]);
		}
	assert.equal(chunks, [[0, 0, 512], [1, 1, 4000], [2, 2, 1488]]);
	const big = parsed.entries.find((e) => e.key === "big")!;
	assert.is(big.page, 2);
	assert.equal([...(big.value as Uint8Array)].slice(0, 4), [3, 10, 17, 24]);
	assert.is((big.value as Uint8Array).length, 6000);
	const u64 = parsed.entries.find((e) => e.key === "u64max")!;
	assert.is(u64.value, 18446744073709551615n);
	assert.is(parsed.entries.find((e) => e.key === "utf8")!.value, "grüß €");
	assert.is(parsed.entries.find((e) => e.key === "empty")!.value, "");
});

layout.run();

const corrupt = suite("nvs verifier rejects corrupted images with the reason");
const copy = () => classic.slice();

corrupt("a flipped sequence-number bit fails the page header CRC", () => {
	const img = copy();
	img[4] ^= 1;
	rejects(img, /page 0: page header CRC mismatch/);
});

corrupt("a changed key byte fails the entry CRC", () => {
	const img = copy();
	img[entryAt(0, 1) + 8] ^= 0x20;
	rejects(img, /page 0 entry 1: entry CRC mismatch/);
});

corrupt("a changed string payload byte fails the data CRC", () => {
	const img = copy();
	img[entryAt(0, 3) + 1] ^= 1;
	rejects(img, /page 0 entry 2: data CRC mismatch/);
});

corrupt("a changed blob byte fails the blob chunk's data CRC", () => {
	const img = copy();
	img[entryAt(0, 9) + 5] ^= 0x80;
	rejects(img, /page 0 entry 8: data CRC mismatch/);
});

corrupt("bitmap state 01 is illegal", () => {
	const img = copy();
	img[32] = (img[32]! & ~0x03) | 0x01;
	rejects(img, /entry 0: illegal bitmap state/);
});

corrupt("a span that disagrees with the data size is refused even with a valid CRC", () => {
	const img = copy();
	img[entryAt(0, 2) + 2] = 3;
	fixEntryCrc(img, entryAt(0, 2));
	rejects(img, /span 3 does not match data size 18/);
});

corrupt("a blob whose index is gone is refused", () => {
	const img = copy();
	img.fill(0xff, entryAt(0, 10), entryAt(0, 11));
	img[32 + 2] |= 0x30; // entry 10, the blob index, back to empty (11)
	rejects(img, /blob "hmac_key" has data chunks but no blob index/);
});

corrupt("an index that claims more chunks than exist is refused", () => {
	const img = copy();
	img[entryAt(0, 10) + 28] = 2;
	fixEntryCrc(img, entryAt(0, 10));
	rejects(img, /index lists 2 chunks, found 1/);
});

corrupt("an entry pointing at an unknown namespace is refused", () => {
	const img = copy();
	img[entryAt(0, 1)] = 7;
	fixEntryCrc(img, entryAt(0, 1));
	rejects(img, /unknown namespace index 7/);
});

corrupt("a version-1 page (0xFF) is refused: the provisioning images are version 2", () => {
	const img = copy();
	img[8] = 0xff;
	new DataView(img.buffer).setUint32(28, pageHeaderCrc32(img, 0), true);
	rejects(img, /unsupported page version 0xff/);
});

corrupt("an unknown page state is refused", () => {
	const img = copy();
	new DataView(img.buffer).setUint32(0, 0x12345678, true);
	rejects(img, /unexpected page state/);
});

corrupt("junk in an erased page is refused", () => {
	const img = copy();
	img[3 * PAGE_SIZE + 100] = 0;
	rejects(img, /page 3: empty page is not erased/);
});

corrupt("a partition without a free page is refused", () => {
	rejects(classic.slice(0, PAGE_SIZE), /no empty page/);
});

corrupt("a size that is not whole pages is refused", () => {
	rejects(classic.slice(0, 5000), /not a non-zero multiple of 4096/);
});

corrupt("error messages never carry entry values", () => {
	const img = copy();
	img[entryAt(0, 9)] ^= 1; // inside the key blob
	try {
		parseNvsImage(img);
		assert.unreachable();
	} catch (error) {
		assert.not.match((error as Error).message, /000102|0x0001/);
	}
});

corrupt.run();

const writer = suite("nvs writer refuses what ESP-IDF would not store");

writer("keys longer than 15 bytes", () => {
	assert.throws(() => buildNvsImage([{ namespace: "enigm", key: "sixteen_chars_xx", type: "u8", value: 1 }]), /1\.\.15/);
});

writer("strings longer than 4000 bytes", () => {
	assert.throws(() => buildNvsImage([{ namespace: "enigm", key: "s", type: "string", value: "x".repeat(4000) }]), /4000/);
});

writer("out-of-range integers", () => {
	assert.throws(() => buildNvsImage([{ namespace: "enigm", key: "n", type: "u8", value: 256 }]), /out of range/);
	assert.throws(() => buildNvsImage([{ namespace: "enigm", key: "n", type: "i32", value: 2 ** 31 }]), /out of range/);
});

writer("partitions smaller than 0x3000 (read/write NVS needs 3 pages) or not whole pages", () => {
	assert.throws(() => buildNvsImage([], { size: 0x2000 }), /0x3000/);
	assert.throws(() => buildNvsImage([], { size: 0x3800 }), /multiple of 4096/);
});

writer("data that does not fit the partition", () => {
	assert.throws(() => buildNvsImage([{ namespace: "enigm", key: "b", type: "blob", value: new Uint8Array(9000) }], { size: 0x3000 }), /too small/);
});

writer.run();

const enc = suite("nvs encryption (nvs_keys partition, XTS-AES-256 per entry) against the generator");

enc("nvs_keys golden parses (CRC over eky|tky) and rebuilds byte for byte", () => {
	const part = read("nvs_keys.bin");
	const keys = parseNvsKeysPartition(part);
	assert.is(firstDifference(buildNvsKeysPartition(keys), part), -1);
	assert.is(part.length, 4096);
	assert.ok(part.subarray(68).every((b) => b === 0xff));
});

enc("encrypting the plain golden with those keys gives the generator's encrypted image", () => {
	const keys = parseNvsKeysPartition(read("nvs_keys.bin"));
	assert.is(firstDifference(encryptNvsImage(classic, keys), read("device_classic.enc.bin")), -1);
});

enc("headers, bitmaps and empty entries stay plain; written entries do not", () => {
	const encrypted = read("device_classic.enc.bin");
	assert.equal([...encrypted.subarray(0, 64)], [...classic.subarray(0, 64)]);
	assert.equal([...encrypted.subarray(entryAt(0, 11), PAGE_SIZE)], [...classic.subarray(entryAt(0, 11), PAGE_SIZE)]);
	assert.is.not(firstDifference(encrypted.subarray(entryAt(0, 0), entryAt(0, 1)), classic.subarray(entryAt(0, 0), entryAt(0, 1))), -1);
});

enc("decrypting restores the plain image; without the keys the verifier reports a CRC failure", () => {
	const keys = parseNvsKeysPartition(read("nvs_keys.bin"));
	assert.is(firstDifference(decryptNvsImage(read("device_classic.enc.bin"), keys), classic), -1);
	rejects(read("device_classic.enc.bin"), /entry CRC mismatch/);
});

enc("a damaged nvs_keys partition is refused", () => {
	const part = read("nvs_keys.bin");
	part[10] ^= 1;
	assert.throws(() => parseNvsKeysPartition(part), /nvs_keys CRC mismatch/);
	assert.throws(() => parseNvsKeysPartition(new Uint8Array(4096).fill(0xff)), /blank/);
});

enc("batched XTS equals Node's per-unit aes-256-xts (IEEE 1619) on random entries at random addresses", () => {
	const keys = { encryption: new Uint8Array(randomBytes(32)), tweak: new Uint8Array(randomBytes(32)) };
	const image = buildNvsImage([
		{ namespace: "enigm", key: "b", type: "blob", value: new Uint8Array(randomBytes(6000)) },
		{ namespace: "enigm", key: "s", type: "string", value: "x".repeat(500) },
	]);
	const ours = encryptNvsImage(image, keys);
	const key = Buffer.concat([keys.encryption, keys.tweak]);
	let checked = 0;
	for (let base = 0; base < image.length; base += PAGE_SIZE) {
		if (new DataView(image.buffer, base).getUint32(0, true) === 0xffffffff) continue;
		for (let i = 0; i < 126; i++) {
			const state = (image[base + 32 + (i >> 2)]! >> ((i & 3) * 2)) & 3;
			if (state === 3) continue;
			const at = base + 64 + i * 32;
			const tweak = Buffer.alloc(16);
			tweak.writeUInt32LE(at, 0);
			const c = createCipheriv("aes-256-xts", key, tweak);
			const want = Buffer.concat([c.update(image.subarray(at, at + 32)), c.final()]);
			assert.equal([...ours.subarray(at, at + 32)], [...want]);
			checked++;
		}
	}
	assert.ok(checked > 190);
	assert.is(firstDifference(decryptNvsImage(ours, keys), image), -1);
});

enc.run();

const hmacScheme = suite("nvs encryption, HMAC-based key protection (ESP32-S3): XTS keys derived from the eFuse HMAC key");

hmacScheme("derived keys equal ESP-IDF's generator output (generate-key --key_protect_hmac --kp_hmac_inputkey)", () => {
	// golden/nvs_keys.bin: esp-idf-nvs-partition-gen's keys for the HMAC key golden/nvs_keys_hmac.bin (see golden/README.md).
	const derived = deriveNvsKeysFromHmac(read("nvs_keys_hmac.bin"));
	const generated = parseNvsKeysPartition(read("nvs_keys.bin"));
	assert.equal([...derived.encryption], [...generated.encryption]);
	assert.equal([...derived.tweak], [...generated.tweak]);
});

hmacScheme("hmacSha256Of32 (two one-shot SHA-256 digests) equals node:crypto's HMAC-SHA256", () => {
	for (let i = 0; i < 200; i++) {
		const key = randomBytes(32);
		const message = i < 2 ? [HMAC_EKEY_SEED, HMAC_TKEY_SEED][i]! : randomBytes(32);
		assert.equal(Buffer.from(hmacSha256Of32(key, message)).toString("hex"), createHmac("sha256", key).update(message).digest("hex"));
	}
	assert.throws(() => hmacSha256Of32(new Uint8Array(31), new Uint8Array(32)), /32-byte/);
});

hmacScheme("the seeds are nvs_sec_provider.c's uint32 words 0xAEBE5A5A / 0xCEDEA5A5, eight each, in little-endian memory order", () => {
	const words = (w: number) => { const b = Buffer.alloc(32); for (let i = 0; i < 8; i++) b.writeUInt32LE(w, i * 4); return [...b]; };
	assert.equal([...HMAC_EKEY_SEED], words(0xaebe5a5a));
	assert.equal([...HMAC_TKEY_SEED], words(0xcedea5a5));
	assert.throws(() => deriveNvsKeysFromHmac(new Uint8Array(16)), /32 bytes/);
});

hmacScheme("the S3 image encrypted under the HMAC-derived keys is byte-identical to the generator's (encrypt --key_protect_hmac)", () => {
	const keys = deriveNvsKeysFromHmac(read("nvs_keys_hmac.bin"));
	assert.is(firstDifference(encryptNvsImage(read("device_s3.bin"), keys), read("device_s3.hmac.enc.bin")), -1);
	assert.is(firstDifference(decryptNvsImage(read("device_s3.hmac.enc.bin"), keys), read("device_s3.bin")), -1);
});

hmacScheme("generate's per-device build (device.ts) makes exactly the generator's encrypted S3 image for that identity and key", () => {
	const built = build(
		{ deviceId: "c9f0f895fb98ab9159f51fd0297e236d", board: "lilygo_t_sim7080g_s3", keyStore: "efuse", efuseBlock: 5 },
		{ hmacKey: new Uint8Array(32).fill(7), nvsHmacKey: read("nvs_keys_hmac.bin") },
		{ nvs: { offset: 0x9000, size: 0x6000 }, source: "test" },
	);
	assert.is(firstDifference(built.image, read("device_s3.hmac.enc.bin")), -1);
	assert.equal([...built.nvsHmacKeyFile!], [...read("nvs_keys_hmac.bin")]);
	assert.equal([...built.keyFile!], new Array(32).fill(7));
});

hmacScheme("an S3 image encrypted with the derived keys decrypts to the plain golden and fails the verifier while encrypted", () => {
	const keys = deriveNvsKeysFromHmac(read("nvs_keys_hmac.bin"));
	const s3 = read("device_s3.bin");
	const encrypted = encryptNvsImage(s3, keys);
	rejects(encrypted, /entry CRC mismatch/);
	assert.is(firstDifference(decryptNvsImage(encrypted, keys), s3), -1);
});

hmacScheme.run();

const template = suite("nvs templates: one image per batch, the device's values set into it (device.ts build)");

template("build() with the key in NVS (template path) is byte-identical to the generator's classic-ESP32 golden", () => {
	const built = build(
		{ deviceId: "8f14e45fceea167a5a36dedd4bea2543", board: "lilygo_t_sim7000g", keyStore: "nvs", efuseBlock: null },
		{ hmacKey: Uint8Array.from({ length: 32 }, (_, i) => i) },
		{ nvs: { offset: 0x9000, size: 0x6000 }, source: "test" },
	);
	assert.is(firstDifference(built.image, read("device_classic.bin")), -1);
});

template("for random ids and keys, both key stores, with and without a platform endpoint: template + values = full build", () => {
	const platform = { host: "platform.example:8443", ca: "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2FmZQ==\n-----END CERTIFICATE-----\n" };
	for (const p of [undefined, platform]) {
		for (let i = 0; i < 20; i++) {
			const deviceId = randomBytes(16).toString("hex");
			const hmacKey = new Uint8Array(randomBytes(32));
			const nvs = i % 2 === 0;
			const row = { deviceId, board: nvs ? "lilygo_t_sim7000g" : "lilygo_t_sim7080g_s3", keyStore: nvs ? "nvs" as const : "efuse" as const, efuseBlock: nvs ? null : i % 6 };
			const built = build(row, { hmacKey }, { nvs: { offset: 0x9000, size: 0x6000 }, source: "test" }, p);
			const full = buildNvsImage(deviceNvsItems({
				deviceId, board: row.board, keyStore: row.keyStore, ...(nvs ? { hmacKey } : { efuseBlock: row.efuseBlock! }), ...(p ? { platform: p } : {}),
			}));
			assert.is(firstDifference(built.image, full), -1, `${row.board} ${p ? "with" : "without"} endpoint`);
		}
	}
});

template("a value of another length than the template's, or a key the template lacks, is refused", () => {
	const t = buildNvsTemplate(deviceNvsItems({ deviceId: "0".repeat(32), board: "sim", keyStore: "nvs", hmacKey: new Uint8Array(32) }));
	const image = t.image.slice();
	assert.throws(() => setNvsValue(t, image, "enigm", "device_id", new Uint8Array(32)), /33 bytes, not 32/);
	assert.throws(() => setNvsValue(t, image, "enigm", "nope", new Uint8Array(1)), /no string or blob/);
	assert.throws(() => build({ deviceId: "XYZ", board: "sim", keyStore: "nvs", efuseBlock: null }, { hmacKey: new Uint8Array(32) }, { nvs: { offset: 0x9000, size: 0x6000 }, source: "test" }), /device id/);
});

template("the template's entry list is what the XTS pass encrypts: same result as scanning the bitmaps", () => {
	const items = deviceNvsItems({ deviceId: "c9f0f895fb98ab9159f51fd0297e236d", board: "lilygo_t_sim7080g_s3", keyStore: "efuse", efuseBlock: 5 });
	const t = buildNvsTemplate(items);
	const keys = deriveNvsKeysFromHmac(read("nvs_keys_hmac.bin"));
	assert.is(firstDifference(encryptNvsImage(t.image, keys, { entries: t.entries }), read("device_s3.hmac.enc.bin")), -1);
});

template.run();
