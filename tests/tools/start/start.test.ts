/**
 * `npm start` end to end: the real command line (tools/sim/start.ts in a child process, as package.json runs it)
 * with a scripted triple press, the user closing the event from the platform after 120 simulated seconds, and
 * `--exit-when-dormant`. The output must tell the whole event in order, and the process must exit 0 by itself.
 */
import { suite } from "uvu";
import { runStart as runStartWithin } from "./runStart";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REAL_TIME_LIMIT_MS = 90_000;

const runStart = (args: string[]) => runStartWithin(args, REAL_TIME_LIMIT_MS);

/** Seconds of each `[mm:ss.s]` stamp, in output order. */
function stamps(out: string): number[] {
	return [...out.matchAll(/^\[(\d+):(\d+\.\d)\] /gm)].map((m) => Number(m[1]) * 60 + Number(m[2]));
}

/** Lines whose stamp is earlier than the line printed before them. */
function backwards(out: string): string[] {
	const lines = out.split("\n").filter((l) => /^\[\d+:\d+\.\d\] /.test(l));
	const t = stamps(out);
	return lines.filter((_, i) => i > 0 && t[i]! < t[i - 1]!);
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
		const r = await runStart(["--scripted", "--close-after", "180", "--exit-when-dormant", "--speed", "1000", "--ca-dir", caDir]);
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
			// The modem boots during the gesture (issue 11): its PWRKEY pulse starts at the first press.
			["first press", /device +button: press 1/],
			["modem boots", /modem +power on/],
			["triple press", /device +button: triple press/],
			["activating", /device +state dormant -> active\.activating/],
			["TLS socket", /modem +AT\+CAOPEN -> \+CAOPEN: 0,0 \(TLS up\)/],
			["alerting", /device +state active\.activating -> active\.alerting/],
			["alert accepted", /platform +alert accepted: event [0-9a-f]{8}… opened by device/],
			["contacts notified", /contacts +notified Grace by sms: emergency opened/],
			["streaming", /device +state active\.alerting -> active\.streaming/],
			["GNSS fix", /modem +AT\+CGNSINF( x\d+)? -> .*\(fix 48\.\d+, 2\.\d+/],
			["point arrives", /platform +location #1 received: 48\.\d{5}, 2\.\d{5}/],
			["second point", /platform +location #2 received/],
			["user closes", /user +closes the event in the app \(platform side\), 180 s after the alert/],
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
		// Issue 8.7: printed in order, so the stamps never step backwards.
		assert.ok(stamps(r.out).length > 20);
		assert.equal(backwards(r.out), [], "timestamps step backwards");
		console.log(`    npm start: complete event in ${seconds.toFixed(1)} s real, ${lines.length} lines`);
	} finally {
		rmSync(caDir, { recursive: true, force: true });
	}
});

S("two events in one session: each reports its own figures, not the session's; --report lists both", async () => {
	const caDir = mkdtempSync(join(tmpdir(), "enigm-start-ca-"));
	const report = join(caDir, "report.json");
	try {
		const r = await runStart(["--scripted", "--events", "2", "--close-after", "60", "--exit-when-dormant", "--speed", "1000", "--ca-dir", caDir, "--report", report]);
		assert.not.ok(r.timedOut, `still running:\n${r.out}\n${r.err}`);
		assert.is(r.code, 0, `exit ${r.code}\n${r.out}\n${r.err}`);
		assert.equal(backwards(r.out), [], "timestamps step backwards");
		const done = [...r.out.matchAll(/event (\d) complete: alert accepted [\d.]+ s after the triple press, (\d+) location points, (\d+) contact notifications, closed by user/g)];
		assert.equal(done.map((m) => m[1]), ["1", "2"], r.out);
		const wire = [...r.out.matchAll(/radio on ([\d.]+) s, (\d+) bytes sent and (\d+) received on the wire, (\d+) while dormant/g)];
		assert.is(wire.length, 2);
		// Two alike events (same profile, track, close-after): the second's figures are its own, about the first's,
		// not the sum of both (issue 8.7: they were reported as the session's totals).
		for (const k of [1, 2, 3]) {
			const first = Number(wire[0]![k]);
			const second = Number(wire[1]![k]);
			assert.ok(second > first * 0.7 && second < first * 1.3, `field ${k}: first ${first}, second ${second}`);
		}
		assert.is(done[1]![3], "4", "two contacts, told of the opening and of the close, in the second event alone");
		const json = JSON.parse(readFileSync(report, "utf8")) as { events: Array<{ eventId: string; wireSent: number; contactNotifications: number; alertLatencyMs: number }>; alertAccepted: boolean; dormantAtEnd: boolean; exitCode: number; pointsDelivered: number; firmwarePoints: { captured: number; restored: number; delivered: number; dropped: number } };
		assert.is(json.events.length, 2);
		const tally = json.firmwarePoints;
		assert.ok(tally.captured > 0 && tally.captured + tally.restored === tally.delivered + tally.dropped, JSON.stringify(tally));
		assert.is.not(json.events[0]!.eventId, json.events[1]!.eventId);
		assert.is(json.events[1]!.wireSent, Number(wire[1]![2]));
		assert.is(json.events[1]!.contactNotifications, 4);
		assert.ok(json.alertAccepted && json.dormantAtEnd && json.exitCode === 0 && json.pointsDelivered >= 1, JSON.stringify(json));
		// From the third press's down edge: the firmware's 1.05 s quiet window is part of it.
		for (const e of json.events) assert.ok(e.alertLatencyMs > 1000 && e.alertLatencyMs < 60_000, String(e.alertLatencyMs));
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
