import { suite } from "uvu";
import * as assert from "uvu/assert";
import MemoryStore from "hal/sim/memoryStore";
import type { Fix } from "drivers/gnss/fix";
import RadioSchedule from "modules/radioSchedule";
import { encodeAscii } from "modules/protocol/bytes";
import Uplink from "modules/uplink";
import FakeModem from "./fakeModem";
import { signingRig } from "./signingRig";
import DurableRecord from "modules/durableRecord";
import type { Store } from "hal/store";

/** The stored backlog as the firmware reads it (two slots, modules/durableRecord). */
function backlog(store: Store): string | undefined {
	return new DurableRecord(store, "ev_backlog_a", "ev_backlog_b").read();
}

const deviceId = "5f0c3a9e1b7d4c2a8e6f1032547698ab";
const eventId = "9d2e41f07ab35c6680e1d4f2a7c9b053";
const key = new Uint8Array(32).map((_, i) => i);
const fix = (lat: number): Fix => ({ time: Date.UTC(2026, 10, 22, 9, 0, 0), lat, lon: 8.54, accuracy: 6, satellites: 8, quality: "3d", source: "gnss", altitude: 410 });

function setup(options: { modemKnownOff?: boolean; store?: MemoryStore; keep?: boolean; pointsPerSend?: number; pointCapacity?: number } = {}) {
	const { clock, store, keystore, counter, wallClock, signer } = signingRig(deviceId, key, options.store);
	const modem = new FakeModem({ clock, key, deviceId });
	const schedule = new RadioSchedule(options.pointsPerSend ? { pointsPerSend: options.pointsPerSend } : {});
	const log: string[] = [];
	const uplink = new Uplink({
		modem, clock, keystore, signer, counter, wallClock, schedule,
		platform: { host: "platform.example", port: 443, apn: "iot.example", caPem: encodeAscii("-----BEGIN CERTIFICATE-----\n") },
		log: (l) => log.push(l),
		...(options.modemKnownOff !== undefined ? { modemKnownOff: options.modemKnownOff } : {}),
		...(options.keep ? { store } : {}),
		...(options.pointCapacity ? { pointCapacity: options.pointCapacity } : {}),
	});
	/** Runs an async port call to completion in simulated time. */
	async function run<T>(work: Promise<T>, limitMs = 600_000): Promise<T> {
		let done = false;
		let value: T | undefined;
		work.then((v) => { done = true; value = v; });
		for (let t = 0; t < limitMs && !done; t += 250) await clock.advanceAsync(250);
		if (!done) throw new Error("port call did not complete");
		return value as T;
	}
	return { clock, store, modem, uplink, schedule, wallClock, log, run };
}

const Up = suite("Uplink: ports over the Modem interface");

Up("wake brings the modem from off to a pinned TLS socket, then the alert is signed and acknowledged", async () => {
	const { modem, uplink, run, wallClock } = setup();
	assert.equal(await run(uplink.wake()), { ok: true });
	assert.equal(modem.calls, ["powerOn", "configure", "uploadCa", "attach", "open"], "the CA goes up while the network search runs");
	assert.ok(wallClock.now() !== undefined, "network time taken after attach");
	const reply = await run(uplink.openEvent(eventId, false));
	assert.equal(reply, { ok: true, state: "open", intervalMs: 30_000 });
	const open = modem.requests[0];
	assert.is(open.path, "/v1/events");
	const body = open.body as { event: string; stages: Record<string, number>; cell?: unknown };
	assert.is(body.event, eventId);
	assert.ok(body.stages.attach! > 0 && body.stages.tls! >= body.stages.attach!, JSON.stringify(body.stages));
	assert.ok(body.cell, "serving cell in the alert");
	const signatureInput = open.headers.find(([n]) => n === "Signature-Input")![1];
	assert.match(signatureInput, /created=\d+;keyid="5f0c3a9e1b7d4c2a8e6f1032547698ab";nonce="\d+"/);
});

Up("a data indication in the same chunk as an empty read's OK is not lost: the next read follows at once", async () => {
	const { modem, uplink, run } = setup();
	modem.dataWithEmptyRead = true;
	assert.equal(await run(uplink.wake()), { ok: true });
	const reply = await run(uplink.openEvent(eventId, false));
	assert.equal(reply, { ok: true, state: "open", intervalMs: 30_000 });
	// The first read finds nothing (20 ms) while the indication arrives; the second read starts when the first ends,
	// not after the 1 s fallback wait.
	assert.equal(modem.receiveTimes.slice(1, 2).map((t) => t - modem.receiveTimes[0]!), [20]);
});

