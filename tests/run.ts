/**
 * `npm test`: the type checks, the uvu suites in Node (firmware and tools), and the firmware suites inside real
 * XS. Each step's output streams through; the totals close with one line `N passed, N failed, N skipped` that CI
 * reads. A skip is never a pass: each skipped case is listed by name with its reason (`SKIP: <name>: <reason>` lines,
 * tests/tools/skip.ts) before the closing line, and a skip uvu counts that nobody named is listed as unnamed.
 * Usage: node --import tsx tests/run.ts [--only typecheck,unit,xs]
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { skipLines, stripAnsi, uvuCount } from "./summary";

interface Step {
	name: string;
	command: string;
	args: string[];
	/** Extracts [passed, failed, skipped] from the step's output. */
	count: (output: string, code: number) => [number, number, number];
	env?: Record<string, string>;
}


/** Test files that run on the wall clock (external-modem runs), found by name in their folder. */
const WALL_TIME_DIR = "tests/tools/start";
const WALL_TIME_PATTERN = "externalModem";
const wallTimeFiles = readdirSync(WALL_TIME_DIR).filter((f) => f.startsWith(WALL_TIME_PATTERN) && f.endsWith(".test.ts")).sort();

const steps: Step[] = [
	{ name: "typecheck", command: process.execPath, args: ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], count: (_o, code) => (code === 0 ? [1, 0, 0] : [0, 1, 0]) },
	{ name: "typecheck-tools", command: process.execPath, args: ["node_modules/typescript/bin/tsc", "-p", "tsconfig.tools.json"], count: (_o, code) => (code === 0 ? [1, 0, 0] : [0, 1, 0]) },
	{ name: "unit-firmware", command: process.execPath, args: ["--import", "tsx", "node_modules/uvu/bin.js", "tests/firmware", "\\.test\\.ts$"], count: uvuCount },
	{ name: "unit-tools", command: process.execPath, args: ["--import", "tsx", "node_modules/uvu/bin.js", "tests/tools", "\\.test\\.ts$", "-i", WALL_TIME_PATTERN], count: uvuCount, env: { TSX_TSCONFIG_PATH: "tsconfig.tools.json" } },
	// The external-modem runs (issue 9.5) wait on the real clock by contract, minutes each and almost no CPU: each
	// file is a step of its own in a lane of its own, so they overlap each other and everything else.
	...wallTimeFiles.map((file): Step => ({
		name: `unit-tools-wall:${file.replace(/\.test\.ts$/, "")}`, command: process.execPath,
		args: ["--import", "tsx", "node_modules/uvu/bin.js", WALL_TIME_DIR, `^${file.replace(/\./g, "\\.")}$`],
		count: uvuCount, env: { TSX_TSCONFIG_PATH: "tsconfig.tools.json" },
	})),
	{ name: "xs", command: process.execPath, args: ["--import", "tsx", "tests/xs/run.ts"], count: (o) => {
		const m = /^(\d+) passed, (\d+) failed, (\d+) skipped$/m.exec(stripAnsi(o));
		return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 1, 0];
	} },
];

/**
 * Runs one step. The first lane streams its output live; a step in the second lane keeps its output and prints it
 * whole when it ends, so the two lanes' logs never interleave.
 */
function run(step: Step, live: boolean): Promise<{ code: number; output: string }> {
	return new Promise((resolve) => {
		const child = spawn(step.command, step.args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: "0", ...step.env } });
		let output = "";
		const tee = (chunk: Buffer, sink: NodeJS.WriteStream) => {
			output += chunk.toString();
			if (live) sink.write(chunk);
		};
		child.stdout.on("data", (c: Buffer) => tee(c, process.stdout));
		child.stderr.on("data", (c: Buffer) => tee(c, process.stderr));
		child.on("close", (code) => {
			if (!live) process.stdout.write(`\n=== ${step.name} (ran alongside) ===\n${output}`);
			resolve({ code: code ?? 1, output });
		});
	});
}

const onlyIndex = process.argv.indexOf("--only");
const only = onlyIndex > 0 ? new Set(process.argv[onlyIndex + 1]?.split(",")) : undefined;
const selected = steps.filter((step) => !only || [...only].some((name) => step.name.startsWith(name)));

// Lanes, so a 2-core CI machine finishes in minutes: the type checks, the firmware suites and the XS lane
// (CPU-bound) in one; the tool suites (mostly waiting on real sockets and ptys) in another; each wall-time
// external-modem file in its own. Counting is per step and does not depend on the order.
const results = new Map<string, { code: number; output: string }>();
async function lane(names: Step[], live: boolean): Promise<void> {
	for (const step of names) {
		if (live) console.log(`\n=== ${step.name} ===`);
		results.set(step.name, await run(step, live));
	}
}
const alongside = selected.filter((step) => step.name.startsWith("unit-tools"));
await Promise.all([lane(selected.filter((step) => !alongside.includes(step)), true), ...alongside.map((step) => lane([step], false))]);

let passed = 0;
let failed = 0;
let skipped = 0;
const summary: string[] = [];
const skips: string[] = [];
for (const step of selected) {
	const { code, output } = results.get(step.name)!;
	let [p, f, k] = step.count(output, code);
	if (code !== 0 && f === 0) f = 1; // a crashed step counts as a failure even if it printed no counts
	const named = skipLines(output);
	for (const line of named) skips.push(`${step.name}: ${line}`);
	for (let i = named.length; i < k; i++) skips.push(`${step.name}: (a skipped case that printed no SKIP line with its reason)`);
	k = Math.max(k, named.length);
	passed += p;
	failed += f;
	skipped += k;
	summary.push(`${step.name}: ${p} passed, ${f} failed, ${k} skipped${code !== 0 ? ` (exit ${code})` : ""}`);
}
console.log("\n" + summary.join("\n"));
if (skips.length) console.log(`\nSkipped (did not run, not counted as passed):\n${skips.map((s) => `  - ${s}`).join("\n")}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 ? 1 : 0;
