/**
 * SIMCom `AT+CGNSINF` response parser (SIM7080G; SIM7000G and SIM868 answer the same 21 fields).
 *
 * SIM7070/SIM7080/SIM7090 Series AT Command Manual, "AT+CGNSINF GNSS navigation information parsed from NMEA
 * sentences", parameter table (identical in the SIM800/SIM868 GNSS application note, section AT+CGNSINF):
 *
 *   #  field                         unit / format              range
 *   1  GNSS run status               0 off, 1 on
 *   2  Fix status                    0 not fixed, 1 fixed
 *   3  UTC date & time               yyyyMMddhhmmss.sss         year 1980..2039, ss.sss 0.000..60.999
 *   4  Latitude                      ±dd.dddddd                 -90..90
 *   5  Longitude                     ±ddd.dddddd                -180..180
 *   6  MSL altitude                  metres
 *   7  Speed over ground             km/h                       0..999.99
 *   8  Course over ground            degrees                    0..360.00
 *   9  Fix mode                      0,1,2 (not further documented: not relied on)
 *  10  Reserved1
 *  11  HDOP                                                     0..99.9
 *  12  PDOP                                                     0..99.9
 *  13  VDOP                                                     0..99.9
 *  14  Reserved2
 *  15  GPS satellites in view                                   0..99
 *  16  GNSS satellites used                                     0..99
 *  17  GLONASS satellites in view                               0..99
 *  18  Reserved3
 *  19  C/N0 max                      dBHz                       0..55
 *  20  HPA                           metres                     0..9999.9
 *  21  VPA                           metres                     0..9999.9
 *
 * Speed is km/h, not knots: the manual's table says "Km/hour". Some libraries (TinyGSM's SIM70xx getGPS) comment
 * "knots", a remark copied from the older SIM5218 `+CGPSINFO` command, whose speed really is in knots.
 */
import type { Fix } from "drivers/gnss/fix";
import {
	type FixResult, KMH_M_PER_S, UERE_M, UNKNOWN_HDOP, decimal, malformed, noFix, printableAscii, timeOfDayMs,
	trimLineEnd, unsignedInt, utcDateMs,
} from "drivers/gnss/common";

const PREFIX = "+CGNSINF:";
const FIELDS = 21;

/** `yyyyMMddhhmmss.sss` to milliseconds since the epoch, or undefined. */
export function parseCgnsTime(text: string): number | undefined {
	if (!/^\d{14}\.\d{1,3}$/.test(text)) return undefined;
	const year = Number(text.slice(0, 4));
	if (year < 1980 || year > 2099) return undefined;
	const day = utcDateMs(year, Number(text.slice(4, 6)), Number(text.slice(6, 8)));
	const tod = timeOfDayMs(text.slice(8));
	if (day === undefined || tod === undefined) return undefined;
	return day + tod;
}

/** Optional numeric field: empty is undefined, garbage or out of [min, max] is NaN. */
function optional(text: string, min: number, max: number): number | undefined {
	if (text === "") return undefined;
	const n = decimal(text);
	return n === undefined || n < min || n > max ? NaN : n;
}

/**
 * Parses one `+CGNSINF: ...` line (the intermediate line of the `AT+CGNSINF` reply, without `OK`).
 * Returns a fix, `no-fix` (run=1, fix=0), `gnss-off` (run=0), or the reason the line is malformed.
 */
export function parseCgnsinf(line: string): FixResult {
	line = trimLineEnd(line);
	if (!printableAscii(line)) return malformed("non-ascii", "line");
	if (!line.startsWith(PREFIX)) return malformed("prefix", PREFIX);
	const f = line.slice(PREFIX.length).trimStart().split(",");
	if (f.length !== FIELDS) return malformed("field-count", `${f.length} of ${FIELDS}`);

	if (f[0] !== "0" && f[0] !== "1") return malformed("status", "run status");
	// With the engine off (`AT+CGNSPWR=0`) every other field is empty.
	if (f[0] === "0") return noFix("gnss-off");
	if (f[1] !== "0" && f[1] !== "1") return malformed("status", "fix status");
	if (f[1] === "0") return noFix("no-fix");

	const time = parseCgnsTime(f[2]);
	if (time === undefined) return malformed("time", f[2]);
	const lat = decimal(f[3]);
	if (lat === undefined || lat < -90 || lat > 90) return malformed("latitude", f[3]);
	const lon = decimal(f[4]);
	if (lon === undefined || lon < -180 || lon > 180) return malformed("longitude", f[4]);

	const altitude = optional(f[5], -1000, 20000); // no range in the manual; wider than anywhere a person can be
	const speedKmh = optional(f[6], 0, 999.99);
	const course = optional(f[7], 0, 360);
	const hdop = optional(f[10], 0, 99.9);
	const used = f[15] === "" ? undefined : unsignedInt(f[15]);
	const hpa = optional(f[19], 0, 9999.9);
	const checks: readonly [string, number | undefined][] = [
		["altitude", altitude], ["speed", speedKmh], ["course", course], ["HDOP", hdop], ["HPA", hpa],
	];
	for (const [name, value] of checks) if (Number.isNaN(value)) return malformed("number", name);
	if (f[15] !== "" && (used === undefined || used > 99)) return malformed("number", "satellites used");

	// HPA is the receiver's own horizontal accuracy estimate; SIM7080 firmware often leaves it empty.
	const accuracy = hpa !== undefined && hpa > 0 ? hpa : (hdop ?? UNKNOWN_HDOP) * UERE_M;
	const fix: Fix = {
		time,
		lat,
		lon,
		accuracy,
		satellites: used ?? 0,
		// The fix-mode field's values are not documented beyond "0,1,2"; an altitude means a 3-D solution.
		quality: altitude === undefined ? "2d" : "3d",
		source: "gnss",
		...(altitude !== undefined ? { altitude } : {}),
		...(speedKmh !== undefined ? { speed: speedKmh * KMH_M_PER_S } : {}),
		...(course !== undefined ? { course } : {}),
	};
	return { ok: true, fix };
}
