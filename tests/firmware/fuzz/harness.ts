/**
 * Shared pieces of the parser fuzz runs (tests/firmware/fuzz/*.test.ts in `npm test`, Node and XS; the longer
 * `npm run fuzz` in tests/tools/fuzz/run.ts).
 *
 * Nothing here reads a clock. A run is a fixed list of seeds times a fixed number of cases, so it does the same work
 * every time; its cost is measured, where the engine can count it, in XS instructions (xsnap's meter, which counts
 * the steps of native work such as regular-expression matching too: a cubic regex shows as 8x per doubling), never
 * in wall time that a loaded machine stretches. Outside XS the meter reads 0: the work bounds are checked in the XS
 * lane only. (The meter does not see the bytes a string concatenation copies: those parsers avoid `+=` loops.)
 */
import { concatBytes } from "modules/protocol/bytes";
import { meterAvailable, meterNow, printMeter } from "../../xs/meter";

/** Deterministic PRNG (mulberry32): the same seed gives the same cases in Node and in XS. */
export class Rng {
	#state: number;
	constructor(readonly seed: number) {
		this.#state = seed >>> 0;
	}
	/** Uniform in [0, 1). */
	next(): number {
		let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	}
	/** Integer in [0, n). */
	int(n: number): number {
		return Math.floor(this.next() * n);
	}
	pick<T>(items: readonly T[]): T {
		return items[this.int(items.length)];
	}
	chance(p: number): boolean {
		return this.next() < p;
	}
}

/** A property broken by a fuzz case; the message names the seed and case so `npm run fuzz -- --seed` replays it. */
export class FuzzFailure extends Error {
	constructor(target: string, seed: number, index: number, detail: string) {
		super(`${target} seed ${seed} case ${index}: ${detail}`);
		this.name = "FuzzFailure";
	}
}

/**
 * One parser's fuzz target: `run` feeds case `index` of `rng`'s stream to the parser with inputs of about `size`
 * bytes, checks the properties, throws on a violation, and returns the number of input bytes it fed.
 */
export interface FuzzTarget {
	readonly name: string;
	/** XS instructions allowed per input byte over a whole run (measured cost × a margin; see each target). */
	readonly budgetPerByte: number;
	run(rng: Rng, index: number, size: number): number | Promise<number>;
}

export interface FuzzRunResult {
	readonly cases: number;
	readonly bytes: number;
	/** XS instructions the run took (0 outside XS). */
	readonly instructions: number;
}

/** Runs `cases` cases for each seed; any exception becomes a FuzzFailure naming the seed and case. */
export async function fuzz(target: FuzzTarget, seeds: readonly number[], cases: number, size: number): Promise<FuzzRunResult> {
	const start = meterNow();
	let bytes = 0;
	for (const seed of seeds) {
		const rng = new Rng(seed);
		for (let index = 0; index < cases; index++) {
			try {
				bytes += await target.run(rng, index, size);
			} catch (error) {
				if (error instanceof FuzzFailure) throw error;
				throw new FuzzFailure(target.name, seed, index, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
			}
		}
	}
	return { cases: seeds.length * cases, bytes, instructions: meterNow() - start };
}

/** Throws a FuzzFailure-ready Error unless `condition`. */
export function check(condition: unknown, detail: string): asserts condition {
	if (!condition) throw new Error(detail);
}

export const metered = meterAvailable;

/** XS instructions `work` takes (0 outside XS). */
export function cost(work: () => void): number {
	const start = meterNow();
	work();
	return meterNow() - start;
}

/**
 * Cost at size n and 2n of `make(n)` (each built before measuring, so only the parse is counted). A linear parser
 * gives a ratio near 2; quadratic near 4, cubic 8.
 */
export function doubling(make: (n: number) => () => void, n: number): { small: number; large: number; ratio: number } {
	const a = make(n);
	const small = cost(a);
	const b = make(2 * n);
	const large = cost(b);
	return { small, large, ratio: large / Math.max(1, small) };
}

/** Ratio bound of `doubling` for a linear parser: generous over 2 (fixed costs make it lower, never higher). */
export const LINEAR_RATIO = 2.6;

/** Random bytes, biased towards the characters parsers treat specially. */
export function noise(rng: Rng, length: number, specials: string): Uint8Array {
	const out = new Uint8Array(length);
	for (let i = 0; i < length; i++)
		out[i] = rng.chance(0.5) ? specials.charCodeAt(rng.int(specials.length)) : rng.int(256);
	return out;
}

export function ascii(text: string): Uint8Array {
	const out = new Uint8Array(text.length);
	for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
	return out;
}

export function latin1(bytes: Uint8Array): string {
	const parts: string[] = [];
	for (let i = 0; i < bytes.length; i += 64) parts.push(String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + 64))));
	return parts.join("");
}

