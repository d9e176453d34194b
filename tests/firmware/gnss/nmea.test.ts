import { suite } from "uvu";
import * as assert from "uvu/assert";
import { nmeaChecksum, nmeaFrame, parseNmea, type GgaSentence, type GsaSentence, type NmeaSentence, type RmcSentence } from "drivers/gnss/nmea";
import * as F from "./nmeaFixtures";

/** Independent checksum: XOR of the characters between `$` and `*`, written without the parser's helper. */
function xorOf(sentence: string): string {
	let x = 0;
	for (const ch of sentence.slice(1, sentence.indexOf("*"))) x = x ^ ch.charCodeAt(0);
	const hex = "0123456789ABCDEF";
	return hex[x >> 4] + hex[x & 15];
}

function ok(line: string): NmeaSentence {
	const r = parseNmea(line);
	if (!r.ok) throw new Error(`${line}: ${r.reason} ${r.detail}`);
	return r.sentence;
}

function near(a: number | undefined, b: number, eps = 1e-9) {
	assert.ok(a !== undefined && Math.abs(a - b) < eps, `${a} != ${b}`);
}

const ALL_GOOD = [
	F.DEPRIEST_GGA, F.DEPRIEST_RMC, F.DEPRIEST_GSA, F.UBLOX_GGA, F.UBLOX_RMC, F.UBLOX_GSA, ...F.QUECTEL_EPOCH,
	F.ELECTRODRAGON_RMC, F.ELECTRODRAGON_GGA, F.ELECTRODRAGON_GSA, ...F.NEO6_NOFIX, F.SIM66_RMC_410, F.TESEO_RMC_NOFIX,
	F.RMC_SOUTH, F.RMC_WEST, F.MULTITECH_GGA,
];

const CHECKSUM = suite("NMEA checksum");

CHECKSUM("every fixture's printed checksum matches an independent XOR", () => {
	for (const s of ALL_GOOD) assert.is(s.slice(s.indexOf("*") + 1), xorOf(s), s);
	// and the one published with a wrong checksum really is wrong
	assert.is.not(F.SIM66_RMC_BAD_CHECKSUM.slice(-2), xorOf(F.SIM66_RMC_BAD_CHECKSUM));
	assert.is(xorOf(F.SIM66_RMC_BAD_CHECKSUM), "28");
});

CHECKSUM("nmeaChecksum and nmeaFrame agree with the hand XOR", () => {
	for (const s of ALL_GOOD) {
		assert.is(nmeaChecksum(s.slice(1, s.indexOf("*"))), parseInt(xorOf(s), 16));
		assert.is(nmeaFrame(s.slice(1, s.indexOf("*"))), s);
	}
});

CHECKSUM.run();

const GGA = suite("parseNmea GGA");

GGA("DePriest GGA, field by field", () => {
	const g = ok(F.DEPRIEST_GGA) as GgaSentence;
	assert.is(g.type, "GGA");
	assert.is(g.talker, "GP");
	assert.is(g.timeOfDay, (12 * 3600 + 35 * 60 + 19) * 1000);
	near(g.lat, 48 + 7.038 / 60);
	near(g.lon, 11 + 31 / 60);
	assert.is(g.quality, 1);
	assert.is(g.satellites, 8);
	assert.is(g.hdop, 0.9);
	assert.is(g.altitude, 545.4);
	assert.is(g.geoidSeparation, 46.9);
});

GGA("u-blox GGA with hundredths of a second", () => {
	const g = ok(F.UBLOX_GGA) as GgaSentence;
	assert.is(g.timeOfDay, (9 * 3600 + 27 * 60 + 25) * 1000);
	near(g.lat, 47 + 17.11399 / 60);
	near(g.lon, 8 + 33.9159 / 60);
	assert.is(g.hdop, 1.01);
});

GGA("milliseconds, empty geoid separation and a DGPS station id", () => {
	const g = ok(F.MULTITECH_GGA) as GgaSentence;
	assert.is(g.timeOfDay, (11 * 3600 + 16 * 60 + 36) * 1000 + 932);
	assert.is(g.geoidSeparation, undefined);
	assert.is(g.satellites, 11);
});

GGA("GN talker, negative geoid separation; differential quality 2", () => {
	const g = ok(F.QUECTEL_EPOCH[2]) as GgaSentence;
	assert.is(g.talker, "GN");
	assert.is(g.geoidSeparation, -2.9);
	assert.is(g.satellites, 12);
	assert.is((ok(F.ELECTRODRAGON_GGA) as GgaSentence).quality, 2);
});

GGA("no-fix GGA has no time and no position", () => {
	const g = ok(F.NEO6_NOFIX[3]) as GgaSentence;
	assert.is(g.timeOfDay, undefined);
	assert.is(g.lat, undefined);
	assert.is(g.lon, undefined);
	assert.is(g.quality, 0);
	assert.is(g.hdop, 99.99);
});

GGA.run();

const RMC = suite("parseNmea RMC");

