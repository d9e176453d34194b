/**
 * ESP-IDF NVS partition images: writer, reader/verifier, nvs_keys partition and XTS-AES entry encryption.
 *
 * The layout follows ESP-IDF's nvs_flash (src/nvs_page.hpp, nvs_types.hpp/.cpp) and its reference generator
 * (esp-idf-nvs-partition-gen, nvs_partition_gen.py); the writer places entries with exactly the generator's rules
 * so the same input yields the same bytes (tests compare against the generator's output).
 */
import * as crypto from "node:crypto";
import { createCipheriv, createDecipheriv, createHmac } from "node:crypto";

export const PAGE_SIZE = 4096;
export const ENTRY_SIZE = 32;
export const ENTRY_COUNT = 126;
const FIRST_ENTRY_OFFSET = 64;
const BITMAP_OFFSET = 32;
/** Largest string the generator accepts (PAGE_PARAMS max_blob_size for version 2 applies to strings only). */
export const MAX_STRING_BYTES = 4000;
export const KEY_MAX_LENGTH = 15;

export const PageState = Object.freeze({
	EMPTY: 0xffffffff,
	ACTIVE: 0xfffffffe,
	FULL: 0xfffffffc,
	FREEING: 0xfffffff8,
	CORRUPT: 0xfffffff0,
	INVALID: 0,
});

/** Page header version byte: 0xFE = version 2, multi-page blobs (nvs_page.hpp NVS_VERSION). */
export const PAGE_VERSION_2 = 0xfe;
export const PAGE_VERSION_1 = 0xff;

export const ItemType = Object.freeze({
	U8: 0x01, I8: 0x11, U16: 0x02, I16: 0x12, U32: 0x04, I32: 0x14, U64: 0x08, I64: 0x18,
	SZ: 0x21, BLOB: 0x41, BLOB_DATA: 0x42, BLOB_IDX: 0x48,
});

const CHUNK_ANY = 0xff;

/** Bitmap entry states, 2 bits per entry, least significant pair first (nvs_page.hpp EntryState). */
export const EntryState = Object.freeze({ EMPTY: 3, WRITTEN: 2, ERASED: 0, ILLEGAL: 1 });

export type PrimitiveType = "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "u64" | "i64";
export type NvsValue =
	| { type: PrimitiveType; value: number | bigint }
	| { type: "string"; value: string }
	| { type: "blob"; value: Uint8Array };
export type NvsItem = { namespace: string; key: string } & NvsValue;

/** The entry types Moddable's Preference reads back on ESP32 (modules/files/preference/esp32). */
export const moddableReadableTypes: ReadonlySet<string> = Object.freeze(new Set(["u8", "i32", "string", "blob"]));

// ---------------------------------------------------------------------------------------------------------------
// CRC32 as ESP-IDF computes it: esp_rom_crc32_le(0xffffffff, ...) == zlib.crc32(data, 0xFFFFFFFF). zlib inverts
// the seed on entry and the result on exit, so this is the reflected CRC-32 (poly 0xEDB88320) started from 0
// instead of ~0 and inverted at the end. Check value: "123456789" -> 0xd202d277 (not the common 0xcbf43926).

const CRC_TABLE = (() => {
	const table = new Uint32Array(256);
	for (let n = 0; n < 256; n++) {
		let c = n;
		for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		table[n] = c >>> 0;
	}
	return table;
})();

/** Continues a CRC: pass the previous result as `crc` (start value 0xffffffff, as esp_rom_crc32_le is called). */
export function nvsCrc32(data: Uint8Array, crc = 0xffffffff, start = 0, end = data.length): number {
	let c = ~crc >>> 0;
	for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
	return ~c >>> 0;
}

/** Entry header CRC: bytes [0:4] and [8:32] (Item::calculateCrc32: nsIndex..crc32, key, data). */
export function entryCrc32(buf: Uint8Array, offset: number): number {
	const crc = nvsCrc32(buf, 0xffffffff, offset, offset + 4);
	return nvsCrc32(buf, crc, offset + 8, offset + 32);
}

/** Page header CRC over [4:28] (sequence number, version, reserved). */
export function pageHeaderCrc32(buf: Uint8Array, pageOffset: number): number {
	return nvsCrc32(buf, 0xffffffff, pageOffset + 4, pageOffset + 28);
}

// ---------------------------------------------------------------------------------------------------------------
// Writer

export class NvsFormatError extends Error {
	override name = "NvsFormatError";
}

const utf8 = new TextEncoder();

function checkKey(key: string): Uint8Array {
	const bytes = utf8.encode(key);
	if (bytes.length === 0 || bytes.length > KEY_MAX_LENGTH || bytes.includes(0))
		throw new RangeError(`NVS key "${key}" must be 1..${KEY_MAX_LENGTH} bytes without NUL`);
	return bytes;
}

const primitiveLayout: Readonly<Record<PrimitiveType, { code: number; bytes: number; signed: boolean }>> = Object.freeze({
	u8: { code: ItemType.U8, bytes: 1, signed: false },
	i8: { code: ItemType.I8, bytes: 1, signed: true },
	u16: { code: ItemType.U16, bytes: 2, signed: false },
	i16: { code: ItemType.I16, bytes: 2, signed: true },
	u32: { code: ItemType.U32, bytes: 4, signed: false },
	i32: { code: ItemType.I32, bytes: 4, signed: true },
	u64: { code: ItemType.U64, bytes: 8, signed: false },
	i64: { code: ItemType.I64, bytes: 8, signed: true },
});

