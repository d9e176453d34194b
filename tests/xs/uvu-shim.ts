/**
 * The part of uvu's API (uvu 0.5.6, dist/index.mjs) that firmware tests use, written to run inside XS (xsnap):
 * no Node APIs, no setTimeout, no console. The XS lane bundles it in place of `uvu`.
 *
 * `test(name, fn)`, `test.only`, `test.skip`, `test.before`, `test.after`, `test.before.each`, `test.after.each`,
 * `test.run()`, `suite(name, context)`, with uvu's semantics: hooks and handlers get the suite's context object,
 * `only` restricts a suite to its `only` tests, `after.each` runs even when the test failed.
 *
 * Every `run()` of the file is queued; after the file's top level has finished, suites run one after the other,
 * each test awaited in order. After each test body the simulated host's timer queue is drained (shims/host), so
 * `Timer` callbacks the test started run before the next test. When the queue is empty it prints
 *     XS-RESULT <passed> passed, <failed> failed
 * which the lane requires: a file that crashes, hangs on a promise or never calls run() prints no result line.
 */
import { drain } from "./shims/host";
import { flushTrace, hostPrint } from "./shims/globals";
import { meterNow, printMeter } from "./meter";

declare const __XS_METER__: boolean | undefined;

type Context = Record<string, unknown> & { __test__?: string; __suite__?: string };
type Handler = (context: Context) => unknown;
type Hook = (context: Context) => unknown;

interface Case {
	name: string;
	handler: Handler;
}

interface Suite {
	tests: Case[];
	only: Case[];
	before: Hook[];
	after: Hook[];
	bEach: Hook[];
	aEach: Hook[];
	skips: number;
	state: Context;
}

export interface Test {
	(name: string, handler: Handler): void;
	only(name: string, handler: Handler): void;
	skip(name?: string, handler?: Handler): void;
	before: ((hook: Hook) => void) & { each(hook: Hook): void };
	after: ((hook: Hook) => void) & { each(hook: Hook): void };
	run(): void;
}

const metering = typeof __XS_METER__ !== "undefined" && __XS_METER__ === true;


/** A readable rendering for failure reports (no util.inspect in XS). */
export function show(value: unknown, depth = 0): string {
	if (typeof value === "string") return JSON.stringify(value);
	if (typeof value === "bigint") return `${value}n`;
	if (typeof value !== "object" || value === null) return String(value);
	if (depth > 4) return "…";
	if (value instanceof ArrayBuffer) return `ArrayBuffer(${show(new Uint8Array(value), depth)})`;
	if (ArrayBuffer.isView(value)) {
		const bytes = value instanceof DataView ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : value;
		const items = Array.from(bytes as unknown as ArrayLike<number>).slice(0, 64);
		const more = (bytes as unknown as ArrayLike<number>).length > 64 ? ", …" : "";
		return `${value.constructor.name} [${items.join(", ")}${more}]`;
	}
	if (Array.isArray(value)) return `[${value.map((v) => show(v, depth + 1)).join(", ")}]`;
	if (value instanceof Map)
		return `Map {${[...value].map(([k, v]) => `${show(k, depth + 1)} => ${show(v, depth + 1)}`).join(", ")}}`;
	if (value instanceof Set) return `Set {${[...value].map((v) => show(v, depth + 1)).join(", ")}}`;
	if (value instanceof Error) return `${value.name}: ${value.message}`;
	if (value instanceof Date) return `Date(${value.toISOString()})`;
	if (value instanceof RegExp) return String(value);
	const name = value.constructor && value.constructor !== Object ? `${value.constructor.name} ` : "";
	return `${name}{${Object.keys(value)
		.map((k) => `${k}: ${show((value as Record<string, unknown>)[k], depth + 1)}`)
		.join(", ")}}`;
}

function describe(error: unknown): string {
	if (!(error instanceof Error)) return `    thrown: ${show(error)}`;
	const e = error as Error & { operator?: string; expects?: unknown; actual?: unknown; generated?: boolean };
	let text = `    ${e.name === "Assertion" ? "" : `${e.name}: `}${e.message}${e.operator ? `  (${e.operator})` : ""}`;
	if (e.name === "Assertion" && e.operator && !["ok", "not", "unreachable", "throws", "not.throws"].includes(e.operator))
		text += `\n    expected: ${show(e.expects)}\n    actual:   ${show(e.actual)}`;
	// XS release builds name functions but not files; frames without a name say nothing.
	const frames = typeof e.stack === "string" ? e.stack.split("\n").slice(1).map((l) => l.trim()) : [];
	const named = frames.filter((l) => l && l !== "at ()").slice(0, 5);
	if (named.length) text += `\n${named.map((line) => `      ${line}`).join("\n")}`;
	return text;
}