Up("a GNSS window closes the socket first; the fix goes out as a MAC'd point", async () => {
	const { modem, uplink, run } = setup();
	await run(uplink.wake());
	await run(uplink.openEvent(eventId, false));
	modem.fixes = [fix(47.3769)];
	const got = await run(uplink.acquire());
	assert.ok(got.ok);
	const gnssAt = modem.calls.indexOf("gnssOn");
	assert.ok(modem.calls.lastIndexOf("closeSocket", gnssAt) > 0, modem.calls.join(","));
	const reply = await run(uplink.sendLocation(eventId, got.ok ? got.fix : undefined));
	assert.ok(reply.ok);
	const batch = modem.requests[1];
	assert.is(batch.path, `/v1/events/${eventId}/locations`);
	const points = (batch.body as { points: Array<{ s: number; la: number; m: string }> }).points;
	assert.is(points.length, 1);
	assert.is(points[0].la, 473769000);
	assert.match(points[0].m, /^[A-Za-z0-9_-]{22}$/);
	assert.ok(reply.ok && reply.intervalMs !== undefined && reply.intervalMs > 0 && reply.intervalMs <= 30_000, JSON.stringify(reply));
});

Up("a GNSS window that times out yields a cell report", async () => {
	const { modem, uplink, run } = setup();
	await run(uplink.wake());
	await run(uplink.openEvent(eventId, false));
	modem.fixes = [];
	const got = await run(uplink.acquire());
	assert.not.ok(got.ok);
	const reply = await run(uplink.sendLocation(eventId, undefined));
	assert.ok(reply.ok);
	const body = modem.requests[1].body as { points: unknown[]; cell: { ci: number } };
	assert.equal(body.points, []);
	assert.is(body.cell.ci, 0x1234567);
});

Up("points that could not be delivered are kept and sent with the next batch (store-and-forward)", async () => {
	const { modem, uplink, run } = setup();
	await run(uplink.wake());
	await run(uplink.openEvent(eventId, false));
	modem.fixes = [fix(47.1), fix(47.2)];
	let got = await run(uplink.acquire());
	modem.answer = () => "drop"; // network loss: no response ever comes
	let reply = await run(uplink.sendLocation(eventId, got.ok ? got.fix : undefined));
	assert.not.ok(reply.ok);
	modem.answer = () => ({ status: 200, body: { state: "open", interval: 30 } });
	got = await run(uplink.acquire());
	reply = await run(uplink.sendLocation(eventId, got.ok ? got.fix : undefined));
	assert.ok(reply.ok);
	const last = modem.requests.at(-1)!.body as { points: Array<{ s: number; la: number }> };
	assert.equal(last.points.map((p) => p.la), [471000000, 472000000]);
	assert.equal(last.points.map((p) => p.s), [1, 2]);
});

Up("a forged 'closed' (bad MAC) is rejected as a transport failure, never acted on", async () => {
	const { modem, uplink, run, log } = setup();
	await run(uplink.wake());
	await run(uplink.openEvent(eventId, false));
	modem.answer = () => "tamper";
	const reply = await run(uplink.sendLocation(eventId, undefined));
	assert.equal(reply.ok, false);
	assert.ok(!reply.ok && reply.retryable);
	assert.ok(log.some((l) => l.includes("rejected (mac)")), log.join("\n"));
});

Up("an authenticated revocation and an authenticated close reach the state machine", async () => {
	const { modem, uplink, run } = setup();
	await run(uplink.wake());
	modem.answer = () => ({ status: 403, body: { state: "revoked" } });
	assert.equal(await run(uplink.openEvent(eventId, false)), { ok: true, state: "revoked" });
	modem.answer = () => ({ status: 200, body: { state: "closed", event: eventId } });
	assert.equal(await run(uplink.openEvent(eventId, false)), { ok: true, state: "closed" });
});

Up("an authenticated suspension (seed 004) reaches the state machine as suspended, not revoked; an unsigned one does not", async () => {
	const { modem, uplink, run } = setup();
	await run(uplink.wake());
	modem.answer = () => ({ status: 403, body: { state: "suspended" } });
	assert.equal(await run(uplink.openEvent(eventId, false)), { ok: true, state: "suspended" });
	modem.answer = () => "tamper";
	const forged = await run(uplink.openEvent(eventId, false));
	assert.equal(forged.ok, false);
});