export interface BuildOptions {
	/** Partition size in bytes, a multiple of 4096, at least 0x3000 (read/write NVS). Default 0x6000. */
	size?: number;
	/** Build into this buffer (its length must be `size`) instead of a new one: batches reuse one per thread. */
	into?: Uint8Array;
}

class PageFull extends Error {}

/**
 * Lays entries out as nvs_partition_gen.py does (version 2): pages are filled in order; every page but the last
 * used one is FULL, the last used one ACTIVE; the remaining pages stay erased (all 0xFF) and the last page of the
 * partition is always left empty, as ESP-IDF needs one free page for garbage collection.
 */
class ImageWriter {
	readonly image: Uint8Array;
	/** Where each string's and blob's chunks were placed, by namespace index and key (for templates). */
	readonly placed = new Map<string, NvsChunk[]>();
	readonly #view: DataView;
	#pageNum = -1;
	#entryNum = 0;
	#pagesLeft: number;
	#namespaces = new Map<string, number>();

	constructor(size: number, into?: Uint8Array) {
		if (!Number.isInteger(size) || size % PAGE_SIZE !== 0 || size < 3 * PAGE_SIZE)
			throw new RangeError("NVS partition size must be a multiple of 4096 and at least 0x3000");
		if (into && into.length !== size) throw new RangeError("build buffer length differs from the partition size");
		this.image = (into ?? new Uint8Array(size)).fill(0xff);
		this.#view = new DataView(this.image.buffer, this.image.byteOffset, size);
		this.#pagesLeft = size / PAGE_SIZE - 1; // one page reserved (check_size in the generator)
		this.#newPage();
	}

	#newPage(): void {
		if (this.#pageNum >= 0) {
			const at = this.#pageNum * PAGE_SIZE;
			if (this.#view.getUint32(at, true) === PageState.ACTIVE) this.#view.setUint32(at, PageState.FULL, true);
		}
		if (this.#pagesLeft === 0) throw new NvsFormatError("NVS partition too small for the data");
		this.#pagesLeft--;
		this.#pageNum++;
		this.#entryNum = 0;
		const at = this.#pageNum * PAGE_SIZE;
		this.#view.setUint32(at, PageState.ACTIVE, true);
		this.#view.setUint32(at + 4, this.#pageNum, true);
		this.image[at + 8] = PAGE_VERSION_2;
		this.#view.setUint32(at + 28, pageHeaderCrc32(this.image, at), true);
	}

	/** Copies `data` into consecutive entries from the current one and marks `count` entries written. */
	#put(data: Uint8Array, count: number): void {
		const page = this.#pageNum * PAGE_SIZE;
		this.image.set(data, page + FIRST_ENTRY_OFFSET + this.#entryNum * ENTRY_SIZE);
		for (let i = 0; i < count; i++) {
			const bit = this.#entryNum * 2;
			this.image[page + BITMAP_OFFSET + (bit >> 3)]! &= ~(1 << (bit & 7));
			this.#entryNum++;
		}
	}

	/** Byte offset of the current entry. */
	#here(): number {
		return this.#pageNum * PAGE_SIZE + FIRST_ENTRY_OFFSET + this.#entryNum * ENTRY_SIZE;
	}