let passed = 0;
let failed = 0;
let skipped = 0;
const queue: Array<() => Promise<void>> = [];
let started = false;

function macrotask(callback: () => void): void {
	const immediate = (globalThis as { setImmediate?: (callback: () => void) => void }).setImmediate;
	if (immediate) immediate(callback);
	else void Promise.resolve().then(callback);
}

async function runQueue(): Promise<void> {
	try {
		for (let job = queue.shift(); job; job = queue.shift()) await job();
	} catch (error) {
		failed++;
		hostPrint(`FAIL (runner)\n${describe(error)}`);
	}
	if (metering) printMeter("(total)", meterNow());
	flushTrace();
	if (skipped) hostPrint(`XS-SKIPPED ${skipped}`);
	hostPrint(`XS-RESULT ${passed} passed, ${failed} failed`);
	const process = (globalThis as { process?: { exitCode?: number } }).process;
	if (process && failed) process.exitCode = 1;
}

function enqueue(job: () => Promise<void>): void {
	queue.push(job);
	if (!started) {
		started = true;
		// After the file's top level: every suite has been declared and every run() called by then.
		macrotask(() => void runQueue());
	}
}

async function runSuite(name: string, ctx: Suite): Promise<void> {
	const { only, tests, before, after, bEach, aEach, state } = ctx;
	const cases = only.length ? only : tests;
	const prefix = name ? `${name} > ` : "";
	skipped += ctx.skips + (only.length ? tests.length : 0);
	if (only.length) hostPrint(`note: ${name || "(default suite)"} runs only its ${only.length} .only test(s)`);
	try {
		for (const hook of before) await hook(state);
	} catch (error) {
		failed++;
		hostPrint(`FAIL ${prefix}(before hook)\n${describe(error)}`);
		skipped += cases.length;
		await runAfter(prefix, after, state);
		return;
	}
	for (const test of cases) {
		state.__test__ = test.name;
		try {
			for (const hook of bEach) await hook(state);
			const start = metering ? meterNow() : 0;
			await test.handler(state);
			await drain();
			if (metering) printMeter(`${prefix}${test.name}`, meterNow() - start);
			for (const hook of aEach) await hook(state);
			passed++;
			hostPrint(`  ok ${prefix}${test.name}`);
		} catch (error) {
			failed++;
			hostPrint(`FAIL ${prefix}${test.name}\n${describe(error)}`);
			try {
				for (const hook of aEach) await hook(state);
			} catch (hookError) {
				hostPrint(`    (after.each also failed)\n${describe(hookError)}`);
			}
		}
	}
	state.__test__ = "";
	await runAfter(prefix, after, state);
}

async function runAfter(prefix: string, after: Hook[], state: Context): Promise<void> {
	try {
		for (const hook of after) await hook(state);
	} catch (error) {
		failed++;
		hostPrint(`FAIL ${prefix}(after hook)\n${describe(error)}`);
	}
}

function fresh(state: Context): Suite {
	return { tests: [], only: [], before: [], after: [], bEach: [], aEach: [], skips: 0, state };
}

function setup(ctx: Suite, name: string): Test {
	ctx.state.__test__ = "";
	ctx.state.__suite__ = name;
	const test = ((testName: string, handler: Handler) => void ctx.tests.push({ name: testName, handler })) as Test;
	test.only = (testName, handler) => void ctx.only.push({ name: testName, handler });
	test.skip = () => void ctx.skips++;
	const before = ((hook: Hook) => void ctx.before.push(hook)) as Test["before"];
	before.each = (hook) => void ctx.bEach.push(hook);
	const after = ((hook: Hook) => void ctx.after.push(hook)) as Test["after"];
	after.each = (hook) => void ctx.aEach.push(hook);
	test.before = before;
	test.after = after;
	test.run = () => {
		const copy = { ...ctx };
		Object.assign(ctx, fresh(copy.state));
		enqueue(() => runSuite(name, copy));
	};
	return test;
}

export function suite(name = "", state: Record<string, unknown> = {}): Test {
	return setup(fresh(state as Context), name);
}

export const test: Test = suite();

/** uvu's exec(): here suites start by themselves; kept so imports of it resolve. */
export async function exec(): Promise<void> {}