/**
 * A mutation of `base`: bit flips, deleted/duplicated/inserted runs, a long run of one special character (the shape
 * that makes backtracking parsers blow up), truncation.
 */
export function mutate(rng: Rng, base: Uint8Array, size: number, specials: string): Uint8Array {
	let b: Uint8Array = base.slice();
	const edits = 1 + rng.int(4);
	for (let e = 0; e < edits; e++) {
		const at = rng.int(b.length + 1);
		switch (rng.int(6)) {
			case 0: {
				if (b.length) b[Math.min(at, b.length - 1)] ^= 1 << rng.int(8);
				break;
			}
			case 1: {
				const n = rng.int(16);
				b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + n)));
				break;
			}
			case 2: {
				const from = rng.int(b.length + 1);
				b = concat(b.subarray(0, at), b.subarray(from, from + rng.int(32)), b.subarray(at));
				break;
			}
			case 3: {
				b = concat(b.subarray(0, at), noise(rng, rng.int(16), specials), b.subarray(at));
				break;
			}
			case 4: {
				const run = new Uint8Array(rng.int(size)).fill(specials.charCodeAt(rng.int(specials.length)));
				b = concat(b.subarray(0, at), run, b.subarray(at));
				break;
			}
			default:
				b = b.subarray(0, at);
		}
	}
	return b;
}

/** The firmware's own byte concatenation (modules/protocol/bytes), under the name the fuzz targets use. */
export const concat = concatBytes;

/** Random cut points: the input as the parser would get it from a serial port or a socket. */
export function chunks(rng: Rng, bytes: Uint8Array): Uint8Array[] {
	const out: Uint8Array[] = [];
	let i = 0;
	while (i < bytes.length) {
		const n = rng.chance(0.2) ? 1 : 1 + rng.int(rng.chance(0.5) ? 8 : 256);
		out.push(bytes.subarray(i, i + n));
		i += n;
	}
	return out;
}

/** Seeds of the `npm test` run: fixed, so every run does the same work. */
export const TEST_SEEDS: readonly number[] = Object.freeze([1, 2, 3]);

interface UvuTest {
	(name: string, handler: () => void | Promise<void>): void;
}

/**
 * Registers the seeded fuzz run of `target` on `test`: TEST_SEEDS × `cases` cases of about `size` bytes. In XS it
 * also holds the run to its instruction budget (`budgetPerByte` × bytes fed).
 */
export function fuzzTest(test: UvuTest, target: FuzzTarget, cases: number, size: number): void {
	test(`seeded fuzz run (seeds ${TEST_SEEDS.join(",")} × ${cases} cases, ~${size} B): no undocumented exception, bounded memory, nothing lost`, async () => {
		const r = await fuzz(target, TEST_SEEDS, cases, size);
		if (!(r.bytes > 0)) throw new Error("fuzz run fed no bytes");
		if (metered()) {
			printMeter(`fuzz ${target.name}: ${r.bytes} bytes, ${(r.instructions / r.bytes).toFixed(0)} per byte`, r.instructions);
			const budget = target.budgetPerByte * r.bytes;
			if (r.instructions > budget)
				throw new Error(`${target.name}: ${r.instructions} XS instructions for ${r.bytes} bytes, over the budget of ${budget}`);
		}
	});
}

/**
 * Registers a work-growth check (XS instruction meter: cost of `make(2n)` over `make(n)` at most LINEAR_RATIO, and
 * `make(2n)` within `perUnit` instructions per unit). It belongs to the XS lane of `npm test` (tests/xs/run.ts runs
 * every file here): Node has no deterministic work count, and a wall-clock stand-in would flake under load, so in
 * Node the check is not registered at all (neither a pass nor a skip there; it passes or fails in XS).
 */
export function linearTest(test: UvuTest, name: string, make: (n: number) => () => void, n: number, perUnit: number): void {
	const title = `${name}: linear (XS instructions at ${n} and ${2 * n})`;
	if (!metered()) return;
	test(title, () => {
		const d = doubling(make, n);
		printMeter(`${name} at ${2 * n} (${(d.large / (2 * n)).toFixed(0)} per unit, ratio ${d.ratio.toFixed(2)})`, d.large);
		if (d.ratio > LINEAR_RATIO) throw new Error(`${name}: ${d.small} -> ${d.large} instructions when the input doubles (ratio ${d.ratio.toFixed(2)} > ${LINEAR_RATIO})`);
		if (d.large > perUnit * 2 * n) throw new Error(`${name}: ${d.large} instructions for ${2 * n} units, over ${perUnit} per unit`);
	});
}
