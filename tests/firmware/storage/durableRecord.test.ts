import { suite } from "uvu";
import * as assert from "uvu/assert";
import MemoryStore from "hal/sim/memoryStore";
import DurableRecord from "modules/durableRecord";

const record = suite("modules/durableRecord: two slots with a sequence number");

record("writes alternate between the slots with increasing sequence numbers; the newer slot wins", () => {
	const store = new MemoryStore("enigm");
	const r = new DurableRecord(store, "a", "b");
	assert.is(r.read(), undefined, "never written");
	r.write("one");
	assert.is(store.get("a"), "1 one");
	r.write("two words");
	assert.is(store.get("b"), "2 two words");
	r.write("");
	assert.is(store.get("a"), "3 ", "an empty payload is a written value");
	assert.is(new DurableRecord(store, "a", "b").read(), "");
	r.write("");
	assert.is(r.writes, 3, "an unchanged payload writes nothing");
});

record("a damaged or foreign slot is ignored, never preferred, and is the one overwritten", () => {
	const store = new MemoryStore("enigm");
	store.set("a", "not a record");
	store.set("b", "7 seven");
	const r = new DurableRecord(store, "a", "b");
	assert.is(r.read(), "seven");
	r.write("eight");
	assert.is(store.get("a"), "8 eight");
	assert.is(store.get("b"), "7 seven", "the value in force is never the one erased");
	for (const bad of ["0 zero", "01 x", "x 1", "99999999999 big", "3", 5, true]) {
		const s = new MemoryStore("enigm");
		s.set("a", bad as string);
		assert.is(new DurableRecord(s, "a", "b").read(), undefined, String(bad));
	}
	assert.throws(() => new DurableRecord(store, "a", "a"), RangeError);
});

record.run();
