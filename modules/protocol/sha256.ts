/**
 * SHA-256 (FIPS 180-4 §6.2) and HMAC-SHA256 (RFC 2104) in plain ES2022, for the simulator, the XS test lane and
 * digests on the device (the device key itself never passes through here on hardware: see hal/keystore).
 */

// Module-private (a non-empty typed array cannot be frozen).
const K = Uint32Array.from([
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

// FIPS 180-4 §5.3.3
const H0 = Object.freeze([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

export const blockSize = 64;
export const digestSize = 32;

/** Incremental SHA-256: `update` any number of times, then `digest` once. */
export class Sha256 {
	#h = Uint32Array.from(H0);
	#w = new Uint32Array(64);
	#block = new Uint8Array(64);
	#used = 0;
	#length = 0; // bytes hashed so far (< 2^53, ample for any message here)
	#done = false;

	update(data: Uint8Array): this {
		if (this.#done) throw new Error("sha256: update after digest");
		let offset = 0;
		const n = data.length;
		this.#length += n;
		if (this.#used > 0) {
			const take = Math.min(64 - this.#used, n);
			this.#block.set(data.subarray(0, take), this.#used);
			this.#used += take;
			offset = take;
			if (this.#used < 64) return this;
			this.#compress(this.#block, 0);
			this.#used = 0;
		}
		while (offset + 64 <= n) {
			this.#compress(data, offset);
			offset += 64;
		}
		if (offset < n) {
			this.#block.set(data.subarray(offset), 0);
			this.#used = n - offset;
		}
		return this;
	}

	digest(): Uint8Array {
		if (this.#done) throw new Error("sha256: digest called twice");
		this.#done = true;
		// FIPS 180-4 §5.1.1: 0x80, zeros, then the 64-bit big-endian bit length
		const bits = this.#length * 8;
		const block = this.#block;
		block[this.#used++] = 0x80;
		if (this.#used > 56) {
			block.fill(0, this.#used);
			this.#compress(block, 0);
			this.#used = 0;
		}
		block.fill(0, this.#used, 56);
		const high = Math.floor(bits / 0x100000000);
		const low = bits >>> 0;
		block[56] = high >>> 24; block[57] = high >>> 16; block[58] = high >>> 8; block[59] = high;
		block[60] = low >>> 24; block[61] = low >>> 16; block[62] = low >>> 8; block[63] = low;
		this.#compress(block, 0);
		const out = new Uint8Array(32);
		for (let i = 0; i < 8; i++) {
			const v = this.#h[i];
			out[i * 4] = v >>> 24; out[i * 4 + 1] = v >>> 16; out[i * 4 + 2] = v >>> 8; out[i * 4 + 3] = v;
		}
		block.fill(0);
		this.#w.fill(0);
		this.#h.fill(0);
		return out;
	}

	// FIPS 180-4 §6.2.2. Written for XS, which has no JIT and meters every bytecode: the schedule and the state stay
	// in locals, and the rounds go eight at a time with the working variables renamed instead of shifted (the
	// eight assignments `h = g; g = f; ...` per round are most of what a plain loop adds to the arithmetic).
	#compress(data: Uint8Array, offset: number): void {
		const w = this.#w;
		for (let i = 0, j = offset; i < 16; i++, j += 4) w[i] = (data[j] << 24) | (data[j + 1] << 16) | (data[j + 2] << 8) | data[j + 3];
		for (let i = 16; i < 64; i++) {
			const x = w[i - 15], y = w[i - 2];
			w[i] = (w[i - 16] + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[i - 7] + (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10))) | 0;
		}
		const h = this.#h;
		let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
		for (let i = 0; i < 64; i += 8) {
			k = (k + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
			d = (d + k) | 0;
			k = (k + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
			g = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + ((d & e) ^ (~d & f)) + K[i + 1] + w[i + 1]) | 0;
			c = (c + g) | 0;
			g = (g + (((k >>> 2) | (k << 30)) ^ ((k >>> 13) | (k << 19)) ^ ((k >>> 22) | (k << 10))) + ((k & a) ^ (k & b) ^ (a & b))) | 0;
			f = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + ((c & d) ^ (~c & e)) + K[i + 2] + w[i + 2]) | 0;
			b = (b + f) | 0;
			f = (f + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & k) ^ (g & a) ^ (k & a))) | 0;
			e = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + ((b & c) ^ (~b & d)) + K[i + 3] + w[i + 3]) | 0;
			a = (a + e) | 0;
			e = (e + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) ^ (f & k) ^ (g & k))) | 0;
			d = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + ((a & b) ^ (~a & c)) + K[i + 4] + w[i + 4]) | 0;
			k = (k + d) | 0;
			d = (d + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) ^ (e & g) ^ (f & g))) | 0;
			c = (c + (((k >>> 6) | (k << 26)) ^ ((k >>> 11) | (k << 21)) ^ ((k >>> 25) | (k << 7))) + ((k & a) ^ (~k & b)) + K[i + 5] + w[i + 5]) | 0;
			g = (g + c) | 0;
			c = (c + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) ^ (d & f) ^ (e & f))) | 0;
			b = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + ((g & k) ^ (~g & a)) + K[i + 6] + w[i + 6]) | 0;
			f = (f + b) | 0;
			b = (b + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) ^ (c & e) ^ (d & e))) | 0;
			a = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + ((f & g) ^ (~f & k)) + K[i + 7] + w[i + 7]) | 0;
			e = (e + a) | 0;
			a = (a + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) ^ (b & d) ^ (c & d))) | 0;
		}
		h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
		h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + k) | 0;
	}
}

export function sha256(data: Uint8Array): Uint8Array {
	return new Sha256().update(data).digest();
}

/**
 * HMAC-SHA256 (RFC 2104 §2) with a precomputed key schedule: the padded key is hashed into inner/outer states once,
 * so `mac` costs two hash passes over the message only. `close()` wipes the key material.
 */
export class HmacSha256 {
	#ipad: Uint8Array | undefined;
	#opad: Uint8Array | undefined;

	constructor(key: Uint8Array) {
		if (!(key instanceof Uint8Array)) throw new TypeError("hmac key must be a Uint8Array");
		const k = new Uint8Array(64);
		if (key.length > 64) k.set(sha256(key));
		else k.set(key);
		const ipad = new Uint8Array(64), opad = new Uint8Array(64);
		for (let i = 0; i < 64; i++) {
			ipad[i] = k[i] ^ 0x36;
			opad[i] = k[i] ^ 0x5c;
		}
		k.fill(0);
		this.#ipad = ipad;
		this.#opad = opad;
	}

	mac(message: Uint8Array): Uint8Array {
		if (!this.#ipad || !this.#opad) throw new Error("hmac closed");
		const inner = new Sha256().update(this.#ipad).update(message).digest();
		const out = new Sha256().update(this.#opad).update(inner).digest();
		inner.fill(0);
		return out;
	}

	close(): void {
		this.#ipad?.fill(0);
		this.#opad?.fill(0);
		this.#ipad = undefined;
		this.#opad = undefined;
	}
}

export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
	const h = new HmacSha256(key);
	try {
		return h.mac(message);
	} finally {
		h.close();
	}
}
