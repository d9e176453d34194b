import { suite } from "uvu";
import * as assert from "uvu/assert";
import PressRecognizer, { type PressOutput } from "drivers/button/pressRecognizer";
import { corpus, edgesOf } from "./corpus";

const Recognizer = suite("PressRecognizer: corpus");

function run(edges: Array<[number, boolean]>, recognizer = new PressRecognizer()): PressOutput[] {
	const out: PressOutput[] = [];
	for (const [time, pressed] of edges) out.push(...recognizer.input(time, pressed));
	out.push(...recognizer.advance((edges.at(-1)?.[0] ?? 0) + 10_000));
	return out;
}

for (const c of corpus) {
	Recognizer(c.name, () => {
		const out = run(edgesOf(c));
		const triples = out.filter((o) => o.type === "triple");
		if (c.expect === "triple") assert.is(triples.length, 1, JSON.stringify(out));
		else {
			assert.is(triples.length, 0, JSON.stringify(out));
			const rejected = out.find((o) => o.type === "rejected");
			if (c.reason) assert.is(rejected?.type === "rejected" ? rejected.reason : undefined, c.reason, JSON.stringify(out));
		}
	});
}

Recognizer("bounce never counts as extra presses: press count equals real presses", () => {
	const out = run(edgesOf({ name: "", presses: [[0, 150], [350, 500]], bounceMs: 20, expect: "none" }));
	assert.equal(out.filter((o) => o.type === "press").map((o) => (o as { count: number }).count), [1, 2]);
});

Recognizer("activation comes at the third release itself, not after a quiet window", () => {
	const r = new PressRecognizer({ quietMs: 800 });
	const out = run([[0, true], [100, false], [250, true], [350, false], [500, true], [600, false]], r);
	const triple = out.find((o) => o.type === "triple");
	// the release at 600 settles at 600 (stamped at the last raw edge) and is seen once debounceMs later
	assert.is(triple?.time, 600);
});

Recognizer("presses four and five are absorbed: counted, one activation, no rejection", () => {
	const out = run([[0, true], [120, false], [280, true], [400, false], [560, true], [680, false], [840, true], [960, false], [1120, true], [1240, false]]);
	assert.equal(out.filter((o) => o.type === "press").map((o) => (o as { count: number }).count), [1, 2, 3, 4, 5]);
	assert.is(out.filter((o) => o.type === "triple").length, 1);
	assert.not.ok(out.some((o) => o.type === "rejected"), JSON.stringify(out));
});

Recognizer("a new run after the quiet window activates again (once per run)", () => {
	const run1: Array<[number, boolean]> = [[0, true], [100, false], [250, true], [350, false], [500, true], [600, false], [750, true], [850, false]];
	const run2 = run1.map(([t, p]) => [t + 3000, p] as [number, boolean]);
	const out = run([...run1, ...run2]);
	assert.equal(out.filter((o) => o.type === "triple").map((o) => o.time), [600, 3600]);
});

Recognizer("after an incomplete attempt the quiet counts from the last release: with quietMs > maxGapMs presses inside it stay locked out", () => {
	// maxGapMs 500, quietMs 1500: the attempt ends at 600 (release 100 + 500); counting resumes at 1600 (100 + 1500).
	const r = new PressRecognizer({ maxGapMs: 500, quietMs: 1500 });
	const early: Array<[number, boolean]> = [[0, true], [100, false], [1000, true], [1100, false]];
	const out = run(early, r);
	assert.ok(out.some((o) => o.type === "rejected" && o.reason === "incomplete" && o.time === 600), JSON.stringify(out));
	assert.is(out.filter((o) => o.type === "press").length, 1, "the press at 1000 falls in the quiet and does not count");
	const late = new PressRecognizer({ maxGapMs: 500, quietMs: 1500 });
	const out2 = run([[0, true], [100, false], [1700, true], [1800, false], [2000, true], [2100, false], [2300, true], [2400, false]], late);
	assert.equal(out2.filter((o) => o.type === "triple").map((o) => o.time), [2400]);
});

Recognizer("a press inside the quiet window after an activation extends the run, not a new one", () => {
	// presses every 700 ms: each falls inside the 800 ms quiet window of the one before
	const edges: Array<[number, boolean]> = [];
	for (let i = 0; i < 8; i++) edges.push([i * 700, true], [i * 700 + 100, false]);
	const out = run(edges);
	assert.is(out.filter((o) => o.type === "triple").length, 1);
});

