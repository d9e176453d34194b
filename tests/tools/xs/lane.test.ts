import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseXsOutput, runFileInXs } from "../../xs/run";
import { cachedXsnapPath, ensureXsnap, repoRoot, verifyIntegrity, xsnapIntegrity } from "../../xs/xsnap";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const fixture = (name: string) => join(fixtures, `${name}.fixture.ts`);
const exec = promisify(execFile);

const lane = suite("XS lane: runFileInXs");

lane.before(async () => {
	await ensureXsnap();
});

lane("a passing file passes, with uvu's counts (skip and .only counted as skipped)", async () => {
	const r = await runFileInXs(fixture("pass"));
	assert.ok(r.ok, r.reasons.join("; ") + "\n" + r.stdout);
	assert.is(r.passed, 8);
	assert.is(r.failed, 0);
	assert.is(r.skipped, 2);
	assert.is(r.exitCode, 0);
});

lane("a failing assertion fails the file and its message is in the output", async () => {
	const r = await runFileInXs(fixture("fail-assert"));
	assert.not.ok(r.ok);
	assert.is(r.passed, 1);
	assert.is(r.failed, 1);
	assert.match(r.stdout, "Expected values to be deeply equal");
	assert.match(r.stdout, "Uint8Array [1, 2, 4]");
});

lane("code using Buffer fails in XS (it passes in Node)", async () => {
	const r = await runFileInXs(fixture("buffer"));
	assert.not.ok(r.ok);
	assert.is(r.failed, 1);
	assert.match(r.stdout, /ReferenceError: get Buffer/);
});

lane("module-level use of process fails the file before any test runs", async () => {
	const r = await runFileInXs(fixture("process"));
	assert.not.ok(r.ok);
	assert.is(r.passed, 0);
	assert.ok(r.reasons.some((reason) => /unhandled exception: ReferenceError: get process/.test(reason)), r.reasons.join("; "));
	assert.ok(r.reasons.some((reason) => /no XS-RESULT line/.test(reason)));
});

lane("an async test that rejects counts as failed and later tests still run", async () => {
	const r = await runFileInXs(fixture("rejects"));
	assert.not.ok(r.ok);
	assert.is(r.failed, 1);
	assert.is(r.passed, 1);
	assert.match(r.stdout, "modem never answered");
});

lane("an unobserved rejection fails the file even though every test passed", async () => {
	const r = await runFileInXs(fixture("unhandled"));
	assert.is(r.failed, 0);
	assert.is(r.passed, 1);
	assert.not.ok(r.ok);
	assert.ok(r.reasons.some((reason) => /unhandled rejection: Error: background job failed/.test(reason)), r.reasons.join("; "));
});

lane("a file that never calls run() prints no result line and fails", async () => {
	const r = await runFileInXs(fixture("no-run"));
	assert.not.ok(r.ok);
	assert.is(r.exitCode, 0, "xsnap itself exits 0: only the missing line tells");
	assert.ok(r.reasons.some((reason) => /no XS-RESULT line/.test(reason)));
});

lane("a test awaiting a promise that never settles fails the file", async () => {
	const r = await runFileInXs(fixture("hang"));
	assert.not.ok(r.ok);
	assert.ok(r.reasons.some((reason) => /no XS-RESULT line/.test(reason)));
});

lane("a test that never returns is killed at the time limit", async () => {
	const r = await runFileInXs(fixture("busy"), { timeoutMs: 1500 });
	assert.not.ok(r.ok);
	assert.ok(r.reasons.some((reason) => /timed out after 1500 ms/.test(reason)), r.reasons.join("; "));
});

lane("xsnap extras that Moddable lacks (TextEncoder) are hidden from test code", async () => {
	const r = await runFileInXs(fixture("xsnap-extras"));
	assert.not.ok(r.ok);
	assert.match(r.stdout, /ReferenceError: get TextEncoder/);
});

lane("importing a Node built-in fails at bundling", async () => {
	const r = await runFileInXs(fixture("node-import"));
	assert.not.ok(r.ok);
	assert.ok(r.reasons.some((reason) => /bundle failed: .*Could not resolve "node:crypto"/.test(reason)), r.reasons.join("; "));
});

lane("the Moddable module shims behave inside XS", async () => {
	const r = await runFileInXs(fixture("shims"));
	assert.ok(r.ok, r.reasons.join("; ") + "\n" + r.stdout);
	assert.is(r.passed, 15);
	assert.match(r.stdout, /^trace says 42$/m);
});

lane("with meter on, per-test, measured and total instruction counts come back", async () => {
	const r = await runFileInXs(fixture("meter"), { meter: true });
	assert.ok(r.ok, r.reasons.join("; "));
	const meter = r.meter!;
	const small = meter["small loop"]!;
	const measured = meter["sum to 10000"]!;
	const large = meter["large loop"]!;
	const total = meter["(total)"]!;
	assert.ok(small > 0 && measured > 0 && large > 0 && total > 0, JSON.stringify(meter));
	// 100 vs 10,000 iterations of the same loop: roughly 100 times the work.
	assert.ok(measured > 50 * small, JSON.stringify(meter));
	assert.ok(large >= measured, "the test's count includes its measured part");
	assert.ok(total >= large + small, "the total covers every test");
	const again = await runFileInXs(fixture("meter"), { meter: true });
	assert.equal(again.meter, r.meter, "XS instruction counts are deterministic");
});

