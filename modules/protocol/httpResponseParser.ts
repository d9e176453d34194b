import { decodeLatin1 } from "modules/protocol/bytes";
import type { HttpResponse } from "modules/protocol/message";

/** Why a response could not be parsed; the connection is unusable afterwards (the caller closes it). */
export type HttpParseError =
	| "status-line"      // not `HTTP/1.x NNN reason`
	| "header"           // malformed field line, obs-fold, bare CR or LF, or non-ASCII
	| "header-too-large" // head (or trailer section) over maxHeaderBytes
	| "length"           // missing, invalid or conflicting Content-Length / Transfer-Encoding
	| "body-too-large"
	| "chunk"            // malformed chunked framing
	| "closed";          // input ended before the message did

export type HttpParseResult =
	| { readonly ok: true; readonly response: HttpResponse }
	| { readonly ok: false; readonly error: HttpParseError; readonly detail: string };

export interface HttpResponseParserOptions {
	readonly maxHeaderBytes?: number;
	readonly maxBodyBytes?: number;
}

const enum Phase { Head, Body, ChunkSize, ChunkData, ChunkDataEnd, Trailers, Done, Failed }

const CR = 13;
const LF = 10;
/** Longest chunk-size line (size plus extensions, RFC 9112 §7.1.1) accepted. */
const MAX_CHUNK_LINE = 1024;

/** RFC 9110 §5.6.2 tchar. */
function isTchar(c: number): boolean {
	return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
		c === 0x21 || (c >= 0x23 && c <= 0x27) || c === 0x2a || c === 0x2b || c === 0x2d || c === 0x2e ||
		c === 0x5e || c === 0x5f || c === 0x60 || c === 0x7c || c === 0x7e;
}

/** RFC 9110 §5.5 field-vchar / SP / HTAB without obs-text: the only bytes this protocol's fields carry. */
function isFieldByte(c: number): boolean {
	return (c >= 0x20 && c <= 0x7e) || c === 0x09;
}

/**
 * Incremental HTTP/1.1 response parser (RFC 9112): feed it bytes in chunks of any size; `push` returns a result
 * once a whole response is in (Content-Length bodies and chunked transfer coding), or an error, else undefined.
 * 1xx interim responses are skipped (RFC 9110 §15.2). Bytes after the response are kept in `rest` for the next.
 *
 * Linear time, bounded memory: every byte is examined a bounded number of times whatever the chunking (the head
 * is cut into lines as bytes arrive and each line is checked by one left-to-right scan, no backtracking regular
 * expression); the bytes held are at most one head line (≤ maxHeaderBytes), the body (≤ maxBodyBytes) and, after
 * the response, the rest of the last chunk pushed.
 */
export default class HttpResponseParser {
	readonly #maxHeader: number;
	readonly #maxBody: number;
	#phase = Phase.Head;
	/** The line being assembled (head, chunk-size or trailer line), without its CR LF. */
	#line = new Uint8Array(128);
	#lineLength = 0;
	/** Bytes of the current head (or trailer section) so far, CR LF included, against maxHeaderBytes. */
	#sectionBytes = 0;
	#statusSeen = false;
	#rest = new Uint8Array(0);
	#status = 0;
	#reason = "";
	#headers: Array<[string, string]> = [];
	#body: Uint8Array[] = [];
	#bodyLength = 0;
	#remaining = 0;
	#result: HttpParseResult | undefined;