Recognizer("not idle while a run is being absorbed, idle after the quiet window", () => {
	const r = new PressRecognizer({ quietMs: 800 });
	run([], r);
	for (const [t, p] of [[0, true], [100, false], [250, true], [350, false], [500, true], [600, false]] as Array<[number, boolean]>) r.input(t, p);
	r.advance(700);
	assert.not.ok(r.idle);
	r.advance(1400);
	assert.ok(r.idle);
});

Recognizer("timing is configurable: a stricter gap rejects what the default accepts", () => {
	const edges: Array<[number, boolean]> = [[0, true], [100, false], [700, true], [800, false], [1400, true], [1500, false]];
	assert.ok(run(edges).some((o) => o.type === "triple"));
	assert.not.ok(run(edges, new PressRecognizer({ maxGapMs: 500 })).some((o) => o.type === "triple"));
});

Recognizer("invalid timing is refused with a RangeError", () => {
	assert.throws(() => new PressRecognizer({ minPressMs: 2000, maxPressMs: 1000 }), RangeError);
	assert.throws(() => new PressRecognizer({ debounceMs: -1 }), RangeError);
	assert.throws(() => new PressRecognizer({ maxGapMs: Number.NaN }), RangeError);
});

Recognizer("nextDeadline is undefined when idle and set while a sequence runs", () => {
	const r = new PressRecognizer();
	assert.is(r.nextDeadline(), undefined);
	r.input(0, true);
	assert.is(r.nextDeadline(), 30);
});

Recognizer("a continuous hold is reported once, at holdMs after the press settled", () => {
	const out = run([[0, true], [12_000, false]]);
	const holds = out.filter((o) => o.type === "hold");
	assert.equal(holds, [{ type: "hold", time: 5000 }]);
	assert.ok(out.some((o) => o.type === "rejected" && o.reason === "long-press"), "a hold is never a press");
});

Recognizer("bounce at the start of a hold does not delay it by more than the bounce", () => {
	const out = run([[0, true], [4, false], [8, true], [14, false], [18, true], [9000, false]]);
	assert.equal(out.filter((o) => o.type === "hold").map((o) => o.time), [5018]);
});

Recognizer("releasing before holdMs reports no hold; presses of a triple never do", () => {
	assert.not.ok(run([[0, true], [4900, false]]).some((o) => o.type === "hold"));
	assert.not.ok(run([[0, true], [250, false], [500, true], [750, false], [1000, true], [1250, false]]).some((o) => o.type === "hold"));
});

Recognizer("holdMs must exceed maxPressMs", () => {
	assert.throws(() => new PressRecognizer({ holdMs: 1000, maxPressMs: 1200 }), RangeError);
});

Recognizer.run();

const Wake = suite("PressRecognizer: the press that woke the chip");

Wake("wake press still held at boot counts as press one", () => {
	const r = new PressRecognizer();
	r.seedWakePress(0);
	// boot took the first 300 ms of the wake press; then two more presses
	const out = run([[80, false], [250, true], [350, false], [500, true], [600, false]], r);
	assert.is(out.filter((o) => o.type === "triple").length, 1, JSON.stringify(out));
});

Wake("wake press already released at boot counts as press one", () => {
	const r = new PressRecognizer();
	const seeded = r.seedWakePress(0, 0);
	assert.equal(seeded, [{ type: "press", time: 0, count: 1 }]);
	const out = run([[200, true], [300, false], [450, true], [560, false]], r);
	assert.is(out.filter((o) => o.type === "triple").length, 1, JSON.stringify(out));
});

Wake("without seeding, the same two presses after boot are only a false start (the naive design)", () => {
	const out = run([[200, true], [300, false], [450, true], [560, false]]);
	assert.is(out.filter((o) => o.type === "triple").length, 0);
});

Wake("a wake press that turns into a long hold is not a press", () => {
	const r = new PressRecognizer();
	r.seedWakePress(-200);
	const out = run([[1500, false], [1700, true], [1800, false], [1950, true], [2050, false]], r);
	assert.is(out.filter((o) => o.type === "triple").length, 0);
	assert.ok(out.some((o) => o.type === "rejected" && o.reason === "long-press"));
});

Wake("wake press and three more: four in all, one activation at the third", () => {
	const r = new PressRecognizer();
	r.seedWakePress(0, 0);
	const out = run([[200, true], [300, false], [450, true], [560, false], [700, true], [800, false]], r);
	assert.equal(out.filter((o) => o.type === "triple").map((o) => o.time), [560]);
});

Wake("wake press and one more is a false start", () => {
	const r = new PressRecognizer();
	r.seedWakePress(0, 0);
	const out = run([[200, true], [300, false]], r);
	assert.is(out.filter((o) => o.type === "triple").length, 0);
	assert.ok(out.some((o) => o.type === "rejected" && o.reason === "incomplete"));
});

Wake.run();
