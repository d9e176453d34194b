/**
 * Issue 9.4: network time is untrusted and cannot block the alert. The network's clock (NITZ through the modem) is
 * off the platform's by minutes, days or years, in both directions; the platform refuses a request whose `created`
 * is more than 300 s from its time (docs/protocol.md §4 step 5), with a 422 that is signed (carrying its time) or
 * unsigned. The alert must still be accepted, and the requests after it must carry a `created` the platform accepts
 * (or none).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Fix } from "drivers/gnss/fix";
import RadioSchedule from "modules/radioSchedule";
import { encodeAscii } from "modules/protocol/bytes";
import Uplink from "modules/uplink";
import FakeModem from "./fakeModem";
import { signingRig } from "./signingRig";

const deviceId = "5f0c3a9e1b7d4c2a8e6f1032547698ab";
const eventId = "9d2e41f07ab35c6680e1d4f2a7c9b053";
const key = new Uint8Array(32).map((_, i) => i);
const SKEW_S = 300; // docs/protocol.md §4 step 5
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const YEAR = 365 * DAY;

function setup(networkOffsetMs: number, refusal: "signed" | "unsigned") {
	const { clock, keystore, counter, wallClock, signer } = signingRig(deviceId, key);
	const modem = new FakeModem({ clock, key, deviceId, realTime: true });
	modem.networkOffsetMs = networkOffsetMs;
	modem.createdSkewS = SKEW_S;
	modem.createdRefusal = refusal;
	const log: string[] = [];
	const uplink = new Uplink({
		modem, clock, keystore, signer, counter, wallClock, schedule: new RadioSchedule(),
		platform: { host: "platform.example", port: 443, apn: "iot.example", caPem: encodeAscii("-----BEGIN CERTIFICATE-----\n") },
		log: (l) => log.push(l),
	});
	async function run<T>(work: Promise<T>, limitMs = 600_000): Promise<T> {
		let done = false;
		let value: T | undefined;
		void work.then((v) => { done = true; value = v; });
		for (let t = 0; t < limitMs && !done; t += 250) await clock.advanceAsync(250);
		if (!done) throw new Error("port call did not complete");
		return value as T;
	}
	return { clock, modem, uplink, wallClock, log, run };
}

const fixAt = (ms: number): Fix => ({ time: ms, lat: 47.3769, lon: 8.54, accuracy: 6, satellites: 8, quality: "3d", source: "gnss", altitude: 410 });

const T = suite("Uplink: a wrong network clock cannot block the alert");

const offsets: Array<[string, number]> = [
	["10 minutes ahead", 10 * MINUTE], ["10 minutes behind", -10 * MINUTE],
	["3 days ahead", 3 * DAY], ["3 days behind", -3 * DAY],
	["5 years ahead", 5 * YEAR], ["5 years behind", -5 * YEAR],
];

for (const refusal of ["unsigned", "signed"] as const) {
	for (const [name, offset] of offsets) {
		T(`network clock ${name}, ${refusal} 'created' refusal: the alert goes through at once, later requests are accepted`, async () => {
			const { modem, uplink, run, log } = setup(offset, refusal);
			assert.equal(await run(uplink.wake()), { ok: true });
			const reply = await run(uplink.openEvent(eventId, false));
			assert.equal(reply, { ok: true, state: "open", intervalMs: 30_000 });
			// The first alert carried the network's wrong time and was refused; the second went out at once.
			assert.is(modem.requests.length, 2, `requests: ${modem.requests.length}`);
			assert.ok(Math.abs(modem.created[0]! - (modem.arrivedAt[0]! + offset / 1000)) <= 2, `first created ${modem.created[0]} from the network clock`);
			if (refusal === "unsigned") assert.is(modem.created[1], undefined, "retry without created");
			else assert.ok(Math.abs(modem.created[1]! - modem.arrivedAt[1]!) <= 2, "retry with the platform's time from the signed refusal");
			assert.ok(log.some((l) => l.startsWith(`uplink: created refused (${refusal})`)), log.join("\n"));
			// Every later request carries the platform's time (learned from the accepted response) and is accepted.
			for (let i = 0; i < 3; i++) {
				modem.fixes = [fixAt(Date.now())];
				const got = await run(uplink.acquire());
				assert.ok(got.ok);
				const sent = await run(uplink.sendLocation(eventId, got.ok ? got.fix : undefined));
				assert.ok(sent.ok, JSON.stringify(sent));
			}
			assert.is(modem.requests.length, 5, "no refused request after the alert");
			modem.created.slice(2).forEach((c, i) => assert.ok(c !== undefined && Math.abs(c - modem.arrivedAt[i + 2]!) <= 2, `created ${c} vs ${modem.arrivedAt[i + 2]}`));
			// A later NITZ update from the same network is not taken again.
			modem.onEvent?.({ type: "time", time: { utc: (modem.platformNow * 1000) + offset, offsetMinutes: 0 } });
			const sent = await run(uplink.sendLocation(eventId, undefined));
			assert.ok(sent.ok, JSON.stringify(sent));
			assert.ok(Math.abs(modem.created.at(-1)! - modem.arrivedAt.at(-1)!) <= 2, "network time ignored after the refusal");
		});
	}
}

T("a network clock within the platform's window is used as is: no refusal, no retry", async () => {
	const { modem, uplink, run, log } = setup(4 * MINUTE, "unsigned");
	await run(uplink.wake());
	assert.equal(await run(uplink.openEvent(eventId, false)), { ok: true, state: "open", intervalMs: 30_000 });
	assert.is(modem.requests.length, 1);
	assert.ok(modem.created[0] !== undefined);
	assert.not.ok(log.some((l) => l.includes("created refused")));
});

T("a network clock before 2020 (an unset modem RTC) is never used: the alert carries no created", async () => {
	const { modem, uplink, run } = setup(-40 * YEAR, "unsigned");
	await run(uplink.wake());
	assert.equal(await run(uplink.openEvent(eventId, false)), { ok: true, state: "open", intervalMs: 30_000 });
	assert.is(modem.requests.length, 1);
	assert.is(modem.created[0], undefined);
});

T("a platform that keeps refusing created: one immediate retry, then requests go without created", async () => {
	const { modem, uplink, run, wallClock } = setup(3 * DAY, "signed");
	await run(uplink.wake());
	// The platform's clock is itself far off what it signs (a broken platform): its time is refused too.
	modem.createdSkewS = -1;
	const reply = await run(uplink.openEvent(eventId, false));
	assert.not.ok(reply.ok);
	assert.ok(!reply.ok && reply.retryable, "the state machine retries later");
	assert.is(modem.requests.length, 2, "exactly one immediate retry");
	assert.is(wallClock.now(), undefined, "wall time dropped after the second refusal");
	modem.createdSkewS = SKEW_S;
	const again = await run(uplink.openEvent(eventId, false));
	assert.ok(again.ok);
	assert.is(modem.created[2], undefined, "the next alert carries no created");
});

T.run();
