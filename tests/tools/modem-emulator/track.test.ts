/** Track files: GPX 1.1 and CSV parsing, malformed rows reported by line and reason, interpolation. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { formatTrackErrors, parseCsv, parseGpx, parseTrack, positionAt } from "../../../tools/sim/modem/track";

const Gpx = suite("track GPX");

Gpx("reads trkpt lat/lon, <ele> and <time> as offsets from the first point", () => {
	const r = parseGpx(`<?xml version="1.0"?>
<gpx version="1.1"><trk><trkseg>
<trkpt lat="48.1" lon="2.5"><ele>30.5</ele><time>2026-01-01T00:00:00Z</time></trkpt>
<trkpt lon="2.6" lat="48.2"><ele>31</ele><time>2026-01-01T00:00:05.5Z</time></trkpt>
</trkseg></trk></gpx>`);
	assert.ok(r.ok);
	if (r.ok) assert.equal(r.points, [{ offsetMs: 0, lat: 48.1, lon: 2.5, alt: 30.5 }, { offsetMs: 5500, lat: 48.2, lon: 2.6, alt: 31 }]);
});

Gpx("points without <time> are one second apart", () => {
	const r = parseGpx('<gpx><trkpt lat="1" lon="2"/><trkpt lat="1.1" lon="2"/></gpx>');
	assert.ok(r.ok);
	if (r.ok) assert.equal(r.points.map((p) => p.offsetMs), [0, 1000]);
});

Gpx("malformed points are reported with their line and reason, and nothing throws", () => {
	const r = parseGpx(`<gpx>
<trkpt lat="91" lon="2"></trkpt>
<trkpt lat="1"></trkpt>
<trkpt lat="1" lon="2"><ele>high</ele></trkpt>
<trkpt lat="1" lon="2"><time>yesterday</time></trkpt>
</gpx>`);
	assert.not.ok(r.ok);
	if (!r.ok) assert.equal(r.errors, [
		{ line: 2, reason: "latitude must be a number in [-90, 90]" },
		{ line: 3, reason: "trkpt without lat and lon attributes" },
		{ line: 4, reason: 'bad <ele> "high"' },
		{ line: 5, reason: 'bad <time> "yesterday" (want ISO 8601)' },
	]);
	const empty = parseGpx("<gpx></gpx>");
	assert.not.ok(empty.ok);
	if (!empty.ok) assert.is(empty.errors[0]!.reason, "no <trkpt> in the file");
	assert.not.ok(parseGpx("just text").ok);
});

Gpx("time going backwards is an error", () => {
	const r = parseGpx('<gpx>\n<trkpt lat="1" lon="2"><time>2026-01-01T00:00:10Z</time></trkpt>\n<trkpt lat="1" lon="2"><time>2026-01-01T00:00:00Z</time></trkpt></gpx>');
	assert.not.ok(r.ok);
	if (!r.ok) assert.equal(r.errors, [{ line: 3, reason: "time goes backwards" }]);
});

const Csv = suite("track CSV");

Csv("time,lat,lon,alt,accuracy with a header, ISO times or seconds", () => {
	const r = parseCsv("time,lat,lon,alt,accuracy\n2026-01-01T00:00:00Z,48.1,2.5,30,5\n2026-01-01T00:00:10Z,48.2,2.6,,\n");
	assert.ok(r.ok);
	if (r.ok) assert.equal(r.points, [{ offsetMs: 0, lat: 48.1, lon: 2.5, alt: 30, accuracy: 5 }, { offsetMs: 10_000, lat: 48.2, lon: 2.6 }]);
	const s = parseCsv("# comment\n0,1,2\n2.5,1,2.1\n");
	assert.ok(s.ok);
	if (s.ok) assert.equal(s.points.map((p) => p.offsetMs), [0, 2500]);
});

Csv("malformed rows: line number and reason for each, the rest still checked", () => {
	const r = parseCsv("time,lat,lon\n0,48,2\nten,48,2\n20,48\n30,48,200\n40,48,2,x\n50,48,2,1,-3\n2026-01-01T00:00:00Z,48,2\n");
	assert.not.ok(r.ok);
	if (!r.ok) {
		assert.equal(r.errors, [
			{ line: 3, reason: 'bad time "ten" (ISO 8601 or seconds)' },
			{ line: 4, reason: "expected 3 to 5 columns (time,lat,lon[,alt[,accuracy]]), got 2" },
			{ line: 5, reason: "longitude must be a number in [-180, 180]" },
			{ line: 6, reason: 'bad altitude "x"' },
			{ line: 7, reason: 'bad accuracy "-3" (metres, > 0)' },
			{ line: 8, reason: 'time "2026-01-01T00:00:00Z" mixes ISO 8601 and seconds in one file' },
		]);
		assert.is(formatTrackErrors("walk.csv", r.errors.slice(0, 1)), 'walk.csv:3: bad time "ten" (ISO 8601 or seconds)');
	}
	assert.not.ok(parseCsv("").ok);
});

const Position = suite("track positionAt");

Position("interpolates linearly, gives speed and course, holds the last point after the end", () => {
	const pts = [{ offsetMs: 0, lat: 0, lon: 0, alt: 0 }, { offsetMs: 10_000, lat: 0, lon: 0.001, alt: 10 }];
	const mid = positionAt(pts, 5000);
	assert.ok(Math.abs(mid.lon - 0.0005) < 1e-12);
	assert.is(mid.alt, 5);
	// 0.001 degree of longitude at the equator = 111.19 m, in 10 s
	assert.ok(Math.abs(mid.speed - 11.119) < 0.01, String(mid.speed));
	assert.ok(Math.abs(mid.course - 90) < 1e-9);
	const after = positionAt(pts, 60_000);
	assert.is(after.lon, 0.001);
	assert.is(after.speed, 0);
	assert.is(positionAt(pts, -5).lon, 0);
});

const Samples = suite("sample tracks");

Samples("tools/sim/tracks/walk.gpx and walk.csv parse to the same 20 points", () => {
	const gpx = parseTrack(readFileSync("tools/sim/tracks/walk.gpx", "utf8"));
	const csv = parseTrack(readFileSync("tools/sim/tracks/walk.csv", "utf8"));
	assert.ok(gpx.ok && csv.ok);
	if (gpx.ok && csv.ok) {
		assert.is(gpx.points.length, 20);
		assert.equal(gpx.points.map(({ offsetMs, lat, lon }) => [offsetMs, lat, lon]), csv.points.map(({ offsetMs, lat, lon }) => [offsetMs, lat, lon]));
	}
});

Gpx.run();
Csv.run();
Position.run();
Samples.run();
