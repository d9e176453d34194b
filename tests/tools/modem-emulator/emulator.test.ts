/** The emulator's public surface: ECMA-419 Serial shape, options checking, the transcript and its redaction. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import ManualClock from "hal/sim/manualClock";
import ModemEmulator from "../../../tools/sim/modem/emulator";
import { redact, summarisePayload } from "../../../tools/sim/modem/transcript";
import { bytes, harness, text } from "./harness";

const Serial = suite("emulator ECMA-419 Serial");

Serial("constructor options are checked", () => {
	const clock = new ManualClock();
	assert.throws(() => new ModemEmulator({ dialect: "sim9000" as "sim7080", clock }), /invalid dialect/);
	assert.throws(() => new ModemEmulator({ dialect: "sim7080", clock, profile: "great" }), /unknown profile/);
	const emu = new ModemEmulator({ dialect: "sim7080", clock });
	assert.throws(() => new emu.Serial({ baud: 12345 }), /invalid baud/);
	emu.close();
});

Serial("boot time per dialect: good-profile RDY 1.8 s (SIM7080G HD, Table 8) / 2.5 s (BG95 HD, power-on timing) after the PWRKEY falling edge; others keep bootMs", async () => {
	for (const [dialect, profile, rdy] of [["sim7080", "good", 1000 + 800], ["bg95", "good", 500 + 2000], ["sim7080", "poor", 1000 + 4500], ["bg95", "poor", 500 + 4500]] as const) {
		const h = harness({ dialect, profile });
		h.emu.pwrkey.write(1);
		await h.advance(1200);
		h.emu.pwrkey.write(0);
		await h.advance(10_000);
		assert.ok(h.emu.transcript.includes(`[${String(rdy).padStart(9)} ms] <- RDY`), `${dialect}/${profile}: ${h.emu.transcript.slice(0, 2).join(" | ")}`);
		h.close();
	}
});

Serial("onReadable reports the bytes available; read(count) returns at most count; never called inside write()", async () => {
	const clock = new ManualClock();
	const emu = new ModemEmulator({ dialect: "bg95", clock, poweredOn: true });
	const counts: number[] = [];
	let inWrite = false;
	let calledInWrite = false;
	const serial = new emu.Serial({ baud: 115200, onReadable(count) { counts.push(count); if (inWrite) calledInWrite = true; } });
	await clock.advanceAsync(emu.profile.bootMs);
	assert.equal(counts, [7]); // "\r\nRDY\r\n"
	assert.is(text(serial.read(3)), "\r\nR");
	assert.is(text(serial.read()), "DY\r\n");
	assert.is(serial.read(), undefined);
	inWrite = true;
	serial.write(bytes("AT\r"));
	inWrite = false;
	await clock.advanceAsync(100);
	assert.not.ok(calledInWrite);
	assert.is(text(serial.read()), "AT\r\r\nOK\r\n");
	serial.close();
	assert.throws(() => serial.read(), /closed/);
	emu.close();
});

Serial("bytes split at every position still make the same command", async () => {
	for (let cut = 1; cut < 'AT+CEREG=2\r'.length; cut++) {
		const h = harness({ dialect: "sim7080", poweredOn: true });
		await h.advance(10_000);
		h.take();
		const cmd = "AT+CEREG=2\r";
		h.write(cmd.slice(0, cut));
		await h.advance(5);
		h.write(cmd.slice(cut));
		await h.advance(100);
		assert.is(h.take(), "AT+CEREG=2\r\r\nOK\r\n", `cut at ${cut}`);
		h.close();
	}
});

const Transcript = suite("emulator transcript");

Transcript("lines carry simulated ms and arrows; payloads are summarised by length and first line", async () => {
	const lines: string[] = [];
	const h = harness({ dialect: "sim7080", transcript: (l) => lines.push(l) });
	await h.powerOn();
	await h.at("ATE0");
	// Good profile, SIM7080G: RDY 800 ms after the module took the pulse (profiles.ts SIM7080G_GOOD_BOOT_MS), the
	// next boot marker one third of bootMarkersMs later; the harness sends ATE0 after the pulse (1100 ms), bootMs,
	// bootMarkersMs and 100 ms.
	assert.equal(lines.slice(0, 3), [
		"[     1000 ms] == power on (PWRKEY low 1000 ms)",
		"[     1800 ms] <- RDY",
		"[     2800 ms] <- +CFUN: 1",
	]);
	assert.ok(lines.includes("[     5000 ms] -> ATE0"));
	assert.ok(lines.includes("[     5010 ms] <- OK"));
	assert.equal(h.emu.transcript, lines);
	h.close();
});

Transcript("signatures, keys and tokens never reach the transcript", async () => {
	const secret = "c2lnbmF0dXJlLXRoYXQtbXVzdC1uZXZlci1iZS1sb2dnZWQ=";
	const payload = `POST /v1/alerts?sig=${secret} HTTP/1.1\r\nSignature: sig1=:${secret}:\r\nAuthorization: HMAC ${secret}\r\n\r\n{"key":"${secret}"}`;
	const s = summarisePayload(bytes(payload));
	assert.is(s, `<${payload.length} bytes "POST /v1/alerts?… HTTP/1.1…">`);
	assert.not.ok(s.includes(secret.slice(0, 16)));
	const h = harness({ dialect: "sim7080" });
	await h.powerOn();
	await h.at("AT+CFSINIT");
	await h.at(`AT+CFSWFILE=3,"key.pem",0,${secret.length},10000`, 20);
	h.write(secret);
	await h.advance(50);
	assert.not.ok(h.emu.transcript.join("\n").includes(secret.slice(0, 16)));
	assert.ok(h.emu.transcript.some((l) => l.endsWith(`-> <${secret.length} bytes "…">`)));
	assert.is(redact("HTTP/1.1 200 OK"), "HTTP/1.1 200 OK");
	assert.is(redact("deadbeefdeadbeefdeadbeef"), "…");
	h.close();
});

const Strict = suite("emulator is strict by default");

Strict("output arrives in several chunks over simulated time, the same bytes as lenient, the same chunks for the same seed", async () => {
	const run = async (opts: { lenient?: boolean; seed?: number }) => {
		const clock = new ManualClock(0);
		const emu = new ModemEmulator({ dialect: "sim7080", clock, poweredOn: true, urcNoise: 0, maxChunk: 8, ...opts });
		const chunks: string[] = [];
		const port = emu.attachPort((b) => chunks.push(String.fromCharCode(...b)));
		await clock.advanceAsync(20_000);
		chunks.length = 0;
		port.write(Uint8Array.from("ATI\r", (c) => c.charCodeAt(0)));
		await clock.advanceAsync(1000);
		emu.close();
		return chunks;
	};
	const strict = await run({ seed: 7 });
	const lenient = await run({ lenient: true });
	assert.is(strict.join(""), lenient.join(""));
	assert.ok(strict.length > lenient.length, `strict ${strict.length} chunks, lenient ${lenient.length}`);
	assert.equal(await run({ seed: 7 }), strict);
	assert.not.equal(await run({ seed: 8 }), strict);
});

Strict("echo is on after every boot and a reset cuts a reply still on its way; RDY then the boot lines", async () => {
	const clock = new ManualClock(0);
	const emu = new ModemEmulator({ dialect: "sim7080", clock, poweredOn: true, urcNoise: 0, maxChunk: 1, jitterMs: 2 });
	let rx = "";
	const port = emu.attachPort((b) => { rx += String.fromCharCode(...b); });
	await clock.advanceAsync(20_000);
	port.write(Uint8Array.from("ATE0\r", (c) => c.charCodeAt(0)));
	await clock.advanceAsync(1000);
	rx = "";
	port.write(Uint8Array.from("ATI\r", (c) => c.charCodeAt(0)));
	await clock.advanceAsync(15);
	emu.inject({ kind: "reset" });
	const cut = rx;
	assert.ok(!cut.includes("OK"), `reply cut: ${JSON.stringify(cut)}`);
	await clock.advanceAsync(20_000);
	const after = rx.slice(cut.length);
	assert.ok(after.startsWith("\r\nRDY\r\n"), JSON.stringify(after));
	assert.ok(after.indexOf("SMS Ready") > after.indexOf("+CPIN: READY"));
	rx = "";
	port.write(Uint8Array.from("AT\r", (c) => c.charCodeAt(0)));
	await clock.advanceAsync(1000);
	assert.is(rx, "AT\r\r\nOK\r\n", "echo on again after the reset");
	emu.close();
});

Strict("harmless +CEREG URCs come between echo and result when registered with AT+CEREG=2", async () => {
	const clock = new ManualClock(0);
	const emu = new ModemEmulator({ dialect: "bg95", clock, poweredOn: true, urcNoise: 1, seed: 3 });
	let rx = "";
	const port = emu.attachPort((b) => { rx += String.fromCharCode(...b); });
	await clock.advanceAsync(20_000);
	port.write(Uint8Array.from("AT+CEREG=2\r", (c) => c.charCodeAt(0)));
	await clock.advanceAsync(1000);
	rx = "";
	port.write(Uint8Array.from("AT\r", (c) => c.charCodeAt(0)));
	await clock.advanceAsync(1000);
	assert.match(rx, /^AT\r\r\n\+CEREG: 1,"1A2B","01A2D101",7\r\n\r\nOK\r\n$/);
	emu.close();
});

Serial.run();
Transcript.run();
Strict.run();
