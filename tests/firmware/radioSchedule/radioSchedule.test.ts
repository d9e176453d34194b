import { suite } from "uvu";
import * as assert from "uvu/assert";
import RadioSchedule, { classifyMotion, defaultRadioScheduleConfig, distanceM, type RadioWindow } from "modules/radioSchedule";
import type { Fix } from "drivers/gnss/fix";
import { diffs, fixAt, gnssStarts, goodWorld, kinds, simulate, type Entry } from "./harness";

const MIN = 60_000;

function pointsOf(w: RadioWindow): readonly Fix[] {
	return w.kind === "lte" && w.payload !== "alert" ? w.points : [];
}

const ORDER = suite("radioSchedule order and cadence");

ORDER("the alert goes first, with no fix and before any GNSS; then a cold GNSS window", () => {
	const log = simulate(new RadioSchedule(), goodWorld(), 2 * MIN);
	assert.equal(log[0].window, { kind: "lte", payload: "alert", fix: undefined });
	assert.is(log[0].at, 0);
	assert.equal(log[1].window, { kind: "gnss", timeoutMs: 120_000, warm: false });
	assert.is(log[1].at, 3_000); // right after the alert's send
	assert.equal(kinds(log).slice(0, 4), ["lte:alert", "gnss", "lte:location", "wait"]);
});

ORDER("a resumed event's last fix rides with the alert", () => {
	const s = new RadioSchedule();
	const last = fixAt(-5 * MIN, { lat: 1, lon: 2 });
	s.start(0, last);
	assert.equal(s.next(0), { kind: "lte", payload: "alert", fix: last });
});

ORDER("first 10 minutes: a GNSS window every 60 s, each followed by a location send", () => {
	const log = simulate(new RadioSchedule(), goodWorld(), 10 * MIN);
	const starts = gnssStarts(log);
	assert.is(starts[0], 3_000);
	assert.ok(starts.length >= 10, `only ${starts.length} windows`);
	for (const d of diffs(starts)) assert.is(d, 60_000);
	// every GNSS fix is followed by a location send carrying exactly that fix
	for (let i = 0; i < log.length; i++) {
		if (log[i].window.kind !== "gnss") continue;
		const next = log[i + 1]?.window;
		if (!next) continue;
		assert.is(next.kind === "lte" && next.payload, "location");
		assert.is(pointsOf(next).length, 1);
	}
});

ORDER("cadence does not drift with time to fix", () => {
	let n = 0;
	const world = goodWorld({ ttff: () => [40_000, 5_000, 21_000, 2_000, 17_000][n++ % 5] });
	const starts = gnssStarts(simulate(new RadioSchedule(), world, 8 * MIN));
	for (const d of diffs(starts)) assert.is(d, 60_000);
});

ORDER("after 10 minutes standing still the interval backs off to 300 s", () => {
	const starts = gnssStarts(simulate(new RadioSchedule(), goodWorld(), 40 * MIN));
	const late = diffs(starts.filter((t) => t >= 10 * MIN));
	assert.ok(late.length >= 3);
	for (const d of late.slice(1)) assert.is(d, 300_000);
});

ORDER("after 10 minutes, moving keeps 60 s", () => {
	// walking east at 1.4 m/s
	const world = goodWorld({ position: (t) => ({ lat: 59.437, lon: 24.7536 + (1.4 * t / 1000) / (111_320 * Math.cos(59.437 * Math.PI / 180)), speed: 1.4 }) });
	const starts = gnssStarts(simulate(new RadioSchedule(), world, 30 * MIN));
	for (const d of diffs(starts)) assert.is(d, 60_000);
});

ORDER("after 10 minutes, unknown motion uses the 120 s default", () => {
	// speed not reported; drifting north at 0.8 m/s: beyond the 50 m tolerance over 120 s, below 'moving' (1 m/s)
	const world = goodWorld({ position: (t) => ({ lat: 59.437 + (0.8 * t / 1000) / 111_320, lon: 24.7536 }) });
	const starts = gnssStarts(simulate(new RadioSchedule(), world, 30 * MIN));
	const late = diffs(starts.filter((t) => t >= 10 * MIN));
	for (const d of late.slice(1)) assert.is(d, 120_000);
});

