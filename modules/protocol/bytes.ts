/**
 * Byte helpers the firmware needs without TextEncoder/TextDecoder or Buffer (neither is assumed in XS):
 * UTF-8 (RFC 3629), ASCII, hex, base64 (RFC 4648 §4) and base64url (RFC 4648 §5), constant-time compare.
 */

/** UTF-8 encode (RFC 3629 §3). Lone surrogates become U+FFFD, as the WHATWG encoder does. */
export function encodeUtf8(text: string): Uint8Array {
	const out: number[] = [];
	for (let i = 0; i < text.length; i++) {
		let c = text.charCodeAt(i);
		if (c < 0x80) {
			out.push(c);
			continue;
		}
		if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
			const d = text.charCodeAt(i + 1);
			if (d >= 0xdc00 && d <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
				i++;
			} else c = 0xfffd;
		} else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
		if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
		else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
		else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
	}
	return Uint8Array.from(out);
}

/**
 * Strict UTF-8 decode: throws RangeError on malformed, overlong or surrogate sequences (RFC 3629 §3-4).
 * Linear: code units are gathered 64 at a time and joined once (in XS `a += b` copies both strings, so one
 * concatenation per character is quadratic in the length).
 */
export function decodeUtf8(bytes: Uint8Array): string {
	const pieces: string[] = [];
	const units: number[] = [];
	const n = bytes.length;
	for (let i = 0; i < n; ) {
		if (units.length >= 64) {
			pieces.push(String.fromCharCode.apply(null, units));
			units.length = 0;
		}
		const b = bytes[i];
		if (b < 0x80) {
			units.push(b);
			i++;
			continue;
		}
		let need: number, min: number, cp: number;
		if (b >= 0xc2 && b <= 0xdf) { need = 1; min = 0x80; cp = b & 0x1f; }
		else if (b >= 0xe0 && b <= 0xef) { need = 2; min = 0x800; cp = b & 0x0f; }
		else if (b >= 0xf0 && b <= 0xf4) { need = 3; min = 0x10000; cp = b & 0x07; }
		else throw new RangeError(`invalid UTF-8 byte 0x${b.toString(16)} at ${i}`);
		if (i + need >= n) throw new RangeError(`truncated UTF-8 sequence at ${i}`);
		for (let j = 1; j <= need; j++) {
			const c = bytes[i + j];
			if ((c & 0xc0) !== 0x80) throw new RangeError(`invalid UTF-8 continuation at ${i + j}`);
			cp = (cp << 6) | (c & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new RangeError(`invalid UTF-8 code point at ${i}`);
		if (cp >= 0x10000) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
		else units.push(cp);
		i += need + 1;
	}
	if (units.length) pieces.push(String.fromCharCode.apply(null, units));
	return pieces.join("");
}

/** Bytes of a string that must be ASCII (HTTP header text, signature bases); throws otherwise. */
export function encodeAscii(text: string): Uint8Array {
	// One native scan rejects non-ASCII (XS meters a regex at a few instructions per character, a JS loop at ~25).
	if (!asciiOnly.test(text)) {
		for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) throw new RangeError(`non-ASCII character at ${i}`);
	}
	const n = text.length;
	const out = new Uint8Array(n);
	for (let i = 0; i < n; i++) out[i] = text.charCodeAt(i);
	return out;
}

const asciiOnly = /^[\x00-\x7f]*$/;

/** Latin-1 view of bytes (one char per byte), for header parsing where non-ASCII is then rejected explicitly. */
export function decodeLatin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
	// XS puts every argument of an apply() on its stack (512 slots on the boards, manifest `creation.stack`): 64 at a
	// time keeps decoding well inside it. The typed array itself is the array-like (ECMA-262 CreateListFromArrayLike):
	// no intermediate Array. The pieces are joined once, because in XS `a += b` copies both strings and appending
	// piece by piece would be quadratic in the length.
	if (end - start <= 64) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
	const pieces: string[] = [];
	for (let i = start; i < end; i += 64) pieces.push(String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 64)) as unknown as number[]));
	return pieces.join("");
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
	let n = 0;
	for (const p of parts) n += p.length;
	const out = new Uint8Array(n);
	let o = 0;
	for (const p of parts) {
		out.set(p, o);
		o += p.length;
	}
	return out;
}

const HEX = "0123456789abcdef";

export function toHex(bytes: Uint8Array): string {
	let s = "";
	for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
	return s;
}

export function fromHex(hex: string): Uint8Array {
	if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new RangeError("invalid hex");
	const out = new Uint8Array(hex.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
	return out;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function encode(bytes: Uint8Array, alphabet: string, pad: boolean): string {
	let s = "";
	const n = bytes.length;
	let i = 0;
	for (; i + 3 <= n; i += 3) {
		const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
		s += alphabet[v >> 18] + alphabet[(v >> 12) & 63] + alphabet[(v >> 6) & 63] + alphabet[v & 63];
	}
	if (n - i === 1) {
		const v = bytes[i] << 16;
		s += alphabet[v >> 18] + alphabet[(v >> 12) & 63] + (pad ? "==" : "");
	} else if (n - i === 2) {
		const v = (bytes[i] << 16) | (bytes[i + 1] << 8);
		s += alphabet[v >> 18] + alphabet[(v >> 12) & 63] + alphabet[(v >> 6) & 63] + (pad ? "=" : "");
	}
	return s;
}

function decode(text: string, alphabet: string, padded: boolean): Uint8Array {
	let body = text;
	if (padded) {
		if (text.length % 4 !== 0) throw new RangeError("invalid base64 length");
		if (body.endsWith("==")) body = body.slice(0, -2);
		else if (body.endsWith("=")) body = body.slice(0, -1);
	} else if (text.length % 4 === 1) throw new RangeError("invalid base64 length");
	const n = body.length;
	const out = new Uint8Array(Math.floor((n * 3) / 4));
	let o = 0, acc = 0, bits = 0;
	for (let i = 0; i < n; i++) {
		const v = alphabet.indexOf(body[i]);
		if (v < 0) throw new RangeError(`invalid base64 character at ${i}`);
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (acc >> bits) & 0xff;
		}
	}
	// RFC 4648 §3.5: non-zero pad bits make the encoding non-canonical; refuse it so every value has one spelling.
	if ((acc & ((1 << bits) - 1)) !== 0) throw new RangeError("non-canonical base64");
	return out;
}

export function toBase64(bytes: Uint8Array): string {
	return encode(bytes, B64, true);
}

export function fromBase64(text: string): Uint8Array {
	return decode(text, B64, true);
}

export function toBase64Url(bytes: Uint8Array): string {
	return encode(bytes, B64URL, false);
}

export function fromBase64Url(text: string): Uint8Array {
	return decode(text, B64URL, false);
}

/** Constant-time equality: the time depends on the lengths only, never on where the bytes differ. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
	let diff = a.length ^ b.length;
	const n = Math.max(a.length, b.length);
	for (let i = 0; i < n; i++) diff |= (a[i % (a.length || 1)] ?? 0) ^ (b[i % (b.length || 1)] ?? 0);
	return diff === 0;
}

/** Constant-time string equality (compares UTF-16 code units). */
export function equalStrings(a: string, b: string): boolean {
	let diff = a.length ^ b.length;
	const n = Math.max(a.length, b.length);
	for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i % (a.length || 1)) | 0) ^ (b.charCodeAt(i % (b.length || 1)) | 0);
	return diff === 0;
}
