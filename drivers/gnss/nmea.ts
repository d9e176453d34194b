/**
 * NMEA 0183 sentence parser for GGA, RMC and GSA, any talker (GP, GN, GL, GA, GB, BD, GQ, QZ...), for boards
 * with a separate GNSS receiver. Sentence definitions: NMEA 0183 v4.11 (GGA "Global Positioning System Fix Data",
 * RMC "Recommended Minimum Specific GNSS Data", GSA "GNSS DOP and Active Satellites"), as also published in the
 * u-blox M8 receiver description (UBX-13003221, NMEA protocol chapter) and gpsd's "NMEA Revealed".
 *
 * Framing (NMEA 0183 §5.3): `$` + address (2-char talker + 3-char formatter) + `,`-separated fields +
 * `*hh` checksum (XOR of every character between `$` and `*`, two hex digits) + CR LF.
 *
 * Field counts accepted, counting fields after the address:
 *   GGA 14                      (unchanged since 2.x)
 *   RMC 11 (≤2.2), 12 (2.3+ mode indicator), 13 (4.10+ navigational status)
 *   GSA 17 (≤4.0), 18 (4.10+ GNSS system ID)
 *
 * Turning one epoch's sentences into a `Fix` is drivers/gnss/nmeaCombiner; cutting a byte stream into
 * sentences is drivers/gnss/nmeaSplitter.
 */
import {
	type MalformedReason, ddmmyyMs, decimal, printableAscii, timeOfDayMs, trimLineEnd, unsignedInt,
} from "drivers/gnss/common";

/**
 * The spec's limit is 82 characters including `$` and CR LF; u-blox "high precision" mode and some
 * multi-constellation receivers exceed it, so we allow up to 120 before calling the line garbage.
 */
export const MAX_SENTENCE = 120;

/** GGA: time, position and fix-related data. Lat/lon absent when the receiver has no position. */
export interface GgaSentence {
	readonly type: "GGA";
	readonly talker: string;
	/** Milliseconds since UTC midnight; undefined when the receiver has no time yet. */
	readonly timeOfDay: number | undefined;
	readonly lat: number | undefined;
	readonly lon: number | undefined;
	/** 0 invalid, 1 GPS SPS, 2 differential, 3 PPS, 4 RTK fixed, 5 RTK float, 6 estimated, 7 manual, 8 simulator. */
	readonly quality: number;
	readonly satellites: number;
	readonly hdop: number | undefined;
	/** Metres above mean sea level. */
	readonly altitude: number | undefined;
	readonly geoidSeparation: number | undefined;
}

/** RMC: minimum position, velocity, time and date. */
export interface RmcSentence {
	readonly type: "RMC";
	readonly talker: string;
	readonly timeOfDay: number | undefined;
	/** Status `A` (data valid) or `V` (navigation receiver warning). */
	readonly valid: boolean;
	readonly lat: number | undefined;
	readonly lon: number | undefined;
	readonly speedKnots: number | undefined;
	/** Course over ground, degrees true. */
	readonly course: number | undefined;
	/** Milliseconds since the epoch at UTC midnight of the date field. */
	readonly date: number | undefined;
	/** Mode indicator (2.3+): A autonomous, D differential, E estimated, M manual, S simulator, N not valid. */
	readonly mode: string | undefined;
}

/** GSA: fix type, satellites used, DOPs. */
export interface GsaSentence {
	readonly type: "GSA";
	readonly talker: string;
	/** `M` manual, `A` automatic 2D/3D. */
	readonly selection: "A" | "M";
	/** 1 no fix, 2 2D, 3 3D. */
	readonly fixType: 1 | 2 | 3;
	readonly satellites: readonly number[];
	readonly pdop: number | undefined;
	readonly hdop: number | undefined;
	readonly vdop: number | undefined;
	/** NMEA 4.10 GNSS system ID (1 GPS, 2 GLONASS, 3 Galileo, 4 BeiDou, 5 QZSS, 6 NavIC), when present. */
	readonly systemId: number | undefined;
}

export type NmeaSentence = GgaSentence | RmcSentence | GsaSentence;

