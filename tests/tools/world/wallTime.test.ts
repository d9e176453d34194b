/**
 * Issue 9.4, whole device in simulated time (tools/sim/world): the network's clock, as the emulated modem announces
 * it (*PSUTTZ, AT+CCLK?), is off the platform's by minutes, days or years, ahead or behind. The alert must still be
 * accepted one request round trip later than with a right clock (no back-off), location points must reach the
 * platform, and the platform must refuse `created` exactly once (the alert's first attempt).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import World from "../../../tools/sim/world";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const YEAR = 365 * DAY;

const W = suite("world: a wrong network clock cannot block the alert");

const cases: Array<[string, number]> = [
	["right", 0],
	["20 minutes ahead", 20 * MINUTE],
	["3 days behind", -3 * DAY],
	["5 years ahead", 5 * YEAR],
	["5 years behind", -5 * YEAR],
];

let baselineMs: number | undefined;
for (const [name, offset] of cases) {
	W(`network clock ${name}: alert accepted without a back-off, points delivered, created refused ${offset === 0 ? "never" : "once"}`, async () => {
		const world = await World.create({ networkClockOffsetMs: offset, platformDb: ":memory:", dialect: offset > 0 ? "sim7080" : "bg95" });
		try {
			await world.run(3000);
			world.press();
			const pressedAt = world.clock.now();
			assert.ok(await world.runUntil(() => world.events().length > 0, 120_000, 250), `no alert: ${world.state}`);
			const latency = world.clock.now() - pressedAt;
			// One more request round trip than with a right clock, not a retry after the state machine's back-off.
			if (offset === 0) baselineMs = latency;
			else assert.ok(latency <= baselineMs! + 2500, `alert after ${latency} ms, ${baselineMs} ms with a right clock`);
			const [event] = world.events();
			assert.ok(await world.runUntil(() => world.platform.platform.store.pointCount(event!.id) >= 2, 180_000), "points delivered");
			const refusals = world.platform.platform.store.refusals().filter((r) => r.code === "created");
			assert.is(refusals.length, offset === 0 ? 0 : 1, `created refused ${refusals.length} times (the first alert only)`);
		} finally {
			await world.close();
		}
	});
}

W.run();
