import { suite } from "uvu";
import * as assert from "uvu/assert";
import NmeaCombiner, { MAX_GSA_PER_EPOCH } from "drivers/gnss/nmeaCombiner";
import NmeaSplitter from "drivers/gnss/nmeaSplitter";
import { parseNmea, type NmeaSentence } from "drivers/gnss/nmea";
import * as F from "../gnss/nmeaFixtures";
import { fuzzTest, linearTest } from "./harness";
import { MAX_HELD_SATELLITES, nmea } from "./targets";

const test = suite("fuzz: drivers/gnss NMEA splitter, parser and combiner");

fuzzTest(test, nmea, 15, 1500);

function sentence(line: string): NmeaSentence {
	const r = parseNmea(line);
	if (!r.ok) throw new Error(`fixture does not parse: ${line}`);
	return r.sentence;
}

const GSA = sentence(F.DEPRIEST_GSA);

test("a stream of GSA without GGA/RMC holds a bounded number of satellites (issue 8 regression)", () => {
	const c = new NmeaCombiner();
	for (let i = 0; i < 10_000; i++) {
		assert.is(c.push(GSA), undefined);
		assert.ok(c.heldSatellites <= MAX_HELD_SATELLITES, `after ${i + 1}: ${c.heldSatellites}`);
	}
	// The epoch that follows still combines: GGA + RMC + the latest GSA make the DePriest fix.
	c.push(sentence(F.DEPRIEST_GGA));
	const r = c.push(sentence(F.DEPRIEST_RMC));
	assert.ok(r?.ok, JSON.stringify(r));
	if (r?.ok) assert.is(r.fix.quality, "3d");
});

test("a multi-constellation epoch still merges every system's GSA (up to the cap)", () => {
	const c = new NmeaCombiner();
	c.push(sentence(F.QUECTEL_EPOCH[0]));
	c.push(sentence(F.QUECTEL_EPOCH[2]));
	const r = c.push(sentence(F.QUECTEL_EPOCH[3]));
	assert.ok(r?.ok);
	c.reset();
	for (let i = 0; i < MAX_GSA_PER_EPOCH; i++) c.push(GSA);
	assert.is(c.heldSatellites, MAX_GSA_PER_EPOCH * 5); // DePriest GSA lists 5 satellites
});

linearTest(test, "a GSA-only stream (issue 8)", (n) => {
	const gsa = GSA;
	return () => {
		const c = new NmeaCombiner();
		for (let i = 0; i < n; i++) c.push(gsa);
	};
}, 2000, 800);

linearTest(test, "a GSA-only byte stream through splitter, parser and combiner", (n) => {
	const text = (F.DEPRIEST_GSA + "\r\n").repeat(n);
	return () => {
		const s = new NmeaSplitter();
		const c = new NmeaCombiner();
		for (const r of s.push(text)) if (r.ok) {
			const p = parseNmea(r.sentence);
			if (p.ok) c.push(p.sentence);
		}
	};
}, 300, 20_000);

linearTest(test, "noise with no line end", (n) => {
	const text = "$" + "9".repeat(n);
	return () => void new NmeaSplitter().push(text);
}, 8000, 200);

test.run();