ORDER("low battery stretches to 300 s after the first 10 minutes, not before", () => {
	const s = new RadioSchedule();
	const world = goodWorld({ position: (t) => ({ lat: 59.437, lon: 24.7536 + (2 * t / 1000) / 56_600, speed: 2 }) });
	const log: Entry[] = [];
	let t = 0;
	s.start(0);
	s.setBatteryLow(true); // after start(): start() resets the event's state
	while (t < 30 * MIN) {
		const w = s.next(t);
		log.push({ at: t, window: w });
		if (w.kind === "wait") t = w.until;
		else if (w.kind === "gnss") { t += 5_000; s.onFix(fixAt(t, world.position(t))); }
		else { t += 3_000; s.onSent(true); }
	}
	const starts = gnssStarts(log);
	const early = diffs(starts.filter((x) => x < 10 * MIN));
	for (const d of early) assert.is(d, 60_000);
	const late = diffs(starts.filter((x) => x >= 10 * MIN));
	for (const d of late.slice(1)) assert.is(d, 300_000);
});

ORDER.run();

const TIMEOUTS = suite("radioSchedule fix timeouts");

TIMEOUTS("a fix window that times out yields a cell report", () => {
	const log = simulate(new RadioSchedule(), goodWorld({ ttff: () => undefined }), 3 * MIN);
	assert.equal(kinds(log).slice(0, 3), ["lte:alert", "gnss", "lte:cell-report"]);
	assert.equal(log[2].window, { kind: "lte", payload: "cell-report", points: [] });
});

TIMEOUTS("cold windows lengthen 120, 180, 240, 240 s while no fix comes", () => {
	const log = simulate(new RadioSchedule(), goodWorld({ ttff: () => undefined }), 20 * MIN);
	const lengths = log.filter((e) => e.window.kind === "gnss").map((e) => (e.window as { timeoutMs: number }).timeoutMs);
	assert.equal(lengths.slice(0, 5), [120_000, 180_000, 240_000, 240_000, 240_000]);
	// windows longer than the interval run back to back: no wait between a cell report and the next window
	assert.not.ok(kinds(log).slice(0, 8).includes("wait"));
});

TIMEOUTS("a slow cold start (3 min) completes on the third window", () => {
	const log = simulate(new RadioSchedule(), goodWorld({ ttff: (_t, w) => (w.warm ? 5_000 : 170_000) }), 10 * MIN);
	const gnss = log.filter((e) => e.window.kind === "gnss");
	assert.equal(gnss.slice(0, 3).map((e) => e.outcome), ["timeout", "fix", "fix"]);
	assert.equal(gnss[2].window, { kind: "gnss", timeoutMs: 30_000, warm: true });
});

TIMEOUTS.run();

const WARM = suite("radioSchedule warm and cold starts");

WARM("after the first fix, windows are hot (30 s) and the modem is kept warm between them", () => {
	const log = simulate(new RadioSchedule(), goodWorld(), 5 * MIN);
	const gnss = log.filter((e) => e.window.kind === "gnss").map((e) => e.window);
	assert.equal(gnss[0], { kind: "gnss", timeoutMs: 120_000, warm: false });
	for (const w of gnss.slice(1)) assert.equal(w, { kind: "gnss", timeoutMs: 30_000, warm: true });
	for (const e of log) if (e.window.kind === "wait") assert.is(e.window.keepWarm, true);
});

WARM("a timeout while warm gives a 60 s warm window, a fix returns to 30 s", () => {
	let n = 0;
	const world = goodWorld({ ttff: (_t, w) => (n++ === 2 ? undefined : w.warm ? 5_000 : 40_000) });
	const gnss = simulate(new RadioSchedule(), world, 5 * MIN).filter((e) => e.window.kind === "gnss");
	assert.equal(gnss.map((e) => (e.window as { timeoutMs: number }).timeoutMs).slice(0, 5), [120_000, 30_000, 30_000, 60_000, 30_000]);
	assert.equal(gnss.map((e) => e.outcome).slice(0, 4), ["fix", "fix", "timeout", "fix"]);
});

WARM("a gap longer than keepWarmMaxGapMs powers down and the next start is cold", () => {
	const s = new RadioSchedule({ keepWarmMaxGapMs: 4 * MIN });
	const log = simulate(s, goodWorld(), 40 * MIN);
	const waits = log.filter((e) => e.window.kind === "wait" && e.at >= 10 * MIN);
	assert.ok(waits.some((e) => e.window.kind === "wait" && !e.window.keepWarm));
	const late = log.filter((e) => e.window.kind === "gnss" && e.at > 16 * MIN);
	for (const e of late) assert.equal(e.window, { kind: "gnss", timeoutMs: 120_000, warm: false });
});