	#place(ns: number, key: string, size: number): void {
		const at = this.#here();
		const id = `${ns}\0${key}`;
		const list = this.placed.get(id) ?? [];
		list.push({ header: at, data: at + ENTRY_SIZE, size });
		this.placed.set(id, list);
	}

	#header(ns: number, type: number, span: number, chunk: number, key: Uint8Array): Uint8Array {
		const e = new Uint8Array(ENTRY_SIZE).fill(0xff);
		e[0] = ns;
		e[1] = type;
		e[2] = span;
		e[3] = chunk;
		e.fill(0, 8, 24);
		e.set(key, 8);
		return e;
	}

	#seal(e: Uint8Array): Uint8Array {
		new DataView(e.buffer).setUint32(4, entryCrc32(e, 0), true);
		return e;
	}

	#retry(fn: () => void): void {
		try {
			fn();
		} catch (error) {
			if (!(error instanceof PageFull)) throw error;
			this.#newPage();
			try {
				fn();
			} catch (again) {
				if (again instanceof PageFull) throw new NvsFormatError("NVS entry does not fit in one page");
				throw again;
			}
		}
	}

	namespace(name: string): number {
		const known = this.#namespaces.get(name);
		if (known !== undefined) return known;
		const index = this.#namespaces.size + 1;
		if (index > 254) throw new RangeError("too many NVS namespaces");
		const key = checkKey(name);
		this.#retry(() => this.#primitive(0, key, "u8", index));
		this.#namespaces.set(name, index);
		return index;
	}

	#primitive(ns: number, key: Uint8Array, type: PrimitiveType, value: number | bigint): void {
		if (this.#entryNum >= ENTRY_COUNT) throw new PageFull();
		const layout = primitiveLayout[type];
		const e = this.#header(ns, layout.code, 1, CHUNK_ANY, key);
		const v = new DataView(e.buffer);
		const bits = BigInt(layout.bytes * 8);
		const big = BigInt(value);
		const min = layout.signed ? -(1n << (bits - 1n)) : 0n;
		const max = layout.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
		if (big < min || big > max) throw new RangeError(`NVS ${type} value out of range`);
		if (layout.bytes === 8) v.setBigUint64(24, BigInt.asUintN(64, big), true);
		else {
			const n = Number(BigInt.asUintN(layout.bytes * 8, big));
			for (let i = 0; i < layout.bytes; i++) e[24 + i] = (n >>> (8 * i)) & 0xff;
		}
		this.#put(this.#seal(e), 1);
	}

	primitive(ns: number, key: string, type: PrimitiveType, value: number | bigint): void {
		if (typeof value === "number" && !Number.isInteger(value)) throw new RangeError(`NVS ${type} value must be an integer`);
		const k = checkKey(key);
		this.#retry(() => this.#primitive(ns, k, type, value));
	}

	string(ns: number, key: string, value: string): void {
		const k = checkKey(key);
		const text = utf8.encode(value);
		const data = new Uint8Array(text.length + 1);
		data.set(text);
		if (data.length > MAX_STRING_BYTES) throw new RangeError(`NVS string "${key}" exceeds ${MAX_STRING_BYTES} bytes`);
		const dataEntries = Math.ceil(data.length / ENTRY_SIZE);
		this.#retry(() => {
			// The generator moves a string to a new page when it would reach the last entry (>=, not >).
			if (this.#entryNum >= ENTRY_COUNT || this.#entryNum + dataEntries + 1 >= ENTRY_COUNT) throw new PageFull();
			const e = this.#header(ns, ItemType.SZ, dataEntries + 1, CHUNK_ANY, k);
			const v = new DataView(e.buffer);
			v.setUint16(24, data.length, true);
			v.setUint32(28, nvsCrc32(data), true);
			this.#place(ns, key, data.length);
			this.#put(this.#seal(e), 1);
			this.#put(data, dataEntries);
		});
	}

	/** Version-2 blob: BLOB_DATA chunks (chunk index = chunk start + n) then one BLOB_IDX entry. */
	blob(ns: number, key: string, data: Uint8Array): void {
		const k = checkKey(key);
		if (this.#entryNum >= ENTRY_COUNT) this.#newPage();
		const chunkStart = 0;
		let chunkCount = 0;
		let offset = 0;
		let remaining = data.length;
		for (;;) {
			const tailroom = (ENTRY_COUNT - this.#entryNum - 1) * ENTRY_SIZE;
			const chunkSize = Math.min(tailroom, remaining);
			remaining -= chunkSize;
			const dataEntries = Math.ceil(chunkSize / ENTRY_SIZE);
			const chunk = data.subarray(offset, offset + chunkSize);
			const e = this.#header(ns, ItemType.BLOB_DATA, dataEntries + 1, chunkStart + chunkCount, k);
			const v = new DataView(e.buffer);
			v.setUint16(24, chunkSize, true);
			v.setUint32(28, nvsCrc32(chunk), true);
			this.#place(ns, key, chunkSize);
			this.#put(this.#seal(e), 1);
			this.#put(chunk, dataEntries);
			chunkCount++;
			if (chunkCount > 127) throw new RangeError(`NVS blob "${key}" too large`);
			if (remaining > 0 || tailroom - chunkSize < ENTRY_SIZE) this.#newPage();
			offset += chunkSize;
			if (remaining === 0) {
				const index = this.#header(ns, ItemType.BLOB_IDX, 1, CHUNK_ANY, k);
				const iv = new DataView(index.buffer);
				iv.setUint32(24, data.length, true);
				index[28] = chunkCount;
				index[29] = chunkStart;
				this.#put(this.#seal(index), 1);
				return;
			}
		}
	}
}

function writeItems(items: Iterable<NvsItem>, options: BuildOptions): ImageWriter {
	const writer = new ImageWriter(options.size ?? options.into?.length ?? 0x6000, options.into);
	let current: string | undefined;
	let ns = 0;
	for (const item of items) {
		if (item.namespace !== current) {
			ns = writer.namespace(item.namespace);
			current = item.namespace;
		}
		switch (item.type) {
			case "string": writer.string(ns, item.key, item.value); break;
			case "blob": writer.blob(ns, item.key, item.value); break;
			default: writer.primitive(ns, item.key, item.type, item.value);
		}
	}
	return writer;
}

/** Builds a plain NVS partition image (version 2 pages) holding `items` in order. */
export function buildNvsImage(items: Iterable<NvsItem>, options: BuildOptions = {}): Uint8Array {
	return writeItems(items, options).image;
}

// ---------------------------------------------------------------------------------------------------------------
// Templates: a batch writes the same items into every image and only a few values differ per device, always with
// the same byte length (a 32-hex-character device id, a 32-byte key). Where the generator places an entry depends
// only on the items' types and lengths, so an image built once can be reused: the differing values are copied over
// and the CRCs that cover them recomputed (the data CRC in the entry header, then the entry's own CRC). The
// result is the image buildNvsImage makes for those values; device.ts checks that once per template.

/** One chunk of a string or blob: its entry header's byte offset, its data's, and the data length. */
export interface NvsChunk {
	header: number;
	data: number;
	size: number;
}

export interface NvsTemplate {
	/** The plain image of the template's items (read only: copy it, then set values in the copy). */
	readonly image: Uint8Array;
	/** Chunks of each string and blob, by `${namespace}/${key}`. */
	readonly slots: ReadonlyMap<string, readonly NvsChunk[]>;
	/** Byte offsets of the written entries: the data units encryptNvsImage encrypts. */
	readonly entries: Uint32Array;
}

export function buildNvsTemplate(items: readonly NvsItem[], options: { size?: number } = {}): NvsTemplate {
	const writer = writeItems(items, options.size === undefined ? {} : { size: options.size });
	const names = new Map<number, string>();
	let ns = 0;
	let current: string | undefined;
	for (const item of items) if (item.namespace !== current) { current = item.namespace; names.set(++ns, item.namespace); }
	const slots = new Map<string, NvsChunk[]>();
	for (const [id, chunks] of writer.placed) {
		const [index, key] = id.split("\0") as [string, string];
		slots.set(`${names.get(Number(index))}/${key}`, chunks);
	}
	return { image: writer.image, slots, entries: writtenEntries(writer.image) };
}

/**
 * Sets a string or blob value of the same byte length as the template's in `image` (a copy of template.image):
 * the data, its CRC in each chunk header, and each header's CRC. `data` is the stored bytes (a string's UTF-8 and
 * its NUL).
 */
export function setNvsValue(template: NvsTemplate, image: Uint8Array, namespace: string, key: string, data: Uint8Array): void {
	const chunks = template.slots.get(`${namespace}/${key}`);
	if (!chunks) throw new RangeError(`NVS template has no string or blob "${namespace}/${key}"`);
	let total = 0;
	for (const c of chunks) total += c.size;
	if (total !== data.length) throw new RangeError(`NVS template value "${key}" is ${total} bytes, not ${data.length}`);
	let at = 0;
	for (const c of chunks) {
		image.set(data.subarray(at, at + c.size), c.data);
		at += c.size;
		writeU32(image, c.header + 28, nvsCrc32(image, 0xffffffff, c.data, c.data + c.size));
		writeU32(image, c.header + 4, entryCrc32(image, c.header));
	}
}

function writeU32(b: Uint8Array, at: number, v: number): void {
	b[at] = v & 0xff;
	b[at + 1] = (v >>> 8) & 0xff;
	b[at + 2] = (v >>> 16) & 0xff;
	b[at + 3] = v >>> 24;
}

// ---------------------------------------------------------------------------------------------------------------
// Reader / verifier

export interface ParsedEntry {
	namespace: string;
	key: string;
	type: PrimitiveType | "string" | "blob";
	/** Primitives as number (bigint for 64-bit), strings decoded, blobs as bytes (callers must not print them). */
	value: number | bigint | string | Uint8Array;
	/** Where the entry is: page and entry index of its header (for a blob, its BLOB_IDX entry). */
	page: number;
	entry: number;
}

export interface ParsedPage {
	index: number;
	state: "empty" | "active" | "full";
	sequence?: number;
	version?: number;
	usedEntries: number;
}

export interface ParsedImage {
	pages: ParsedPage[];
	namespaces: Map<number, string>;
	entries: ParsedEntry[];
}

const typeNames: ReadonlyMap<number, PrimitiveType> = new Map(
	(Object.keys(primitiveLayout) as PrimitiveType[]).map((name) => [primitiveLayout[name].code, name]),
);

function readKey(buf: Uint8Array, at: number, where: string): string {
	let end = at;
	while (end < at + 16 && buf[end] !== 0) end++;
	if (end === at + 16) throw new NvsFormatError(`${where}: key not NUL-terminated`);
	if (end === at) throw new NvsFormatError(`${where}: empty key`);
	return new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(at, end));
}