export type NmeaResult =
	| { readonly ok: true; readonly sentence: NmeaSentence }                              // decoded
	| { readonly ok: false; readonly reason: MalformedReason; readonly detail: string }; // rejected, or "unsupported"

function fail(reason: MalformedReason, detail: string): NmeaResult {
	return { ok: false, reason, detail };
}

/** XOR of the character codes of `body` (the text between `$` and `*`). */
export function nmeaChecksum(body: string): number {
	let x = 0;
	for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
	return x;
}

/** Builds a sentence from its body, e.g. for emulators: `$` + body + `*` + checksum. */
export function nmeaFrame(body: string): string {
	return "$" + body + "*" + nmeaChecksum(body).toString(16).toUpperCase().padStart(2, "0");
}

const LATITUDE = /^(\d{2})(\d{2}(?:\.\d+)?)$/;   // ddmm.mmmm
const LONGITUDE = /^(\d{3})(\d{2}(?:\.\d+)?)$/;  // dddmm.mmmm

/** Sentinel for a field that failed validation, distinct from an empty (undefined) field. */
const BAD = -Infinity;

/** `ddmm.mmmm` / `dddmm.mmmm` with hemisphere to signed degrees; undefined when both empty; BAD otherwise. */
function coordinate(value: string, hemi: string, degDigits: 2 | 3, pos: string, neg: string): number | undefined {
	if (value === "" && hemi === "") return undefined;
	if (hemi !== pos && hemi !== neg) return BAD;
	const m = (degDigits === 2 ? LATITUDE : LONGITUDE).exec(value);
	if (!m) return NaN;
	const deg = Number(m[1]);
	const min = Number(m[2]);
	if (min >= 60) return NaN;
	const v = deg + min / 60;
	if (v > (degDigits === 2 ? 90 : 180)) return NaN;
	return hemi === neg ? -v : v;
}

function optionalNumber(text: string): number | undefined {
	if (text === "") return undefined;
	const n = decimal(text);
	return n === undefined ? NaN : n;
}

function time(text: string): number | undefined {
	if (text === "") return undefined;
	return timeOfDayMs(text) ?? NaN;
}

/** Checks lat/lon pair; returns a failure or undefined. */
function checkPosition(lat: number | undefined, lon: number | undefined, latRaw: string, lonRaw: string): NmeaResult | undefined {
	if (lat === BAD) return fail("hemisphere", "N/S");
	if (lon === BAD) return fail("hemisphere", "E/W");
	if (Number.isNaN(lat)) return fail("latitude", latRaw);
	if (Number.isNaN(lon)) return fail("longitude", lonRaw);
	if ((lat === undefined) !== (lon === undefined)) return fail(lat === undefined ? "latitude" : "longitude", "missing");
	return undefined;
}

function parseGga(talker: string, f: readonly string[]): NmeaResult {
	if (f.length !== 14) return fail("field-count", `GGA ${f.length} of 14`);
	const timeOfDay = time(f[0]);
	if (Number.isNaN(timeOfDay)) return fail("time", f[0]);
	const lat = coordinate(f[1], f[2], 2, "N", "S");
	const lon = coordinate(f[3], f[4], 3, "E", "W");
	const bad = checkPosition(lat, lon, f[1], f[3]);
	if (bad) return bad;
	const quality = unsignedInt(f[5]);
	if (quality === undefined || quality > 8) return fail("status", "GGA quality");
	const satellites = f[6] === "" ? 0 : unsignedInt(f[6]);
	if (satellites === undefined) return fail("number", "satellites");
	const hdop = optionalNumber(f[7]);
	const altitude = optionalNumber(f[8]);
	const geoidSeparation = optionalNumber(f[10]);
	if (Number.isNaN(hdop)) return fail("number", "HDOP");
	if (Number.isNaN(altitude) || (f[8] !== "" && f[9] !== "M")) return fail("number", "altitude");
	if (Number.isNaN(geoidSeparation)) return fail("number", "geoid separation");
	return {
		ok: true,
		sentence: { type: "GGA", talker, timeOfDay, lat, lon, quality, satellites, hdop, altitude, geoidSeparation },
	};
}

