/**
 * Quectel `AT+QGPSLOC=2` response parser (BG95, BG77, BG600L; BG96 and EC2x answer the same way).
 *
 * Quectel BG95&BG77&BG600L Series GNSS Application Note (V1.1 2020-07-17 / V1.3 2022-02-25), chapter 2
 * "GNSS AT commands", AT+QGPSLOC "Acquire positioning information", and its error-code summary:
 *
 *   +QGPSLOC: <UTC>,<latitude>,<longitude>,<HDOP>,<altitude>,<fix>,<COG>,<spkm>,<spkn>,<date>,<nsat>
 *
 *   UTC        hhmmss.sss
 *   latitude   <mode>=2: (-)dd.ddddd     (modes 0/1 give ddmm.mmmm N/S and are rejected here)
 *   longitude  <mode>=2: (-)ddd.ddddd
 *   HDOP       0.5..99.9
 *   altitude   metres above sea level
 *   fix        2 = 2D, 3 = 3D
 *   COG        ddd.mm: ddd 000..359 degrees, mm 00..59 MINUTES (not a decimal fraction)
 *   spkm       km/h;  spkn  knots
 *   date       ddmmyy
 *   nsat       satellites used
 *
 * Until the first fix the command answers `+CME ERROR: 516` ("Not fixed now"); with the GNSS session off it
 * answers `+CME ERROR: 505` ("Session is not active"). `qgpslocCmeError` maps those.
 */
import type { Fix } from "drivers/gnss/fix";
import {
	type FixResult, KMH_M_PER_S, UERE_M, ddmmyyMs, decimal, malformed, noFix, printableAscii, timeOfDayMs,
	trimLineEnd, unsignedInt,
} from "drivers/gnss/common";

const PREFIX = "+QGPSLOC:";
const FIELDS = 11;

/** Quectel GNSS error codes (GNSS application note, summary of error codes) with a GNSS meaning for us. */
export const QgpsError = Object.freeze({
	SESSION_NOT_ACTIVE: 505,
	NOT_FIXED: 516,
});

/** Maps the `+CME ERROR: <code>` of `AT+QGPSLOC` to a result: 516 is a normal "no fix yet", 505 "GNSS off". */
export function qgpslocCmeError(code: number): FixResult {
	if (code === QgpsError.NOT_FIXED) return noFix("no-fix");
	if (code === QgpsError.SESSION_NOT_ACTIVE) return noFix("gnss-off");
	return malformed("cme-error", String(code));
}

/** Same, from the raw line `+CME ERROR: 516`. */
export function parseQgpslocError(line: string): FixResult {
	const m = /^\+CME ERROR:\s*(\d+)$/.exec(trimLineEnd(line));
	if (!m) return malformed("prefix", "+CME ERROR:");
	return qgpslocCmeError(Number(m[1]));
}

/** `ddd.mm` (degrees and minutes) to decimal degrees, or undefined when the minutes are not 00..59. */
export function cogDegrees(text: string): number | undefined {
	const m = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(text);
	if (!m) return undefined;
	const deg = Number(m[1]);
	const min = m[2] === undefined ? 0 : Number(m[2].length === 1 ? m[2] + "0" : m[2]);
	if (deg > 359 || min > 59) return undefined;
	return deg + min / 60;
}

/** Parses one `+QGPSLOC: ...` line of `AT+QGPSLOC=2`. */
export function parseQgpsloc(line: string): FixResult {
	line = trimLineEnd(line);
	if (!printableAscii(line)) return malformed("non-ascii", "line");
	if (line.startsWith("+CME ERROR:")) return parseQgpslocError(line);
	if (!line.startsWith(PREFIX)) return malformed("prefix", PREFIX);
	const f = line.slice(PREFIX.length).trimStart().split(",");
	if (f.length !== FIELDS) return malformed("field-count", `${f.length} of ${FIELDS}`);

	const tod = timeOfDayMs(f[0]);
	if (tod === undefined) return malformed("time", f[0]);
	const day = ddmmyyMs(f[9]);
	if (day === undefined) return malformed("date", f[9]);
	const lat = decimal(f[1]);
	if (lat === undefined || lat < -90 || lat > 90) return malformed("latitude", f[1]);
	const lon = decimal(f[2]);
	if (lon === undefined || lon < -180 || lon > 180) return malformed("longitude", f[2]);
	const hdop = decimal(f[3]);
	if (hdop === undefined || hdop < 0 || hdop > 99.9) return malformed("number", "HDOP");
	const altitude = decimal(f[4]);
	if (altitude === undefined) return malformed("number", "altitude");
	if (f[5] !== "2" && f[5] !== "3") return malformed("status", "fix");
	const speedKmh = decimal(f[7]);
	if (speedKmh === undefined || speedKmh < 0) return malformed("number", "spkm");
	const nsat = unsignedInt(f[10]);
	if (nsat === undefined) return malformed("number", "nsat");
	// A course the module formats in a way the note does not describe is dropped, not the whole fix.
	const course = cogDegrees(f[6]);

	const fix: Fix = {
		time: day + tod,
		lat,
		lon,
		altitude,
		accuracy: hdop * UERE_M,
		satellites: nsat,
		quality: f[5] === "3" ? "3d" : "2d",
		source: "gnss",
		speed: speedKmh * KMH_M_PER_S,
		...(course !== undefined ? { course } : {}),
	};
	return { ok: true, fix };
}