function allFF(buf: Uint8Array, start: number, end: number): boolean {
	for (let i = start; i < end; i++) if (buf[i] !== 0xff) return false;
	return true;
}

export interface ParseOptions {
	/** Require the free page ESP-IDF needs for a read/write partition (default true). */
	requireFreePage?: boolean;
}

/**
 * Parses an image and checks every CRC (page headers, entry headers, string and blob data), the bitmap, spans,
 * namespaces and blob index/data consistency. Throws NvsFormatError naming the page/entry and the reason; the
 * message never contains entry values.
 */
export function parseNvsImage(image: Uint8Array, options: ParseOptions = {}): ParsedImage {
	if (image.length === 0 || image.length % PAGE_SIZE !== 0)
		throw new NvsFormatError(`image size ${image.length} is not a non-zero multiple of ${PAGE_SIZE}`);
	const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
	const pages: ParsedPage[] = [];
	const namespaces = new Map<number, string>();
	const entries: ParsedEntry[] = [];
	type Chunk = { index: number; data: Uint8Array };
	const blobData = new Map<string, Chunk[]>();
	const blobIndex = new Map<string, { size: number; count: number; start: number; page: number; entry: number; ns: number; key: string }>();
	const seen = new Set<string>();
	const sequences = new Set<number>();
	let emptyPages = 0;
	let activePages = 0;

	for (let p = 0; p < image.length / PAGE_SIZE; p++) {
		const base = p * PAGE_SIZE;
		const state = view.getUint32(base, true);
		if (state === PageState.EMPTY) {
			if (!allFF(image, base, base + PAGE_SIZE)) throw new NvsFormatError(`page ${p}: empty page is not erased`);
			pages.push({ index: p, state: "empty", usedEntries: 0 });
			emptyPages++;
			continue;
		}
		if (state !== PageState.ACTIVE && state !== PageState.FULL)
			throw new NvsFormatError(`page ${p}: unexpected page state 0x${state.toString(16)}`);
		if (view.getUint32(base + 28, true) !== pageHeaderCrc32(image, base))
			throw new NvsFormatError(`page ${p}: page header CRC mismatch`);
		const version = image[base + 8]!;
		if (version !== PAGE_VERSION_2) throw new NvsFormatError(`page ${p}: unsupported page version 0x${version.toString(16)}`);
		if (!allFF(image, base + 9, base + 28)) throw new NvsFormatError(`page ${p}: reserved header bytes not 0xFF`);
		const sequence = view.getUint32(base + 4, true);
		if (sequences.has(sequence)) throw new NvsFormatError(`page ${p}: duplicate sequence number ${sequence}`);
		sequences.add(sequence);
		if (state === PageState.ACTIVE) activePages++;
		// 126 entries use 252 of the bitmap's 256 bits; the last 4 bits stay 1.
		if ((image[base + BITMAP_OFFSET + 31]! & 0xf0) !== 0xf0) throw new NvsFormatError(`page ${p}: bitmap padding bits not set`);

		const stateOf = (i: number): number => (image[base + BITMAP_OFFSET + (i >> 2)]! >> ((i & 3) * 2)) & 3;
		let used = 0;
		let sawEmpty = false;
		for (let i = 0; i < ENTRY_COUNT; ) {
			const where = `page ${p} entry ${i}`;
			const at = base + FIRST_ENTRY_OFFSET + i * ENTRY_SIZE;
			const s = stateOf(i);
			if (s === EntryState.ILLEGAL) throw new NvsFormatError(`${where}: illegal bitmap state 01`);
			if (s === EntryState.EMPTY) {
				if (!allFF(image, at, at + ENTRY_SIZE)) throw new NvsFormatError(`${where}: entry marked empty is not erased`);
				sawEmpty = true;
				i++;
				continue;
			}
			if (sawEmpty) throw new NvsFormatError(`${where}: written entry after an empty one`);
			if (s === EntryState.ERASED) { used++; i++; continue; }
			if (view.getUint32(at + 4, true) !== entryCrc32(image, at)) throw new NvsFormatError(`${where}: entry CRC mismatch`);
			const ns = image[at]!;
			const type = image[at + 1]!;
			const span = image[at + 2]!;
			const chunk = image[at + 3]!;
			const key = readKey(image, at + 8, where);
			if (span < 1 || i + span > ENTRY_COUNT) throw new NvsFormatError(`${where}: span ${span} exceeds the page`);
			for (let j = 1; j < span; j++)
				if (stateOf(i + j) !== EntryState.WRITTEN) throw new NvsFormatError(`${where}: spanned entry ${i + j} not marked written`);
			const primitive = typeNames.get(type);
			const nsName = ns === 0 ? undefined : namespaces.get(ns);
			if (ns !== 0 && nsName === undefined) throw new NvsFormatError(`${where}: unknown namespace index ${ns}`);
			if (ns === 0xff) throw new NvsFormatError(`${where}: namespace index 255 is reserved`);
			if (primitive !== undefined || type === ItemType.BLOB_IDX) {
				if (span !== 1) throw new NvsFormatError(`${where}: span ${span} for a single-entry type`);
				if (chunk !== CHUNK_ANY) throw new NvsFormatError(`${where}: chunk index ${chunk} on a non-chunk entry`);
			}
			if (primitive !== undefined) {
				const layout = primitiveLayout[primitive];
				if (!allFF(image, at + 24 + layout.bytes, at + 32)) throw new NvsFormatError(`${where}: unused data bytes not 0xFF`);
				let value: number | bigint;
				if (layout.bytes === 8) value = layout.signed ? view.getBigInt64(at + 24, true) : view.getBigUint64(at + 24, true);
				else if (layout.bytes === 4) value = layout.signed ? view.getInt32(at + 24, true) : view.getUint32(at + 24, true);
				else if (layout.bytes === 2) value = layout.signed ? view.getInt16(at + 24, true) : view.getUint16(at + 24, true);
				else value = layout.signed ? view.getInt8(at + 24) : view.getUint8(at + 24);
				if (ns === 0) {
					if (primitive !== "u8") throw new NvsFormatError(`${where}: namespace entry is not u8`);
					const index = Number(value);
					if (index === 0 || index === 0xff) throw new NvsFormatError(`${where}: invalid namespace index ${index}`);
					if (namespaces.has(index) || [...namespaces.values()].includes(key))
						throw new NvsFormatError(`${where}: duplicate namespace "${key}"`);
					namespaces.set(index, key);
				} else {
					const id = `${ns}\0${key}`;
					if (seen.has(id)) throw new NvsFormatError(`${where}: duplicate key "${key}"`);
					seen.add(id);
					entries.push({ namespace: nsName!, key, type: primitive, value, page: p, entry: i });
				}
			} else if (type === ItemType.SZ || type === ItemType.BLOB_DATA || type === ItemType.BLOB) {
				if (ns === 0) throw new NvsFormatError(`${where}: variable-length entry in namespace 0`);
				if (type === ItemType.BLOB) throw new NvsFormatError(`${where}: version-1 blob (0x41) in a version-2 page`);
				const size = view.getUint16(at + 24, true);
				if (view.getUint16(at + 26, true) !== 0xffff) throw new NvsFormatError(`${where}: reserved data bytes not 0xFFFF`);
				if (size > (ENTRY_COUNT - i - 1) * ENTRY_SIZE) throw new NvsFormatError(`${where}: data size ${size} exceeds the page`);
				if (span !== Math.ceil(size / ENTRY_SIZE) + 1) throw new NvsFormatError(`${where}: span ${span} does not match data size ${size}`);
				const dataAt = at + ENTRY_SIZE;
				const data = image.subarray(dataAt, dataAt + size);
				if (nvsCrc32(data) !== view.getUint32(at + 28, true)) throw new NvsFormatError(`${where}: data CRC mismatch`);
				if (!allFF(image, dataAt + size, at + span * ENTRY_SIZE)) throw new NvsFormatError(`${where}: data padding not 0xFF`);
				if (type === ItemType.SZ) {
					if (chunk !== CHUNK_ANY) throw new NvsFormatError(`${where}: chunk index ${chunk} on a string`);
					if (size === 0 || data[size - 1] !== 0) throw new NvsFormatError(`${where}: string not NUL-terminated`);
					let text: string;
					try {
						text = new TextDecoder("utf-8", { fatal: true }).decode(data.subarray(0, size - 1));
					} catch {
						throw new NvsFormatError(`${where}: string is not valid UTF-8`);
					}
					const id = `${ns}\0${key}`;
					if (seen.has(id)) throw new NvsFormatError(`${where}: duplicate key "${key}"`);
					seen.add(id);
					entries.push({ namespace: nsName!, key, type: "string", value: text, page: p, entry: i });
				} else {
					if (chunk === CHUNK_ANY) throw new NvsFormatError(`${where}: blob data without chunk index`);
					const id = `${ns}\0${key}`;
					const list = blobData.get(id) ?? [];
					if (list.some((c) => c.index === chunk)) throw new NvsFormatError(`${where}: duplicate blob chunk ${chunk}`);
					list.push({ index: chunk, data: data.slice() });
					blobData.set(id, list);
				}
			} else if (type === ItemType.BLOB_IDX) {
				if (ns === 0) throw new NvsFormatError(`${where}: blob index in namespace 0`);
				if (view.getUint16(at + 30, true) !== 0xffff) throw new NvsFormatError(`${where}: reserved blob index bytes not 0xFFFF`);
				const id = `${ns}\0${key}`;
				if (blobIndex.has(id) || seen.has(id)) throw new NvsFormatError(`${where}: duplicate key "${key}"`);
				const chunkStart = image[at + 29]!;
				if (chunkStart !== 0 && chunkStart !== 0x80) throw new NvsFormatError(`${where}: invalid blob chunk start ${chunkStart}`);
				blobIndex.set(id, { size: view.getUint32(at + 24, true), count: image[at + 28]!, start: chunkStart, page: p, entry: i, ns, key });
			} else {
				throw new NvsFormatError(`${where}: unknown entry type 0x${type.toString(16)}`);
			}
			used += span;
			i += span;
		}
		pages.push({ index: p, state: state === PageState.ACTIVE ? "active" : "full", sequence, version, usedEntries: used });
	}

	for (const [id, index] of blobIndex) {
		const where = `page ${index.page} entry ${index.entry}`;
		const chunks = blobData.get(id) ?? [];
		blobData.delete(id);
		const mine = chunks.filter((c) => c.index >= index.start && c.index < index.start + index.count).sort((a, b) => a.index - b.index);
		if (mine.length !== index.count)
			throw new NvsFormatError(`${where}: blob "${index.key}" index lists ${index.count} chunks, found ${mine.length}`);
		const total = mine.reduce((n, c) => n + c.data.length, 0);
		if (total !== index.size) throw new NvsFormatError(`${where}: blob "${index.key}" size ${index.size} but chunks hold ${total}`);
		const value = new Uint8Array(total);
		let o = 0;
		for (const c of mine) { value.set(c.data, o); o += c.data.length; }
		seen.add(id);
		entries.push({ namespace: namespaces.get(index.ns)!, key: index.key, type: "blob", value, page: index.page, entry: index.entry });
	}
	if (blobData.size > 0) {
		const id = blobData.keys().next().value as string;
		throw new NvsFormatError(`blob "${id.split("\0")[1]}" has data chunks but no blob index`);
	}
	if (activePages > 1) throw new NvsFormatError(`${activePages} active pages (at most one expected)`);
	if ((options.requireFreePage ?? true) && emptyPages === 0)
		throw new NvsFormatError("no empty page: ESP-IDF needs one free page in a read/write NVS partition");
	return { pages, namespaces, entries };
}

