/**
 * A long dormant soak with random presses that never make the gesture: every false start boots the modem with its
 * RF off (the first deliberate press powers it) and powers it down again. Nothing reaches the wire, the radio is
 * never on, no event opens, and the device ends asleep with the modem off. Simulated time (tools/sim/world).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import World from "../../../tools/sim/world";
import { seededRandom } from "../../../tools/sim/modem/core";

const Soak = suite("world: false starts during a long dormancy");

/** The emulator's mulberry32, so the soak is the same on every run. */
const prng = seededRandom;

type Episode = { kind: string; presses?: Array<[number, number]>; edges?: Array<[number, boolean]> };

/** Non-activating press patterns, by the rules in drivers/button/pressRecognizer (README "The activation gesture"). */
function episode(rand: () => number): Episode {
	const between = (lo: number, hi: number) => Math.round(lo + rand() * (hi - lo));
	switch (Math.floor(rand() * 6)) {
		case 0: return { kind: "single", presses: [[0, between(60, 900)]] };
		case 1: {
			const a = between(60, 600), gap = between(100, 900);
			return { kind: "double", presses: [[0, a], [a + gap, a + gap + between(60, 600)]] };
		}
		case 2: {
			// pocket chatter: contacts of 3-35 ms, none long enough to be a press
			const edges: Array<[number, boolean]> = [];
			let t = 0;
			for (let n = between(3, 12); n > 0; n--) {
				edges.push([t, true], [t + between(3, 35), false]);
				t += between(60, 400);
			}
			return { kind: "chatter", edges };
		}
		case 3: return { kind: "hold", presses: [[0, between(1500, 4500)]] };
		case 4: {
			// three presses, each gap beyond the 1 s limit
			const g = between(1100, 1800);
			return { kind: "slow", presses: [[0, 150], [150 + g, 300 + g], [300 + 2 * g, 450 + 2 * g]] };
		}
		default: {
			// a double press, then a hold: never three deliberate presses
			return { kind: "double+hold", presses: [[0, 120], [300, 420], [700, 2500]] };
		}
	}
}

const soaks = [
	{ name: "SIM7080G", episodes: 60, seed: 0x5eed, options: { dialect: "sim7080" } },
	// A BG95 that refuses every command but AT until APP RDY (Zephyr PR 57110): its AT+CFUN=4 is refused, so a false
	// start must switch it off (PWRKEY) instead of waiting ~3 s in full functionality with its SIM ready.
	{ name: "BG95 refusing commands before APP RDY", episodes: 30, seed: 0xb695, options: { dialect: "bg95", modem: { refuseBeforeReady: true } } },
] as const;

for (const soak of soaks) Soak(`${soak.name}: ${soak.episodes} random non-activating press patterns over a long simulated dormancy: 0 bytes, 0 radio-on seconds, no event`, async () => {
	const world = await World.create({ time: "manual", profile: "good", platformDb: ":memory:", ...soak.options });
	const rand = prng(soak.seed);
	const kinds = new Map<string, number>();
	try {
		await world.run(5_000);
		assert.ok(world.asleep);
		for (let i = 0; i < soak.episodes; i++) {
			const e = episode(rand);
			kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
			if (e.presses) world.press(e.presses);
			for (const [at, pressed] of e.edges ?? []) world.edge(pressed, at);
			// back to sleep, then a random quiet stretch (1 to 91 minutes)
			assert.ok(await world.runUntil(() => world.asleep, 120_000, 500), `episode ${i} (${e.kind}): still awake in ${world.state}`);
			await world.run(Math.round(60_000 + rand() * 5_400_000));
		}
		const m = world.metrics;
		assert.is(world.events().length, 0, "no event opened");
		assert.not.ok(m.transitions.some((t) => t.event === "triplePress"), "never recognised");
		assert.is(m.wireSent + m.wireReceived, 0, "nothing on the wire");
		assert.is(m.radioOnMs, 0, "radio never on");
		assert.is(world.emulator.power, "off");
		assert.ok(world.asleep);
		// Not vacuous: the deliberate first presses did boot the modem (RF off) and the pocket chatter did not.
		const booted = m.transitions.filter((t) => t.event === "gestureStarted").length;
		assert.ok(booted >= (kinds.get("single") ?? 0) + (kinds.get("double") ?? 0), `modem booted ${booted} times; ${JSON.stringify([...kinds])}`);
		assert.ok(m.modemOnMs > 0);
		assert.ok(kinds.size >= 5, JSON.stringify([...kinds]));
		assert.ok(world.clock.now() > soak.episodes * 0.6 * 3600_000, "a long soak");
	} finally {
		await world.close();
	}
});

Soak.run();
