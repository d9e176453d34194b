import { suite } from "uvu";
import * as assert from "uvu/assert";
import NmeaSplitter, { type SplitResult } from "drivers/gnss/nmeaSplitter";
import NmeaCombiner, { combineEpoch } from "drivers/gnss/nmeaCombiner";
import { parseNmea, type GgaSentence, type NmeaSentence, type RmcSentence } from "drivers/gnss/nmea";
import { UERE_M, type FixResult } from "drivers/gnss/common";
import * as F from "./nmeaFixtures";

/** ASCII string to bytes (no TextEncoder: these tests also run in XS). */
function bytes(text: string): Uint8Array {
	const out = new Uint8Array(text.length);
	for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
	return out;
}

const STREAM_SENTENCES = [...F.NEO6_NOFIX, ...F.QUECTEL_EPOCH, F.DEPRIEST_GGA, F.DEPRIEST_RMC, F.DEPRIEST_GSA];
// Line noise before the first `$` (a receiver waking mid-sentence), CR LF endings, one bare-LF ending.
const STREAM = "8,N,01131.000,E*1F\r\n" + STREAM_SENTENCES.join("\r\n") + "\n";

function sentencesOf(results: readonly SplitResult[]): string[] {
	return results.map((r) => (r.ok ? r.sentence : `!${r.reason}`));
}

const SPLIT = suite("NmeaSplitter");

SPLIT("whole stream in one chunk", () => {
	assert.equal(sentencesOf(new NmeaSplitter().push(bytes(STREAM))), STREAM_SENTENCES);
});

SPLIT("split into two chunks at every byte position gives the same sentences", () => {
	const all = bytes(STREAM);
	for (let i = 0; i <= all.length; i++) {
		const s = new NmeaSplitter();
		const got = [...s.push(all.subarray(0, i)), ...s.push(all.subarray(i))];
		assert.equal(sentencesOf(got), STREAM_SENTENCES, `split at ${i}`);
	}
});

SPLIT("one byte at a time, and as strings", () => {
	const all = bytes(STREAM);
	const s = new NmeaSplitter();
	const got: SplitResult[] = [];
	for (let i = 0; i < all.length; i++) got.push(...s.push(all.subarray(i, i + 1)));
	assert.equal(sentencesOf(got), STREAM_SENTENCES);
	assert.equal(sentencesOf(new NmeaSplitter().push(STREAM)), STREAM_SENTENCES);
	assert.equal(sentencesOf(new NmeaSplitter().push(all.buffer)), STREAM_SENTENCES);
});

SPLIT("a sentence cut short by the next $ is reported, the next one survives", () => {
	const s = new NmeaSplitter();
	const got = s.push(F.DEPRIEST_GGA.slice(0, 30) + F.DEPRIEST_RMC + "\r\n");
	assert.equal(got, [{ ok: false, reason: "truncated", dropped: 30 }, { ok: true, sentence: F.DEPRIEST_RMC }]);
});

SPLIT("an overlong line is dropped and reported; the splitter recovers", () => {
	const s = new NmeaSplitter({ maxLength: 82 });
	const got = s.push("$GPGGA," + "9".repeat(200) + "\r\n" + F.DEPRIEST_GSA + "\r\n");
	assert.equal(got, [{ ok: false, reason: "too-long", dropped: 207 }, { ok: true, sentence: F.DEPRIEST_GSA }]);
});

SPLIT("non-ASCII bytes inside a sentence drop it with a reason", () => {
	const b = bytes(F.DEPRIEST_GSA + "\r\n" + F.DEPRIEST_GSA + "\r\n");
	b[10] = 0xc3;
	assert.equal(new NmeaSplitter().push(b), [
		{ ok: false, reason: "non-ascii", dropped: F.DEPRIEST_GSA.length },
		{ ok: true, sentence: F.DEPRIEST_GSA },
	]);
});

SPLIT("an unterminated tail waits for more bytes; reset drops it", () => {
	const s = new NmeaSplitter();
	assert.equal(s.push(F.DEPRIEST_GSA), []);
	s.reset();
	assert.equal(s.push("\r\n"), []);
});

SPLIT("constructor rejects a silly maxLength", () => {
	assert.throws(() => new NmeaSplitter({ maxLength: 2 }), RangeError);
});

SPLIT.run();

function parsed(lines: readonly string[]): NmeaSentence[] {
	const out: NmeaSentence[] = [];
	for (const l of lines) {
		const r = parseNmea(l);
		if (r.ok) out.push(r.sentence);
	}
	return out;
}

function feed(c: NmeaCombiner, lines: readonly string[]): FixResult[] {
	const out: FixResult[] = [];
	for (const s of parsed(lines)) {
		const r = c.push(s);
		if (r) out.push(r);
	}
	return out;
}

const COMBINE = suite("NmeaCombiner");

