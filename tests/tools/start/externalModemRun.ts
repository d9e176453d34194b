/**
 * Shared by the external-modem tests (issue 9.5): an emulator on a pty on the wall clock, and one whole
 * `npm start -- --modem-device <pty> ... --report <file>` run checked against the report contract. The dialects run
 * in separate files so `npm test` can run them side by side (tests/run.ts: they wait on real time, not on the CPU).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ModemEmulator from "../../../tools/sim/modem/emulator";
import { realClock } from "../../../tools/sim/modem/realClock";
import { startPty } from "../../../tools/sim/modem/pty";
import { runStart as runStartWithin } from "./runStart";
import * as assert from "uvu/assert";

export const REAL_TIME_LIMIT_MS = 240_000;

export const runStart = (args: string[]) => runStartWithin(args, REAL_TIME_LIMIT_MS);

export interface Report {
	alertAccepted: boolean;
	alertLatencyMs: number | null;
	pointsDelivered: number;
	cellReports: number;
	closedBy: string | null;
	dormantAtEnd: boolean;
	exitCode: number;
	modem: { external: boolean; device: string };
}

/** An emulator on a pty whose PWRKEY is pressed when the power script records `on` (while off) or `off` (while on). */
export async function modemOnPty(dialect: "sim7080" | "bg95", dir: string, poweredOn: boolean) {
	const emulator = new ModemEmulator({
		dialect, clock: realClock(), profile: "good", hosts: { localhost: "127.0.0.1" }, wallStart: Date.now(), poweredOn,
	});
	const bridge = await startPty(emulator, { link: join(dir, "modem") });
	const calls = join(dir, "calls.txt");
	const script = join(dir, "power.sh");
	writeFileSync(script, `#!/bin/sh\necho "$1" >> '${calls}'\n`, { mode: 0o755 });
	let seen = 0;
	const presses: string[] = [];
	const watcher = setInterval(() => {
		if (!existsSync(calls)) return;
		const lines = readFileSync(calls, "utf8").split("\n").filter(Boolean);
		for (const call of lines.slice(seen)) {
			presses.push(`${call} (modem ${emulator.power})`);
			const want = call === "on" ? emulator.power === "off" : call === "off" ? emulator.power !== "off" : false;
			if (!want) continue;
			// SIM7080 hardware design: PWRKEY low >= 1 s on, >= 1.2 s off; BG95: 0.5 s / 0.65 s.
			emulator.pwrkey.write(1);
			setTimeout(() => emulator.pwrkey.write(0), call === "on" ? 1200 : 1600);
		}
		seen = lines.length;
	}, 20);
	return {
		emulator, bridge, script, presses,
		calls: () => (existsSync(calls) ? readFileSync(calls, "utf8").split("\n").filter(Boolean) : []),
		async close() {
			clearInterval(watcher);
			await bridge.close();
			emulator.close();
		},
	};
}

/** One whole event against the emulator on a pty: alert, points, close, dormancy, report and exit code. */
export async function externalModemEvent(dialect: "sim7080" | "bg95", switched: boolean): Promise<void> {
	const dir = mkdtempSync(join(tmpdir(), "enigm-extmodem-"));
	const modem = await modemOnPty(dialect, dir, !switched);
	try {
		const report = join(dir, "report.json");
		const args = ["--modem-device", modem.bridge.path, "--dialect", dialect, "--scripted", "--exit-when-dormant", "--report", report,
			"--close-after", "15", "--limit", "200", "--ca-dir", join(dir, "ca")];
		if (switched) args.push("--modem-power", `sh '${modem.script}'`);
		const r = await runStart(args);
		assert.not.ok(r.timedOut, `still running after ${REAL_TIME_LIMIT_MS / 1000} s:\n${r.out}\n${r.err}`);
		assert.is(r.code, 0, `exit ${r.code}\n${r.out}\n${r.err}`);
		const json = JSON.parse(readFileSync(report, "utf8")) as Report;
		assert.is(json.alertAccepted, true);
		assert.ok(json.alertLatencyMs !== null && json.alertLatencyMs > 1000 && json.alertLatencyMs < 90_000, String(json.alertLatencyMs));
		assert.ok(json.pointsDelivered >= 1, JSON.stringify(json));
		assert.type(json.cellReports, "number");
		assert.is(json.closedBy, "user");
		assert.is(json.dormantAtEnd, true);
		assert.is(json.exitCode, 0);
		assert.equal(json.modem.external, true);
		// Switched on once where PWRKEY would be pulsed (the module was silent); powered down by AT command, so
		// never switched off; without a command nothing is switched and the module answering AT is taken as on.
		assert.equal(modem.calls(), switched ? ["on"] : [], modem.presses.join(", "));
		assert.match(r.out, dialect === "sim7080" ? /AT\+CPOWD -> NORMAL POWER DOWN/ : /AT\+QPOWD/);
		assert.is(modem.emulator.power, "off", "the modem was powered down");
		assert.match(r.out, /device +in deep sleep/);
	} finally {
		await modem.close();
		rmSync(dir, { recursive: true, force: true });
	}
}