// ---------------------------------------------------------------------------------------------------------------
// NVS encryption (ESP-IDF "NVS Encryption: Flash Encryption-Based Scheme")

export const KEY_PARTITION_SIZE = PAGE_SIZE;

export interface NvsKeys {
	/** XTS encryption key (eky), 32 bytes. */
	encryption: Uint8Array;
	/** XTS tweak key (tky), 32 bytes. */
	tweak: Uint8Array;
}

/** nvs_keys partition: eky[32] | tky[32] | CRC32 over both (nvs_flash_read_security_cfg) | 0xFF to 4096. */
export function buildNvsKeysPartition(keys: NvsKeys): Uint8Array {
	if (keys.encryption.length !== 32 || keys.tweak.length !== 32) throw new RangeError("NVS keys must be 32 bytes each");
	const out = new Uint8Array(KEY_PARTITION_SIZE).fill(0xff);
	out.set(keys.encryption, 0);
	out.set(keys.tweak, 32);
	new DataView(out.buffer).setUint32(64, nvsCrc32(out.subarray(0, 64)), true);
	return out;
}

export function parseNvsKeysPartition(partition: Uint8Array): NvsKeys {
	if (partition.length < 68) throw new NvsFormatError("nvs_keys partition too short");
	const crc = new DataView(partition.buffer, partition.byteOffset).getUint32(64, true);
	if (allFF(partition, 0, 64)) throw new NvsFormatError("nvs_keys partition is blank");
	if (crc !== nvsCrc32(partition.subarray(0, 64))) throw new NvsFormatError("nvs_keys CRC mismatch");
	return { encryption: partition.slice(0, 32), tweak: partition.slice(32, 64) };
}

