/**
 * Issue 9.5 end to end: `npm start -- --modem-device <pty> --modem-power <cmd> --scripted --exit-when-dormant
 * --report <file>` (tools/sim/start.ts in a child process, as package.json runs it) against the project's modem
 * emulator on a pseudo-terminal (tools/sim/modem/pty.ts with its python3 helper). The emulator here lives in this
 * process, on the wall clock, with no PWRKEY line to the firmware: the `--modem-power` script only records its
 * calls, and this test presses the emulator's PWRKEY when it sees `on` or `off`, as a relay board would.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ModemEmulator from "../../../tools/sim/modem/emulator";
import { realClock } from "../../../tools/sim/modem/realClock";
import { startPty } from "../../../tools/sim/modem/pty";
import { externalModemEvent, runStart, type Report } from "./externalModemRun";

const X = suite("npm start with an external modem (--modem-device)");

X("sim7080 on a pty, off at start, switched by --modem-power: alert, points, dormant, report, exit 0", () => externalModemEvent("sim7080", true));

X("a modem that never answers: the report says no alert and the exit code is 1", async () => {
	const dir = mkdtempSync(join(tmpdir(), "enigm-extmodem-"));
	const emulator = new ModemEmulator({ dialect: "sim7080", clock: realClock(), hosts: { localhost: "127.0.0.1" }, wallStart: Date.now() });
	const bridge = await startPty(emulator, { link: join(dir, "modem") });
	try {
		const report = join(dir, "report.json");
		const r = await runStart(["--modem-device", bridge.path, "--scripted", "--exit-when-dormant", "--report", report, "--limit", "20", "--ca-dir", join(dir, "ca")]);
		assert.is(r.code, 1, `exit ${r.code}\n${r.out}\n${r.err}`);
		const json = JSON.parse(readFileSync(report, "utf8")) as Report;
		assert.is(json.alertAccepted, false);
		assert.is(json.pointsDelivered, 0);
		assert.is(json.exitCode, 1);
		assert.match(r.out, /no --modem-power command/);
	} finally {
		await bridge.close();
		emulator.close();
		rmSync(dir, { recursive: true, force: true });
	}
});

X("a serial device that does not exist is a clear error", async () => {
	const r = await runStart(["--modem-device", "/nonexistent/ttyUSB9", "--scripted", "--exit-when-dormant"]);
	assert.is(r.code, 1);
	assert.match(r.err, /no such device: \/nonexistent\/ttyUSB9/);
});

X("--modem-power without --modem-device is refused with the usage", async () => {
	const r = await runStart(["--modem-power", "true"]);
	assert.is(r.code, 2);
	assert.match(r.err, /--modem-power needs --modem-device/);
});

X.run();