WARM("a fix older than the ephemeris validity makes the next start cold", () => {
	const s = new RadioSchedule({ ephemerisValidMs: 2 * MIN, initialIntervalMs: 3 * MIN });
	s.start(0);
	assert.is(s.next(0).kind, "lte");
	s.onSent(true);
	assert.is((s.next(1_000) as { warm: boolean }).warm, false);
	s.onFix(fixAt(40_000, { lat: 1, lon: 1 }));
	assert.is(s.next(41_000).kind, "lte");
	s.onSent(true);
	const w = s.next(44_000);
	assert.equal(w, { kind: "wait", until: 181_000, keepWarm: true });
	assert.equal(s.next(181_000), { kind: "gnss", timeoutMs: 120_000, warm: false });
});

WARM.run();

const PLATFORM = suite("radioSchedule platform interval");

PLATFORM("the platform interval overrides the local policy, within bounds", () => {
	const s = new RadioSchedule();
	s.start(0);
	assert.is(s.intervalMs(0), 60_000);
	s.setPlatformInterval(30_000);
	assert.is(s.intervalMs(0), 30_000);
	s.setPlatformInterval(1_000);
	assert.is(s.intervalMs(0), defaultRadioScheduleConfig.minPlatformIntervalMs);
	s.setPlatformInterval(3_600_000);
	assert.is(s.intervalMs(0), defaultRadioScheduleConfig.maxPlatformIntervalMs);
	s.setPlatformInterval(Number.NaN);
	assert.is(s.intervalMs(0), 60_000);
	s.setPlatformInterval(45_000);
	s.setPlatformInterval(undefined);
	assert.is(s.intervalMs(0), 60_000);
});

PLATFORM("a 30 s platform interval sets a 30 s cadence in the first 10 minutes, and 240 s overrides 'moving' later", () => {
	const s = new RadioSchedule();
	const log: Entry[] = [];
	let t = 0;
	s.start(0);
	s.setPlatformInterval(30_000);
	while (t < 25 * MIN) {
		if (t >= 12 * MIN) s.setPlatformInterval(240_000);
		const w = s.next(t);
		log.push({ at: t, window: w });
		if (w.kind === "wait") t = w.until;
		else if (w.kind === "gnss") { t += 5_000; s.onFix(fixAt(t, { lat: 1 + t / 1e7, lon: 1, speed: 3 })); }
		else { t += 3_000; s.onSent(true); }
	}
	const starts = gnssStarts(log);
	for (const d of diffs(starts.filter((x) => x < 12 * MIN))) assert.is(d, 30_000);
	const late = diffs(starts.filter((x) => x > 13 * MIN));
	assert.ok(late.length >= 2);
	for (const d of late) assert.is(d, 240_000);
});

PLATFORM.run();

const QUEUE = suite("radioSchedule store-and-forward");

QUEUE("points captured while sends fail are queued and go out, oldest first, with the next LTE window", () => {
	// location sends fail between 1 and 4 minutes
	const world = goodWorld({ sendOk: (t, w) => !(w.kind === "lte" && w.payload === "location" && t > MIN && t < 4 * MIN) });
	const log = simulate(new RadioSchedule(), world, 6 * MIN);
	const sends = log.filter((e) => e.window.kind === "lte" && e.window.payload === "location");
	const sizes = sends.map((e) => pointsOf(e.window).length);
	const outcomes = sends.map((e) => e.outcome);
	assert.equal(outcomes.slice(0, 6), ["sent", "failed", "failed", "failed", "sent", "sent"]);
	assert.equal(sizes.slice(0, 6), [1, 1, 2, 3, 4, 1]);
	const backlog = pointsOf(sends[4].window).map((p) => p.time);
	assert.equal(backlog, [...backlog].sort((a, b) => a - b)); // oldest first
});