/** Byte offsets of every entry an image's page bitmaps mark written or erased (what XTS encrypts). */
export function writtenEntries(image: Uint8Array): Uint32Array {
	const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
	const addresses: number[] = [];
	for (let base = 0; base + PAGE_SIZE <= image.length; base += PAGE_SIZE) {
		if (view.getUint32(base, true) === PageState.EMPTY) continue;
		for (let i = 0; i < ENTRY_COUNT; i++) {
			const state = (image[base + BITMAP_OFFSET + (i >> 2)]! >> ((i & 3) * 2)) & 3;
			if (state !== EntryState.EMPTY) addresses.push(base + FIRST_ENTRY_OFFSET + i * ENTRY_SIZE);
		}
	}
	return Uint32Array.from(addresses);
}

/**
 * XTS-AES-256 (IEEE 1619-2007 5.3) of every written entry of an image, each entry one 32-byte data unit whose tweak
 * is its partition-relative address, 16 bytes little-endian (nvs_encrypted_partition.cpp). Node's "aes-256-xts"
 * would need one cipher per entry; this does the same arithmetic with two ECB passes per image: the tweaks
 * T0 = AES-enc(tky, address) of all entries at once, T1 = T0 * alpha in GF(2^128) (5.2: little-endian, carry
 * 0x87), then C = AES(eky, P xor T) xor T for every 16-byte block. Checked against the generator's encrypted golden
 * and against Node's aes-256-xts in tests/tools/provision/nvs.test.ts.
 */
