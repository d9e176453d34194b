import { suite } from "uvu";
import * as assert from "uvu/assert";
import ManualClock, { settle } from "hal/sim/manualClock";

const clock = suite("ManualClock");

clock("fires callbacks in deadline order, ties in the order they were set", () => {
	const c = new ManualClock();
	const fired: string[] = [];
	c.set(() => fired.push("c@30"), 30);
	c.set(() => fired.push("a@10"), 10);
	c.set(() => fired.push("b1@20"), 20);
	c.set(() => fired.push("b2@20"), 20);
	c.advance(30);
	assert.equal(fired, ["a@10", "b1@20", "b2@20", "c@30"]);
});

clock("a callback sees now() equal to its own deadline", () => {
	const c = new ManualClock(1000);
	const seen: number[] = [];
	c.set(() => seen.push(c.now()), 5);
	c.set(() => seen.push(c.now()), 17);
	c.advance(100);
	assert.equal(seen, [1005, 1017]);
	assert.is(c.now(), 1100);
});

clock("does not fire a callback before its deadline", () => {
	const c = new ManualClock();
	let fired = 0;
	c.set(() => fired++, 50);
	c.advance(49);
	assert.is(fired, 0);
	assert.is(c.pending, 1);
	c.advance(1);
	assert.is(fired, 1);
	assert.is(c.pending, 0);
});

clock("a cleared callback never fires; clearing twice or clearing undefined is harmless", () => {
	const c = new ManualClock();
	let fired = 0;
	const handle = c.set(() => fired++, 10);
	c.clear(handle);
	c.clear(handle);
	c.clear(undefined);
	c.advance(100);
	assert.is(fired, 0);
	assert.is(c.pending, 0);
	assert.is(c.nextDeadline(), undefined);
});

clock("a callback may clear another one due at the same time", () => {
	const c = new ManualClock();
	const fired: string[] = [];
	let second: ReturnType<ManualClock["set"]> | undefined;
	c.set(() => {
		fired.push("first");
		c.clear(second);
	}, 10);
	second = c.set(() => fired.push("second"), 10);
	c.advance(10);
	assert.equal(fired, ["first"]);
});

clock("callbacks set during advance fire within the same advance when due", () => {
	const c = new ManualClock();
	const fired: number[] = [];
	c.set(() => {
		fired.push(c.now());
		c.set(() => fired.push(c.now()), 5);
		c.set(() => fired.push(c.now()), 500);
	}, 10);
	c.advance(20);
	assert.equal(fired, [10, 15]);
	assert.is(c.nextDeadline(), 510);
});

clock("negative or NaN delays count as zero", () => {
	const c = new ManualClock(7);
	const fired: number[] = [];
	c.set(() => fired.push(c.now()), -5);
	c.set(() => fired.push(c.now()), Number.NaN);
	c.advance(0);
	assert.equal(fired, [7, 7]);
});

clock("advanceAsync lets promise chains run between callbacks", async () => {
	const c = new ManualClock();
	const log: string[] = [];
	// A driver-like flow: wait 10 ms, then a three-step promise chain, then wait 10 ms more.
	const sleep = (ms: number) => new Promise<void>((resolve) => c.set(resolve, ms));
	const flow = (async () => {
		await sleep(10);
		log.push(`woke@${c.now()}`);
		await Promise.resolve();
		await Promise.resolve().then(() => log.push("chain"));
		await sleep(10);
		log.push(`done@${c.now()}`);
	})();
	await c.advanceAsync(25);
	assert.equal(log, ["woke@10", "chain", "done@20"]);
	assert.is(c.now(), 25);
	await flow;
});

clock("advance (synchronous) does not run promise continuations, advanceAsync does", async () => {
	const c = new ManualClock();
	const log: string[] = [];
	const sleep = (ms: number) => new Promise<void>((resolve) => c.set(resolve, ms));
	void (async () => {
		await sleep(10);
		log.push("after first");
		await sleep(10);
		log.push("after second");
	})();
	c.advance(30);
	// The first sleep resolved, but its continuation (which sets the second timer) had no turn to run.
	assert.equal(log, []);
	await settle();
	assert.equal(log, ["after first"]);
	await c.advanceAsync(10);
	assert.equal(log, ["after first", "after second"]);
});

clock("settle flushes a long chain of awaits", async () => {
	let steps = 0;
	void (async () => {
		for (let i = 0; i < 500; i++) {
			await undefined;
			steps++;
		}
	})();
	await settle();
	assert.is(steps, 500);
});

clock("runUntilIdle fires everything pending within its limit", () => {
	const c = new ManualClock();
	const fired: number[] = [];
	c.set(() => fired.push(c.now()), 1_000);
	c.set(() => fired.push(c.now()), 60_000);
	c.set(() => fired.push(c.now()), 10_000_000);
	c.runUntilIdle(120_000);
	assert.equal(fired, [1_000, 60_000]);
	assert.is(c.pending, 1);
});

clock.run();
