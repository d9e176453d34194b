/**
 * The platform's own RFC 9421 (HTTP Message Signatures) + RFC 9530 (Content-Digest) code, written against the
 * RFCs with node:crypto only. It deliberately shares nothing with the firmware's modules/protocol: the two
 * implementations cross-check each other in the end-to-end tests.
 *
 * Structured fields (RFC 8941) are parsed strictly; only the shapes RFC 9421 uses are supported: dictionaries whose
 * members are inner lists of strings or byte sequences, each with parameters.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export type BareItem = string | number | boolean | Uint8Array | { readonly token: string };
export type Params = Map<string, BareItem>;
export interface Item {
	readonly value: BareItem;
	readonly params: Params;
}
export interface InnerList {
	readonly items: Item[];
	readonly params: Params;
}
export type Member = Item | InnerList;

export class StructuredFieldError extends Error {}

const KEY_START = /[a-z*]/;
const KEY_CHAR = /[a-z0-9_\-.*]/;
const TOKEN_START = /[A-Za-z*]/;
const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z:/]/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** RFC 8941 3.2 / 4.2.2: a Dictionary. Throws StructuredFieldError on anything not well formed. */
export function parseDictionary(input: string): Map<string, Member> {
	const p = new Parser(input);
	const dict = new Map<string, Member>();
	p.skipSP();
	if (p.done()) return dict;
	for (;;) {
		const key = p.key();
		let member: Member;
		if (p.peek() === "=") {
			p.pos++;
			member = p.itemOrInnerList();
		} else {
			member = { value: true, params: p.params() };
		}
		dict.set(key, member);
		p.skipOWS();
		if (p.done()) return dict;
		p.expect(",");
		p.skipOWS();
		if (p.done()) throw new StructuredFieldError("trailing comma");
	}
}

class Parser {
	pos = 0;
	constructor(readonly s: string) {}
	done(): boolean {
		return this.pos >= this.s.length;
	}
	peek(): string {
		return this.s[this.pos] ?? "";
	}
	expect(c: string): void {
		if (this.s[this.pos] !== c) throw new StructuredFieldError(`expected ${c} at ${this.pos}`);
		this.pos++;
	}
	skipSP(): void {
		while (this.s[this.pos] === " ") this.pos++;
	}
	skipOWS(): void {
		while (this.s[this.pos] === " " || this.s[this.pos] === "\t") this.pos++;
	}
	key(): string {
		if (!KEY_START.test(this.peek())) throw new StructuredFieldError(`bad key at ${this.pos}`);
		const start = this.pos;
		while (!this.done() && KEY_CHAR.test(this.peek())) this.pos++;
		return this.s.slice(start, this.pos);
	}
	itemOrInnerList(): Member {
		if (this.peek() === "(") return this.innerList();
		const value = this.bareItem();
		return { value, params: this.params() };
	}
	innerList(): InnerList {
		this.expect("(");
		const items: Item[] = [];
		for (;;) {
			this.skipSP();
			if (this.peek() === ")") {
				this.pos++;
				return { items, params: this.params() };
			}
			const value = this.bareItem();
			items.push({ value, params: this.params() });
			const c = this.peek();
			if (c !== " " && c !== ")") throw new StructuredFieldError(`bad inner list at ${this.pos}`);
		}
	}
	params(): Params {
		const params: Params = new Map();
		while (this.peek() === ";") {
			this.pos++;
			this.skipSP();
			const key = this.key();
			let value: BareItem = true;
			if (this.peek() === "=") {
				this.pos++;
				value = this.bareItem();
			}
			params.set(key, value);
		}
		return params;
	}
	bareItem(): BareItem {
		const c = this.peek();
		if (c === "-" || (c >= "0" && c <= "9")) return this.number();
		if (c === '"') return this.string();
		if (c === ":") return this.bytes();
		if (c === "?") return this.boolean();
		if (TOKEN_START.test(c)) return this.token();
		throw new StructuredFieldError(`bad item at ${this.pos}`);
	}
	number(): number {
		const m = /^-?(\d{1,15})(\.\d{1,3})?/.exec(this.s.slice(this.pos));
		if (!m) throw new StructuredFieldError(`bad number at ${this.pos}`);
		if (m[2] && m[1]!.length > 12) throw new StructuredFieldError("decimal too long");
		const next = this.s[this.pos + m[0].length];
		if (next !== undefined && next >= "0" && next <= "9") throw new StructuredFieldError("integer too long");
		this.pos += m[0].length;
		return Number(m[0]);
	}
	string(): string {
		this.expect('"');
		let out = "";
		for (;;) {
			if (this.done()) throw new StructuredFieldError("unterminated string");
			const c = this.s[this.pos++]!;
			if (c === "\\") {
				const n = this.s[this.pos++];
				if (n !== '"' && n !== "\\") throw new StructuredFieldError("bad escape");
				out += n;
			} else if (c === '"') {
				return out;
			} else {
				const code = c.charCodeAt(0);
				if (code < 0x20 || code > 0x7e) throw new StructuredFieldError("bad string char");
				out += c;
			}
		}
	}
	bytes(): Uint8Array {
		this.expect(":");
		const end = this.s.indexOf(":", this.pos);
		if (end < 0) throw new StructuredFieldError("unterminated byte sequence");
		const b64 = this.s.slice(this.pos, end);
		if (!BASE64.test(b64) || b64.length % 4 !== 0) throw new StructuredFieldError("bad base64");
		this.pos = end + 1;
		return new Uint8Array(Buffer.from(b64, "base64"));
	}
	boolean(): boolean {
		this.expect("?");
		const c = this.s[this.pos++];
		if (c === "1") return true;
		if (c === "0") return false;
		throw new StructuredFieldError("bad boolean");
	}
	token(): { token: string } {
		const start = this.pos;
		this.pos++;
		while (!this.done() && TOKEN_CHAR.test(this.peek())) this.pos++;
		return { token: this.s.slice(start, this.pos) };
	}
}