/** Per-thread scratch for mapEntries (grown to the largest entry count seen, wiped after every use). */
let xtsScratch = new Uint8Array(0);

function mapEntries(image: Uint8Array, keys: NvsKeys, encrypt: boolean, inPlace = false, entries = writtenEntries(image)): Uint8Array {
	if (keys.encryption.length !== 32 || keys.tweak.length !== 32) throw new RangeError("NVS keys must be 32 bytes each");
	const out = inPlace ? image : image.slice();
	const n = entries.length;
	if (n === 0) return out;
	// One scratch buffer per thread: the tweaks (n * 16), T0 | T1 per entry (n * 32), the blocks to map (n * 32).
	if (xtsScratch.length < n * 80) xtsScratch = new Uint8Array(n * 80);
	const tweaks = xtsScratch.subarray(0, n * 16);
	const t = xtsScratch.subarray(n * 16, n * 48);
	const blocks = xtsScratch.subarray(n * 48, n * 80);
	tweaks.fill(0);
	for (let k = 0; k < n; k++) {
		const a = entries[k]!;
		if (a + ENTRY_SIZE > out.length) throw new RangeError("entry offset outside the image");
		const o = k * 16;
		tweaks[o] = a & 0xff;
		tweaks[o + 1] = (a >>> 8) & 0xff;
		tweaks[o + 2] = (a >>> 16) & 0xff;
		tweaks[o + 3] = a >>> 24;
	}
	// final() on every cipher: Node frees the OpenSSL context there, rather than when the collector gets to the
	// Cipher object (a per-device context kept until a full GC is memory that grows with the batch).
	const tc = createCipheriv("aes-256-ecb", keys.tweak, null).setAutoPadding(false);
	const t0 = tc.update(tweaks);
	tc.final();
	try {
		for (let k = 0; k < n; k++) {
			const o = k * 32;
			const a = entries[k]!;
			t.set(t0.subarray(k * 16, k * 16 + 16), o);
			let carry = 0;
			for (let b = 0; b < 16; b++) {
				const v = t[o + b]!;
				t[o + 16 + b] = ((v << 1) | carry) & 0xff;
				carry = v >> 7;
			}
			if (carry) t[o + 16]! ^= 0x87;
			for (let b = 0; b < 32; b++) blocks[o + b] = out[a + b]! ^ t[o + b]!;
		}
		// ECB without padding: update() returns every whole block, final() nothing.
		const c = encrypt ? createCipheriv("aes-256-ecb", keys.encryption, null) : createDecipheriv("aes-256-ecb", keys.encryption, null);
		const mapped = c.setAutoPadding(false).update(blocks);
		c.final();
		for (let k = 0; k < n; k++) {
			const o = k * 32;
			const a = entries[k]!;
			for (let b = 0; b < 32; b++) out[a + b] = mapped[o + b]! ^ t[o + b]!;
		}
		mapped.fill(0);
	} finally {
		xtsScratch.fill(0, 0, n * 80);
		t0.fill(0);
	}
	return out;
}