COMBINE("DePriest GGA + RMC + GSA of 12:35:19 make one fix, field by field", () => {
	const out = feed(new NmeaCombiner(), [F.DEPRIEST_GGA, F.DEPRIEST_RMC, F.DEPRIEST_GSA]);
	assert.is(out.length, 1);
	const r = out[0];
	if (!r.ok) throw new Error(JSON.stringify(r));
	const f = r.fix;
	assert.is(f.time, Date.UTC(1994, 2, 23, 12, 35, 19));   // RMC date + GGA/RMC time
	assert.ok(Math.abs(f.lat - (48 + 7.038 / 60)) < 1e-12);
	assert.ok(Math.abs(f.lon - (11 + 31 / 60)) < 1e-12);
	assert.is(f.altitude, 545.4);                            // GGA
	assert.is(f.satellites, 8);                              // GGA
	assert.is(f.accuracy, 0.9 * UERE_M);                     // GGA HDOP 0.9 (GSA says 1.3; GGA wins)
	assert.ok(Math.abs((f.speed as number) - 22.4 * 1852 / 3600) < 1e-12); // RMC knots -> m/s
	assert.is(f.course, 84.4);
	assert.is(f.quality, "3d");                              // GSA fix type 3
	assert.is(f.source, "gnss");
});

COMBINE("Quectel multi-constellation epoch (RMC, VTG, GGA, GPGSA, BDGSA, GSV, GLL) emits once at the first GSA", () => {
	const c = new NmeaCombiner();
	const lines = parsed(F.QUECTEL_EPOCH);
	const results = lines.map((s) => c.push(s));
	// parsed(): RMC, GGA, GPGSA, BDGSA (VTG, GSV, GLL are unsupported and skipped)
	assert.equal(results.map((r) => r !== undefined), [false, false, true, false]);
	const r = results[2];
	if (!r || !r.ok) throw new Error(JSON.stringify(r));
	assert.is(r.fix.time, Date.UTC(2025, 4, 14, 7, 56, 20));
	assert.is(r.fix.satellites, 12);
	assert.is(r.fix.altitude, 52.5);
});

COMBINE("MediaTek order GGA, GSA, RMC works; GSA-less receiver emits at the next epoch or on flush", () => {
	const a = feed(new NmeaCombiner(), [F.ELECTRODRAGON_GGA, F.ELECTRODRAGON_GSA, F.ELECTRODRAGON_RMC]);
	assert.is(a.length, 1);
	assert.ok(a[0].ok);

	const c = new NmeaCombiner();
	assert.equal(feed(c, [F.DEPRIEST_GGA, F.DEPRIEST_RMC]), []);
	const next = feed(c, [F.ELECTRODRAGON_GGA]);   // a new epoch closes the old one
	assert.is(next.length, 1);
	if (!next[0].ok) throw new Error("expected fix");
	assert.is(next[0].fix.quality, "3d");          // no GSA: altitude present means 3-D
	assert.equal(feed(c, [F.ELECTRODRAGON_RMC]), []);
	const flushed = c.flush();
	assert.ok(flushed?.ok);
	assert.is(c.flush(), undefined);
});

COMBINE("waitForGsa false emits at GGA + RMC", () => {
	const out = feed(new NmeaCombiner({ waitForGsa: false }), [F.DEPRIEST_RMC, F.DEPRIEST_GGA]);
	assert.is(out.length, 1);
	assert.ok(out[0].ok);
});

COMBINE("u-blox NEO-6M start-up without a fix yields no-fix", () => {
	const c = new NmeaCombiner();
	const out = feed(c, F.NEO6_NOFIX);
	assert.equal(out, [{ ok: false, reason: "no-fix" }]);
	// the next second's sentences (same empty time) start a new epoch and report again
	assert.equal(feed(c, F.NEO6_NOFIX), [{ ok: false, reason: "no-fix" }]);
});

COMBINE("GGA and RMC of different epochs never combine", () => {
	const out = feed(new NmeaCombiner(), [F.UBLOX_GGA, F.UBLOX_RMC, F.UBLOX_GSA]);
	assert.equal(out, []);
});

COMBINE("combineEpoch: a valid flag without a date or position is malformed", () => {
	const gga = parsed([F.DEPRIEST_GGA])[0] as GgaSentence;
	const rmc = parsed([F.DEPRIEST_RMC])[0] as RmcSentence;
	const r1 = combineEpoch(gga, { ...rmc, date: undefined }, undefined);
	assert.equal(r1, { ok: false, reason: "date", detail: "fix without date" });
	const r2 = combineEpoch({ ...gga, lat: undefined, lon: undefined }, rmc, undefined);
	assert.is(r2.ok, false);
	assert.equal(combineEpoch({ ...gga, quality: 0 }, rmc, undefined), { ok: false, reason: "no-fix" });
});

COMBINE("bytes to fixes: splitter, parser and combiner chained over chunked input", () => {
	const all = bytes(STREAM);
	for (const size of [1, 7, 64, all.length]) {
		const s = new NmeaSplitter();
		const c = new NmeaCombiner();
		const fixes: FixResult[] = [];
		for (let i = 0; i < all.length; i += size) {
			for (const piece of s.push(all.subarray(i, i + size))) {
				if (!piece.ok) continue;
				const p = parseNmea(piece.sentence);
				if (!p.ok) continue;
				const r = c.push(p.sentence);
				if (r) fixes.push(r);
			}
		}
		const last = c.flush();
		if (last) fixes.push(last);
		assert.equal(fixes.map((r) => (r.ok ? r.fix.time : r.reason)), [
			"no-fix", Date.UTC(2025, 4, 14, 7, 56, 20), Date.UTC(1994, 2, 23, 12, 35, 19),
		], `chunk ${size}`);
	}
});

COMBINE.run();
