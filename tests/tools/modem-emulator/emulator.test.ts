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
	assert.equal(lines.slice(0, 3), [
		"[     1000 ms] == power on (PWRKEY low 1000 ms)",
		"[     5000 ms] <- RDY",
		"[     6000 ms] <- +CFUN: 1",
	]);
	assert.ok(lines.includes("[     8200 ms] -> ATE0"));
	assert.ok(lines.includes("[     8210 ms] <- OK"));
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

Serial.run();
Transcript.run();