Up("a signed nonce refusal moves the counter past the platform's highest nonce", async () => {
	const { modem, uplink, run, store } = setup();
	await run(uplink.wake());
	modem.answer = () => ({ status: 409, body: { state: "error", error: "nonce", nonce: 5000 } });
	const reply = await run(uplink.openEvent(eventId, false));
	assert.ok(!reply.ok && reply.retryable);
	modem.answer = () => ({ status: 200, body: { state: "open", interval: 30 } });
	await run(uplink.openEvent(eventId, false));
	const nonce = Number(/nonce="(\d+)"/.exec(modem.requests.at(-1)!.headers.find(([n]) => n === "Signature-Input")![1])![1]);
	assert.ok(nonce > 5000, String(nonce));
	assert.ok(Math.max(Number(store.get("nonce_mark") ?? 0), Number(store.get("nonce_mark2") ?? 0)) > 5000);
});

Up("registration failure is reported with its reason; power-down turns the modem off", async () => {
	const { modem, uplink, run } = setup();
	modem.attachFails = 1;
	const r = await run(uplink.wake());
	assert.equal(r, { ok: false, reason: "attach: noService" });
	await run(uplink.powerDown());
	assert.is(modem.state, "off");
});

Up("after a deep-sleep wake only the first power-on skips the probe; later ones ask the modem first", async () => {
	const { modem, uplink, run } = setup({ modemKnownOff: true });
	await run(uplink.wake());
	await run(uplink.powerDown());
	await run(uplink.wake());
	assert.equal(modem.powerOnOptions, [{ knownOff: true }, { knownOff: false }]);
	const plain = setup();
	await plain.run(plain.uplink.wake());
	assert.equal(plain.modem.powerOnOptions, [{ knownOff: false }]);
});

Up("a power-down during the quiet power-on (a false start) abandons it first; other power-downs do not", async () => {
	const { modem, uplink, run } = setup({ modemKnownOff: true });
	const prepared = uplink.prepare();
	const down = uplink.powerDown();
	assert.equal(modem.calls, ["powerOn", "abandonPowerOn"], "abandoned at once, before waiting for the power-on");
	await run(Promise.all([prepared, down]));
	assert.equal(modem.calls, ["powerOn", "abandonPowerOn", "powerDown"]);
	assert.is(modem.state, "off");
	await run(uplink.wake());
	await run(uplink.powerDown());
	assert.is(modem.calls.filter((c) => c === "abandonPowerOn").length, 1, "a power-down after a completed power-on abandons nothing");
});

Up("the gesture completing while a false start waits for the quiet power-on keeps the modem: no power-down, no second boot", async () => {
	const { modem, uplink, run } = setup({ modemKnownOff: true });
	const prepared = uplink.prepare();
	let downSettled = false;
	const down = uplink.powerDown().then(() => { downSettled = true; }); // the first attempt was a false start
	const woken = uplink.wake(); // one press later the next attempt completes, before the modem has booted
	await run(prepared);
	assert.equal(await run(woken), { ok: true });
	assert.equal(modem.calls.slice(0, 4), ["powerOn", "abandonPowerOn", "configure", "uploadCa"], JSON.stringify(modem.calls));
	assert.not.ok(modem.calls.includes("powerDown"));
	assert.is(modem.calls.filter((c) => c === "powerOn").length, 1, "booted once");
	// The false start's request does not report the radios off while the event uses them: it settles with the
	// event's own power-down.
	assert.not.ok(downSettled, "still pending during the event");
	await run(uplink.powerDown());
	await run(down);
	assert.ok(downSettled);
	assert.is(modem.state, "off");
});

Up("a power-down asked for during the event while a false start's still waits for the quiet power-on is a real one", async () => {
	const { modem, uplink, run, clock } = setup({ modemKnownOff: true });
	const prepared = uplink.prepare();
	void uplink.powerDown(); // false start
	void uplink.wake(); // the gesture completes
	await clock.advanceAsync(1000);
	const closing = uplink.powerDown(); // a 5 s hold closes the event before the modem has even booted
	await run(Promise.all([prepared, closing]));
	assert.is(modem.state, "off", JSON.stringify(modem.calls));
	assert.ok(modem.calls.includes("powerDown"));
});

