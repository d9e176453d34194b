import { suite } from "uvu";
import * as assert from "uvu/assert";
import { cogDegrees, parseQgpsloc, parseQgpslocError, qgpslocCmeError } from "drivers/gnss/qgpsloc";
import { UERE_M, isMalformed } from "drivers/gnss/common";

const QGPSLOC = suite("parseQgpsloc");

// Format: Quectel BG95&BG77&BG600L Series GNSS Application Note, AT+QGPSLOC, <mode>=2.
// The application note's own example could not be retrieved here; fixtures are real BG96 answers quoted in public
// sources (BG96 shares the format). A BG96 AT+QGPSLOC=2 answer quoted in a public LTEm (LooUQ-style) driver's
// gnss.c comment, found with the code search tool:
const FIX = "+QGPSLOC: 113355.0,44.74770,-85.56527,1.2,192.0,2,277.11,0.0,0.0,250420,10";
// Southern/western hemisphere answer quoted in a public Quectel Python script's get_gps docstring (2-D):
const SOUTH = "+QGPSLOC: 202008.0,-22.98486,-43.35916,2.5,4.0,2,0.00,0.0,0.0,290119,09";

QGPSLOC("golden fix, field by field", () => {
	const r = parseQgpsloc(FIX);
	if (!r.ok) throw new Error(JSON.stringify(r));
	const f = r.fix;
	assert.is(f.time, Date.UTC(2020, 3, 25, 11, 33, 55)); // UTC 113355.0 + date 250420
	assert.is(f.lat, 44.7477);
	assert.is(f.lon, -85.56527);
	assert.is(f.accuracy, 1.2 * UERE_M);                   // HDOP 1.2
	assert.is(f.altitude, 192);
	assert.is(f.quality, "2d");                            // fix 2
	assert.ok(Math.abs((f.course as number) - (277 + 11 / 60)) < 1e-12); // COG ddd.mm: 277° 11'
	assert.is(f.speed, 0);                                  // spkm
	assert.is(f.satellites, 10);
	assert.is(f.source, "gnss");
});

QGPSLOC("negative (south, west) coordinates", () => {
	const r = parseQgpsloc(SOUTH);
	if (!r.ok) throw new Error(JSON.stringify(r));
	assert.is(r.fix.lat, -22.98486);
	assert.is(r.fix.lon, -43.35916);
	assert.is(r.fix.time, Date.UTC(2019, 0, 29, 20, 20, 8));
	assert.is(r.fix.satellites, 9);
});

QGPSLOC("fix 3 is a 3-D fix; spkm is converted to m/s", () => {
	const r = parseQgpsloc("+QGPSLOC: 113355.000,44.74770,-85.56527,1.2,192.0,3,090.30,36.0,19.4,250420,10\r\n");
	if (!r.ok) throw new Error(JSON.stringify(r));
	assert.is(r.fix.quality, "3d");
	assert.is(r.fix.speed, 10);
	assert.is(r.fix.course, 90.5);
});

QGPSLOC("CME 516 is no-fix, 505 is gnss-off, others are errors", () => {
	assert.equal(parseQgpsloc("+CME ERROR: 516"), { ok: false, reason: "no-fix" });
	assert.equal(parseQgpslocError("+CME ERROR: 505\r\n"), { ok: false, reason: "gnss-off" });
	assert.equal(qgpslocCmeError(516), { ok: false, reason: "no-fix" });
	const other = qgpslocCmeError(503);
	assert.equal(other, { ok: false, reason: "cme-error", detail: "503" });
	assert.ok(isMalformed(other));
	assert.not.ok(isMalformed(qgpslocCmeError(516)));
	assert.is(parseQgpslocError("ERROR").ok, false);
});

QGPSLOC("a course with minutes over 59 is dropped, not the fix", () => {
	const r = parseQgpsloc(FIX.replace("277.11", "277.75"));
	if (!r.ok) throw new Error(JSON.stringify(r));
	assert.is(r.fix.course, undefined);
	assert.is(cogDegrees("359.59"), 359 + 59 / 60);
	assert.is(cogDegrees("360.00"), undefined);
	assert.is(cogDegrees("0.5"), 0.5 * 100 / 60);
});

function withField(i: number, value: string): string {
	const f = FIX.slice("+QGPSLOC: ".length).split(",");
	f[i] = value;
	return "+QGPSLOC: " + f.join(",");
}

function rejects(line: string, reason: string) {
	const r = parseQgpsloc(line);
	assert.is(r.ok, false, line);
	if (!r.ok) assert.is(r.reason, reason, line);
	assert.ok(isMalformed(r), line);
}

QGPSLOC("rejects malformed lines with a reason", () => {
	rejects("+QGPSLOC 1", "prefix");
	rejects("+QGPS: 1", "prefix");
	rejects(FIX + ",1", "field-count");
	rejects(FIX.slice(0, FIX.lastIndexOf(",")), "field-count");
	rejects(FIX + "\u00ff", "non-ascii");
	rejects(withField(0, "253355.0"), "time");
	rejects(withField(0, ""), "time");
	rejects(withField(9, "320420"), "date");
	rejects(withField(9, "2504"), "date");
	rejects(withField(1, "4444.7477N"), "latitude"); // mode 0 format
	rejects(withField(1, "-90.1"), "latitude");
	rejects(withField(2, "185.0"), "longitude");
	rejects(withField(3, ""), "number");
	rejects(withField(4, "high"), "number");
	rejects(withField(5, "1"), "status");
	rejects(withField(7, "-3"), "number");
	rejects(withField(10, "ten"), "number");
});

QGPSLOC.run();
