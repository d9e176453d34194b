/**
 * `npm start` end to end: the real command line (tools/sim/start.ts in a child process, as package.json runs it)
 * with a scripted triple press, the user closing the event from the platform after 120 simulated seconds, and
 * `--exit-when-dormant`. The output must tell the whole event in order, and the process must exit 0 by itself.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REAL_TIME_LIMIT_MS = 90_000;

function runStart(args: string[]): Promise<{ code: number | null; out: string; err: string; timedOut: boolean }> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, ["--import", "tsx", "tools/sim/start.ts", ...args], {
			env: { ...process.env, TSX_TSCONFIG_PATH: "tsconfig.tools.json", NO_COLOR: "1" },
			stdio: ["pipe", "pipe", "pipe"],
		});
		child.stdin.end(); // not a TTY: the scripted press runs
		let out = "";
		let err = "";
		let timedOut = false;
		child.stdout.on("data", (c: Buffer) => (out += c.toString()));
		child.stderr.on("data", (c: Buffer) => (err += c.toString()));
		const timer = setTimeout(() => {
			timedOut = true;
			child.kill("SIGKILL");
		}, REAL_TIME_LIMIT_MS);
		child.on("close", (code) => {
			clearTimeout(timer);
			resolve({ code, out, err, timedOut });
		});
	});
}

/** Index of the first line at or after `from` matching `re`, or -1. */
function find(lines: string[], re: RegExp, from = 0): number {
	for (let i = from; i < lines.length; i++) if (re.test(lines[i]!)) return i;
	return -1;
}

const S = suite("npm start (tools/sim/start.ts)");

S("shows a complete event end to end and exits 0 once the device is dormant again", async () => {
	const caDir = mkdtempSync(join(tmpdir(), "enigm-start-ca-"));
	try {
		const started = performance.now();
		const r = await runStart(["--scripted", "--close-after", "120", "--exit-when-dormant", "--speed", "1000", "--ca-dir", caDir]);
		const seconds = (performance.now() - started) / 1000;
		assert.not.ok(r.timedOut, `still running after ${REAL_TIME_LIMIT_MS / 1000} s:\n${r.out}\n${r.err}`);
		assert.is(r.code, 0, `exit ${r.code}\n${r.out}\n${r.err}`);
		const lines = r.out.split("\n");
		// The dashboard URL comes first.
		assert.match(lines[0]!, /^Dashboard: https:\/\/localhost:\d+\/dashboard$/);
		// Issue 12: how to log in as the holder and to Command, and where the contact's link is.
		assert.match(r.out, /^Account holder: https:\/\/localhost:\d+\/login  user ada  password [A-Za-z0-9_-]{16}$/m);
		assert.match(r.out, /^Enigm Command: https:\/\/localhost:\d+\/command\/login  user command  password [A-Za-z0-9_-]{16}$/m);
		assert.match(r.out, /contacts +notified Grace by sms: emergency opened .* link https:\/\/localhost:\d+\/c\/[A-Za-z0-9_-]{43}$/m);

		// The story, in order.
		const steps: Array<[string, RegExp]> = [
			["triple press", /device +button: triple press/],
			["activating", /device +state dormant -> active\.activating/],
			["modem boots", /modem +power on/],
			["TLS socket", /modem +AT\+CAOPEN -> \+CAOPEN: 0,0 \(TLS up\)/],
			["alerting", /device +state active\.activating -> active\.alerting/],
			["alert accepted", /platform +alert accepted: event [0-9a-f]{8}… opened by device/],
			["contacts notified", /contacts +notified Grace by sms: emergency opened/],
			["streaming", /device +state active\.alerting -> active\.streaming/],
			["GNSS fix", /modem +AT\+CGNSINF( x\d+)? -> .*\(fix 48\.\d+, 2\.\d+/],
			["point arrives", /platform +location #1 received: 48\.\d{5}, 2\.\d{5}/],
			["second point", /platform +location #2 received/],
			["user closes", /user +closes the event in the app \(platform side\), 120 s after the alert/],
			["closed", /platform +event [0-9a-f]{8}… closed by user/],
			["closing", /device +state active\.streaming -> active\.closing \(platformClosed\)/],
			["power down", /modem +AT\+CPOWD -> NORMAL POWER DOWN/],
			["dormant", /device +state active\.closing -> dormant/],
			["deep sleep", /device +in deep sleep/],
			["summary", /sim +event complete: alert accepted [\d.]+ s after the triple press, \d+ location points, 4 contact notifications, closed by user; the device is dormant/],
		];
		let at = 0;
		for (const [name, re] of steps) {
			const i = find(lines, re, at);
			assert.ok(i >= 0, `"${name}" missing (or out of order) after line ${at}:\n${r.out}`);
			at = i;
		}
		assert.match(r.out, /contacts +notified Alan by email: emergency opened/);
		assert.match(r.out, /0 while dormant/);
		// AT exchanges in summary, not byte by byte, and no secret material.
		assert.not.match(r.out, /^\S+ +modem +(->|<-) /m);
		assert.ok(lines.length < 200, `${lines.length} lines: not a summary`);
		assert.not.match(r.out, /Signature: |sig1=|[0-9a-f]{64}/i);
		assert.is(r.err.trim(), "");
		console.log(`    npm start: complete event in ${seconds.toFixed(1)} s real, ${lines.length} lines`);
	} finally {
		rmSync(caDir, { recursive: true, force: true });
	}
});

S("refuses unknown arguments with the usage and exit code 2", async () => {
	const r = await runStart(["--speed", "fast"]);
	assert.is(r.code, 2);
	assert.match(r.err, /--speed needs a number/);
	assert.match(r.err, /Usage: npm start/);
});

S.run();