lane("without meter, no per-test counts are printed", async () => {
	const r = await runFileInXs(fixture("meter"));
	assert.ok(r.ok);
	assert.is(r.meter, undefined);
	assert.not.match(r.stdout, /^XS-METER \d+ small loop$/m);
	assert.not.match(r.stdout, /^XS-METER \d+ \(total\)$/m);
	// measure() reports whenever it runs in XS: it is the benchmark's explicit request.
	assert.match(r.stdout, /^XS-METER \d+ sum to 10000$/m);
});

lane.run();

const rules = suite("XS lane: judging xsnap output");

rules("one result line with no failure and a zero exit passes", () => {
	const p = parseXsOutput("  ok a\nXS-RESULT 3 passed, 0 failed\n", "", 0);
	assert.ok(p.ok);
	assert.is(p.passed, 3);
});

rules("a non-zero exit fails even with a clean result line", () => {
	assert.not.ok(parseXsOutput("XS-RESULT 3 passed, 0 failed\n", "", 5).ok);
	assert.not.ok(parseXsOutput("XS-RESULT 3 passed, 0 failed\n", "", null).ok);
});

rules("an unhandled printout on either stream fails", () => {
	assert.not.ok(parseXsOutput("XS-RESULT 3 passed, 0 failed\n", "Unhandled exception Error: x\n", 0).ok);
	assert.not.ok(parseXsOutput("XS-RESULT 3 passed, 0 failed\nunhandled rejection: Error: y\n", "", 0).ok);
});

rules("two result lines, a malformed one, or no test run all fail", () => {
	assert.not.ok(parseXsOutput("XS-RESULT 1 passed, 0 failed\nXS-RESULT 1 passed, 0 failed\n", "", 0).ok);
	assert.not.ok(parseXsOutput("XS-RESULT 1 passed, 0 failed (more)\n", "", 0).ok);
	assert.not.ok(parseXsOutput("  XS-RESULT 1 passed, 0 failed\n", "", 0).ok);
	assert.not.ok(parseXsOutput("XS-RESULT 0 passed, 0 failed\n", "", 0).ok);
});

rules("XS-METER lines are collected by label", () => {
	const p = parseXsOutput("XS-METER 120 parse > one line\nXS-METER 9 (total)\nXS-RESULT 1 passed, 0 failed\n", "", 0);
	assert.equal(p.meter, { "parse > one line": 120, "(total)": 9 });
});

rules.run();

const build = suite("XS lane: the pinned xsnap");

build("the cache path names the version and the integrity hash", () => {
	assert.is(xsnapIntegrity.startsWith("sha512-ZBm4DZxbtfac"), true);
	assert.is(cachedXsnapPath("/r"), "/r/.cache/xsnap/0.15.0-ZBm4DZxbtfac/xsnap");
});

build("integrity check accepts the FIPS 180-2 SHA-512 'abc' vector and rejects anything else", () => {
	// FIPS 180-2 appendix C.1: SHA-512("abc").
	const abc =
		"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
	const sri = `sha512-${Buffer.from(abc, "hex").toString("base64")}`;
	verifyIntegrity(Buffer.from("abc"), sri);
	assert.throws(() => verifyIntegrity(Buffer.from("abd"), sri), /integrity mismatch/);
	assert.throws(() => verifyIntegrity(Buffer.from("abc")), /integrity mismatch/);
	const sha1 = `sha1-${createHash("sha1").update("abc").digest("base64")}`;
	assert.throws(() => verifyIntegrity(Buffer.from("abc"), sha1), /unsupported integrity algorithm/);
});

build("the binary is the XS engine", async () => {
	const { stdout } = await exec(await ensureXsnap(), ["-v"]);
	assert.match(stdout, /^XS \d+\.\d+\.\d+/);
});

build.run();

const cli = suite("XS lane: command line");

async function runCli(...files: string[]): Promise<{ code: number; stdout: string }> {
	try {
		const { stdout } = await exec(process.execPath, ["--import", "tsx", "tests/xs/run.ts", ...files], { cwd: repoRoot });
		return { code: 0, stdout };
	} catch (error) {
		const e = error as { code?: number; stdout?: string };
		return { code: e.code ?? -1, stdout: e.stdout ?? "" };
	}
}

cli("all passing: per-file PASS line, final totals line, exit 0", async () => {
	const r = await runCli(fixture("pass"));
	assert.is(r.code, 0, r.stdout);
	assert.match(r.stdout, /^PASS tests\/tools\/xs\/fixtures\/pass\.fixture\.ts /m);
	assert.is(r.stdout.trimEnd().split("\n").pop(), "8 passed, 0 failed, 2 skipped");
	assert.match(r.stdout, /^SKIP: tests\/tools\/xs\/fixtures\/pass\.fixture\.ts: 2 case/m);
});

cli("any failure: FAIL line with reasons, a crashed file counts as one failed test, exit 1", async () => {
	const r = await runCli(fixture("pass"), fixture("fail-assert"), fixture("no-run"));
	assert.is(r.code, 1);
	assert.match(r.stdout, /^FAIL tests\/tools\/xs\/fixtures\/fail-assert\.fixture\.ts /m);
	assert.match(r.stdout, /^FAIL tests\/tools\/xs\/fixtures\/no-run\.fixture\.ts /m);
	assert.is(r.stdout.trimEnd().split("\n").pop(), "9 passed, 2 failed, 2 skipped");
});

cli("a missing file is an error", async () => {
	const r = await runCli(join(fixtures, "does-not-exist.ts"));
	assert.is(r.code, 1);
});

cli.run();
