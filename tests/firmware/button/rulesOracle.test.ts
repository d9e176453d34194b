/**
 * The recogniser against an independent reading of the README's gesture rules ("The activation gesture" table),
 * on thousands of seeded random press timelines: single presses, doubles, hesitations, runs of four to seven,
 * chatter-short taps, holds. The oracle below is written from the table's wording only (not from the recogniser's
 * code): it works on whole presses [down, up] and decides at the instants the rules name. Timelines where a
 * compared duration ties a threshold (MARGIN), or a press length comes near the 40 ms minimum where the 30 ms
 * debounce hides short contacts (SHORT_MARGIN), are skipped; every other timeline must give the same activations at
 * the same releases.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import PressRecognizer, { defaultPressTiming, type PressOutput } from "drivers/button/pressRecognizer";
import { seededRandom as prng } from "../../../tools/sim/modem/prng";

const T = defaultPressTiming;
/**
 * How close to a threshold a timeline may come and still be compared. The recogniser judges every limit on the raw
 * edge times, so 2 ms (exact ties are the only doubt) is enough for the gap, hold, quiet and window limits. Near the
 * 40 ms minimum a press is within reach of the 30 ms debounce, which hides contacts shorter than it altogether (a
 * chatter the table counts as "too short"): 60 ms there.
 */
const MARGIN = 2;
const SHORT_MARGIN = 60;

type Press = readonly [number, number];

/**
 * README rules, in order: a press lasts 40 ms to 1.2 s (shorter or longer spoils the attempt); release to next press
 * at most 1 s (a longer silence ends the attempt); first press down to third release at most 4 s; activation at the
 * third release; presses four and more of the same run are absorbed; the run ends, and after a spoiled attempt
 * counting resumes, once the button has been released and quiet for 0.8 s (counted from the last release).
 * Returns the activation times and whether any comparison came within MARGIN of its threshold.
 */
function oracle(presses: readonly Press[]): { triples: number[]; ambiguous: boolean } {
	let ambiguous = false;
	const near = (value: number, threshold: number, margin = MARGIN) => { if (Math.abs(value - threshold) < margin) ambiguous = true; };
	type State =
		| { kind: "idle" }
		| { kind: "run"; count: number; firstDown: number; lastUp: number }
		| { kind: "absorbing"; lastUp: number }
		| { kind: "lockout"; quietFrom: number };
	let state: State = { kind: "idle" };
	const triples: number[] = [];
	for (const [down, up] of presses) {
		// What the silence before this press ended.
		if (state.kind === "run") {
			near(down - state.lastUp, T.maxGapMs);
			if (down - state.lastUp > T.maxGapMs) {
				// Incomplete: the attempt ended; its quiet runs from the last release.
				near(down - state.lastUp, T.quietMs);
				state = down - state.lastUp >= T.quietMs ? { kind: "idle" } : { kind: "lockout", quietFrom: state.lastUp };
			}
		} else if (state.kind === "absorbing") {
			near(down - state.lastUp, T.quietMs);
			if (down - state.lastUp >= T.quietMs) state = { kind: "idle" };
		} else if (state.kind === "lockout") {
			near(down - state.quietFrom, T.quietMs);
			if (down - state.quietFrom >= T.quietMs) state = { kind: "idle" };
		}
		const length = up - down;
		near(length, T.minPressMs, SHORT_MARGIN);
		near(length, T.maxPressMs);
		if (state.kind === "lockout") { state = { kind: "lockout", quietFrom: up }; continue; }
		if (state.kind === "absorbing") { state = { kind: "absorbing", lastUp: up }; continue; }
		if (length < T.minPressMs || length > T.maxPressMs) { state = { kind: "lockout", quietFrom: up }; continue; }
		const run: { count: number; firstDown: number } = state.kind === "run" ? state : { count: 0, firstDown: down };
		const count = run.count + 1;
		if (count < 3) { state = { kind: "run", count, firstDown: run.firstDown, lastUp: up }; continue; }
		near(up - run.firstDown, T.maxSequenceMs);
		if (up - run.firstDown > T.maxSequenceMs) { state = { kind: "lockout", quietFrom: up }; continue; }
		triples.push(up);
		state = { kind: "absorbing", lastUp: up };
	}
	return { triples, ambiguous };
}

function recognise(presses: readonly Press[]): number[] {
	const r = new PressRecognizer();
	const out: PressOutput[] = [];
	for (const [down, up] of presses) {
		out.push(...r.input(down, true));
		out.push(...r.input(up, false));
	}
	out.push(...r.advance((presses.at(-1)?.[1] ?? 0) + 10_000));
	return out.filter((o) => o.type === "triple").map((o) => o.time);
}


function timeline(rand: () => number): Press[] {
	const pick = <X>(xs: readonly X[]): X => xs[Math.floor(rand() * xs.length)]!;
	const between = (lo: number, hi: number) => Math.round(lo + rand() * (hi - lo));
	const presses: Press[] = [];
	let t = 0;
	for (let n = between(1, 7); n > 0; n--) {
		const length = pick([() => between(5, 39), () => between(41, 400), () => between(41, 400), () => between(300, 1199), () => between(1201, 2500)])();
		presses.push([t, t + length]);
		// Gaps of a brisk run, a hesitation, a long pause; at least 50 ms so the debounced edges stay apart.
		t += length + pick([() => between(50, 400), () => between(50, 400), () => between(400, 1400), () => between(1400, 3000)])();
	}
	return presses;
}

const Oracle = suite("PressRecognizer against the README rules (random timelines)");

Oracle("8,000 seeded timelines: the same activations at the same releases, wherever no threshold is within 2 ms (60 ms of the 40 ms minimum)", () => {
	const rand = prng(0x9e3779b9);
	let compared = 0;
	let activating = 0;
	for (let i = 0; i < 8000; i++) {
		const presses = timeline(rand);
		const expected = oracle(presses);
		if (expected.ambiguous) continue;
		compared++;
		if (expected.triples.length) activating++;
		assert.equal(recognise(presses), expected.triples, `timeline ${i}: ${JSON.stringify(presses)}`);
	}
	// Not vacuous: most timelines are clear of every threshold, and both outcomes occur often.
	assert.ok(compared > 1800, `only ${compared} timelines compared`);
	assert.ok(activating > 200 && compared - activating > 200, `${activating} activating of ${compared}`);
});

Oracle("the oracle itself: the README's own examples", () => {
	assert.equal(oracle([[0, 120], [280, 400], [560, 680], [840, 960]]).triples, [680], "four quick presses activate once");
	assert.equal(oracle([[0, 120], [300, 420]]).triples, [], "two presses do not");
	assert.equal(oracle([[0, 35], [150, 185], [300, 335]]).triples, [], "taps too short never count");
	assert.equal(oracle([[0, 200], [1300, 1420], [1600, 1720], [1900, 2020]]).triples, [2020], "one press, a pause, three presses");
	assert.equal(oracle([[0, 1000], [1900, 2900], [3800, 4200]]).triples, [], "beyond 4 s");
});

Oracle.run();
