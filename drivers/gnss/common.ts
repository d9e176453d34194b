/**
 * What every GNSS parser in drivers/gnss returns, and the small pure helpers they share.
 *
 * A parse ends in one of three ways, and callers treat them differently:
 * - a fix;
 * - a normal "nothing yet" (`no-fix`, `gnss-off`): the receiver answered correctly, keep waiting or power it;
 * - a malformed input (every other reason): the line is rejected, the reason and the offending field say why.
 */
import type { Fix } from "drivers/gnss/fix";

/** Why a well-formed answer carries no position. Not an error: the caller keeps waiting or powers the engine. */
export type NoFixReason =
	| "no-fix"    // engine running, no position yet (CGNSINF fix=0, QGPSLOC CME 516, RMC 'V', GGA quality 0)
	| "gnss-off"; // engine not running (CGNSINF run=0, QGPSLOC CME 505 "session not active")

/** Why a line was rejected. `detail` names the field or says what was expected. */
export type MalformedReason =
	| "non-ascii"         // a byte outside printable ASCII
	| "prefix"            // not the expected `+CGNSINF:` / `+QGPSLOC:` / `$ttsss` head
	| "field-count"       // wrong number of comma-separated fields
	| "status"            // a status/flag field outside its documented values
	| "time"              // UTC time absent or out of range
	| "date"              // UTC date absent or out of range
	| "latitude"
	| "longitude"
	| "hemisphere"        // NMEA N/S or E/W indicator missing or invalid
	| "number"            // a numeric field that is not a number or is out of its documented range
	| "checksum"          // NMEA `*hh` present but wrong
	| "missing-checksum"  // NMEA sentence without `*hh`
	| "too-long"
	| "unsupported"       // a well-formed NMEA sentence type this parser does not decode (GSV, VTG, proprietary...)
	| "cme-error";        // a +CME ERROR code with no GNSS meaning we know

export type FixResult =
	| { readonly ok: true; readonly fix: Fix }                                           // a position
	| { readonly ok: false; readonly reason: NoFixReason }                               // nothing yet, not an error
	| { readonly ok: false; readonly reason: MalformedReason; readonly detail: string }; // rejected input

/**
 * User-equivalent range error, metres, 1 sigma, used as `accuracy = HDOP × UERE` when the receiver gives no
 * accuracy of its own. Single-frequency civil GPS error budgets put total UERE at about 5 m 1σ with selective
 * availability off (Kaplan & Hegarty, "Understanding GPS", UERE budget table; gpsd uses 15 m at 95 % for its
 * no-DGPS horizontal estimate, the same order). Callers may scale it; it is an estimate, not a guarantee.
 */
export const UERE_M = 5;

/** Accuracy reported when no HDOP is available at all: treated as poor geometry (HDOP 20). */
export const UNKNOWN_HDOP = 20;

export const KNOT_M_PER_S = 1852 / 3600;
export const KMH_M_PER_S = 1 / 3.6;

export function noFix(reason: NoFixReason): FixResult {
	return { ok: false, reason };
}

export function malformed(reason: MalformedReason, detail: string): FixResult {
	return { ok: false, reason, detail };
}

/** True for a result that is a rejected input (not a fix and not a normal no-fix). */
export function isMalformed(result: FixResult): boolean {
	return !result.ok && result.reason !== "no-fix" && result.reason !== "gnss-off";
}

// `\d+(?:\.\d*)?`, not `\d+\.?\d*`: the latter backtracks quadratically on a long run of digits that fails to match.
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const UNSIGNED_INT = /^\d+$/;

/** Strict decimal: digits with an optional sign and point. `parseFloat` would accept "12abc". */
export function decimal(text: string): number | undefined {
	return DECIMAL.test(text) ? Number(text) : undefined;
}

export function unsignedInt(text: string): number | undefined {
	return UNSIGNED_INT.test(text) ? Number(text) : undefined;
}

/** True when every character is printable ASCII (0x20..0x7E). */
export function printableAscii(text: string): boolean {
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c < 0x20 || c > 0x7e) return false;
	}
	return true;
}

/** Removes trailing CR, LF and spaces (AT and NMEA lines end in CR LF; some engines pass them through). */
export function trimLineEnd(text: string): string {
	let end = text.length;
	while (end > 0) {
		const c = text.charCodeAt(end - 1);
		if (c !== 0x0d && c !== 0x0a && c !== 0x20) break;
		end--;
	}
	return end === text.length ? text : text.slice(0, end);
}

function isLeapYear(y: number): boolean {
	return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const DAYS_IN_MONTH = Object.freeze([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);

/** Milliseconds since the epoch of a UTC calendar date at midnight, or undefined when the date does not exist. */
export function utcDateMs(year: number, month: number, day: number): number | undefined {
	if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return undefined;
	if (month < 1 || month > 12 || day < 1) return undefined;
	const last = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1];
	if (day > last) return undefined;
	return Date.UTC(year, month - 1, day);
}

/**
 * Milliseconds since midnight of `hhmmss[.fff…]`, or undefined. Seconds up to 60.999 for a leap second
 * (the SIM7080 manual's range is ss.sss [0.000,60.999]; NMEA allows 60 too).
 */
export function timeOfDayMs(text: string): number | undefined {
	if (!/^\d{6}(?:\.\d{1,6})?$/.test(text)) return undefined;
	const h = Number(text.slice(0, 2));
	const m = Number(text.slice(2, 4));
	const s = Number(text.slice(4));
	if (h > 23 || m > 59 || s >= 61) return undefined;
	return h * 3_600_000 + m * 60_000 + Math.round(s * 1000);
}

/** Two-digit NMEA/Quectel year: 80..99 is 1980..1999 (GPS time starts 1980-01-06), 00..79 is 2000..2079. */
export function fullYear(yy: number): number {
	return yy >= 80 ? 1900 + yy : 2000 + yy;
}

/** `ddmmyy` to milliseconds at midnight UTC, or undefined. */
export function ddmmyyMs(text: string): number | undefined {
	if (!/^\d{6}$/.test(text)) return undefined;
	return utcDateMs(fullYear(Number(text.slice(4, 6))), Number(text.slice(2, 4)), Number(text.slice(0, 2)));
}
