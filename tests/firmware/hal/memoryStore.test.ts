import { suite } from "uvu";
import * as assert from "uvu/assert";
import MemoryStore, { Flash, PowerCut } from "hal/sim/memoryStore";
import type { StoredValue } from "hal/store";

const store = suite("hal/sim/memoryStore");

store("round-trips every type NVS stores (u8 bool, i32, str, blob)", () => {
	const s = new MemoryStore("journal");
	s.set("flag", true);
	s.set("count", -0x80000000);
	s.set("max", 0x7fffffff);
	s.set("name", "ev-1");
	s.set("blob", new Uint8Array([1, 2, 3]).buffer);
	assert.is(s.get("flag"), true);
	assert.is(s.get("count"), -0x80000000);
	assert.is(s.get("max"), 0x7fffffff);
	assert.is(s.get("name"), "ev-1");
	assert.equal(Array.from(new Uint8Array(s.get("blob") as ArrayBuffer)), [1, 2, 3]);
	assert.equal(s.keys().sort(), ["blob", "count", "flag", "max", "name"]);
});

store("refuses keys NVS refuses: empty or longer than 15 characters", () => {
	const s = new MemoryStore();
	s.set("a23456789012345", 1); // exactly 15: NVS_KEY_NAME_MAX_SIZE 16 including the NUL
	assert.throws(() => s.set("a234567890123456", 1), RangeError);
	assert.throws(() => s.set("", 1), RangeError);
	assert.throws(() => s.get("a234567890123456"), RangeError);
});

store("refuses floats and integers outside i32, writing nothing", () => {
	const s = new MemoryStore();
	assert.throws(() => s.set("f", 1.5), RangeError);
	assert.throws(() => s.set("big", 0x80000000), RangeError);
	assert.throws(() => s.set("small", -0x80000001), RangeError);
	assert.throws(() => s.set("nan", Number.NaN), RangeError);
	assert.equal(s.keys(), []);
	assert.is(s.writes, 0);
});

store("refuses values over 4000 bytes and non-storable types", () => {
	const s = new MemoryStore();
	s.set("ok", "x".repeat(4000));
	assert.throws(() => s.set("long", "x".repeat(4001)), RangeError);
	assert.throws(() => s.set("blob", new ArrayBuffer(4001)), RangeError);
	assert.throws(() => s.set("obj", {} as unknown as StoredValue), TypeError);
	assert.equal(s.keys(), ["ok"]);
});

store("refuses domains NVS namespaces cannot hold", () => {
	assert.throws(() => new MemoryStore(""), RangeError);
	assert.throws(() => new MemoryStore("a234567890123456"), RangeError);
	new MemoryStore("a23456789012345");
});

store("blobs are copied in and out, so callers cannot alter stored bytes", () => {
	const s = new MemoryStore();
	const bytes = new Uint8Array([7, 7]);
	s.set("k", bytes.buffer);
	bytes[0] = 0;
	const out = new Uint8Array(s.get("k") as ArrayBuffer);
	out[1] = 0;
	assert.equal(Array.from(new Uint8Array(s.get("k") as ArrayBuffer)), [7, 7]);
});

store("a new instance over the same backing sees what was written (reboot)", () => {
	const backing = new Map<string, Map<string, StoredValue>>();
	new MemoryStore("sos", backing).set("state", "alerting");
	new MemoryStore("other", backing).set("state", "x");
	assert.is(new MemoryStore("sos", backing).get("state"), "alerting");
	assert.is(new MemoryStore("other", backing).get("state"), "x");
});

store("counts one flash write per set and per delete of an existing key", () => {
	const s = new MemoryStore();
	s.set("a", 1);
	s.set("a", 2);
	s.delete("a");
	s.delete("a");
	assert.is(s.writes, 3);
	assert.is(s.get("a"), undefined);
});

store("set is erase then write, as Moddable's ESP32 Preference.set: a cut between them leaves the key missing", () => {
	const backing = new Map<string, Map<string, StoredValue>>();
	const flash = new Flash();
	const s = new MemoryStore("enigm", backing, flash);
	s.set("k", 1);
	assert.is(flash.ops, 1, "an absent key: nothing to erase, one write");
	flash.cutAt = 2; // the erase of the next set happens, its write does not
	assert.throws(() => s.set("k", 2), (e: unknown) => e instanceof PowerCut);
	assert.ok(flash.off);
	assert.throws(() => s.get("k"), (e: unknown) => e instanceof PowerCut, "nothing runs without power");
	flash.powerOn();
	const after = new MemoryStore("enigm", backing, flash);
	assert.is(after.get("k"), undefined, "the old value is gone and the new one never arrived");
});

store("a cut before the erase keeps the old value; delete is one erase; erasing an absent key writes nothing", () => {
	const backing = new Map<string, Map<string, StoredValue>>();
	const flash = new Flash();
	const s = new MemoryStore("enigm", backing, flash);
	s.set("k", "a");
	s.delete("absent");
	assert.is(flash.ops, 1);
	flash.cutAt = 1;
	assert.throws(() => s.set("k", "b"), (e: unknown) => e instanceof PowerCut);
	flash.powerOn();
	assert.is(new MemoryStore("enigm", backing, flash).get("k"), "a");
	s.delete("k");
	assert.is(flash.ops, 1);
	assert.is(s.get("k"), undefined);
});

store.run();