QUEUE("a full queue drops the second-oldest point, keeping the first and the newest", () => {
	const s = new RadioSchedule({ queueCapacity: 3 });
	s.start(0);
	s.next(0);
	s.onSent(true); // alert
	let t = 1_000;
	const times: number[] = [];
	for (let i = 0; i < 5; i++) {
		const g = s.next(t);
		assert.is(g.kind, "gnss");
		s.onFix(fixAt(t, { lat: 1, lon: 1 }));
		times.push(t);
		const w = s.next(t) as Extract<RadioWindow, { payload: "location" }>;
		assert.is(w.payload, "location");
		s.onSent(false);
		t += 60_000;
		assert.is(s.next(t - 1).kind, "wait");
	}
	assert.is(s.status.queued, 3);
	assert.is(s.status.dropped, 2);
	const g = s.next(t);
	s.onFix(fixAt(t, { lat: 1, lon: 1 }));
	const w = s.next(t) as Extract<RadioWindow, { payload: "location" }>;
	assert.equal(w.points.map((p) => p.time), [times[0], times[4], t].map((x) => fixAt(x, { lat: 1, lon: 1 }).time));
	assert.is(g.kind, "gnss");
	s.onSent(true);
	assert.is(s.status.queued, 0);
});

QUEUE("a timeout's cell report carries the backlog; a successful one clears it", () => {
	let n = 0;
	const world = goodWorld({
		ttff: () => (n++ === 1 ? undefined : 5_000),
		sendOk: (_t, w) => !(w.kind === "lte" && w.payload === "location"),
	});
	const log = simulate(new RadioSchedule(), world, 3 * MIN);
	const cell = log.find((e) => e.window.kind === "lte" && e.window.payload === "cell-report");
	assert.ok(cell);
	assert.is(pointsOf(cell!.window).length, 1);
	assert.is(cell!.outcome, "sent");
});

QUEUE("at most maxPointsPerSend points per window", () => {
	const s = new RadioSchedule({ maxPointsPerSend: 2 });
	s.start(0);
	s.next(0);
	s.onSent(true);
	let t = 0;
	for (let i = 0; i < 3; i++) {
		t = i * 60_000 + 1_000;
		s.next(t);
		s.onFix(fixAt(t, { lat: 1, lon: 1 }));
		s.next(t);
		s.onSent(false);
	}
	t += 60_000;
	s.next(t);
	s.onFix(fixAt(t, { lat: 1, lon: 1 }));
	const w = s.next(t) as Extract<RadioWindow, { payload: "location" }>;
	assert.is(w.points.length, 2);
	s.onSent(true);
	assert.is(s.status.queued, 2);
});

QUEUE("pointsPerSend 3: the first fix goes alone, then one location window per three fixes, in order", () => {
	const log = simulate(new RadioSchedule({ pointsPerSend: 3 }), goodWorld(), 10 * MIN);
	const sends = log.filter((e) => e.window.kind === "lte" && e.window.payload === "location");
	assert.ok(sends.length >= 3, `only ${sends.length} sends`);
	assert.equal(sends.map((e) => pointsOf(e.window).length).slice(0, 3), [1, 3, 3]);
	// GNSS keeps its 60 s cadence: batching skips LTE windows, not fixes
	for (const d of diffs(gnssStarts(log))) assert.is(d, 60_000);
	const times = sends.flatMap((e) => pointsOf(e.window).map((p) => p.time));
	for (let i = 1; i < times.length; i++) assert.ok(times[i]! > times[i - 1]!);
});

QUEUE("pointsPerSend: a GNSS timeout sends the queued fixes at once with the cell report", () => {
	let n = 0;
	const world = goodWorld({ ttff: () => (n++ === 2 ? undefined : 5_000) });
	const log = simulate(new RadioSchedule({ pointsPerSend: 3 }), world, 4 * MIN);
	const cell = log.find((e) => e.window.kind === "lte" && e.window.payload === "cell-report");
	assert.ok(cell);
	assert.is(pointsOf(cell!.window).length, 1); // fix 2 was waiting for its batch
});

QUEUE("pointsPerSend out of range is refused", () => {
	assert.throws(() => new RadioSchedule({ pointsPerSend: 0 }), RangeError);
	assert.throws(() => new RadioSchedule({ pointsPerSend: 1.5 }), RangeError);
	assert.throws(() => new RadioSchedule({ pointsPerSend: 61 }), RangeError);
});

QUEUE.run();

const ALERT = suite("radioSchedule alert retries");

