/**
 * The bench's World runs (tools/sim/world.ts, simulated time): one emergency event per modem dialect and latency
 * profile, and a 30-day dormant soak. Everything is read from the run: SOS transitions, the platform's stored event
 * (stage timestamps), the emulator's AT transcript with its byte counters, and the time spent in each power state.
 *
 * Power states are sampled by wrapping the World's manual clock: World.run advances it deadline to deadline, so
 * nothing changes inside one advance except the radio's busy deadline (handled in energy.accumulate).
 */
import World, { deliberateTriple } from "../sim/world";
import { accumulate, lightSleepWakes, withWakes, type StateDurations } from "./energy";
import { exchanges, firmwareShare, parseTranscriptLine, splitStages, type Entry, type Exchange, type FirmwareShare, type StageSplit, type StoredStages } from "./stages";

export type Dialect = "sim7080" | "bg95";

export interface EventRunOptions {
	readonly dialect: Dialect;
	readonly profile: string;
	/** Simulated streaming time after the alert is acknowledged, before the user closes the event. */
	readonly streamMs: number;
}

export interface EventRun {
	dialect: Dialect;
	profile: string;
	stages: StageSplit;
	storedStages: StoredStages;
	firmware: FirmwareShare;
	/** First press (wake) to the firmware instance booting: overlapped with the rest of the press sequence. */
	wakeMs: number;
	/** Simulated clock time the platform stored the event as opened, relative to the third press. */
	platformAcceptedMs: number;
	exchanges: Exchange[];
	locationsDelivered: number;
	/** Location points the platform stored for the event (several per request when batched). */
	pointsStored: number;
	/** TLS handshakes over the event, and how many of them resumed a session (abbreviated handshake). */
	tlsHandshakes: number;
	tlsResumed: number;
	/** Power-state durations from the first press to the device asleep again. */
	durationsMs: StateDurations;
	/** Wakes out of light sleep over the event (energy.lightSleepWakes); already billed in durationsMs. */
	lightSleepWakes: number;
	/** TCP wire bytes the modem sent over the event. */
	wireSent: number;
	wireReceived: number;
	/** First press to deep sleep again, ms. */
	eventMs: number;
	endedAsleep: boolean;
}

const wallStart = Date.UTC(2026, 10, 22, 8, 0, 0);
/** The World's deep-sleep wake to firmware start (its default; the bench passes it explicitly). */
const bootLatencyMs = 200;

function sampler(world: World, acc: StateDurations, active: () => boolean): void {
	const manual = world.manual;
	if (!manual) throw new Error("bench needs simulated time");
	const advanceTo = manual.advanceTo.bind(manual);
	manual.advanceTo = (target: number) => {
		const now = manual.now();
		if (active()) {
			accumulate(acc, {
				asleep: world.asleep,
				mcuMayLightSleep: world.mcuMayLightSleep,
				modemPower: world.emulator.power,
				gnssOn: world.emulator.gnssOn,
				radioBusyUntil: world.emulator.radioBusyUntil,
			}, now, target - now);
		}
		return advanceTo(target);
	};
}

