/**
 * RFC 9421 HTTP Message Signatures: component identifiers, component values, the signature base (§2.5) and the
 * `@signature-params` value (§2.3). Algorithm-neutral: callers MAC the base (hmac-sha256, §3.3.3).
 */
import {
	type Dictionary, type Parameters, type BareItem,
	dictionaryGet, isInnerList, item, parseDictionary, serializeInnerList, serializeItem, serializeMember, serializeDictionary,
} from "modules/protocol/structuredFields";
import { fieldValue, type HttpRequest, type HttpResponse } from "modules/protocol/message";

/** A covered component: its name (`@method`, `content-digest`, ...) and its parameters (`req`, `key`, `sf`). */
export interface ComponentId {
	readonly name: string;
	readonly params: Parameters;
}

export function component(name: string, params: Parameters = []): ComponentId {
	return { name, params };
}

export interface SignatureInput {
	readonly components: readonly ComponentId[];
	readonly params: Parameters;
}

/** `"name";param...` (§2.5 component-identifier). */
export function serializeComponentId(id: ComponentId): string {
	// Common case, a bare name without parameters, quoting or escapes: the sf-string is the name in quotes (RFC 8941 §4.1.6).
	if (id.params.length === 0 && plainName.test(id.name)) return "\"" + id.name + "\"";
	return serializeItem(item(id.name, id.params));
}

const plainName = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const printableBase = /^[\x20-\x7e\n]*$/;

/** The `@signature-params` value and the Signature-Input member value: an Inner List with parameters (§2.3). */
export function serializeSignatureParams(input: SignatureInput): string {
	return serializeInnerList({ items: input.components.map((c) => item(c.name, c.params)), params: input.params });
}

function sameComponent(a: ComponentId, b: ComponentId): boolean {
	if (a.name !== b.name || a.params.length !== b.params.length) return false;
	// §2: parameter order is not significant for equality
	return a.params.every(([k, v]) => b.params.some(([k2, v2]) => k === k2 && bareEqual(v, v2)));
}

function bareEqual(a: BareItem, b: BareItem): boolean {
	if (a instanceof Uint8Array || b instanceof Uint8Array) return false;
	if (typeof a === "object" && typeof b === "object") return a.constructor === b.constructor && a.value === b.value;
	return a === b;
}

/** Thrown when a component cannot be resolved: §2.5 says the base then fails, no signature. */
export class SignatureBaseError extends Error {
	override name = "SignatureBaseError";
}

/**
 * Resolves one component's value (§2.1, §2.2, §2.4). `message` is the target message; `request` is the request
 * that caused it when the target is a response (needed for `;req`).
 */
