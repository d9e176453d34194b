/**
 * The HTTP message shapes the protocol code signs, verifies, serializes and parses. Header field names are kept
 * as received; lookups are case-insensitive (RFC 9110 §5.1).
 */
export type HeaderFields = ReadonlyArray<readonly [string, string]>;

export interface HttpRequest {
	readonly method: string;
	/** RFC 9421 §2.2.3 `@authority`: lowercase host, `:port` only when not the scheme's default. */
	readonly authority: string;
	/** Absolute path, no query (RFC 9421 §2.2.6 `@path`). */
	readonly path: string;
	readonly query?: string;
	readonly headers: HeaderFields;
	readonly body: Uint8Array;
}

export interface HttpResponse {
	readonly status: number;
	readonly reason: string;
	readonly headers: HeaderFields;
	readonly body: Uint8Array;
}

/**
 * The field's value, several instances combined with ", " (RFC 9110 §5.3, RFC 9421 §2.1), leading and trailing
 * whitespace removed; undefined when absent.
 */
export function fieldValue(headers: HeaderFields, name: string): string | undefined {
	const lower = name.toLowerCase();
	const values: string[] = [];
	for (const [n, v] of headers) if (n.toLowerCase() === lower) values.push(v.trim());
	// One join, not `+=` per instance: XS copies both strings on each concatenation, and a received head may
	// repeat a field hundreds of times within its 8 KB.
	return values.length ? values.join(", ") : undefined;
}