RMC("DePriest RMC (NMEA 2.x, 11 fields), field by field", () => {
	const r = ok(F.DEPRIEST_RMC) as RmcSentence;
	assert.is(r.type, "RMC");
	assert.is(r.valid, true);
	assert.is(r.timeOfDay, (12 * 3600 + 35 * 60 + 19) * 1000);
	near(r.lat, 48 + 7.038 / 60);
	near(r.lon, 11 + 31 / 60);
	assert.is(r.speedKnots, 22.4);
	assert.is(r.course, 84.4);
	assert.is(r.date, Date.UTC(1994, 2, 23));
	assert.is(r.mode, undefined);
});

RMC("u-blox RMC with mode indicator (12 fields)", () => {
	const r = ok(F.UBLOX_RMC) as RmcSentence;
	assert.is(r.date, Date.UTC(2002, 11, 9));
	assert.is(r.mode, "A");
	assert.is(r.speedKnots, 0.004);
	assert.is(r.course, 77.52);
});

RMC("NMEA 4.10 RMC with navigational status (13 fields), empty course", () => {
	const r = ok(F.SIM66_RMC_410) as RmcSentence;
	assert.is(r.course, undefined);
	assert.is(r.date, Date.UTC(2017, 7, 18));
	near(r.lat, 40 + 4.74005 / 60);
	near(r.lon, 116 + 14.19613 / 60);
});

RMC("south and west are negative", () => {
	const s = ok(F.RMC_SOUTH) as RmcSentence;
	near(s.lat, -(37 + 51.65 / 60));
	near(s.lon, 145 + 7.36 / 60);
	assert.is(s.date, Date.UTC(1998, 8, 13));
	const w = ok(F.RMC_WEST) as RmcSentence;
	near(w.lat, 49 + 16.45 / 60);
	near(w.lon, -(123 + 11.12 / 60));
});

RMC("no-fix RMC: status V, nothing else", () => {
	for (const line of [F.NEO6_NOFIX[1], F.TESEO_RMC_NOFIX]) {
		const r = ok(line) as RmcSentence;
		assert.is(r.valid, false);
		assert.is(r.lat, undefined);
		assert.is(r.date, undefined);
	}
});

RMC.run();

const GSA = suite("parseNmea GSA");

GSA("DePriest GSA, field by field (empty PRN slots skipped)", () => {
	const g = ok(F.DEPRIEST_GSA) as GsaSentence;
	assert.is(g.selection, "A");
	assert.is(g.fixType, 3);
	assert.equal(g.satellites, [4, 5, 9, 12, 24]);
	assert.is(g.pdop, 2.5);
	assert.is(g.hdop, 1.3);
	assert.is(g.vdop, 2.1);
	assert.is(g.systemId, undefined);
});

GSA("BeiDou talker and three-digit PRNs", () => {
	const bd = ok(F.QUECTEL_EPOCH[4]) as GsaSentence;
	assert.is(bd.talker, "BD");
	assert.equal(bd.satellites, [3, 10, 7, 13]);
	const gp = ok(F.QUECTEL_EPOCH[3]) as GsaSentence;
	assert.ok(gp.satellites.includes(194));
});

GSA("NMEA 4.10 system id field (18 fields)", () => {
	const line = nmeaFrame("GNGSA,A,3,80,71,73,79,69,,,,,,,,1.83,1.09,1.47,2");
	const g = ok(line) as GsaSentence;
	assert.is(g.systemId, 2);
	assert.is(g.fixType, 3);
});

GSA("no-fix GSA is fix type 1", () => {
	assert.is((ok(F.NEO6_NOFIX[4]) as GsaSentence).fixType, 1);
});

GSA.run();

const ERRORS = suite("parseNmea errors");

function rejects(line: string, reason: string) {
	const r = parseNmea(line);
	assert.is(r.ok, false, line);
	if (!r.ok) assert.is(r.reason, reason, `${line} -> ${r.reason} ${r.detail}`);
}

/** Re-frames a fixture with one field replaced, so only that field is wrong (checksum recomputed by hand). */
function withField(sentence: string, index: number, value: string): string {
	const fields = sentence.slice(1, sentence.indexOf("*")).split(",");
	fields[index] = value;
	const body = "$" + fields.join(",") + "*";
	return body + xorOf(body);
}

ERRORS("bad checksum, as published in the SIM66 guide", () => rejects(F.SIM66_RMC_BAD_CHECKSUM, "checksum"));

ERRORS("one flipped character fails the checksum", () => {
	rejects(F.DEPRIEST_GGA.replace("4807.038", "4807.039"), "checksum");
});

ERRORS("missing or malformed *hh", () => {
	rejects(F.DEPRIEST_GGA.slice(0, -3), "missing-checksum");
	rejects(F.DEPRIEST_GGA.slice(0, -1), "missing-checksum");
	rejects(F.DEPRIEST_GGA.slice(0, -2) + "G7", "missing-checksum");
});

ERRORS("lowercase hex checksum is accepted", () => {
	assert.ok(parseNmea(F.UBLOX_GSA.slice(0, -2) + "0d").ok);
});

