/**
 * The emulator on a pseudo-terminal: a client opens the device path like any serial port, runs an AT script, and
 * the emulator's transcript (and the bytes the client reads) are exactly those of the in-process run of the
 * same script. The pty comes from python3's standard library (no socat).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import tty from "node:tty";
import ManualClock from "hal/sim/manualClock";
import ModemEmulator from "../../../tools/sim/modem/emulator";
import { startPty } from "../../../tools/sim/modem/pty";
import { parseCliArgs } from "../../../tools/sim/modem/cli";
import { harness, until } from "./harness";

type Step = { write?: string; advance: number };
const script: Step[] = [
	{ advance: 0, write: "AT\r" },                 // modem off: ignored
	{ advance: 100 },
	{ advance: 10_000 },                            // PWRKEY pressed below, boot markers
	{ write: "AT\r", advance: 100 },
	{ write: "ATE0\r", advance: 100 },
	{ write: "AT+CMEE=1\r", advance: 100 },
	{ write: "AT+CEREG=2\r", advance: 5_000 },
	{ write: "AT+CEREG?\r", advance: 100 },
	{ write: "AT+CFUN=7\r", advance: 100 },
	{ write: "AT+CCLK?\r", advance: 100 },
	{ write: "AT+CGNSPWR=1\r", advance: 100 },
	{ write: "AT+CPOWD=1\r", advance: 100 },
];

async function inProcess(): Promise<{ transcript: string[]; received: string }> {
	const h = harness({ dialect: "sim7080" });
	let received = "";
	for (const [i, step] of script.entries()) {
		if (step.write) h.write(step.write);
		if (i === 2) h.emu.pwrkey.write(1);
		await h.advance(i === 2 ? 1000 : step.advance);
		if (i === 2) { h.emu.pwrkey.write(0); await h.advance(step.advance - 1000); }
		received += h.take();
	}
	const transcript = h.emu.transcript;
	h.close();
	return { transcript, received };
}

async function overPty(): Promise<{ transcript: string[]; received: string; device: string }> {
	const clock = new ManualClock(0);
	const emu = new ModemEmulator({ dialect: "sim7080", clock });
	const bridge = await startPty(emu);
	const fd = fs.openSync(bridge.path, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
	const reader = new tty.ReadStream(fd);
	let received = "";
	reader.on("data", (d: Buffer) => { received += d.toString("latin1"); });
	let written = 0;
	try {
		for (const [i, step] of script.entries()) {
			if (step.write) {
				fs.writeSync(fd, step.write, null, "latin1");
				written += step.write.length;
				await until(() => emu.stats.bytesToModem === written);
			}
			if (i === 2) emu.pwrkey.write(1);
			await clock.advanceAsync(i === 2 ? 1000 : step.advance);
			if (i === 2) { emu.pwrkey.write(0); await clock.advanceAsync(step.advance - 1000); }
			await until(() => received.length === emu.stats.bytesFromModem);
		}
		return { transcript: emu.transcript, received, device: bridge.device };
	} finally {
		reader.destroy();
		await bridge.close();
		emu.close();
	}
}

const Pty = suite("modem emulator on a pty");

Pty("a client on the device path gets the same bytes and the same transcript as in process", async () => {
	const reference = await inProcess();
	const viaPty = await overPty();
	assert.match(viaPty.device, /^\/dev\/pts\/\d+$/);
	assert.equal(viaPty.transcript, reference.transcript);
	assert.is(viaPty.received, reference.received);
	assert.ok(reference.transcript.some((l) => l.endsWith("<- NORMAL POWER DOWN")));
	assert.ok(reference.transcript.some((l) => l.endsWith("== 3 bytes ignored (modem off)")));
});

const Cli = suite("modem emulator CLI arguments");

Cli("parses the documented flags and rejects the rest with a reason", () => {
	const ok = parseCliArgs(["--dialect", "bg95", "--pty", "--profile", "poor", "--track", "t.gpx", "--transcript", "-", "--host", "api.enigm.test=127.0.0.1"]);
	assert.ok(ok.ok);
	if (ok.ok) assert.equal(ok.args, { dialect: "bg95", pty: true, profile: "poor", track: "t.gpx", transcript: "-", hosts: { "api.enigm.test": "127.0.0.1" }, off: false });
	assert.equal(parseCliArgs(["--dialect", "sim800", "--pty"]), { ok: false, error: "--dialect must be sim7080 or bg95" });
	assert.equal(parseCliArgs(["--pty", "--profile", "great"]), { ok: false, error: "--profile must be one of good, poor, roaming" });
	assert.equal(parseCliArgs(["--dialect", "bg95"]).ok, false);
	assert.equal(parseCliArgs(["--pty", "--bogus"]), { ok: false, error: "unknown argument --bogus" });
});

Pty.run();
Cli.run();
