/**
 * RFC 8941 Structured Field Values: the types, strict serialization (§4.1) and parsing (§4.2) that RFC 9421 and
 * RFC 9530 fields need (Dictionary, List, Item, Inner List, Parameters; Integer, Decimal, String, Token,
 * Byte Sequence, Boolean). Parsing errors throw SyntaxError with the offset, as §4.2 says the field then fails.
 * The parser is linear in its input: one left-to-right pass with no backtracking regular expression and no
 * re-slicing of the rest of the input, and duplicate keys are found through a Map.
 */
import { fromBase64, toBase64 } from "modules/protocol/bytes";

/** An sf-token (§3.3.4); a class so tokens are not confused with strings. */
export class Token {
	constructor(readonly value: string) {
		if (!/^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*$/.test(value)) throw new RangeError(`invalid sf-token "${value}"`);
	}
}

/** An sf-decimal (§3.3.2), kept distinct from Integer because the two serialize differently. */
export class Decimal {
	constructor(readonly value: number) {
		if (!Number.isFinite(value)) throw new RangeError("invalid sf-decimal");
	}
}

/** Integer = number (must be an integer), String = string, Byte Sequence = Uint8Array. */
export type BareItem = number | string | Token | Decimal | Uint8Array | boolean;
export type Parameters = Array<[string, BareItem]>;
export interface Item {
	readonly value: BareItem;
	readonly params: Parameters;
}
export interface InnerList {
	readonly items: Item[];
	readonly params: Parameters;
}
export type Member = Item | InnerList;
export type Dictionary = Array<[string, Member]>;
export type List = Member[];

export function isInnerList(member: Member): member is InnerList {
	return (member as InnerList).items !== undefined;
}

export function item(value: BareItem, params: Parameters = []): Item {
	return { value, params };
}