function parseRmc(talker: string, f: readonly string[]): NmeaResult {
	if (f.length < 11 || f.length > 13) return fail("field-count", `RMC ${f.length} of 11..13`);
	const timeOfDay = time(f[0]);
	if (Number.isNaN(timeOfDay)) return fail("time", f[0]);
	if (f[1] !== "A" && f[1] !== "V") return fail("status", "RMC status");
	const lat = coordinate(f[2], f[3], 2, "N", "S");
	const lon = coordinate(f[4], f[5], 3, "E", "W");
	const bad = checkPosition(lat, lon, f[2], f[4]);
	if (bad) return bad;
	const speedKnots = optionalNumber(f[6]);
	const course = optionalNumber(f[7]);
	if (Number.isNaN(speedKnots) || (speedKnots !== undefined && speedKnots < 0)) return fail("number", "speed");
	if (Number.isNaN(course) || (course !== undefined && (course < 0 || course > 360))) return fail("number", "course");
	let date: number | undefined;
	if (f[8] !== "") {
		date = ddmmyyMs(f[8]);
		if (date === undefined) return fail("date", f[8]);
	}
	const mode = f.length >= 12 && f[11] !== "" ? f[11] : undefined;
	if (mode !== undefined && !/^[ADEFMNPRS]$/.test(mode)) return fail("status", "RMC mode");
	return {
		ok: true,
		sentence: { type: "RMC", talker, timeOfDay, valid: f[1] === "A", lat, lon, speedKnots, course, date, mode },
	};
}

function parseGsa(talker: string, f: readonly string[]): NmeaResult {
	if (f.length !== 17 && f.length !== 18) return fail("field-count", `GSA ${f.length} of 17..18`);
	if (f[0] !== "A" && f[0] !== "M") return fail("status", "GSA selection");
	if (f[1] !== "1" && f[1] !== "2" && f[1] !== "3") return fail("status", "GSA fix type");
	const satellites: number[] = [];
	for (let i = 2; i < 14; i++) {
		if (f[i] === "") continue;
		const prn = unsignedInt(f[i]);
		if (prn === undefined) return fail("number", "satellite id");
		satellites.push(prn);
	}
	const pdop = optionalNumber(f[14]);
	const hdop = optionalNumber(f[15]);
	const vdop = optionalNumber(f[16]);
	if (Number.isNaN(pdop) || Number.isNaN(hdop) || Number.isNaN(vdop)) return fail("number", "DOP");
	let systemId: number | undefined;
	if (f.length === 18 && f[17] !== "") {
		systemId = unsignedInt(f[17]);
		if (systemId === undefined) return fail("number", "system id");
	}
	return {
		ok: true,
		sentence: {
			type: "GSA", talker, selection: f[0], fixType: Number(f[1]) as 1 | 2 | 3, satellites, pdop, hdop, vdop, systemId,
		},
	};
}

/** Parses one sentence (with or without its CR LF). */
export function parseNmea(line: string): NmeaResult {
	line = trimLineEnd(line);
	if (!printableAscii(line)) return fail("non-ascii", "sentence");
	if (line.length > MAX_SENTENCE) return fail("too-long", String(line.length));
	if (line.charCodeAt(0) !== 0x24 /* $ */) return fail("prefix", "$");
	const star = line.indexOf("*");
	if (star < 0) return fail("missing-checksum", "*hh");
	const hex = line.slice(star + 1);
	if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return fail("missing-checksum", hex);
	const body = line.slice(1, star);
	if (nmeaChecksum(body) !== parseInt(hex, 16)) return fail("checksum", hex);
	// Reserved characters (NMEA 0183 §6.1) may not appear inside the body.
	if (/[$*!\\^~]/.test(body)) return fail("prefix", "reserved character");

	const fields = body.split(",");
	const address = fields.shift() as string;
	if (address.length >= 1 && address[0] === "P") return fail("unsupported", address);
	if (!/^[A-Z]{2}[A-Z]{3}$/.test(address)) return fail("prefix", address);
	const talker = address.slice(0, 2);
	switch (address.slice(2)) {
		case "GGA": return parseGga(talker, fields);
		case "RMC": return parseRmc(talker, fields);
		case "GSA": return parseGsa(talker, fields);
		default: return fail("unsupported", address);
	}
}
