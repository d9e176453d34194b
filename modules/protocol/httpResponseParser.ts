import { decodeLatin1 } from "modules/protocol/bytes";
import type { HttpResponse } from "modules/protocol/message";

/** Why a response could not be parsed; the connection is unusable afterwards. */
export type HttpParseError =
	| "status-line"      // not `HTTP/1.x NNN reason`
	| "header"           // malformed field line, obs-fold, or non-ASCII
	| "header-too-large"
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

/**
 * Incremental HTTP/1.1 response parser (RFC 9112): feed it bytes in chunks of any size; `push` returns a result
 * once a whole response is in (Content-Length bodies and chunked transfer coding), or an error, else undefined.
 * 1xx interim responses are skipped (RFC 9110 §15.2). Bytes after the response are kept in `rest` for the next.
 */
export default class HttpResponseParser {
	readonly #maxHeader: number;
	readonly #maxBody: number;
	#phase = Phase.Head;
	#buffer = new Uint8Array(0);
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
		return this.#phase === Phase.Done ? this.#buffer.slice() : new Uint8Array(0);
	}

	push(chunk: Uint8Array): HttpParseResult | undefined {
		if (this.#result) return this.#result;
		if (chunk.length) {
			const b = new Uint8Array(this.#buffer.length + chunk.length);
			b.set(this.#buffer);
			b.set(chunk, this.#buffer.length);
			this.#buffer = b;
		}
		this.#run();
		return this.#result;
	}

	/** The peer closed the connection: a response still incomplete is an error. */
	end(): HttpParseResult {
		if (this.#result) return this.#result;
		return this.#fail("closed", "connection closed mid-response");
	}

	#fail(error: HttpParseError, detail: string): HttpParseResult {
		this.#phase = Phase.Failed;
		this.#buffer = new Uint8Array(0);
		return (this.#result = { ok: false, error, detail });
	}

	#line(limit: number): string | undefined | null {
		const b = this.#buffer;
		for (let i = 0; i + 1 < b.length; i++) {
			if (b[i] === 13 && b[i + 1] === 10) {
				const line = decodeLatin1(b, 0, i);
				this.#buffer = b.subarray(i + 2);
				return line;
			}
		}
		return b.length > limit ? null : undefined; // null: too long without CRLF
	}

	#take(n: number): Uint8Array {
		const out = this.#buffer.slice(0, n);
		this.#buffer = this.#buffer.subarray(n);
		return out;
	}

	#run(): void {
		for (;;) {
			switch (this.#phase) {
				case Phase.Head: {
					if (!this.#head()) return;
					break;
				}
				case Phase.Body: {
					if (this.#buffer.length < this.#remaining) return;
					this.#body.push(this.#take(this.#remaining));
					this.#complete();
					return;
				}
				case Phase.ChunkSize: {
					const line = this.#line(1024);
					if (line === null) { this.#fail("chunk", "chunk size line too long"); return; }
					if (line === undefined) return;
					// RFC 9112 §7.1: chunk-size [chunk-ext]
					const m = /^([0-9A-Fa-f]{1,8})[ \t]*(;.*)?$/.exec(line);
					if (!m) { this.#fail("chunk", "invalid chunk size"); return; }
					const size = parseInt(m[1], 16);
					if (size === 0) { this.#phase = Phase.Trailers; break; }
					if (this.#bodyLength + size > this.#maxBody) { this.#fail("body-too-large", `body exceeds ${this.#maxBody} bytes`); return; }
					this.#remaining = size;
					this.#phase = Phase.ChunkData;
					break;
				}
				case Phase.ChunkData: {
					if (this.#buffer.length < this.#remaining) return;
					const data = this.#take(this.#remaining);
					this.#body.push(data);
					this.#bodyLength += data.length;
					this.#phase = Phase.ChunkDataEnd;
					break;
				}
				case Phase.ChunkDataEnd: {
					if (this.#buffer.length < 2) return;
					if (this.#buffer[0] !== 13 || this.#buffer[1] !== 10) { this.#fail("chunk", "chunk data not followed by CRLF"); return; }
					this.#buffer = this.#buffer.subarray(2);
					this.#phase = Phase.ChunkSize;
					break;
				}
				case Phase.Trailers: {
					const line = this.#line(this.#maxHeader);
					if (line === null) { this.#fail("header-too-large", "trailer section too large"); return; }
					if (line === undefined) return;
					if (line === "") { this.#complete(); return; }
					break; // trailer fields are not used by this protocol (RFC 9421 covers headers only here)
				}
				default:
					return;
			}
		}
	}

	/** Parses the head once it is complete; false when more bytes are needed or on failure. */
	#head(): boolean {
		const b = this.#buffer;
		let end = -1;
		for (let i = 0; i + 3 < b.length; i++) {
			if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) { end = i; break; }
		}
		if (end < 0) {
			if (b.length > this.#maxHeader) this.#fail("header-too-large", `header section exceeds ${this.#maxHeader} bytes`);
			return false;
		}
		if (end + 4 > this.#maxHeader) { this.#fail("header-too-large", `header section exceeds ${this.#maxHeader} bytes`); return false; }
		const lines = decodeLatin1(b, 0, end).split("\r\n");
		this.#buffer = b.subarray(end + 4);
		// RFC 9112 §4: HTTP-version SP status-code SP [ reason-phrase ]
		const m = /^HTTP\/1\.[01] ([1-9][0-9]{2})(?: ([\t\x20-\x7e]*))?$/.exec(lines[0]);
		if (!m) { this.#fail("status-line", "invalid status line"); return false; }
		const status = parseInt(m[1], 10);
		const headers: Array<[string, string]> = [];
		for (let i = 1; i < lines.length; i++) {
			const line = lines[i];
			// RFC 9112 §5.1-5.2: name ":" OWS value OWS; obs-fold is rejected
			const f = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([\x20-\x7e\t]*?)[ \t]*$/.exec(line);
			if (!f) { this.#fail("header", `invalid field line ${i}`); return false; }
			headers.push([f[1], f[2]]);
		}
		if (status >= 100 && status < 200) return true; // interim response: parse the next head
		this.#status = status;
		this.#reason = m[2] ?? "";
		this.#headers = headers;
		const te = headers.filter(([n]) => n.toLowerCase() === "transfer-encoding").map(([, v]) => v.toLowerCase().trim());
		const cl = headers.filter(([n]) => n.toLowerCase() === "content-length").map(([, v]) => v.trim());
		if (te.length) {
			// RFC 9112 §6.1: chunked must be last; Content-Length alongside is an error we refuse
			if (cl.length || te.join(",").replace(/\s/g, "") !== "chunked") { this.#fail("length", "unsupported Transfer-Encoding"); return false; }
			this.#phase = Phase.ChunkSize;
			return true;
		}
		if (status === 204 || status === 304) { this.#complete(); return false; }
		if (cl.length === 0) { this.#fail("length", "no Content-Length"); return false; }
		const values = cl.join(",").split(",").map((v) => v.trim());
		if (!values.every((v) => /^[0-9]{1,9}$/.test(v) && v === values[0])) { this.#fail("length", "invalid Content-Length"); return false; }
		const length = parseInt(values[0], 10);
		if (length > this.#maxBody) { this.#fail("body-too-large", `body exceeds ${this.#maxBody} bytes`); return false; }
		this.#remaining = length;
		this.#phase = Phase.Body;
		return true;
	}

	#complete(): void {
		let n = 0;
		for (const c of this.#body) n += c.length;
		const body = new Uint8Array(n);
		let o = 0;
		for (const c of this.#body) { body.set(c, o); o += c.length; }
		this.#phase = Phase.Done;
		this.#body = [];
		this.#result = { ok: true, response: { status: this.#status, reason: this.#reason, headers: this.#headers, body } };
	}
}
