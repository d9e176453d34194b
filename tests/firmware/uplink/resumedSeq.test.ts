import { suite } from "uvu";
import * as assert from "uvu/assert";
import { resumedSeqBase } from "modules/uplink";

const Seq = suite("resumed event point numbering");

Seq("two resumes at the same boot ticks still number past each other (ticks restart at every boot)", () => {
	const wall1 = Date.UTC(2026, 10, 22, 8, 2, 0);
	const first = resumedSeqBase(wall1, 12_000);
	// Ten points later, the next reboot resumes at the same ticks, three minutes of wall time later.
	const second = resumedSeqBase(wall1 + 180_000, 12_000);
	assert.ok(second > first + 10, `${second} > ${first} + 10`);
});

Seq("wall time gives seconds since 2020 past one million, inside the protocol's 2^31 range", () => {
	assert.is(resumedSeqBase(Date.UTC(2020, 0, 1, 0, 0, 42), 5_000), 1_000_042);
	assert.ok(resumedSeqBase(Date.UTC(2087, 0, 1), 0) < 2 ** 31);
});

Seq("without wall time the boot ticks are used, and the base is never below one million", () => {
	assert.is(resumedSeqBase(undefined, 12_345), 1_000_012);
	assert.is(resumedSeqBase(Date.UTC(2019, 0, 1), 0), 1_000_000);
});

Seq.run();
