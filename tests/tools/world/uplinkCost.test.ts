/**
 * What an event costs on the wire, end to end in the host simulator: several points per location request, verified
 * by the platform, and TLS session resumption on the BG95 from the second send window on.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import World from "../../../tools/sim/world";

const C = suite("world: bytes per location point");

async function streamingEvent(dialect: "sim7080" | "bg95") {
	const lines: string[] = [];
	const world = await World.create({ time: "manual", dialect, profile: "good", transcript: (l: string) => lines.push(l) });
	const paths: string[] = [];
	world.platform.server.on("request", (req: { url?: string }) => paths.push(String(req.url ?? "")));
	await world.run(5_000);
	world.press();
	assert.ok(await world.runUntil(() => world.state === "active.streaming", 120_000), world.state);
	await world.run(6 * 60_000);
	return { world, lines, paths };
}

C("bg95: location requests carry several points each, the platform verifies and stores them all, and later windows resume the TLS session", async () => {
	const { world, lines, paths } = await streamingEvent("bg95");
	try {
		const requests = paths.filter((p) => /\/locations$/.test(p)).length;
		const [event] = world.events();
		const points = world.platform.platform.store.pointCount(Number(event!.id));
		assert.ok(requests >= 2, `${requests} location requests`);
		assert.ok(points >= 2 * requests, `${points} points in ${requests} requests`); // first alone, then four at a time
		assert.is(world.platform.platform.store.points(Number(event!.id)).map((p) => p.s).join(","), Array.from({ length: points }, (_, i) => i + 1).join(","));
		assert.ok(lines.some((l) => l.includes('AT+QSSLCFG="session_cache",1,1')), "the driver enables the session cache");
		const { tlsHandshakes, tlsResumed } = world.emulator.stats;
		assert.ok(tlsHandshakes >= 3, `${tlsHandshakes} handshakes`);
		assert.is(tlsResumed, tlsHandshakes - 1, "every handshake after the first resumed");
	} finally {
		await world.close();
	}
});

C("sim7080: no session resumption (none in its AT manual): every window is a full handshake", async () => {
	const { world } = await streamingEvent("sim7080");
	try {
		const { tlsHandshakes, tlsResumed } = world.emulator.stats;
		assert.ok(tlsHandshakes >= 3);
		assert.is(tlsResumed, 0);
	} finally {
		await world.close();
	}
});

C.run();
