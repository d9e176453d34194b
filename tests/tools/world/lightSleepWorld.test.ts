/**
 * The simulated world's ESP32 UART across automatic light sleep (WorldOptions.lightSleep, strict by default;
 * tools/sim/lightSleepUart after ESP-IDF v6.0 "Sleep Modes", UART Wakeup (Light-sleep Only)): what the whole
 * firmware loses and how it copes.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { pointCount, raiseAlert, testWorld } from "../e2e/helpers";

const S = suite("world: light sleep loses modem bytes as the ESP32 does");

S("strict by default: a whole event on the good profile loses no byte (every reply lands while the firmware holds the chip)", async () => {
	const t = await testWorld({ dialect: "sim7080" });
	const { world } = t;
	try {
		assert.ok(await raiseAlert(world), "no alert");
		assert.ok(await world.runUntil(() => pointCount(world) >= 3, 300_000), "no points");
		assert.ok(world.lightSleepChanges.some((c) => c.allowed), "the firmware let the chip light-sleep");
		world.closeEventByUser();
		assert.ok(await world.runUntil(() => world.asleep, 300_000));
		assert.is(world.metrics.uartLostBytes, 0, t.log.filter((l) => l.includes("light sleep lost")).join("\n"));
	} finally {
		await t.close();
	}
});

// A network loss between GNSS windows: the BG95's +QSSLURC "closed", +QIURC "pdpdeact" and +CEREG land while the
// chip light-sleeps. The "ideal" world receives them; the strict one loses them, and the firmware must find the
// context gone by asking (drivers/modem ModemBase.confirmData after the refused AT+QSSLOPEN). Before that fix the
// strict run delivered 1 point in 8 minutes: every later open failed with +CME ERROR: 3.
for (const lightSleep of ["ideal", "strict"] as const) {
	S(`bg95, network loss between windows, ${lightSleep} UART: the stream resumes after the loss`, async () => {
		const t = await testWorld({ dialect: "bg95", lightSleep, faults: [{ kind: "networkLoss", atMs: 40_000, durationMs: 150_000 }], sos: { maxEventMs: 600_000 } });
		const { world } = t;
		try {
			await world.run(3000);
			world.press();
			assert.ok(await world.runUntil(() => world.events().length > 0, 300_000), "no alert");
			assert.ok(await world.runUntil(() => world.clock.now() > 200_000, 300_000));
			const before = pointCount(world);
			// The schedule queues fixes and sends them several to a request (modules/uplink.ts: "queued for the next
			// location request"; here a fix every 30 s, a request every fourth): two more points can take two requests.
			assert.ok(await world.runUntil(() => pointCount(world) >= before + 2, 300_000), `no point after the loss (${pointCount(world)})`);
			const lost = t.log.filter((l) => l.includes("light sleep lost")).join("\n");
			if (lightSleep === "ideal") assert.is(world.metrics.uartLostBytes, 0);
			else assert.ok(lost.includes("pdpdeact"), `the context's URC was not lost:\n${lost}`);
			world.closeEventByUser();
			assert.ok(await world.runUntil(() => world.asleep, 300_000));
		} finally {
			await t.close();
		}
	});
}

S.run();