ERRORS("not starting with $, bad address, proprietary and unknown sentences", () => {
	rejects(F.DEPRIEST_GGA.slice(1), "prefix");
	rejects(withField(F.DEPRIEST_GGA, 0, "gpGGA"), "prefix");
	rejects(withField(F.DEPRIEST_GGA, 0, "G1GGA"), "prefix");
	rejects(F.NEO6_NOFIX[0], "unsupported"); // GPTXT
	rejects(F.NEO6_NOFIX[5], "unsupported"); // GPGSV
	rejects(F.QUECTEL_EPOCH[1], "unsupported"); // GNVTG
	rejects(nmeaFrame("PUBX,00"), "unsupported");
});

ERRORS("wrong field counts", () => {
	rejects(withField(F.DEPRIEST_GGA, 14, "M,"), "field-count");
	rejects(nmeaFrame("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,"), "field-count");
	rejects(nmeaFrame("GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1"), "field-count");
	rejects(F.SIM66_RMC_410.replace(",A,V*0B", ",A,V,X*") + "00", "checksum"); // count check comes after checksum
	rejects(nmeaFrame("GPRMC,060845.00,A,4004.74005,N,11614.19613,E,0.000,,180817,,,A,V,X"), "field-count");
	rejects(nmeaFrame("GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3"), "field-count");
});

ERRORS("invalid hemisphere", () => {
	rejects(withField(F.DEPRIEST_GGA, 3, "X"), "hemisphere");
	rejects(withField(F.DEPRIEST_GGA, 3, ""), "hemisphere");
	rejects(withField(F.DEPRIEST_GGA, 5, "N"), "hemisphere");
	rejects(withField(F.DEPRIEST_RMC, 4, "E"), "hemisphere");
});

ERRORS("invalid latitude and longitude", () => {
	rejects(withField(F.DEPRIEST_GGA, 2, "4860.000"), "latitude");   // 60 minutes
	rejects(withField(F.DEPRIEST_GGA, 2, "9100.000"), "latitude");   // 91 degrees
	rejects(withField(F.DEPRIEST_GGA, 2, "48O7.038"), "latitude");
	rejects(withField(F.DEPRIEST_GGA, 2, ""), "latitude");           // hemisphere without a value
	rejects(withField(F.DEPRIEST_GGA, 4, "1131.000"), "longitude");  // two degree digits
	rejects(withField(F.DEPRIEST_GGA, 4, "18100.000"), "longitude");
});

ERRORS("invalid time and date", () => {
	rejects(withField(F.DEPRIEST_GGA, 1, "243519"), "time");
	rejects(withField(F.DEPRIEST_GGA, 1, "126019"), "time");
	rejects(withField(F.DEPRIEST_GGA, 1, "1235"), "time");
	rejects(withField(F.DEPRIEST_RMC, 1, "12:35:19"), "time");
	rejects(withField(F.DEPRIEST_RMC, 9, "300294"), "date");  // 30 February
	rejects(withField(F.DEPRIEST_RMC, 9, "231394"), "date");  // month 13
	rejects(withField(F.DEPRIEST_RMC, 9, "2303"), "date");
});

ERRORS("invalid status, quality and numbers", () => {
	rejects(withField(F.DEPRIEST_RMC, 2, "X"), "status");
	rejects(withField(F.UBLOX_RMC, 12, "Q"), "status");
	rejects(withField(F.DEPRIEST_GGA, 6, "9"), "status");
	rejects(withField(F.DEPRIEST_GGA, 7, "-1"), "number");
	rejects(withField(F.DEPRIEST_GGA, 8, "0.9.1"), "number");
	rejects(withField(F.DEPRIEST_GGA, 10, "F"), "number");       // altitude units must be metres
	rejects(withField(F.DEPRIEST_RMC, 7, "fast"), "number");
	rejects(withField(F.DEPRIEST_RMC, 8, "400"), "number");
	rejects(withField(F.DEPRIEST_GSA, 1, "B"), "status");
	rejects(withField(F.DEPRIEST_GSA, 2, "4"), "status");
	rejects(withField(F.DEPRIEST_GSA, 3, "X4"), "number");
	rejects(withField(F.DEPRIEST_GSA, 15, "1,3,4"), "field-count"); // 19 fields
	rejects(withField(F.DEPRIEST_GSA, 15, "1,3"), "number");          // 18: "2.1" read as a system id
});

ERRORS("non-ASCII, control characters and reserved characters", () => {
	rejects(F.DEPRIEST_GGA.replace("545.4", "545\u00b04"), "non-ascii");
	rejects(F.DEPRIEST_GGA.replace("545.4", "545\u00004"), "non-ascii");
	rejects(nmeaFrame("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,!"), "prefix");
});

ERRORS("overlong line", () => {
	rejects("$GPGGA," + "1".repeat(200) + "*00", "too-long");
});

ERRORS("trailing CR LF is tolerated", () => {
	assert.ok(parseNmea(F.DEPRIEST_GGA + "\r\n").ok);
});

ERRORS.run();