const sfStringChars = /^[\x20-\x7e]*$/;
const sfStringEscapes = /["\\]/;
const sfStringEscapesAll = /["\\]/g;

// §4.1.4-4.1.9
export function serializeBareItem(value: BareItem): string {
	if (typeof value === "number") {
		if (!Number.isInteger(value) || Math.abs(value) > 999_999_999_999_999) throw new RangeError("sf-integer out of range");
		return String(value);
	}
	if (typeof value === "string") {
		// Native scans instead of a per-character loop (XS meters regex work far below JS loops).
		if (!sfStringChars.test(value)) throw new RangeError("sf-string must be printable ASCII");
		return "\"" + (sfStringEscapes.test(value) ? value.replace(sfStringEscapesAll, "\\$&") : value) + "\"";
	}
	if (typeof value === "boolean") return value ? "?1" : "?0";
	if (value instanceof Uint8Array) return ":" + toBase64(value) + ":";
	if (value instanceof Token) return value.value;
	if (value instanceof Decimal) {
		// §4.1.5: round to 3 fractional digits (half to even), at most 12 integer digits, at least one fractional digit
		const v = value.value;
		let r = Math.round(v * 1000);
		if (Math.abs(v * 1000 - Math.trunc(v * 1000)) === 0.5 && r % 2 !== 0) r -= 1;
		if (Math.abs(Math.trunc(r / 1000)) > 999_999_999_999) throw new RangeError("sf-decimal out of range");
		const sign = r < 0 ? "-" : "";
		r = Math.abs(r);
		let frac = String(r % 1000).padStart(3, "0").replace(/0+$/, "");
		if (frac === "") frac = "0";
		return `${sign}${Math.floor(r / 1000)}.${frac}`;
	}
	throw new TypeError("not an sf bare item");
}

function checkKey(key: string): void {
	if (!/^[a-z*][a-z0-9_\-.*]*$/.test(key)) throw new RangeError(`invalid sf key "${key}"`);
}

// §4.1.1.2
export function serializeParameters(params: Parameters): string {
	let out = "";
	for (const [key, value] of params) {
		checkKey(key);
		out += ";" + key;
		if (value !== true) out += "=" + serializeBareItem(value);
	}
	return out;
}

// §4.1.3
export function serializeItem(it: Item): string {
	return serializeBareItem(it.value) + serializeParameters(it.params);
}

// §4.1.1.1
export function serializeInnerList(list: InnerList): string {
	return "(" + list.items.map(serializeItem).join(" ") + ")" + serializeParameters(list.params);
}

export function serializeMember(member: Member): string {
	return isInnerList(member) ? serializeInnerList(member) : serializeItem(member);
}

// §4.1.1
export function serializeList(list: List): string {
	return list.map(serializeMember).join(", ");
}

// §4.1.2
export function serializeDictionary(dict: Dictionary): string {
	return dict
		.map(([key, member]) => {
			checkKey(key);
			if (!isInnerList(member) && member.value === true) return key + serializeParameters(member.params);
			return key + "=" + serializeMember(member);
		})
		.join(", ");
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isLcalpha = (c: number) => c >= 0x61 && c <= 0x7a;
const isAlpha = (c: number) => isLcalpha(c) || (c >= 0x41 && c <= 0x5a);
const isKeyChar = (c: number) => isLcalpha(c) || isDigit(c) || c === 0x5f || c === 0x2d || c === 0x2e || c === 0x2a;
// RFC 9110 §5.6.2 tchar, plus ":" and "/"
const isTokenChar = (c: number) =>
	isAlpha(c) || isDigit(c) || c === 0x21 || (c >= 0x23 && c <= 0x27) || c === 0x2a || c === 0x2b || c === 0x2d ||
	c === 0x2e || c === 0x5e || c === 0x5f || c === 0x60 || c === 0x7c || c === 0x7e || c === 0x3a || c === 0x2f;
// §4.2.5: unescaped printable ASCII except DQUOTE and "\", or "\" followed by DQUOTE or "\"
const sfStringBody = /(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*/y;
const sfStringUnescape = /\\(["\\])/g;

/** §4.2 parser over one field value string. */
class Parser {
	#s: string;
	#i = 0;

	constructor(s: string) {
		this.#s = s;
	}

	fail(what: string): never {
		throw new SyntaxError(`structured field: ${what} at offset ${this.#i}`);
	}

	#peek(): string {
		return this.#s[this.#i] ?? "";
	}

	skipSP(): void {
		while (this.#s[this.#i] === " ") this.#i++;
	}

	skipOWS(): void {
		while (this.#s[this.#i] === " " || this.#s[this.#i] === "\t") this.#i++;
	}

	get done(): boolean {
		return this.#i >= this.#s.length;
	}

	// §4.2.1: leading/trailing SP discarded, then the top-level type must consume everything
	start(): void {
		this.skipSP();
	}

	finish(): void {
		this.skipSP();
		if (!this.done) this.fail("trailing characters");
	}

	// §4.2.2
	dictionary(): Dictionary {
		const out: Dictionary = [];
		const index = new Map<string, number>();
		while (!this.done) {
			const key = this.key();
			let member: Member;
			if (this.#peek() === "=") {
				this.#i++;
				member = this.member();
			} else member = { value: true, params: this.parameters() };
			// §4.2.2 step 4: a key seen before has its value overwritten, in place (structured-field-tests
			// dictionary.json "duplicate key dictionary": `a=1,b=2,a=3` is `a=3, b=2`).
			const existing = index.get(key);
			if (existing !== undefined) out[existing] = [key, member];
			else {
				index.set(key, out.length);
				out.push([key, member]);
			}
			if (this.#endOfMember()) return out;
		}
		return out;
	}

	// §4.2.1
	list(): List {
		const out: List = [];
		while (!this.done) {
			out.push(this.member());
			if (this.#endOfMember()) return out;
		}
		return out;
	}

	/** After a list or dictionary member (§4.2.1, §4.2.2): true at the end, else past the ',' to the next member. */
	#endOfMember(): boolean {
		this.skipOWS();
		if (this.done) return true;
		if (this.#peek() !== ",") this.fail("expected ','");
		this.#i++;
		this.skipOWS();
		if (this.done) this.fail("trailing ','");
		return false;
	}

	member(): Member {
		return this.#peek() === "(" ? this.innerList() : this.item();
	}

	// §4.2.1.2
	innerList(): InnerList {
		if (this.#peek() !== "(") this.fail("expected '('");
		this.#i++;
		const items: Item[] = [];
		for (;;) {
			this.skipSP();
			if (this.#peek() === ")") {
				this.#i++;
				return { items, params: this.parameters() };
			}
			if (this.done) this.fail("unterminated inner list");
			items.push(this.item());
			const c = this.#peek();
			if (c !== " " && c !== ")") this.fail("expected ' ' or ')'");
		}
	}

	// §4.2.3
	item(): Item {
		const value = this.bareItem();
		return { value, params: this.parameters() };
	}

	// §4.2.3.1
	bareItem(): BareItem {
		const c = this.#peek();
		if (c === "-" || (c >= "0" && c <= "9")) return this.number();
		if (c === "\"") return this.string();
		if (c === ":") return this.byteSequence();
		if (c === "?") return this.boolean();
		if (c === "*" || (c >= "A" && c <= "Z") || (c >= "a" && c <= "z")) return this.token();
		return this.fail("unexpected character");
	}

	// §4.2.3.2
	parameters(): Parameters {
		const out: Parameters = [];
		let index: Map<string, number> | undefined;
		while (this.#peek() === ";") {
			this.#i++;
			this.skipSP();
			const key = this.key();
			let value: BareItem = true;
			if (this.#peek() === "=") {
				this.#i++;
				value = this.bareItem();
			}
			index ??= new Map();
			const existing = index.get(key);
			if (existing !== undefined) out[existing] = [key, value]; // §4.2.3.2: overwrite in place
			else {
				index.set(key, out.length);
				out.push([key, value]);
			}
		}
		return out;
	}

	/** Advances past characters `accept` takes, from the current offset; returns how many. */
	#run(accept: (c: number) => boolean): number {
		const s = this.#s;
		const start = this.#i;
		while (this.#i < s.length && accept(s.charCodeAt(this.#i))) this.#i++;
		return this.#i - start;
	}

	// §4.2.3.3: key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
	key(): string {
		const start = this.#i;
		const first = this.#s.charCodeAt(start);
		if (!(isLcalpha(first) || first === 0x2a)) return this.fail("expected key");
		this.#i++;
		this.#run(isKeyChar);
		return this.#s.slice(start, this.#i);
	}

	// §4.2.4: at most 15 integer digits, or 12 + "." + 1..3
	number(): number | Decimal {
		const start = this.#i;
		if (this.#s[this.#i] === "-") this.#i++;
		const intDigits = this.#run(isDigit);
		if (intDigits === 0) return this.fail("expected number");
		if (this.#s[this.#i] !== ".") {
			if (intDigits > 15) this.fail("integer too long");
			return parseInt(this.#s.slice(start, this.#i), 10);
		}
		this.#i++;
		const fracDigits = this.#run(isDigit);
		if (intDigits > 12 || fracDigits === 0 || fracDigits > 3) this.fail("invalid decimal");
		return new Decimal(parseFloat(this.#s.slice(start, this.#i)));
	}

	// §4.2.5
	string(): string {
		// One sticky match over the longest run of valid sf-string content, then the closing quote must follow.
		const start = this.#i + 1;
		sfStringBody.lastIndex = start;
		const m = sfStringBody.exec(this.#s);
		const end = start + (m ? m[0].length : 0);
		const c = this.#s[end];
		if (c !== "\"") {
			this.#i = end;
			if (c === undefined) this.fail("unterminated string");
			if (c === "\\") this.fail("invalid escape");
			this.fail("invalid string character");
		}
		this.#i = end + 1;
		const body = this.#s.slice(start, end);
		return body.indexOf("\\") < 0 ? body : body.replace(sfStringUnescape, "$1");
	}

	// §4.2.6: token = ( ALPHA / "*" ) *( tchar / ":" / "/" )
	token(): Token {
		const start = this.#i;
		const first = this.#s.charCodeAt(start);
		if (!(isAlpha(first) || first === 0x2a)) return this.fail("expected token");
		this.#i++;
		this.#run(isTokenChar);
		return new Token(this.#s.slice(start, this.#i));
	}

	// §4.2.7
	byteSequence(): Uint8Array {
		this.#i++;
		const end = this.#s.indexOf(":", this.#i);
		if (end < 0) this.fail("unterminated byte sequence");
		const text = this.#s.slice(this.#i, end);
		if (!/^[A-Za-z0-9+/=]*$/.test(text)) this.fail("invalid base64");
		let bytes: Uint8Array;
		try {
			bytes = fromBase64(text);
		} catch {
			return this.fail("invalid base64");
		}
		this.#i = end + 1;
		return bytes;
	}

	// §4.2.8
	boolean(): boolean {
		this.#i++;
		const c = this.#s[this.#i++];
		if (c === "1") return true;
		if (c === "0") return false;
		return this.fail("invalid boolean");
	}
}

/** Parses the whole of `text` as one structured field of the kind `read` takes (RFC 8941 §4.2). */
function parseWhole<T>(text: string, read: (p: Parser) => T): T {
	const p = new Parser(text);
	p.start();
	const value = read(p);
	p.finish();
	return value;
}

export function parseDictionary(text: string): Dictionary {
	return parseWhole(text, (p) => p.dictionary());
}

export function parseList(text: string): List {
	return parseWhole(text, (p) => p.list());
}

export function parseItem(text: string): Item {
	return parseWhole(text, (p) => p.item());
}

/** Parses one Inner List with its parameters (the `@signature-params` value form, RFC 9421 §2.3). */
export function parseInnerList(text: string): InnerList {
	return parseWhole(text, (p) => p.innerList());
}

export function dictionaryGet(dict: Dictionary, key: string): Member | undefined {
	for (const [k, v] of dict) if (k === key) return v;
	return undefined;
}

export function paramGet(params: Parameters, key: string): BareItem | undefined {
	for (const [k, v] of params) if (k === key) return v;
	return undefined;
}