export function componentValue(id: ComponentId, message: HttpRequest | HttpResponse, request?: HttpRequest): string {
	let req = false, key: string | undefined, sf = false;
	for (const [k, v] of id.params) {
		if (k === "req" && v === true) req = true;
		else if (k === "key" && typeof v === "string") key = v;
		else if (k === "sf" && v === true) sf = true;
		else throw new SignatureBaseError(`unsupported component parameter "${k}" on "${id.name}"`);
	}
	const isResponse = (message as HttpResponse).status !== undefined;
	if (req && !isResponse) throw new SignatureBaseError(`"${id.name}";req in a request`);
	if (req && !request) throw new SignatureBaseError(`"${id.name}";req without the related request`);
	const target = req ? request! : message;
	if (id.name.startsWith("@")) {
		if (key !== undefined || sf) throw new SignatureBaseError(`field parameter on derived component "${id.name}"`);
		const r = target as HttpRequest;
		switch (id.name) {
			case "@method": // §2.2.1
				if (r.method === undefined) break;
				return r.method; // case-sensitive, as sent
			case "@authority": // §2.2.3
				if (r.authority === undefined) break;
				return r.authority.toLowerCase();
			case "@path": // §2.2.6
				if (r.path === undefined) break;
				return r.path === "" ? "/" : r.path;
			case "@query": // §2.2.7
				if (r.path === undefined) break;
				return "?" + (r.query ?? "");
			case "@target-uri": // §2.2.2 (https only: this protocol runs over TLS)
				if (r.path === undefined) break;
				return `https://${r.authority.toLowerCase()}${r.path}${r.query !== undefined ? "?" + r.query : ""}`;
			case "@status": { // §2.2.9
				const status = (target as HttpResponse).status;
				if (status === undefined || req) break;
				return String(status).padStart(3, "0");
			}
		}
		throw new SignatureBaseError(`derived component "${id.name}" cannot be resolved`);
	}
	if (id.name !== id.name.toLowerCase()) throw new SignatureBaseError(`field name "${id.name}" must be lowercase`);
	const raw = fieldValue(target.headers, id.name);
	if (raw === undefined) throw new SignatureBaseError(`field "${id.name}" is absent`);
	if (key === undefined && !sf) return raw;
	// `sf` and `key` are only used here on Dictionary fields (Signature, Content-Digest): the covered-component lists
	// are fixed by docs/protocol.md, so asking for them is the application knowing the type (RFC 9421 §2.1.1).
	let dict: Dictionary;
	try {
		dict = parseDictionary(raw);
	} catch {
		throw new SignatureBaseError(`field "${id.name}" is not a valid Dictionary`);
	}
	if (key === undefined) return serializeDictionary(dict); // §2.1.1 strict serialization
	const member = dictionaryGet(dict, key);
	if (!member) throw new SignatureBaseError(`field "${id.name}" has no member "${key}"`);
	return serializeMember(member); // §2.1.2
}

/**
 * The signature base string (§2.5): one line per component then the `@signature-params` line, LF-joined.
 * `signatureParams`, when given, is `serializeSignatureParams(input)` already computed by the caller.
 */
export function signatureBase(input: SignatureInput, message: HttpRequest | HttpResponse, request?: HttpRequest, signatureParams?: string): string {
	let out = "";
	const seen: ComponentId[] = [];
	for (const id of input.components) {
		if (id.name === "@signature-params") throw new SignatureBaseError("@signature-params cannot be covered");
		if (seen.some((s) => sameComponent(s, id))) throw new SignatureBaseError(`component "${id.name}" covered twice`);
		seen.push(id);
		const value = componentValue(id, message, request);
		if (value.includes("\n")) throw new SignatureBaseError(`component "${id.name}" contains a newline`);
		out += `${serializeComponentId(id)}: ${value}\n`;
	}
	out += `"@signature-params": ${signatureParams ?? serializeSignatureParams(input)}`;
	if (!printableBase.test(out)) throw new SignatureBaseError("signature base is not printable ASCII"); // §2.5 step 4
	return out;
}

/**
 * Reads one labelled signature from a message's Signature-Input and Signature fields (§4.1, §4.2): the covered
 * components, parameters and signature bytes. Throws SignatureBaseError on any malformation.
 */
export function readSignature(headers: HttpRequest["headers"], label: string): { input: SignatureInput; signature: Uint8Array } {
	const inputText = fieldValue(headers, "signature-input");
	const sigText = fieldValue(headers, "signature");
	if (inputText === undefined || sigText === undefined) throw new SignatureBaseError("Signature-Input or Signature missing");
	let inputs: Dictionary, sigs: Dictionary;
	try {
		inputs = parseDictionary(inputText);
		sigs = parseDictionary(sigText);
	} catch {
		throw new SignatureBaseError("Signature-Input or Signature is not a valid Dictionary");
	}
	const member = dictionaryGet(inputs, label);
	const sig = dictionaryGet(sigs, label);
	if (!member || !isInnerList(member)) throw new SignatureBaseError(`no Signature-Input "${label}"`);
	if (!sig || isInnerList(sig) || !(sig.value instanceof Uint8Array) || sig.params.length > 0)
		throw new SignatureBaseError(`no Signature "${label}"`);
	const components: ComponentId[] = [];
	for (const it of member.items) {
		if (typeof it.value !== "string") throw new SignatureBaseError("covered component is not a String");
		components.push({ name: it.value, params: it.params });
	}
	return { input: { components, params: member.params }, signature: sig.value };
}