/** RFC 8941 4.1: canonical serialization of one bare item. */
export function serializeBareItem(v: BareItem): string {
	if (typeof v === "boolean") return v ? "?1" : "?0";
	if (typeof v === "number") {
		if (!Number.isInteger(v)) throw new StructuredFieldError("decimals are not used here");
		return String(v);
	}
	if (typeof v === "string") {
		for (let i = 0; i < v.length; i++) {
			const code = v.charCodeAt(i);
			if (code < 0x20 || code > 0x7e) throw new StructuredFieldError("bad string char");
		}
		return `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
	}
	if (v instanceof Uint8Array) return `:${Buffer.from(v).toString("base64")}:`;
	return v.token;
}

export function serializeParams(params: Params): string {
	let out = "";
	for (const [k, v] of params) out += v === true ? `;${k}` : `;${k}=${serializeBareItem(v)}`;
	return out;
}

export function serializeInnerList(list: InnerList): string {
	return `(${list.items.map((i) => serializeBareItem(i.value) + serializeParams(i.params)).join(" ")})${serializeParams(list.params)}`;
}

/** RFC 9530 2: `sha-256=:<base64>:` over the exact content bytes. */
export function contentDigest(body: Uint8Array): string {
	return `sha-256=:${createHash("sha256").update(body).digest("base64")}:`;
}

/** RFC 9530 2: true when the field carries a sha-256 member that matches the body (other algorithms are ignored). */
export function digestMatches(field: string, body: Uint8Array): "match" | "mismatch" | "malformed" {
	let dict: Map<string, Member>;
	try {
		dict = parseDictionary(field);
	} catch {
		return "malformed";
	}
	const member = dict.get("sha-256");
	if (!member || !("value" in member) || !(member.value instanceof Uint8Array) || member.value.length !== 32)
		return "malformed";
	const actual = createHash("sha256").update(body).digest();
	return timingSafeEqual(actual, Buffer.from(member.value)) ? "match" : "mismatch";
}

/** What a signature base needs to know about a message (RFC 9421 2.2 derived components, 2.1 fields). */
export interface MessageView {
	/** Request method (for requests, and for `;req` components of a response). */
	readonly method?: string;
	/** Authority as received (Host header), not yet normalized. */
	readonly authority?: string;
	readonly scheme?: string;
	/** Absolute path, no query. */
	readonly path?: string;
	/** Query without `?`, or undefined when there is none. */
	readonly query?: string;
	/** Response status code. */
	readonly status?: number;
	/** Field values by lowercased name; repeated fields as separate entries, in order. */
	readonly fields: ReadonlyMap<string, readonly string[]>;
}

export class SignatureBaseError extends Error {}

/** RFC 9421 2.2.3: authority lowercased, default port for the scheme removed. */
export function normalizeAuthority(authority: string, scheme = "https"): string {
	let a = authority.trim().toLowerCase();
	if (scheme === "https" && a.endsWith(":443")) a = a.slice(0, -4);
	if (scheme === "http" && a.endsWith(":80")) a = a.slice(0, -3);
	return a;
}

function componentValue(item: Item, message: MessageView, request: MessageView | undefined): string {
	if (typeof item.value !== "string") throw new SignatureBaseError("component identifier must be a string");
	const name = item.value;
	let target = message;
	let dictKey: string | undefined;
	for (const [k, v] of item.params) {
		// RFC 9421 2.4: `req` takes the component from the request a response answers; 2.1.2: `key` selects one
		// Dictionary member, strictly re-serialized. Other parameters (sf, bs, tr) are not used by this protocol
		// and are refused rather than silently mishandled.
		if (k === "req" && v === true && request) target = request;
		else if (k === "key" && typeof v === "string" && !name.startsWith("@")) dictKey = v;
		else throw new SignatureBaseError(`unsupported component parameter ${k}`);
	}
	if (dictKey !== undefined) {
		const values = target.fields.get(name);
		if (!values || values.length === 0) throw new SignatureBaseError(`field ${name} missing`);
		let member: Member | undefined;
		try {
			member = parseDictionary(values.map((v) => v.trim()).join(", ")).get(dictKey);
		} catch {
			throw new SignatureBaseError(`field ${name} is not a dictionary`);
		}
		if (!member) throw new SignatureBaseError(`member ${dictKey} missing`);
		return "items" in member ? serializeInnerList(member) : serializeBareItem(member.value) + serializeParams(member.params);
	}
	if (name.startsWith("@")) {
		switch (name) {
			case "@method":
				if (target.method === undefined) break;
				return target.method;
			case "@authority":
				if (target.authority === undefined) break;
				return normalizeAuthority(target.authority, target.scheme);
			case "@scheme":
				if (target.scheme === undefined) break;
				return target.scheme.toLowerCase();
			case "@path":
				if (target.path === undefined) break;
				return target.path === "" ? "/" : target.path;
			case "@query":
				if (target.path === undefined) break;
				return `?${target.query ?? ""}`;
			case "@request-target":
				if (target.path === undefined) break;
				return target.query === undefined ? target.path : `${target.path}?${target.query}`;
			case "@target-uri":
				if (target.path === undefined || target.authority === undefined) break;
				return `${target.scheme ?? "https"}://${normalizeAuthority(target.authority, target.scheme)}${target.path}${target.query === undefined ? "" : `?${target.query}`}`;
			case "@status":
				if (target.status === undefined) break;
				return String(target.status);
		}
		throw new SignatureBaseError(`component ${name} not available`);
	}
	if (name !== name.toLowerCase()) throw new SignatureBaseError("field names must be lowercase");
	const values = target.fields.get(name);
	if (!values || values.length === 0) throw new SignatureBaseError(`field ${name} missing`);
	// RFC 9421 2.1: strip leading/trailing whitespace of each value, join repeated fields with ", ".
	return values.map((v) => v.replace(/\r?\n[ \t]+/g, " ").trim()).join(", ");
}

/** RFC 9421 2.5: the signature base for the covered components and parameters in `list`. */
export function signatureBase(list: InnerList, message: MessageView, request?: MessageView): string {
	const seen = new Set<string>();
	let base = "";
	for (const item of list.items) {
		const id = serializeBareItem(item.value) + serializeParams(item.params);
		if (seen.has(id)) throw new SignatureBaseError("duplicate component");
		seen.add(id);
		const value = componentValue(item, message, request);
		if (/[\r\n]/.test(value)) throw new SignatureBaseError("newline in component value");
		base += `${id}: ${value}\n`;
	}
	base += `"@signature-params": ${serializeInnerList(list)}`;
	return base;
}

export function hmacSha256(key: Uint8Array, data: string | Uint8Array): Buffer {
	return createHmac("sha256", key).update(data).digest();
}

/** Constant-time comparison that does not leak through an early length mismatch return on equal lengths. */
export function macEquals(expected: Uint8Array, actual: Uint8Array): boolean {
	if (expected.length !== actual.length) return false;
	return timingSafeEqual(expected, actual);
}
