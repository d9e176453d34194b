import { suite } from "uvu";
import * as assert from "uvu/assert";
import { accumulate, batteryImpact, currents, energy, lightSleepWakes, withoutLightSleep, withWakes, type CurrentFigure, type StateDurations } from "../../../tools/bench/energy";
import { exchanges, firmwareShare, kindOfPath, parseTranscriptLine, splitStages, type Entry } from "../../../tools/bench/stages";
import { meterFigures, snapshotSizes } from "../../../tools/bench/xsBench";

const close = (actual: number, expected: number, what: string) =>
	assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} != ${expected}`);

// ---------------------------------------------------------------- energy model

const model = suite("bench energy model");

const table: CurrentFigure[] = [
	{ state: "deepSleep", mA: 0.1, source: "t", note: "" },
	{ state: "mcuActive", mA: 30, source: "t", note: "" },
	{ state: "lteConnected", mA: 100, source: "t", note: "" },
	{ state: "lteTx", mA: 200, source: "t", note: "" },
	{ state: "gnssAcquiring", mA: 30, source: "t", note: "" },
];

model("mAh is mA times hours, summed over states", () => {
	const e = energy({ mcuActive: 3_600_000, gnssAcquiring: 1_800_000 }, 0, table);
	close(e.mAhByState.mcuActive!, 30, "mcu");
	close(e.mAhByState.gnssAcquiring!, 15, "gnss");
	close(e.mAh, 45, "total");
});

model("TX airtime (bytes x 8 / 300 kbit/s) moves from connected time to TX", () => {
	// 37,500 bytes = 300,000 bits = 1 s at 300 kbit/s.
	const e = energy({ lteConnected: 10_000 }, 37_500, table);
	close(e.durationsMs.lteConnected!, 9_000, "connected");
	close(e.durationsMs.lteTx!, 1_000, "tx");
	close(e.mAh, (100 * 9 + 200 * 1) / 3600, "mAh");
});

model("TX airtime never exceeds the connected time", () => {
	const e = energy({ lteConnected: 500 }, 1_000_000, table);
	close(e.durationsMs.lteConnected!, 0, "connected");
	close(e.durationsMs.lteTx!, 500, "tx");
});

model("a state without a current figure is an error, not a silent zero", () => {
	assert.throws(() => energy({ modemBooting: 1 }, 0, table), /no current figure for modemBooting/);
});

model("battery impact: 2400 usable mAh at 0.1 mA lasts 1000 days; 2.4 mAh costs one day", () => {
	const b = batteryImpact(2.4, { capacityMah: 3000, usable: 0.8, description: "" }, table);
	close(b.dormantDays, 1000, "dormant days");
	close(b.daysPerEvent, 1, "days per event");
	close(b.eventsPerCharge, 1000, "events");
});

model("the shipped table has a cited figure for every state the sampler produces", () => {
	for (const s of ["deepSleep", "mcuActive", "mcuLightSleep", "modemOff", "modemBooting", "modemIdle", "lteConnected", "lteTx", "gnssAcquiring", "psm"])
		assert.ok(currents.some((f) => f.state === s && f.mA > 0 && f.source.length > 0), s);
});

const sample = suite("bench power-state sampling");

sample("asleep with the modem off is deep sleep only", () => {
	const acc: StateDurations = {};
	accumulate(acc, { asleep: true, mcuMayLightSleep: false, modemPower: "off", gnssOn: false, radioBusyUntil: 0 }, 0, 1000);
	assert.equal(acc, { deepSleep: 1000 });
});

sample("awake, modem on: the radio's busy deadline splits the step between LTE and idle or GNSS", () => {
	const acc: StateDurations = {};
	accumulate(acc, { asleep: false, mcuMayLightSleep: false, modemPower: "on", gnssOn: false, radioBusyUntil: 1300 }, 1000, 1000);
	assert.equal(acc, { mcuActive: 1000, lteConnected: 300, modemIdle: 700 });
	accumulate(acc, { asleep: false, mcuMayLightSleep: false, modemPower: "on", gnssOn: true, radioBusyUntil: 0 }, 2000, 500);
	assert.equal(acc, { mcuActive: 1500, lteConnected: 300, modemIdle: 700, gnssAcquiring: 500 });
});

sample("booting and off modem states while the MCU runs; empty steps add nothing", () => {
	const acc: StateDurations = {};
	accumulate(acc, { asleep: false, mcuMayLightSleep: false, modemPower: "booting", gnssOn: false, radioBusyUntil: 0 }, 0, 4000);
	accumulate(acc, { asleep: false, mcuMayLightSleep: false, modemPower: "off", gnssOn: false, radioBusyUntil: 0 }, 4000, 100);
	accumulate(acc, { asleep: false, mcuMayLightSleep: false, modemPower: "on", gnssOn: false, radioBusyUntil: 0 }, 4100, 0);
	assert.equal(acc, { mcuActive: 4100, modemBooting: 4000, modemOff: 100 });
});

// ---------------------------------------------------------------- stages

const stages = suite("bench stage splitting");

stages("stages are consecutive and sum to third press -> acknowledgement", () => {
	const s = splitStages({ thirdPressAt: 6000, triggerAt: 7050, stages: { press: 0, modem: 9120, attach: 10240, tls: 11760 }, requestAt: 18870, ackAt: 19100 });
	assert.equal(s, { recognise: 1050, modemBoot: 9120, attach: 1120, tls: 1520, send: 60, acknowledge: 230, total: 13100 });
});

stages("a stage the device did not report is 0 and its time goes to the next one", () => {
	const s = splitStages({ thirdPressAt: 0, triggerAt: 1000, stages: { tls: 500 }, requestAt: 1600, ackAt: 2000 });
	assert.is(s.modemBoot, 0);
	assert.is(s.attach, 0);
	assert.is(s.tls, 500);
	assert.is(s.send, 100);
	assert.is(s.acknowledge, 400);
	assert.is(s.total, 2000);
});

stages("transcript lines parse back into time, direction and text", () => {
	assert.equal(parseTranscriptLine("[     7050 ms] -> AT+CEREG?"), { t: 7050, dir: "->", text: "AT+CEREG?" });
	assert.equal(parseTranscriptLine("[       12 ms] == power on (PWRKEY low 1000 ms)"), { t: 12, dir: "==", text: "power on (PWRKEY low 1000 ms)" });
	assert.is(parseTranscriptLine("garbage"), undefined);
});

const z = { wireSent: 0, wireReceived: 0, payloadSent: 0, payloadReceived: 0 };
const e = (t: number, dir: Entry["dir"], text: string, counters: Partial<typeof z> = {}): Entry => ({ t, dir, text, ...z, ...counters });

stages("firmware share: recogniser, probe before PWRKEY, host gaps; repeated polls are modem waits", () => {
	const entries = [
		e(1000, "==", "3 bytes ignored (modem off)"),
		e(2500, "==", "power on (PWRKEY low 1000 ms)"), // pulse 1500..2500: probe 1000..1500 = 500 ms
		e(6000, "<-", "RDY"),
		e(6300, "->", "AT"), // 300 ms poll slack
		e(6310, "<-", "OK"),
		e(6330, "->", "AT+CEREG?"), // 20 ms guard
		e(6340, "<-", "+CEREG: 0,2"),
		e(6340, "<-", "OK"),
		e(7340, "->", "AT+CEREG?"), // same answer again: waiting on the network, not counted
		e(7350, "<-", "+CEREG: 0,2"),
		e(7350, "<-", "OK"),
		e(8350, "->", "AT+CEREG?"), // this poll found news: its gap counts
		e(8360, "<-", "+CEREG: 0,1"),
		e(8360, "<-", "OK"),
	];
	const f = firmwareShare(entries, 1000, 9000, 0);
	assert.is(f.recogniser, 1000);
	assert.is(f.probeBeforePowerOn, 500);
	assert.is(f.hostGaps, 300 + 20 + 1000);
	assert.is(f.gaps, 3);
	assert.is(f.total, 1000 + 500 + 1320);
});

stages("firmware share: URCs after a poll's final result code are not its answer; reacting to a URC counts", () => {
	const entries = [
		e(1000, "->", "AT+CEREG?"),
		e(1010, "<-", "+CEREG: 2,2"),
		e(1010, "<-", "OK"),
		e(3000, "<-", "SMS Ready"), // a boot marker the poll does not wait for
		e(11010, "->", "AT+CEREG?"), // fallback poll, same answer: the network's wait, not counted
		e(11020, "<-", "+CEREG: 2,2"),
		e(11020, "<-", "OK"),
		e(15000, "<-", "+CEREG: 1,\"1A2B\",\"01A2D101\",7"), // the URC with the news
		e(15002, "->", "AT+CNACT=0,1"), // reacting to it: 2 ms counted
		e(15012, "<-", "OK"),
		e(15012, "<-", "+APP PDP: 0,ACTIVE"),
		e(15040, "->", "AT+CCLK?"), // 28 ms after the URC it waited for: counted
	];
	const f = firmwareShare(entries, 1000, 16000, 1000);
	assert.is(f.hostGaps, 2 + 28);
	assert.is(f.gaps, 2);
	// The same URC ignored until the next fallback poll: that poll's answer differs, so its whole gap counts.
	const late = [...entries.slice(0, 8), e(21020, "->", "AT+CEREG?"), e(21030, "<-", "+CEREG: 2,1"), e(21030, "<-", "OK")];
	assert.is(firmwareShare(late, 1000, 22000, 1000).hostGaps, 6020);
});

stages("firmware share: a URC after a repeated poll's OK does not make the poll news", () => {
	// As the tap of an external modem saw it (tools/sim/moddableSim --modem-device): two polls with the same answer,
	// then the network's +CEREG URC 670 ms after the second OK, and the firmware's reaction to it.
	const entries = [
		e(3713, "->", "AT+CEREG?"),
		e(3727, "<-", "+CEREG: 2,2"),
		e(3731, "<-", "OK"),
		e(5735, "->", "AT+CEREG?"), // same answer: the 2 s were the network's
		e(5751, "<-", "+CEREG: 2,2"),
		e(5753, "<-", "OK"),
		e(6425, "<-", "+CEREG: 1,\"1A2B\",\"01A2D101\",7"),
		e(6428, "->", "AT+CEREG?"), // 3 ms after the URC: counted
		e(6443, "<-", "+CEREG: 2,1,\"1A2B\",\"01A2D101\",7"),
		e(6444, "<-", "OK"),
	];
	const f = firmwareShare(entries, 3700, 7000, 3700);
	assert.is(f.hostGaps, 3);
	assert.is(f.gaps, 1);
});

stages("exchanges: handshake up to the request, wire and payload from one socket open to the next", () => {
	const entries = [
		e(0, "->", "AT+CAOPEN=0,0,\"TCP\",\"localhost\",443"),
		e(1, "<-", "+CAOPEN: 0,0", { wireSent: 300, wireReceived: 1000 }),
		e(2, "->", "<651 bytes \"POST /v1/events HTTP/1.1…\">", { wireSent: 300, wireReceived: 1000 }),
		e(3, "->", "AT+CACLOSE=0", { wireSent: 980, wireReceived: 1630, payloadSent: 651, payloadReceived: 608 }),
		e(10, "->", "AT+CAOPEN=0,0,\"TCP\",\"localhost\",443", { wireSent: 1000, wireReceived: 1640, payloadSent: 651, payloadReceived: 608 }),
		e(11, "->", "<600 bytes \"POST … HTTP/1.1…\">", { wireSent: 1350, wireReceived: 2640, payloadSent: 651, payloadReceived: 608 }),
		e(12, "->", "AT+CACLOSE=0", { wireSent: 1980, wireReceived: 3280, payloadSent: 1251, payloadReceived: 1224 }),
	];
	const x = exchanges(entries, (t) => (t === 11 ? "/v1/events/abc/locations" : undefined));
	assert.is(x.length, 2);
	assert.equal(x[0], { kind: "alert", appSent: 651, appReceived: 608, handshakeSent: 300, handshakeReceived: 1000, wireSent: 1000, wireReceived: 1640 });
	assert.equal(x[1], { kind: "location", appSent: 600, appReceived: 616, handshakeSent: 350, handshakeReceived: 1000, wireSent: 980, wireReceived: 1640 });
});

stages("request kinds from the platform's routes", () => {
	assert.is(kindOfPath("/v1/events"), "alert");
	assert.is(kindOfPath("/v1/events/9d2e/locations"), "location");
	assert.is(kindOfPath("/v1/events/9d2e/close"), "close");
	assert.is(kindOfPath("/v1/devices"), "other");
});

// ---------------------------------------------------------------- XS output

const xs = suite("bench XS figures");

xs("snapshot sizes: BLOC + HEAP from xsnap -d output", () => {
	const dump = "XS_M 320755\nVERS 12\n\t13.3.0 (32)\nBLOC 73912\n\t<00000016>       24  \nHEAP 220904\nSTAC 5000\n";
	assert.equal(snapshotSizes(dump), { bloc: 73912, heap: 220904, total: 294816 });
	assert.throws(() => snapshotSizes("VERS 12\n"), /no BLOC/);
});

xs("meter figures: warm update, HMAC share subtracted; a missing line is an error", () => {
	const meter: Record<string, number> = { "cold update": 110, "warm update": 100, "warm hmac": 60, "warm hmacCalls": 3, "warm requestBytes": 607 };
	for (const p of ["capturePoint", "encodeLocationBatch", "sign", "serializeRequest", "parseResponse", "verifyResponse"]) meter[`warm ${p}`] = 1;
	const m = meterFigures(meter);
	assert.is(m.perUpdate, 100);
	assert.is(m.perUpdateWithoutHmac, 40);
	assert.is(m.coldPerUpdate, 110);
	assert.is(m.pieces.sign, 1);
	delete meter["warm hmac"];
	assert.throws(() => meterFigures(meter), /warm hmac/);
});

model("the shipped table: a good-profile-like event billed by hand from the cited rows", () => {
	// Hand-computed from the sources, not from the table: ESP32-S3 Series Datasheet v2.2 Table 5-9 (240 MHz WAITI,
	// Typ2) 47.6 mA and Table 5-10 (Light-sleep) 0.240 mA; SIM7080 Series Specification (2020.03): Idle 10 mA;
	// SIM7000 HD V1.09 Table 34: GNSS tracking 30 mA, Cat-M B20 @10 dBm 110 mA; SIM7080G HD V1.05 Table 37: Cat-M1 TX
	// up to 164 mA.
	// 20 s awake, 580 s light sleep, 50 s RRC connected (of which 37,500 bytes = 1 s TX), 45 s GNSS, 505 s idle.
	const d: StateDurations = { mcuActive: 20_000, mcuLightSleep: 580_000, lteConnected: 50_000, gnssAcquiring: 45_000, modemIdle: 505_000 };
	const e = energy(d, 37_500);
	const hand = (47.6 * 20 + 0.24 * 580 + 110 * 49 + 164 * 1 + 30 * 45 + 10 * 505) / 3600;
	close(e.mAh, hand, "mAh"); // 13,045.2 mA·s / 3600 = 3.6237 mAh
	assert.ok(Math.abs(e.mAh - 3.6237) < 1e-4, String(e.mAh));
	// kept awake throughout, the chip alone costs 600 s x 47.6 mA = 7.93 mAh instead of 0.30
	const awake = energy(withoutLightSleep(d), 37_500);
	close(awake.mAh - e.mAh, ((47.6 - 0.24) * 580) / 3600, "what light sleep saves");
});

model("withoutLightSleep bills light-sleep time as awake time", () => {
	assert.equal(withoutLightSleep({ mcuActive: 100, mcuLightSleep: 900, modemIdle: 1000 }), { mcuActive: 1000, modemIdle: 1000 });
	assert.equal(withoutLightSleep({ deepSleep: 5 }), { deepSleep: 5, mcuActive: 0 });
});

model("light-sleep wakes: modem lines while the chip may sleep, and each start of a hold; lines of an operation are not wakes", () => {
	const changes = [
		{ at: 1000, allowed: true },   // firmware enabled light sleep
		{ at: 2000, allowed: false },  // a timer woke the chip and an operation started: 1 wake
		{ at: 2100, allowed: true },   // its reply landed at 2100, then the hold ended in the same instant
		{ at: 9000, allowed: false },  // another operation: 1 wake
	];
	// 500: before light sleep was enabled (not a wake); 2050, 2100: inside the operation; 5000: a URC while asleep
	assert.is(lightSleepWakes(changes, [500, 2050, 2100, 5000]), 3);
	assert.is(lightSleepWakes([], [1, 2, 3]), 0);
	assert.is(lightSleepWakes([{ at: 0, allowed: true }], [10, 20]), 2); // lines after the last change count too
	assert.equal(withWakes({ mcuActive: 100, mcuLightSleep: 1000 }, 3, 20), { mcuActive: 160, mcuLightSleep: 940 });
	assert.equal(withWakes({ mcuActive: 100, mcuLightSleep: 30 }, 3, 20), { mcuActive: 130, mcuLightSleep: 0 }); // never more than slept
});

sample("awake: light sleep when the firmware allows it, active while an operation holds the chip", () => {
	const acc: StateDurations = {};
	accumulate(acc, { asleep: false, mcuMayLightSleep: true, modemPower: "on", gnssOn: false, radioBusyUntil: 0 }, 0, 2000);
	accumulate(acc, { asleep: false, mcuMayLightSleep: false, modemPower: "on", gnssOn: true, radioBusyUntil: 0 }, 2000, 300);
	assert.equal(acc, { mcuLightSleep: 2000, modemIdle: 2000, mcuActive: 300, gnssAcquiring: 300 });
});

model.run();
sample.run();
stages.run();
xs.run();