/** Encrypts every written entry as one 32-byte XTS-AES-256 data unit; headers, bitmaps, empty entries stay plain. */
export function encryptNvsImage(image: Uint8Array, keys: NvsKeys, options: { inPlace?: boolean; entries?: Uint32Array } = {}): Uint8Array {
	return mapEntries(image, keys, true, options.inPlace, options.entries ?? writtenEntries(image));
}

export function decryptNvsImage(image: Uint8Array, keys: NvsKeys): Uint8Array {
	return mapEntries(image, keys, false);
}

// ---------------------------------------------------------------------------------------------------------------
// NVS encryption, HMAC-based key protection scheme (ESP32-S3 and later, CONFIG_NVS_SEC_KEY_PROTECT_USING_HMAC)
//
// The device derives the XTS keys at every boot from an HMAC key in an eFuse key block (purpose HMAC_UP, block
// CONFIG_NVS_SEC_HMAC_EFUSE_KEY_ID); no nvs_keys partition exists. ESP-IDF components/nvs_sec_provider/
// nvs_sec_provider.c, compute_nvs_keys_with_hmac():
//     uint32_t ekey_seed[8] = {[0 ... 7] = 0xAEBE5A5A};  esp_hmac_calculate(key_id, ekey_seed, 32, cfg->eky);
//     uint32_t tkey_seed[8] = {[0 ... 7] = 0xCEDEA5A5};  esp_hmac_calculate(key_id, tkey_seed, 32, cfg->tky);
// i.e. HMAC-SHA256 over the seed words in memory order (little-endian). The host generator does the same
// (esp-idf-nvs-partition-gen, generate_key() with --key_protect_hmac: HMAC_EKEY_SEED_ELEMENT = b'\x5A\x5A\xBE\xAE',
// HMAC_TKEY_SEED_ELEMENT = b'\xA5\xA5\xDE\xCE', each repeated 8 times), and tests/tools/provision/golden/nvs_keys.bin
// is that generator's output for the HMAC key golden/nvs_keys_hmac.bin.

export const HMAC_EKEY_SEED = Uint8Array.from({ length: 32 }, (_, i) => [0x5a, 0x5a, 0xbe, 0xae][i & 3]!);
export const HMAC_TKEY_SEED = Uint8Array.from({ length: 32 }, (_, i) => [0xa5, 0xa5, 0xde, 0xce][i & 3]!);

/**
 * HMAC-SHA256 (RFC 2104) of a 32-byte message under a 32-byte key, as two one-shot SHA-256 digests over a scratch
 * block (crypto.hash, Node >= 20.12; no Hmac object per call): H((K ^ opad) || H((K ^ ipad) || m)). createHmac where
 * crypto.hash is missing. tests/tools/provision/nvs.test.ts checks it against createHmac and the generator's golden.
 */
const hmacBlock = new Uint8Array(96);
const oneShot = (crypto as { hash?: (alg: string, data: Uint8Array, enc: "buffer") => Buffer }).hash;
export function hmacSha256Of32(key: Uint8Array, message: Uint8Array): Uint8Array {
	if (key.length !== 32 || message.length !== 32) throw new RangeError("hmacSha256Of32 takes a 32-byte key and message");
	if (!oneShot) {
		const d = createHmac("sha256", key).update(message).digest();
		return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
	}
	try {
		for (let i = 0; i < 32; i++) hmacBlock[i] = key[i]! ^ 0x36;
		hmacBlock.fill(0x36, 32, 64);
		hmacBlock.set(message, 64);
		const inner = oneShot("sha256", hmacBlock, "buffer");
		for (let i = 0; i < 32; i++) hmacBlock[i] = key[i]! ^ 0x5c;
		hmacBlock.fill(0x5c, 32, 64);
		hmacBlock.set(inner, 64);
		inner.fill(0);
		const d = oneShot("sha256", hmacBlock, "buffer");
		return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
	} finally {
		hmacBlock.fill(0);
	}
}

/** The XTS keys a device derives from its NVS HMAC eFuse key (32 bytes). */
export function deriveNvsKeysFromHmac(hmacKey: Uint8Array): NvsKeys {
	if (hmacKey.length !== 32) throw new RangeError("the NVS HMAC key must be 32 bytes");
	return { encryption: hmacSha256Of32(hmacKey, HMAC_EKEY_SEED), tweak: hmacSha256Of32(hmacKey, HMAC_TKEY_SEED) };
}
