/** Small helpers shared by the emulator's dialects. */

/** Splits AT arguments on commas outside quotes; quoted values lose their quotes. */
export function parseArgs(text: string): string[] {
	const out: string[] = [];
	let cur = "";
	let quoted = false;
	for (const ch of text) {
		if (ch === '"') quoted = !quoted;
		else if (ch === "," && !quoted) { out.push(cur.trim()); cur = ""; }
		else cur += ch;
	}
	if (cur.trim() !== "" || out.length > 0 || text.trim() !== "") out.push(cur.trim());
	return out;
}

export interface Command {
	/** The line as received, without the terminating CR. */
	readonly line: string;
	/** Upper-case name: "AT", "ATE0", "+CAOPEN", "+QGPSLOC". */
	readonly name: string;
	/** "exec" (AT+X), "set" (AT+X=...), "read" (AT+X?), "test" (AT+X=?). */
	readonly type: "exec" | "set" | "read" | "test";
	readonly args: string[];
}

export function parseCommand(line: string): Command | undefined {
	const trimmed = line.trim();
	if (!/^AT/i.test(trimmed)) return undefined;
	const rest = trimmed.slice(2);
	if (rest === "") return { line: trimmed, name: "AT", type: "exec", args: [] };
	const m = /^([+*$^&#%][A-Za-z0-9]+|[A-Za-z]&?\d*)(=\?|=|\?)?(.*)$/s.exec(rest);
	if (!m) return { line: trimmed, name: rest.toUpperCase(), type: "exec", args: [] };
	const name = m[1]!.toUpperCase();
	const op = m[2];
	const type = op === "=?" ? "test" : op === "=" ? "set" : op === "?" ? "read" : "exec";
	return { line: trimmed, name: name.startsWith("+") || name.startsWith("*") ? name : "AT" + name, type, args: type === "set" ? parseArgs(m[3] ?? "") : [] };
}

export const pad = (n: number, width = 2): string => String(Math.trunc(Math.abs(n))).padStart(width, "0");

/** Date parts of `utcMs` shifted by `quarters` quarter hours (local time as the network announces it). */
export function localParts(utcMs: number, quarters: number): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
	const t = new Date(utcMs + quarters * 15 * 60_000);
	return { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes(), s: t.getUTCSeconds() };
}

export const signedQuarters = (q: number): string => (q < 0 ? "-" : "+") + pad(q);

/** Quectel AT+QFUPL checksum: XOR of the file taken as 16-bit big-endian words (odd tail padded with 0). */
export function xor16(bytes: Uint8Array): number {
	let sum = 0;
	for (let i = 0; i < bytes.length; i += 2) sum ^= (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
	return sum;
}

export const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
export const fromLatin1 = (b: Uint8Array): string => { let s = ""; for (const x of b) s += String.fromCharCode(x); return s; };
