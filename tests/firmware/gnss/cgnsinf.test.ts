import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseCgnsinf, parseCgnsTime } from "drivers/gnss/cgnsinf";
import { UERE_M, isMalformed } from "drivers/gnss/common";

const CGNSINF = suite("parseCgnsinf");

// Field table: SIM7070/SIM7080/SIM7090 Series AT Command Manual, AT+CGNSINF (speed in km/h).
// Fixture with a fix: the AT+CGNSINF example published by a SIMCom user (blog.csdn.net/u014197096/article/details/79310868,
// "after a successful fix"), SIM868 firmware, same 21-field format:
const FIX = "+CGNSINF: 1,1,20180209053930.000,31.362958,120.707803,-13.471,0.00,7.4,2,,0.7,1.3,1.1,,15,15,,,40,,";
// Same source, "just after power-on" (no fix; time is the receiver's 1980 default):
const NO_FIX = "+CGNSINF: 1,0,19800106000007.000,,,,0.00,0.0,0,,,,,,0,0,,,,,";
// Fix while moving, from the SIM868 URC example in blog.csdn.net/jinchengzhou/article/details/53045683
// (+UGNSINF carries the same 21 fields; re-headed as +CGNSINF):
const MOVING = "+CGNSINF: 1,1,20161105073116.000,22.858005,113.263150,40.900,7.56,166.2,1,,0.9,1.2,0.8,,10,9,,,42,,";

CGNSINF("golden fix, field by field", () => {
	const r = parseCgnsinf(FIX);
	if (!r.ok) throw new Error(JSON.stringify(r));
	const f = r.fix;
	assert.is(f.time, Date.UTC(2018, 1, 9, 5, 39, 30, 0)); // 3: 20180209053930.000
	assert.is(f.lat, 31.362958);                            // 4
	assert.is(f.lon, 120.707803);                           // 5
	assert.is(f.altitude, -13.471);                         // 6: MSL metres, may be negative
	assert.is(f.speed, 0);                                  // 7: km/h
	assert.is(f.course, 7.4);                               // 8
	assert.is(f.accuracy, 0.7 * UERE_M);                    // 11: HDOP × UERE (HPA, field 20, empty)
	assert.is(f.satellites, 15);                            // 16: GNSS satellites used
	assert.is(f.quality, "3d");
	assert.is(f.source, "gnss");
});

CGNSINF("speed is km/h converted to m/s", () => {
	const r = parseCgnsinf(MOVING);
	if (!r.ok) throw new Error(JSON.stringify(r));
	assert.ok(Math.abs((r.fix.speed as number) - 7.56 / 3.6) < 1e-12);
	assert.is(r.fix.course, 166.2);
	assert.is(r.fix.satellites, 9);
});

CGNSINF("HPA, when present, is the accuracy", () => {
	const line = FIX.replace(/,,$/, ",3.2,4.5");
	const r = parseCgnsinf(line);
	if (!r.ok) throw new Error(JSON.stringify(r));
	assert.is(r.fix.accuracy, 3.2);
});

CGNSINF("no altitude means a 2-D fix", () => {
	const f = FIX.split(",");
	f[5] = "";
	const r = parseCgnsinf(f.join(","));
	if (!r.ok) throw new Error(JSON.stringify(r));
	assert.is(r.fix.quality, "2d");
	assert.is(r.fix.altitude, undefined);
});

CGNSINF("accepts CR LF and a missing space after the colon", () => {
	assert.ok(parseCgnsinf(FIX + "\r\n").ok);
	assert.ok(parseCgnsinf(FIX.replace("+CGNSINF: ", "+CGNSINF:")).ok);
});

CGNSINF("run=1 fix=0 is no-fix, not an error", () => {
	const r = parseCgnsinf(NO_FIX);
	assert.equal(r, { ok: false, reason: "no-fix" });
	assert.not.ok(isMalformed(r));
});

CGNSINF("run=0 is gnss-off", () => {
	const r = parseCgnsinf("+CGNSINF: 0,,,,,,,,,,,,,,,,,,,,");
	assert.equal(r, { ok: false, reason: "gnss-off" });
	assert.not.ok(isMalformed(r));
});

function rejects(line: string, reason: string, detail?: string) {
	const r = parseCgnsinf(line);
	assert.is(r.ok, false, line);
	if (r.ok) return;
	assert.is(r.reason, reason, line);
	if (detail !== undefined) assert.is((r as { detail: string }).detail, detail, line);
	assert.ok(isMalformed(r));
}

function withField(i: number, value: string): string {
	const f = FIX.slice("+CGNSINF: ".length).split(",");
	f[i] = value;
	return "+CGNSINF: " + f.join(",");
}

CGNSINF("rejects malformed lines with a reason", () => {
	rejects("+CGNSINF 1,1", "prefix");
	rejects("+CGPSINF: " + FIX.slice(10), "prefix");
	rejects(FIX + ",", "field-count", "22 of 21");
	rejects(FIX.replace(/,$/, ""), "field-count", "20 of 21");
	rejects(FIX.replace("31.36", "31.\u00b06"), "non-ascii");
	rejects(withField(0, "2"), "status", "run status");
	rejects(withField(1, ""), "status", "fix status");
	rejects(withField(2, ""), "time");
	rejects(withField(2, "20180230053930.000"), "time");   // 30 February
	rejects(withField(2, "20180209243930.000"), "time");   // hour 24
	rejects(withField(2, "2018020905393.000"), "time");    // 13 digits
	rejects(withField(3, ""), "latitude");                  // fix=1 without a position
	rejects(withField(3, "91.0"), "latitude");
	rejects(withField(3, "31.3x"), "latitude");
	rejects(withField(4, "-180.5"), "longitude");
	rejects(withField(5, "abc"), "number", "altitude");
	rejects(withField(6, "-1"), "number", "speed");
	rejects(withField(7, "361"), "number", "course");
	rejects(withField(10, "1e3"), "number", "HDOP");
	rejects(withField(15, "x"), "number", "satellites used");
});

CGNSINF.run();

const TIME = suite("parseCgnsTime");

TIME("decodes yyyyMMddhhmmss.sss including a leap second", () => {
	assert.is(parseCgnsTime("20180209053930.250"), Date.UTC(2018, 1, 9, 5, 39, 30, 250));
	assert.is(parseCgnsTime("20161231235960.000"), Date.UTC(2016, 11, 31, 23, 59, 60)); // 2016 leap second
	assert.is(parseCgnsTime("20240229000000.000"), Date.UTC(2024, 1, 29));
	assert.is(parseCgnsTime("20230229000000.000"), undefined);
	assert.is(parseCgnsTime("19790101000000.000"), undefined);
});

TIME.run();
