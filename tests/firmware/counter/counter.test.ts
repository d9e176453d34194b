import { suite } from "uvu";
import * as assert from "uvu/assert";
import Counter, { maxCounter } from "modules/counter";
import MemoryStore from "hal/sim/memoryStore";
import type { Store, StoredValue } from "hal/store";

/** The mark in force: the larger of the two slots (modules/counter). */
function mark(store: MemoryStore): number | undefined {
	const values = [store.get("nonce_mark"), store.get("nonce_mark2")].filter((v): v is number => typeof v === "number");
	return values.length ? Math.max(...values) : undefined;
}

const counter = suite("modules/counter");

/** Deterministic PRNG (xorshift32) so a failing reboot schedule can be replayed. */
function rng(seed: number): () => number {
	let x = seed >>> 0 || 1;
	return () => {
		x ^= x << 13; x >>>= 0;
		x ^= x >>> 17;
		x ^= x << 5; x >>>= 0;
		return x / 0x100000000;
	};
}

class CrashError extends Error {}

/**
 * A Store over a persistent backing that "loses power" on a chosen write: either before the write lands or just
 * after it (NVS commits an entry atomically, so a write is all or nothing).
 */
class CrashingStore implements Store {
	readonly inner: MemoryStore;
	crashAtWrite = -1;
	crashAfterApply = false;
	writes = 0;

	constructor(backing: Map<string, Map<string, StoredValue>>) {
		this.inner = new MemoryStore("enigm", backing);
	}

	get(key: string) { return this.inner.get(key); }
	delete(key: string) { this.inner.delete(key); }
	keys() { return this.inner.keys(); }

	set(key: string, value: StoredValue): void {
		const n = this.writes++;
		if (n === this.crashAtWrite && !this.crashAfterApply) throw new CrashError("power lost before the write");
		this.inner.set(key, value);
		if (n === this.crashAtWrite) throw new CrashError("power lost after the write");
	}
}

counter("issues 1, 2, 3... on a fresh device and writes flash about once every K values", () => {
	const store = new MemoryStore("enigm");
	const c = new Counter({ store, blockSize: 32, margin: 4 });
	const n = 10_000;
	for (let i = 1; i <= n; i++) assert.is(c.next(), i);
	assert.ok(store.writes <= n / 32 + 2, `writes ${store.writes}`);
	assert.ok(store.writes >= n / 32 - 1, `writes ${store.writes}`);
	assert.is(c.writes, store.writes);
});

counter("never issues a value twice across thousands of random crashes, including between a use and its persist", () => {
	const random = rng(0x5eed1234);
	for (const [k, f] of [[32, 4], [8, 1], [1, 1], [100, 3]]) {
		const backing = new Map<string, Map<string, StoredValue>>();
		const issued = new Set<number>();
		let last = 0, boots = 0, totalWrites = 0;
		for (let boot = 0; boot < 1500; boot++) {
			const store = new CrashingStore(backing);
			const mode = random();
			// a third of the boots die on a random flash write (before or after it lands), the rest after a random use
			if (mode < 0.33) {
				store.crashAtWrite = Math.floor(random() * 4);
				store.crashAfterApply = random() < 0.5;
			}
			const uses = Math.floor(random() * 3 * k);
			const c = new Counter({ store, blockSize: k, margin: f });
			boots++;
			for (let i = 0; i < uses; i++) {
				const v = c.next();
				if (v === undefined) {
					assert.is(c.lastError, "store");
					break; // power lost inside the write: the device reboots
				}
				assert.not.ok(issued.has(v), `value ${v} issued twice (K=${k} F=${f} boot ${boot})`);
				assert.ok(v > last, "values increase across boots");
				issued.add(v);
				last = v;
			}
			totalWrites += store.writes;
		}
		assert.ok(issued.size > 1000, `K=${k}: ${issued.size} values issued`);
		// at most one write per K values plus one per boot (the boot reservation), plus the crashed attempts
		assert.ok(totalWrites <= issued.size / k + 2 * boots, `K=${k}: ${totalWrites} writes for ${issued.size} values over ${boots} boots`);
	}
});

counter("a boot that issues nothing writes nothing", () => {
	const store = new MemoryStore("enigm");
	new Counter({ store });
	assert.is(store.writes, 0);
});

counter("resumes at mark + K + F after a reboot and persists that before issuing", () => {
	const backing = new Map<string, Map<string, StoredValue>>();
	const store = new MemoryStore("enigm", backing);
	store.set("nonce_mark", 1000);
	const c = new Counter({ store: new MemoryStore("enigm", backing), blockSize: 32, margin: 4 });
	assert.is(c.next(), 1036);
	assert.is(mark(store), 1036);
});

counter("commit() completes a pending mark write off the critical path", () => {
	const store = new MemoryStore("enigm");
	const c = new Counter({ store, blockSize: 4, margin: 1 });
	for (let i = 0; i < 5; i++) c.next(); // 1..5; 5 >= 1 + 4 makes the mark due
	assert.is(mark(store), 1);
	assert.ok(c.commit());
	assert.is(mark(store), 5);
	const writes = store.writes;
	assert.ok(c.commit());
	assert.is(store.writes, writes, "nothing due, nothing written");
});

counter("stops at the i32 limit with 'exhausted' and never wraps", () => {
	const store = new MemoryStore("enigm");
	store.set("nonce_mark", maxCounter - 32 - 4 - 2);
	const c = new Counter({ store, blockSize: 32, margin: 4 });
	assert.is(c.next(), maxCounter - 2);
	assert.is(c.next(), maxCounter - 1);
	assert.is(c.next(), maxCounter);
	assert.is(c.next(), undefined);
	assert.is(c.lastError, "exhausted");
	assert.is(c.next(), undefined);
	const full = new MemoryStore("enigm");
	full.set("nonce_mark", maxCounter - 10);
	const d = new Counter({ store: full, blockSize: 32, margin: 4 });
	assert.is(d.next(), undefined);
	assert.is(d.lastError, "exhausted");
});

counter("refuses a corrupted mark instead of guessing", () => {
	for (const bad of ["12", -5, true]) {
		const store = new MemoryStore("enigm");
		store.set("nonce_mark", bad);
		const c = new Counter({ store });
		assert.is(c.next(), undefined);
		assert.is(c.lastError, "store");
	}
});

counter("skipPast moves beyond a platform-reported nonce and persists first", () => {
	const store = new MemoryStore("enigm");
	const c = new Counter({ store });
	assert.is(c.next(), 1);
	assert.ok(c.skipPast(5000));
	assert.is(mark(store), 5001);
	assert.is(c.next(), 5001);
	assert.ok(c.skipPast(10), "already past");
	assert.is(c.next(), 5002);
	assert.not.ok(c.skipPast(maxCounter));
	assert.is(c.lastError, "exhausted");
	const fresh = new Counter({ store: new MemoryStore("enigm") });
	assert.ok(fresh.skipPast(41));
	assert.is(fresh.next(), 42);
});

counter("refuses bad options", () => {
	const store = new MemoryStore("enigm");
	assert.throws(() => new Counter({ store, blockSize: 0 }), RangeError);
	assert.throws(() => new Counter({ store, margin: 0 }), RangeError);
	assert.throws(() => new Counter({ store, key: "a_key_longer_than_15" }), RangeError);
	assert.throws(() => new Counter({} as never), TypeError);
});

counter.run();
