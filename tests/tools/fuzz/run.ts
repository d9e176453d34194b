/**
 * `npm run fuzz`: the longer parser fuzz run (more seeds, bigger inputs than the seeded runs in `npm test`), in Node.
 *
 *     npm run fuzz -- [--target http,nmea,...] [--seeds 200] [--from 1000] [--cases 200] [--size 4000]
 *     npm run fuzz -- --target http --seed 1234            # replay one seed (the failure message names it)
 *
 * Seeds are `from`, `from + 1`, ... (default from 1000, so they differ from the `npm test` seeds 1-3). Every seed
 * printed on failure replays the same cases in Node and in XS (the PRNG is tests/firmware/fuzz/harness Rng). The run
 * is bounded by its seed × case count, not by a clock. Exits 1 on the first failure.
 */
import { fuzz } from "../../firmware/fuzz/harness";
import { targets } from "../../firmware/fuzz/targets";

function option(name: string): string | undefined {
	const i = process.argv.indexOf(`--${name}`);
	return i > 0 ? process.argv[i + 1] : undefined;
}

function integer(name: string, fallback: number): number {
	const text = option(name);
	if (text === undefined) return fallback;
	const n = Number(text);
	if (!Number.isInteger(n) || n < 0) {
		process.stderr.write(`--${name} must be a non-negative integer\n`);
		process.exit(2);
	}
	return n;
}

if (process.argv.includes("--help") || process.argv.includes("-h")) {
	process.stdout.write("usage: npm run fuzz -- [--target name,...] [--seeds N] [--from S] [--cases N] [--size BYTES] [--seed S]\n");
	process.stdout.write(`targets: ${targets.map((t) => t.name).join(", ")}\n`);
	process.exit(0);
}

const names = option("target")?.split(",");
const unknown = names?.filter((n) => !targets.some((t) => t.name === n)) ?? [];
if (unknown.length) {
	process.stderr.write(`unknown target ${unknown.join(", ")}; targets: ${targets.map((t) => t.name).join(", ")}\n`);
	process.exit(2);
}
const chosen = names ? targets.filter((t) => names.includes(t.name)) : targets;
const single = option("seed");
const from = integer("from", 1000);
const seeds = single !== undefined ? [integer("seed", 0)] : Array.from({ length: integer("seeds", 100) }, (_, i) => from + i);
const cases = integer("cases", 100);
const size = integer("size", 4000);

let failed = false;
for (const target of chosen) {
	process.stdout.write(`${target.name}: seeds ${seeds[0]}..${seeds[seeds.length - 1]} × ${cases} cases, ~${size} B ... `);
	try {
		const r = await fuzz(target, seeds, cases, size);
		process.stdout.write(`ok (${r.cases} cases, ${r.bytes} bytes)\n`);
	} catch (error) {
		failed = true;
		const message = error instanceof Error ? error.message : String(error);
		const seed = /seed (\d+)/.exec(message)?.[1];
		process.stdout.write(`FAIL\n  ${message}\n`);
		if (seed) process.stdout.write(`  replay: npm run fuzz -- --target ${target.name} --seed ${seed} --cases ${cases} --size ${size}\n`);
	}
}
process.exitCode = failed ? 1 : 0;