export async function eventRun(o: EventRunOptions): Promise<EventRun> {
	const entries: Entry[] = [];
	let world: World | undefined;
	const transcript = (line: string) => {
		const p = parseTranscriptLine(line);
		if (!p || !world) return;
		const s = world.emulator.stats;
		entries.push({ ...p, wireSent: s.wireSent, wireReceived: s.wireReceived, payloadSent: s.payloadSent, payloadReceived: s.payloadReceived });
	};
	world = await World.create({ time: "manual", dialect: o.dialect, profile: o.profile, bootLatencyMs, transcript });
	const durations: StateDurations = {};
	let measuring = false;
	sampler(world, durations, () => measuring);
	const requests: Array<{ t: number; path: string; used?: boolean }> = [];
	world.platform.server.on("request", (req: { url?: string }) => requests.push({ t: world!.clock.now(), path: String(req.url ?? "").split("?")[0]! }));
	try {
		await world.run(5_000);
		if (!world.asleep) throw new Error("device did not go to sleep after power-on");
		const pressAt = world.clock.now();
		const thirdPressAt = pressAt + deliberateTriple[2]![0];
		const wireStart = world.emulator.stats;
		measuring = true;
		world.press();
		const transitions = world.metrics.transitions;
		const find = (event: string) => transitions.find((t) => t.at >= pressAt && t.event === event);
		const acked = await world.runUntil(() => find("alertAcknowledged") !== undefined, 15 * 60_000, 250);
		if (!acked) throw new Error(`${o.dialect}/${o.profile}: no acknowledged alert within 15 simulated minutes`);
		const trigger = find("triplePress")!;
		const ack = find("alertAcknowledged")!;
		const event = world.events()[0];
		if (!event) throw new Error("platform stored no event");
		const storedStages = JSON.parse(String(event.stages ?? "{}")) as StoredStages;
		const request = entries.find((e) => e.t >= trigger.at && e.dir === "->" && /^<\d+ bytes "POST \/v1\/events /.test(e.text));
		if (!request) throw new Error("no open-event request in the transcript");
		const stages = splitStages({ thirdPressAt, triggerAt: trigger.at, stages: storedStages, requestAt: request.t, ackAt: ack.at });
		const firmware = firmwareShare(entries, trigger.at, ack.at, thirdPressAt);

		await world.run(o.streamMs);
		world.closeEventByUser();
		const asleep = await world.runUntil(() => world!.asleep, 15 * 60_000, 1_000);
		measuring = false;
		const end = world.emulator.stats;
		const wakes = lightSleepWakes(world.lightSleepChanges.filter((c) => c.at >= pressAt), entries.filter((e) => e.t >= pressAt && e.dir === "<-").map((e) => e.t));
		const stored = world.events()[0];
		const pointsStored = stored ? world.platform.platform.store.pointCount(Number(stored.id)) : 0;
		return {
			dialect: o.dialect,
			profile: o.profile,
			stages,
			storedStages,
			firmware,
			wakeMs: bootLatencyMs,
			platformAcceptedMs: Number(event.opened_at) - wallStart - thirdPressAt,
			// The n-th request the platform received at or after the transcript's request line (a request that never
			// reaches the platform leaves its request line unmatched by time, not by order).
			exchanges: exchanges(entries.filter((e) => e.t >= pressAt), (t) => {
				const i = requests.findIndex((r) => r.t >= t && !r.used);
				if (i < 0) return undefined;
				requests[i]!.used = true;
				return requests[i]!.path;
			}),
			locationsDelivered: transitions.filter((t) => t.at >= pressAt && t.event === "locationDelivered").length,
			pointsStored,
			tlsHandshakes: end.tlsHandshakes - wireStart.tlsHandshakes,
			tlsResumed: end.tlsResumed - wireStart.tlsResumed,
			durationsMs: withWakes(durations, wakes),
			lightSleepWakes: wakes,
			wireSent: end.wireSent - wireStart.wireSent,
			wireReceived: end.wireReceived - wireStart.wireReceived,
			eventMs: world.clock.now() - pressAt,
			endedAsleep: asleep,
		};
	} finally {
		await world.close();
	}
}

export interface SoakRun {
	days: number;
	wakes: number;
	wireBytes: number;
	uartBytesToModem: number;
	atCommands: number;
	radioOnSeconds: number;
	dormantWireBytes: number;
	deepSleepMs: number;
	ok: boolean;
}

/** 30 days (by default) of dormancy after power-on: nothing may wake, transmit or power the radio. */
export async function soakRun(days = 30): Promise<SoakRun> {
	const world = await World.create({ time: "manual", dialect: "sim7080", profile: "good" });
	const durations: StateDurations = {};
	let measuring = false;
	sampler(world, durations, () => measuring);
	try {
		await world.run(5_000);
		const s0 = world.emulator.stats;
		const m0 = { ...world.metrics };
		measuring = true;
		await world.run(days * 24 * 3600_000);
		measuring = false;
		const s1 = world.emulator.stats;
		const m1 = world.metrics;
		const r: SoakRun = {
			days,
			wakes: m1.wakes - m0.wakes,
			wireBytes: s1.wireSent + s1.wireReceived - (s0.wireSent + s0.wireReceived),
			uartBytesToModem: s1.bytesToModem - s0.bytesToModem,
			atCommands: s1.commands - s0.commands,
			radioOnSeconds: (m1.radioOnMs - m0.radioOnMs) / 1000,
			dormantWireBytes: m1.dormantWireBytes - m0.dormantWireBytes,
			deepSleepMs: durations.deepSleep ?? 0,
			ok: false,
		};
		r.ok = r.wakes === 0 && r.wireBytes === 0 && r.uartBytesToModem === 0 && r.atCommands === 0 && r.radioOnSeconds === 0 && r.dormantWireBytes === 0;
		return r;
	} finally {
		await world.close();
	}
}

export interface FalseStartRun {
	dialect: Dialect;
	/** The press pattern: two deliberate presses, then nothing. */
	presses: ReadonlyArray<readonly [number, number]>;
	/** First press to deep sleep again, ms. */
	awakeMs: number;
	/** Power-state durations over that time. */
	durationsMs: StateDurations;
	modemOnMs: number;
	radioOnMs: number;
	wireBytes: number;
	eventsOpened: number;
}

/** A false start from dormancy: two presses boot the modem with its RF off; it is powered down again. */
export async function falseStartRun(dialect: Dialect): Promise<FalseStartRun> {
	const world = await World.create({ time: "manual", dialect, profile: "good", bootLatencyMs });
	const durations: StateDurations = {};
	let measuring = false;
	sampler(world, durations, () => measuring);
	const presses = [[0, 250], [500, 750]] as const;
	try {
		await world.run(5_000);
		if (!world.asleep) throw new Error("device did not go to sleep after power-on");
		const m0 = { ...world.metrics };
		const startAt = world.clock.now();
		measuring = true;
		world.press(presses);
		await world.run(1_000);
		const asleep = await world.runUntil(() => world.asleep, 120_000, 100);
		measuring = false;
		if (!asleep) throw new Error("device still awake after a false start");
		const m1 = world.metrics;
		return {
			dialect, presses,
			awakeMs: world.clock.now() - startAt,
			durationsMs: durations,
			modemOnMs: m1.modemOnMs - m0.modemOnMs,
			radioOnMs: m1.radioOnMs - m0.radioOnMs,
			wireBytes: m1.wireSent + m1.wireReceived - (m0.wireSent + m0.wireReceived),
			eventsOpened: world.events().length,
		};
	} finally {
		await world.close();
	}
}
