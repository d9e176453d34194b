/**
 * Human-readable AT transcript. One line per event:
 *
 *     [     4012 ms] -> AT+CAOPEN=0,0,"TCP","api.enigm.test",8443
 *     [     5210 ms] <- +CAOPEN: 0,0
 *     [     5300 ms] -> <312 bytes "POST /v1/alerts HTTP/1.1">
 *     [     6000 ms] == power on (PWRKEY low 1000 ms)
 *     [     7000 ms] !! fault: reset
 *
 * `->` host to modem, `<-` modem to host, `==` emulator events, `!!` injected faults. Payload bytes are never
 * written out: only their length and a short printable preview of the first line (an HTTP request or status line),
 * with any long token-like run (hex, base64: signatures, keys, nonces) replaced by `…`.
 */
import { appendFileSync, writeFileSync } from "node:fs";

/** A transcript sink appending each line to `path` (truncated first). */
export function fileTranscript(path: string): (line: string) => void {
	writeFileSync(path, "");
	return (line) => appendFileSync(path, line + "\n");
}

export type Direction = "->" | "<-" | "==" | "!!";

export interface TranscriptEntry {
	readonly t: number;
	readonly dir: Direction;
	readonly text: string;
}

export function formatEntry(entry: TranscriptEntry): string {
	return `[${String(Math.round(entry.t)).padStart(9)} ms] ${entry.dir} ${entry.text}`;
}

const PREVIEW_MAX = 40;

/** `<n bytes "first line…">`: length plus a redacted printable preview of the first line. */
export function summarisePayload(bytes: Uint8Array): string {
	let end = 0;
	while (end < bytes.length && end < 200 && bytes[end] !== 0x0d && bytes[end] !== 0x0a) end++;
	let text = "";
	for (let i = 0; i < end; i++) {
		const b = bytes[i]!;
		text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
	}
	text = redact(text);
	if (text.length > PREVIEW_MAX) text = text.slice(0, PREVIEW_MAX) + "…";
	else if (end < bytes.length) text += "…";
	return `<${bytes.length} bytes${text ? ` "${text.replace(/"/g, "'")}"` : ""}>`;
}

/** Replaces runs that look like keys, signatures or tokens (16+ hex/base64/base64url characters) with `…`. */
export function redact(text: string): string {
	// Words (letters and single dashes, e.g. "Content-Length") stay unless they could be hex or are very long.
	return text.replace(/[A-Za-z0-9+/=_-]{16,}/g, (run) => (/^[A-Za-z]+(-[A-Za-z]+)*$/.test(run) && !/^[0-9a-f]+$/i.test(run) && run.length < 32 ? run : "…"));
}