ALERT("first retry after 5 s without GNSS; from the second failure a GNSS window fills the back-off", () => {
	let alerts = 0;
	const world = goodWorld({ sendOk: (_t, w) => !(w.kind === "lte" && w.payload === "alert" && alerts++ < 2) });
	const log = simulate(new RadioSchedule(), world, 2 * MIN);
	// the cadence counts from the back-off GNSS window, so a short wait follows the successful alert
	assert.equal(kinds(log).slice(0, 7), ["lte:alert", "wait", "lte:alert", "gnss", "lte:alert", "wait", "gnss"]);
	assert.is(log[2].at, 3_000 + 5_000);
	// the successful alert carries the fix taken during the back-off
	const third = log[4].window as Extract<RadioWindow, { payload: "alert" }>;
	assert.ok(third.fix);
	assert.is(log[4].outcome, "sent");
	// the back-off fix is not sent again as a location report
	assert.is(kinds(log)[7], "lte:location");
	assert.is(log[6].at - log[3].at, 60_000);
});

ALERT("back-off doubles up to 60 s", () => {
	const s = new RadioSchedule();
	s.start(0);
	let t = 0;
	const gaps: number[] = [];
	for (let i = 0; i < 7; i++) {
		assert.equal(s.next(t).kind, "lte");
		s.onSent(false);
		let w = s.next(t);
		if (w.kind === "gnss") { s.onFixTimeout(); w = s.next(t); }
		assert.is(w.kind, "wait");
		gaps.push((w as { until: number }).until - t);
		t = (w as { until: number }).until;
	}
	assert.equal(gaps, [5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
});

ALERT.run();

const API = suite("radioSchedule API");

API("next is idempotent while a window is in flight; stray reports are ignored", () => {
	const s = new RadioSchedule();
	s.start(0);
	const a = s.next(0);
	assert.is(s.next(10), a);
	s.onFix(fixAt(0, { lat: 0, lon: 0 })); // not a GNSS window: ignored
	s.onFixTimeout();
	assert.is(s.next(20), a);
	s.onSent(true);
	const g = s.next(30);
	assert.is(g.kind, "gnss");
	s.onSent(true); // not an LTE window: ignored
	assert.is(s.next(40), g);
});

API("next before start throws; stop forgets everything", () => {
	const s = new RadioSchedule();
	assert.throws(() => s.next(0), RangeError);
	s.start(0, fixAt(0, { lat: 1, lon: 1 }));
	s.stop();
	assert.equal(s.status, {
		started: false, alertSent: false, inFlight: undefined, queued: 0, dropped: 0, motion: "unknown", warm: false, consecutiveTimeouts: 0,
	});
	assert.throws(() => s.next(0), RangeError);
	s.start(100);
	assert.equal(s.next(100), { kind: "lte", payload: "alert", fix: undefined });
});

API("constructor rejects bad configuration", () => {
	assert.throws(() => new RadioSchedule({ initialIntervalMs: 0 }), RangeError);
	assert.throws(() => new RadioSchedule({ coldTimeoutsMs: [] }), RangeError);
	assert.throws(() => new RadioSchedule({ minPlatformIntervalMs: 100_000, maxPlatformIntervalMs: 50_000 }), RangeError);
	assert.throws(() => new RadioSchedule({ queueCapacity: 1 }), RangeError);
});

API("motion: distance, speed and accuracy decide", () => {
	const a = fixAt(0, { lat: 59.437, lon: 24.7536 });
	const b = fixAt(60_000, { lat: 59.437 + 100 / 111_195, lon: 24.7536 });
	assert.ok(Math.abs(distanceM(a, b) - 100) < 0.5);
	assert.is(classifyMotion(a, b), "moving");                                   // 100 m in 60 s = 1.67 m/s
	assert.is(classifyMotion(a, fixAt(60_000, { lat: 59.437, lon: 24.7536 })), "stationary");
	assert.is(classifyMotion(undefined, a), "unknown");
	assert.is(classifyMotion(undefined, fixAt(0, { lat: 0, lon: 0, speed: 2 })), "moving");
	assert.is(classifyMotion(a, fixAt(60_000, { lat: 59.437, lon: 24.7536, speed: 1.5 })), "moving"); // in place but walking
	const far = { ...b, accuracy: 80 };                                          // 100 m apart, but 85 m of uncertainty
	assert.is(classifyMotion(a, far), "moving");
	const vague = { ...fixAt(60_000, { lat: 59.437 + 60 / 111_195, lon: 24.7536 }), accuracy: 80 };
	assert.is(classifyMotion(a, vague), "stationary");                           // 60 m apart within 85 m
});

API.run();