	constructor(options: HttpResponseParserOptions = {}) {
		const { maxHeaderBytes = 8192, maxBodyBytes = 16384 } = options;
		if (!Number.isInteger(maxHeaderBytes) || maxHeaderBytes < 64) throw new RangeError("invalid maxHeaderBytes");
		if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 0) throw new RangeError("invalid maxBodyBytes");
		this.#maxHeader = maxHeaderBytes;
		this.#maxBody = maxBodyBytes;
	}

	/** Bytes received after the end of the response. */
	get rest(): Uint8Array {
		return this.#phase === Phase.Done ? this.#rest.slice() : new Uint8Array(0);
	}

	/** Bytes the parser holds now (line buffer, body so far, rest): never more than the limits allow. */
	get retained(): number {
		return this.#line.length + this.#bodyLength + (this.#phase === Phase.Body ? this.#remaining : 0) + this.#rest.length;
	}

	push(chunk: Uint8Array): HttpParseResult | undefined {
		if (this.#result) return this.#result;
		let i = 0;
		const n = chunk.length;
		while (i < n && !this.#result) {
			switch (this.#phase) {
				case Phase.Head:
				case Phase.Trailers:
				case Phase.ChunkSize:
					i = this.#lineBytes(chunk, i);
					break;
				case Phase.Body:
				case Phase.ChunkData: {
					const take = Math.min(this.#remaining, n - i);
					if (this.#phase === Phase.Body) this.#body[0].set(chunk.subarray(i, i + take), this.#bodyLength);
					else this.#body.push(chunk.slice(i, i + take));
					this.#bodyLength += take;
					this.#remaining -= take;
					i += take;
					if (this.#remaining === 0) {
						if (this.#phase === Phase.Body) this.#complete();
						else this.#phase = Phase.ChunkDataEnd;
					}
					break;
				}
				case Phase.ChunkDataEnd: {
					// RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
					const expected = this.#remaining === 0 ? CR : LF;
					if (chunk[i] !== expected) { this.#fail("chunk", "chunk data not followed by CRLF"); break; }
					i++;
					if (expected === CR) this.#remaining = -1;
					else { this.#remaining = 0; this.#phase = Phase.ChunkSize; }
					break;
				}
				default:
					i = n;
			}
		}
		const result = this.#result as HttpParseResult | undefined; // set by the phase handlers above
		if (result?.ok) this.#rest = chunk.slice(i);
		return result;
	}

	/** The peer closed the connection: a response still incomplete is an error. */
	end(): HttpParseResult {
		if (this.#result) return this.#result;
		return this.#fail("closed", "connection closed mid-response");
	}

	#fail(error: HttpParseError, detail: string): HttpParseResult {
		this.#phase = Phase.Failed;
		this.#line = new Uint8Array(0);
		this.#lineLength = 0;
		this.#body = [];
		this.#bodyLength = 0;
		return (this.#result = { ok: false, error, detail });
	}

	/** Adds bytes from `chunk[i..]` to the line being assembled up to its LF; returns the index after what it used. */
	#lineBytes(chunk: Uint8Array, i: number): number {
		const n = chunk.length;
		let end = i;
		while (end < n && chunk[end] !== LF) end++;
		const limit = this.#phase === Phase.ChunkSize ? MAX_CHUNK_LINE : this.#maxHeader;
		const used = end - i + (end < n ? 1 : 0);
		if (this.#phase === Phase.ChunkSize) {
			if (this.#lineLength + used > limit) { this.#fail("chunk", "chunk size line too long"); return n; }
		} else {
			this.#sectionBytes += used;
			if (this.#sectionBytes > limit) {
				this.#fail("header-too-large", this.#phase === Phase.Head ? `header section exceeds ${limit} bytes` : "trailer section too large");
				return n;
			}
		}
		this.#append(chunk, i, end);
		if (end === n) return n;
		// RFC 9112 §2.2: lines end in CR LF; a bare LF (or a CR elsewhere, rejected by the line checks) is an error.
		if (this.#lineLength === 0 || this.#line[this.#lineLength - 1] !== CR) {
			this.#fail(this.#phase === Phase.ChunkSize ? "chunk" : "header", "line not ended by CR LF");
			return n;
		}
		const length = this.#lineLength - 1;
		this.#lineLength = 0;
		this.#onLine(length);
		return end + 1;
	}

	#append(chunk: Uint8Array, from: number, to: number): void {
		const need = this.#lineLength + (to - from);
		if (need > this.#line.length) {
			// Doubling keeps appends linear overall; the section limit above caps the size.
			let size = this.#line.length * 2;
			while (size < need) size *= 2;
			const grown = new Uint8Array(size);
			grown.set(this.#line.subarray(0, this.#lineLength));
			this.#line = grown;
		}
		this.#line.set(chunk.subarray(from, to), this.#lineLength);
		this.#lineLength = need;
	}

	#onLine(length: number): void {
		const b = this.#line;
		if (this.#phase === Phase.ChunkSize) {
			this.#chunkSize(b, length);
			return;
		}
		if (this.#phase === Phase.Trailers) {
			// Trailer fields are not used by this protocol (RFC 9421 covers header fields only here).
			if (length === 0) this.#complete();
			return;
		}
		if (!this.#statusSeen) {
			this.#statusLine(b, length);
			return;
		}
		if (length === 0) {
			this.#endOfHead();
			return;
		}
		this.#fieldLine(b, length);
	}

	/** RFC 9112 §4: HTTP-version SP status-code SP [ reason-phrase ]. */
	#statusLine(b: Uint8Array, length: number): void {
		const prefix = "HTTP/1.";
		let ok = length >= 12;
		for (let k = 0; ok && k < prefix.length; k++) ok = b[k] === prefix.charCodeAt(k);
		ok = ok && (b[7] === 0x30 || b[7] === 0x31) && b[8] === 0x20;
		ok = ok && b[9] >= 0x31 && b[9] <= 0x39 && b[10] >= 0x30 && b[10] <= 0x39 && b[11] >= 0x30 && b[11] <= 0x39;
		if (ok && length > 12) {
			ok = b[12] === 0x20;
			for (let k = 13; ok && k < length; k++) ok = isFieldByte(b[k]);
		} else if (ok && length !== 12) ok = false;
		if (!ok) { this.#fail("status-line", "invalid status line"); return; }
		this.#status = (b[9] - 0x30) * 100 + (b[10] - 0x30) * 10 + (b[11] - 0x30);
		this.#reason = length > 13 ? decodeLatin1(b, 13, length) : "";
		this.#statusSeen = true;
		this.#headers = [];
	}

	/** RFC 9112 §5.1-5.2: field-name ":" OWS field-value OWS; obs-fold (a line starting with SP/HTAB) is rejected. */
	#fieldLine(b: Uint8Array, length: number): void {
		let colon = 0;
		while (colon < length && isTchar(b[colon])) colon++;
		if (colon === 0 || colon === length || b[colon] !== 0x3a) { this.#fail("header", `invalid field line ${this.#headers.length + 1}`); return; }
		let start = colon + 1;
		let end = length;
		for (let k = start; k < length; k++)
			if (!isFieldByte(b[k])) { this.#fail("header", `invalid field line ${this.#headers.length + 1}`); return; }
		while (start < end && (b[start] === 0x20 || b[start] === 0x09)) start++;
		while (end > start && (b[end - 1] === 0x20 || b[end - 1] === 0x09)) end--;
		this.#headers.push([decodeLatin1(b, 0, colon), decodeLatin1(b, start, end)]);
	}

	#endOfHead(): void {
		const status = this.#status;
		this.#statusSeen = false;
		this.#sectionBytes = 0;
		// Interim response (RFC 9110 §15.2): parse the next head, with a fresh header budget.
		if (status >= 100 && status < 200) return;
		const headers = this.#headers;
		const te: string[] = [];
		const cl: string[] = [];
		for (const [name, value] of headers) {
			const lower = name.toLowerCase();
			if (lower === "transfer-encoding") te.push(value.toLowerCase());
			else if (lower === "content-length") cl.push(value);
		}
		if (te.length) {
			// RFC 9112 §6.1: chunked must be last; Content-Length alongside is an error we refuse
			if (cl.length || te.join(",").replace(/[ \t]/g, "") !== "chunked") { this.#fail("length", "unsupported Transfer-Encoding"); return; }
			this.#phase = Phase.ChunkSize;
			return;
		}
		if (status === 204 || status === 304) { this.#complete(); return; }
		if (cl.length === 0) { this.#fail("length", "no Content-Length"); return; }
		// RFC 9110 §8.6: a list of identical values is the same length; anything else is an error.
		const values = cl.join(",").split(",");
		let length = -1;
		for (const raw of values) {
			const v = raw.trim();
			if (!/^[0-9]{1,9}$/.test(v)) { this.#fail("length", "invalid Content-Length"); return; }
			const n = parseInt(v, 10);
			if (length >= 0 && n !== length) { this.#fail("length", "invalid Content-Length"); return; }
			length = n;
		}
		if (length > this.#maxBody) { this.#fail("body-too-large", `body exceeds ${this.#maxBody} bytes`); return; }
		if (length === 0) { this.#complete(); return; }
		this.#body = [new Uint8Array(length)];
		this.#remaining = length;
		this.#phase = Phase.Body;
	}

	/** RFC 9112 §7.1: chunk-size [ chunk-ext ]; chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ). */
	#chunkSize(b: Uint8Array, length: number): void {
		let k = 0;
		let size = 0;
		while (k < length && k < 9) {
			const c = b[k];
			const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
			if (d < 0) break;
			size = size * 16 + d;
			k++;
		}
		let ok = k >= 1 && k <= 8;
		let j = k;
		while (ok && j < length && (b[j] === 0x20 || b[j] === 0x09)) j++;
		if (ok && j < length) {
			ok = b[j] === 0x3b;
			for (let m = j; ok && m < length; m++) ok = isFieldByte(b[m]);
		}
		if (!ok) { this.#fail("chunk", "invalid chunk size"); return; }
		if (size === 0) { this.#phase = Phase.Trailers; this.#sectionBytes = 0; return; }
		if (this.#bodyLength + size > this.#maxBody) { this.#fail("body-too-large", `body exceeds ${this.#maxBody} bytes`); return; }
		this.#remaining = size;
		this.#phase = Phase.ChunkData;
	}

	#complete(): void {
		let body: Uint8Array;
		if (this.#body.length === 1 && this.#body[0].length === this.#bodyLength) body = this.#body[0];
		else {
			body = new Uint8Array(this.#bodyLength);
			let o = 0;
			for (const c of this.#body) { body.set(c, o); o += c.length; }
		}
		this.#phase = Phase.Done;
		this.#body = [];
		this.#line = new Uint8Array(0);
		this.#result = { ok: true, response: { status: this.#status, reason: this.#reason, headers: this.#headers, body } };
	}
}
