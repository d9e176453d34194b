/**
 * Timed button edge sequences with the outcome a person would expect. Times in ms; a press is [down, up].
 * `bounce` adds contact bounce of the given length to every edge (a burst of alternating edges every 2 ms,
 * like a tact switch's first ~20 ms), so the same press sequence is tested clean and bouncy.
 */
export interface CorpusCase {
	name: string;
	presses: Array<[number, number]>;
	bounceMs?: number;
	/** Extra raw edges (pocket chatter): [time, pressed]. */
	raw?: Array<[number, boolean]>;
	expect: "triple" | "none";
	/** For "none": the rejection reason expected first, if any. */
	reason?: "too-short" | "long-press" | "incomplete" | "too-slow";
}

export const corpus: CorpusCase[] = [
	{ name: "clean triple, brisk (120 ms presses, 150 ms gaps)", presses: [[0, 120], [270, 390], [540, 660]], expect: "triple" },
	{ name: "clean triple, fast (60 ms presses, 80 ms gaps)", presses: [[0, 60], [140, 200], [280, 340]], expect: "triple" },
	{ name: "clean triple, slow but deliberate (400 ms presses, 600 ms gaps)", presses: [[0, 400], [1000, 1400], [2000, 2400]], expect: "triple" },
	{ name: "bouncy triple (20 ms bounce on every edge)", presses: [[0, 150], [350, 500], [700, 850]], bounceMs: 20, expect: "triple" },
	{ name: "bouncy fast triple (18 ms bounce)", presses: [[0, 90], [200, 290], [400, 490]], bounceMs: 18, expect: "triple" },
	{ name: "single press with heavy bounce is one press, not three", presses: [[0, 200]], bounceMs: 20, expect: "none", reason: "incomplete" },
	{ name: "two presses: a false start", presses: [[0, 120], [300, 420]], expect: "none", reason: "incomplete" },
	{ name: "two bouncy presses never become three", presses: [[0, 120], [300, 420]], bounceMs: 20, expect: "none", reason: "incomplete" },
	{ name: "four quick presses (120 ms presses, 160 ms apart) activate once", presses: [[0, 120], [280, 400], [560, 680], [840, 960]], expect: "triple" },
	{ name: "four presses activate once", presses: [[0, 100], [250, 350], [500, 600], [750, 850]], expect: "triple" },
	{ name: "five panicked presses activate once", presses: [[0, 90], [200, 290], [400, 490], [600, 690], [800, 890]], expect: "triple" },
	{ name: "five bouncy presses activate once", presses: [[0, 120], [280, 400], [560, 680], [840, 960], [1120, 1240]], bounceMs: 20, expect: "triple" },
	{ name: "six presses are not two activations", presses: [[0, 100], [250, 350], [500, 600], [750, 850], [1000, 1100], [1250, 1350]], expect: "triple" },
	{ name: "a fourth press held long after the activation does not undo it", presses: [[0, 100], [250, 350], [500, 600], [750, 2750]], expect: "triple" },
	{ name: "taps too short to be deliberate (35 ms) never count", presses: [[0, 35], [150, 185], [300, 335], [450, 485]], expect: "none", reason: "too-short" },
	{ name: "slow presses (1.2 s apart) never activate", presses: [[0, 200], [1400, 1600], [2800, 3000]], expect: "none", reason: "incomplete" },
	{ name: "two long holds and a press", presses: [[0, 1500], [1700, 3200], [3400, 3500]], expect: "none", reason: "long-press" },
	{ name: "long hold then two presses", presses: [[0, 2000], [2200, 2300], [2500, 2600]], expect: "none", reason: "long-press" },
	{ name: "third press held too long", presses: [[0, 100], [250, 350], [500, 2500]], expect: "none", reason: "long-press" },
	{ name: "gap beyond the window", presses: [[0, 100], [250, 350], [1500, 1600]], expect: "none", reason: "incomplete" },
	{ name: "three presses within gaps but beyond the total window", presses: [[0, 1000], [1900, 2900], [3800, 4200]], expect: "none", reason: "too-slow" },
	{ name: "pocket chatter: short random contacts", presses: [], raw: [[0, true], [12, false], [70, true], [85, false], [160, true], [171, false], [240, true], [260, false], [330, true], [338, false]], expect: "none" },
	{ name: "a 35 ms brush between deliberate presses spoils the sequence", presses: [[0, 120], [300, 420]], raw: [[520, true], [555, false]], expect: "none", reason: "too-short" },
	{ name: "triple after a rejected sequence and a quiet pause", presses: [[0, 100], [250, 350], [2500, 2620], [2800, 2920], [3100, 3220]], expect: "triple" },
	// The pause that ended an incomplete attempt is its quiet: the next press starts a new attempt at once.
	{ name: "one press, a pause past the gap limit, then three presses activate", presses: [[0, 150], [1300, 1420], [1600, 1720], [1900, 2020]], expect: "triple" },
	{ name: "two presses, a 1.08 s pause, then three presses activate", presses: [[0, 120], [300, 420], [1500, 1620], [1800, 1920], [2100, 2220]], expect: "triple" },
	// Limits met by the raw edges but confirmed by the 30 ms debounce only after the limit: they count.
	{ name: "a press 985 ms after a release is within the 1 s gap", presses: [[0, 200], [1185, 1385], [1700, 1900]], expect: "triple" },
	{ name: "a press released 1,190 ms after it began is within the 1.2 s limit", presses: [[0, 1190], [1400, 1550], [1800, 1950]], expect: "triple" },
	{ name: "one bouncy press, a pause, then three bouncy presses activate", presses: [[0, 150], [1250, 1370], [1550, 1670], [1850, 1970]], bounceMs: 20, expect: "triple" },
];

/** Expands a case into raw edges, sorted by time. */
export function edgesOf(c: CorpusCase): Array<[number, boolean]> {
	const edges: Array<[number, boolean]> = [];
	for (const [down, up] of c.presses) {
		for (const [at, pressed] of [[down, true], [up, false]] as const) {
			if (c.bounceMs) {
				// Bounce: the contact flips back and forth every 2 ms, ending on the new level.
				let level = pressed;
				for (let t = at; t < at + c.bounceMs; t += 2) {
					edges.push([t, level]);
					level = !level;
				}
				edges.push([at + c.bounceMs, pressed]);
			}
			else edges.push([at, pressed]);
		}
	}
	for (const e of c.raw ?? []) edges.push(e);
	return edges.sort((a, b) => a[0] - b[0]);
}