Up("a TLS open that finds the data context gone re-activates it and opens again in the same attempt", async () => {
	const { modem, uplink, run, log } = setup();
	modem.openFailsContextGone = 1;
	assert.equal(await run(uplink.wake()), { ok: true });
	assert.equal(modem.calls, ["powerOn", "configure", "uploadCa", "attach", "open", "attach", "open"]);
	assert.ok(log.some((l) => l.includes("re-activating")));
	const failed = setup();
	failed.modem.openFailsContextGone = 2;
	const r = await failed.run(failed.uplink.wake());
	assert.equal(r, { ok: false, reason: "TLS open: error at AT+QSSLOPEN (CME 3)" }, "once only: the attempt's retry takes over");
});

Up("points unsent at a reset are kept in the store and delivered first once the resumed event reopens", async () => {
	const first = setup({ keep: true });
	await first.run(first.uplink.wake());
	await first.run(first.uplink.openEvent(eventId, false));
	first.modem.fixes = [fix(47.1)];
	const got = await first.run(first.uplink.acquire());
	first.modem.answer = () => "drop";
	assert.not.ok((await first.run(first.uplink.sendLocation(eventId, got.ok ? got.fix : undefined))).ok);
	assert.match(backlog(first.store) ?? "", /"points":\[\{/);
	// Brownout: RAM gone, NVS kept. The new boot resumes the same event.
	const second = setup({ keep: true, store: first.store });
	await second.run(second.uplink.wake());
	await second.run(second.uplink.openEvent(eventId, true));
	second.modem.fixes = [fix(47.2)];
	const again = await second.run(second.uplink.acquire());
	assert.ok((await second.run(second.uplink.sendLocation(eventId, again.ok ? again.fix : undefined))).ok);
	const body = second.modem.requests.at(-1)!.body as { points: Array<{ s: number; la: number }> };
	assert.equal(body.points.map((p) => p.la), [471000000, 472000000]);
	assert.ok(body.points[0].s < body.points[1].s);
	assert.is(backlog(second.store), "", "forgotten once acknowledged");
});

Up("a healthy event writes nothing for store-and-forward; a backlog of another event is dropped", async () => {
	const { modem, uplink, run, store } = setup({ keep: true });
	new DurableRecord(store, "ev_backlog_a", "ev_backlog_b").write(JSON.stringify({ event: "00000000000000000000000000000000", points: [] }));
	await run(uplink.wake());
	await run(uplink.openEvent(eventId, true));
	assert.is(backlog(store), "", "another event's backlog is dropped");
	const writes = store.writes;
	modem.fixes = [fix(47.3)];
	const got = await run(uplink.acquire());
	assert.ok((await run(uplink.sendLocation(eventId, got.ok ? got.fix : undefined))).ok);
	assert.is(backlog(store), "");
	assert.is(store.writes, writes, "a delivered point writes nothing");
});

const Tally = suite("Uplink: every captured point delivered or counted as dropped");

/** The `s` of each batch's points, in request order, and whether a close followed. */
function batches(modem: FakeModem): string[] {
	return modem.requests.slice(1).map((r) => r.path.endsWith("/close") ? "close" : (r.body as { points: Array<{ s: number }> }).points.map((p) => p.s).join(","));
}

/** Takes `n` fixes, each handed to sendLocation as the state machine does. */
async function streamFixes(u: ReturnType<typeof setup>, n: number): Promise<void> {
	u.modem.fixes = Array.from({ length: n + 1 }, (_, i) => fix(47 + i / 10));
	for (let i = 0; i < n; i++) {
		const got = await u.run(u.uplink.acquire());
		assert.ok(got.ok);
		await u.run(u.uplink.sendLocation(eventId, got.ok ? got.fix : undefined));
	}
}

Tally("points queued for a batch go out before the device's own close request", async () => {
	const u = setup({ pointsPerSend: 4 });
	await u.run(u.uplink.wake());
	await u.run(u.uplink.openEvent(eventId, false));
	await streamFixes(u, 3);
	assert.equal(batches(u.modem), ["1"], "the first fix alone, the next two queued for a batch of four");
	await u.run(u.uplink.closeEvent(eventId, "device"));
	assert.equal(batches(u.modem), ["1", "2,3", "close"]);
	assert.equal(u.uplink.points, { captured: 3, restored: 0, delivered: 3, dropped: 0 });
});

Tally("points that cannot be delivered before the close are counted as dropped, and said so", async () => {
	const u = setup({ pointsPerSend: 4 });
	await u.run(u.uplink.wake());
	await u.run(u.uplink.openEvent(eventId, false));
	await streamFixes(u, 3);
	u.modem.answer = () => "drop";
	const reply = await u.run(u.uplink.closeEvent(eventId, "device"));
	assert.not.ok(reply.ok);
	assert.equal(batches(u.modem), ["1", "2,3", "2,3", "2,3", "close"], "the batch goes three times (its answer may be what was lost), then the close");
	assert.equal(u.uplink.points, { captured: 3, restored: 0, delivered: 1, dropped: 0 }, "still owed: the state machine sends the close again");
	u.uplink.eventEnded(eventId); // the state machine gave up on the close
	assert.equal(u.uplink.points, { captured: 3, restored: 0, delivered: 1, dropped: 2 });
	assert.ok(u.log.some((l) => l.includes("event ended with 2 point(s) unsent: dropped")), u.log.join("\n"));
});

Tally("a fix the state machine no longer wanted is counted as dropped when the event ends on the device", async () => {
	const u = setup();
	await u.run(u.uplink.wake());
	await u.run(u.uplink.openEvent(eventId, false));
	u.modem.fixes = [fix(47.1)];
	assert.ok((await u.run(u.uplink.acquire())).ok);
	u.uplink.eventEnded("another-event");
	assert.equal(u.uplink.points, { captured: 1, restored: 0, delivered: 0, dropped: 0 }, "not this event: nothing changes");
	u.uplink.eventEnded(eventId);
	assert.equal(u.uplink.points, { captured: 1, restored: 0, delivered: 0, dropped: 1 });
});

Tally("past pointCapacity unsent points the second oldest is dropped and counted, never sent later", async () => {
	const u = setup({ pointsPerSend: 4, pointCapacity: 2 });
	await u.run(u.uplink.wake());
	await u.run(u.uplink.openEvent(eventId, false));
	await streamFixes(u, 4);
	assert.equal(u.uplink.points, { captured: 4, restored: 0, delivered: 1, dropped: 1 });
	await u.run(u.uplink.closeEvent(eventId, "device"));
	assert.equal(batches(u.modem), ["1", "2,4", "close"]);
	assert.equal(u.uplink.points, { captured: 4, restored: 0, delivered: 3, dropped: 1 });
});

Tally("a batch whose answer was lost before the close goes again; the platform's copy and the device's count agree", async () => {
	const u = setup({ pointsPerSend: 4 });
	await u.run(u.uplink.wake());
	await u.run(u.uplink.openEvent(eventId, false));
	await streamFixes(u, 3);
	let lost = 1;
	u.modem.answer = (r) => (r.path.endsWith("/locations") && lost-- > 0 ? "drop" : { status: 200, body: { state: r.path.endsWith("/close") ? "closed" : "open", interval: 30 } });
	assert.equal(await u.run(u.uplink.closeEvent(eventId, "device")), { ok: true, state: "closed" });
	assert.equal(batches(u.modem), ["1", "2,3", "2,3", "close"]);
	assert.equal(u.uplink.points, { captured: 3, restored: 0, delivered: 3, dropped: 0 });
});

Tally("points whose every answer was lost are settled by the close's ack (protocol §5), not counted as dropped", async () => {
	const u = setup({ pointsPerSend: 4 });
	await u.run(u.uplink.wake());
	await u.run(u.uplink.openEvent(eventId, false));
	await streamFixes(u, 3);
	u.modem.answer = (r) => (r.path.endsWith("/locations") ? "drop" : { status: 200, body: { state: "closed", ack: 3 } });
	assert.equal(await u.run(u.uplink.closeEvent(eventId, "device")), { ok: true, state: "closed" });
	assert.equal(u.uplink.points, { captured: 3, restored: 0, delivered: 3, dropped: 0 });
});

Tally("a point resent after a lost response is counted delivered once", async () => {
	const u = setup();
	await u.run(u.uplink.wake());
	await u.run(u.uplink.openEvent(eventId, false));
	u.modem.fixes = [fix(47.1), fix(47.2), fix(47.3)];
	let got = await u.run(u.uplink.acquire());
	u.modem.answer = () => "drop"; // the platform stores it, the answer never comes back
	await u.run(u.uplink.sendLocation(eventId, got.ok ? got.fix : undefined));
	u.modem.answer = () => ({ status: 200, body: { state: "open", interval: 30 } });
	got = await u.run(u.uplink.acquire());
	await u.run(u.uplink.sendLocation(eventId, got.ok ? got.fix : undefined));
	assert.equal(batches(u.modem), ["1", "1,2"]);
	assert.equal(u.uplink.points, { captured: 2, restored: 0, delivered: 2, dropped: 0 });
});

Up.run();
Tally.run();
