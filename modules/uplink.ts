import type { Clock, TimerHandle } from "hal/clock";
import type { Keystore } from "hal/keystore";
import type { Store } from "hal/store";
import DurableRecord from "modules/durableRecord";
import type { Fix, ServingCell } from "drivers/gnss/fix";
import type { Modem, ModemError, ModemEvent } from "drivers/modem/modem";
import type Counter from "modules/counter";
import type WallClock from "modules/wallClock";
import type RequestSigner from "modules/protocol/requestSigner";
import type { RadioScheduler } from "modules/radioSchedule";
import type { CloseReason as SosCloseReason } from "modules/sos/messages";
import type { FixResult, GnssPort, PlatformPort, PlatformReply, RadioPort, StepResult } from "modules/sos/ports";
import { routes } from "modules/protocol/constants";
import { serializeRequest } from "modules/protocol/http";
import HttpResponseParser from "modules/protocol/httpResponseParser";
import {
	capturePoint, encodeClose, encodeLocationBatch, encodeOpen, jsonDepth, maxPointsPerBatch,
	type Battery, type CloseReason, type Point, type ResponseBody, type Stage,
} from "modules/protocol/messages";

/**
 * The radio, GNSS and platform ports of the SOS runner (modules/sos/ports) over one modem: it brings the modem
 * up to a pinned TLS connection, runs GNSS windows and LTE send windows as modules/radioSchedule decides (the
 * SIM7080G and BG95/BG77 cannot run GNSS and LTE at once, so the TLS socket is closed before each GNSS window and
 * reopened for the next send), signs every request (modules/protocol) and accepts only authenticated responses.
 * Points are MAC'd at capture and kept until the platform acknowledges them (store-and-forward).
 * It reaches the modem only through the drivers/modem/modem interface.
 */
export interface UplinkOptions {
	modem: Modem;
	clock: Clock;
	keystore: Keystore;
	signer: RequestSigner;
	counter: Pick<Counter, "commit" | "skipPast">;
	wallClock: WallClock;
	schedule: RadioScheduler;
	platform: {
		/** Host name (lowercase) and port the modem connects to; `signer` signs the same authority. */
		host: string;
		port: number;
		apn: string;
		/** PEM of the platform CA the TLS session pins; uploaded into the modem once per power cycle. */
		caPem: Uint8Array;
		caName?: string;
		sni?: string;
	};
	battery?: () => Battery | undefined;
	log?: (line: string) => void;
	/** Milliseconds to wait for a whole response after the request went out. */
	responseTimeoutMs?: number;
	/** Interval between AT+CGNSINF / AT+QGPSLOC polls inside a GNSS window. */
	gnssPollMs?: number;
	/**
	 * The modem is certainly off at boot (a deep-sleep wake: the device sleeps only after powering it down), so the
	 * first power-on skips the "already on?" probe: a second less between the triple press and the alert.
	 */
	modemKnownOff?: boolean;
	/**
	 * Where points not yet acknowledged survive a reset (the firmware's NVS domain): written only when a send fails,
	 * deleted when the platform acknowledges, so a healthy event costs no flash writes for it.
	 */
	store?: Store;
	/** Network registration timeout for one wake attempt. */
	attachTimeoutMs?: number;
	/**
	 * Registration timeout when the link dropped after the alert went through (coverage lost mid-event). Shorter
	 * than `attachTimeoutMs` so GNSS windows keep their cadence while offline and the points queue up for
	 * store-and-forward: the modem keeps searching on its own meanwhile (CFUN=1 stays set), so the next attempt
	 * registers as soon as the network is back. Default 30 s.
	 */
	reattachTimeoutMs?: number;
	/**
	 * Most points kept unacknowledged in RAM (bounded memory). Past it the second oldest is dropped and counted, the
	 * rule of modules/radioSchedule's queue (`queueCapacity`, default 60): the first point says where the event began,
	 * the newest where the person is now.
	 */
	pointCapacity?: number;
}

/**
 * Where every location point of this firmware instance went (telemetry, cumulative over its events):
 * `captured` (MAC'd at a fix) + `restored` (from the store after a reset) = `delivered` (in a batch the platform
 * acknowledged; each point counted once, however often it was sent) + `dropped` + the points still pending.
 */
export interface PointTally {
	captured: number;
	restored: number;
	delivered: number;
	dropped: number;
}

type Exchange =
	| { readonly ok: true; readonly status: number; readonly body: ResponseBody }
	| { readonly ok: false; readonly reason: string; readonly retryable: boolean };

export default class Uplink implements RadioPort, GnssPort, PlatformPort {
	#o: UplinkOptions;
	#socket: number | undefined;
	#modemKnownOff: boolean;
	/** Points captured before a reset and restored from the store, sent ahead of the new ones. */
	#restored: Point[] = [];
	/** Points captured and queued by the schedule for a later location request (batching), not yet sent. */
	#deferred: Point[] = [];
	#closed = false;
	#caUploaded = false;
	#eventId: string | undefined;
	#triggerAt: number | undefined;
	#stages: Partial<Record<Stage, number>> = {};
	#seq = 0;
	#lastFix: Fix | undefined;
	#captured = new WeakMap<Fix, Point>();
	#pending: Array<() => void> = [];
	/**
	 * A data indication (or the socket's end) seen since the last read started: it may arrive in the same chunk as an
	 * empty read's final result code, before the next wait is armed, and must not be lost to the fallback timer.
	 */
	#dataSeen = false;
	#backlogRecord: DurableRecord | undefined;
	/** A quiet power-on (prepare()) in flight. */
	#preparing: Promise<StepResult> | undefined;
	#poweringDown: Promise<void> | undefined;
	#listener: ((event: ModemEvent) => void) | undefined;
	/**
	 * Bytes the modem sent and received for the platform (application payload incl. HTTP), for the benchmarks;
	 * requests sent; location batches with a serving-cell report that the platform accepted.
	 */
	readonly traffic = { sent: 0, received: 0, requests: 0, cellReports: 0 };
	readonly points: PointTally = { captured: 0, restored: 0, delivered: 0, dropped: 0 };
	/** Points of the current event not yet acknowledged by the platform, by sequence number. */
	#unacked = new Map<number, Point>();
	/** The GNSS window in progress, and the request to end it early (#stopGnssWindow). */
	#acquiring: Promise<FixResult> | undefined;
	/** The location batch in progress: a close waits for it, so the two never share the modem. */
	#sending: Promise<PlatformReply> | undefined;
	#stopGnss = false;

	constructor(options: UplinkOptions) {
		for (const name of ["modem", "clock", "keystore", "signer", "counter", "wallClock", "schedule", "platform"] as const)
			if (!options[name]) throw new RangeError(`invalid ${name}`);
		if (!(options.platform.port > 0 && options.platform.port < 65536)) throw new RangeError("invalid port");
		this.#o = options;
		this.#modemKnownOff = options.modemKnownOff === true;
		options.modem.onEvent = (event) => this.#modemEvent(event);
	}

	/** Stops acting on anything still in flight (the firmware instance is going away); writes nothing more. */
	close(): void {
		this.#closed = true;
		this.#o.modem.onEvent = undefined;
		this.#wakeWaiters();
	}

	/** Observer of modem events (the simulator's display). */
	set onModemEvent(listener: ((event: ModemEvent) => void) | undefined) {
		this.#listener = listener;
	}

	get lastFix(): Fix | undefined {
		return this.#lastFix;
	}

	// RadioPort

	/**
	 * Boots the modem with its RF off while the gesture is still being pressed (RadioPort.prepare). wake() and
	 * powerDown() wait for it, so they find the modem booted, never half-way.
	 */
	prepare(): Promise<StepResult> {
		const modem = this.#o.modem;
		if (this.#preparing) return this.#preparing;
		if (modem.state !== "off" && modem.state !== "failed") return Promise.resolve({ ok: true });
		const knownOff = this.#modemKnownOff;
		this.#modemKnownOff = false;
		// Asked when the AT port answers: a gesture recognised by then wants the RF, so the module keeps searching.
		const work = modem.powerOn({ knownOff, radioOff: () => this.#triggerAt === undefined }).then((on): StepResult => {
			this.#preparing = undefined;
			return on.ok ? { ok: true } : { ok: false, reason: `power on: ${describe(on.error)}` };
		});
		this.#preparing = work;
		return work;
	}

	async wake(): Promise<StepResult> {
		if (this.#triggerAt === undefined) {
			this.#triggerAt = this.#o.clock.now();
			this.#stages = { press: 0 };
		}
		const up = await this.#ensureLink();
		return up.ok ? { ok: true } : up;
	}

	/**
	 * Settles once the modem is off (RadioPort.powerDown: the SOS machine reads that as `radiosOff`). A false start's
	 * request that the gesture overtook (below) settles only at the next real power-down, whenever that comes.
	 */
	powerDown(): Promise<void> {
		// Asked for during an event (wake() has begun): a real power-down, never the false start's skip below.
		const inEvent = this.#triggerAt !== undefined;
		if (this.#poweringDown) {
			if (!inEvent) return this.#poweringDown;
			// The one in flight may be a false start's still waiting for the quiet power-on, and it may end by keeping
			// the modem for the gesture that completed meanwhile (a close asked for by a 5 s hold then, say): once it
			// has decided, ask again.
			if (this.#preparing) return this.#preparing.then(() => this.powerDown());
			return this.#poweringDown.then(() => (this.#o.modem.state === "off" ? undefined : this.powerDown()));
		}
		const tracked: Promise<void> = this.#powerDown(!inEvent).finally(() => {
			if (this.#poweringDown === tracked) this.#poweringDown = undefined;
		});
		this.#poweringDown = tracked;
		return tracked;
	}

	/** False starts' power-downs that the gesture overtook: settled by the next real power-down. */
	#offWaiters: Array<() => void> = [];

	/** `mayKeepForGesture`: a false start's power-down, which the gesture completing meanwhile cancels. */
	async #powerDown(mayKeepForGesture: boolean): Promise<void> {
		if (this.#preparing) {
			// A false start while the modem boots: do not let a module that refuses AT+CFUN=4 until its ready marker
			// sit in its default full functionality (it may attach meanwhile); switch it off as soon as it answers.
			this.#o.modem.abandonPowerOn();
			await this.#preparing;
			// The gesture completed while the quiet power-on settled (one press, a pause, then three presses): wake()
			// has begun, and a module that booted with its RF off is what it needs. Powering it down now would only
			// make the alert wait for a second boot.
			if (mayKeepForGesture && this.#triggerAt !== undefined && this.#o.modem.state === "booted") {
				this.#log("uplink: false start's power-down skipped: the gesture completed meanwhile");
				// No power-down is in progress any more: wake() and any later power-down go on at once. This request
				// settles ("radios off") only when the modem really is off, at the event's end: settling now would tell
				// the SOS machine the radios are off while the event uses them (or, in closing, put it to sleep).
				this.#poweringDown = undefined;
				await new Promise<void>((resolve) => this.#offWaiters.push(resolve));
				return;
			}
		}
		await this.#stopGnssWindow();
		await this.#closeSocket();
		if (this.#o.modem.state !== "off") {
			const result = await this.#o.modem.powerDown();
			this.#log(result.ok ? `uplink: modem powered down (${result.value})` : `uplink: power-down failed: ${describe(result.error)}`);
		}
		this.#caUploaded = false;
		for (const settle of this.#offWaiters.splice(0)) settle();
	}

	// GnssPort

	acquire(): Promise<FixResult> {
		const work = this.#acquire().finally(() => { if (this.#acquiring === work) this.#acquiring = undefined; });
		this.#acquiring = work;
		return work;
	}

	/**
	 * Ends a GNSS window in progress at its next poll and waits for it (GNSS off): a close or a power-down must not
	 * share the modem with it (the window's AT+CGNSPWR/QGPS commands and the attach would interleave).
	 */
	async #stopGnssWindow(): Promise<void> {
		const window = this.#acquiring;
		if (!window) return;
		this.#stopGnss = true;
		try { await window; } finally { this.#stopGnss = false; }
	}

	async #acquire(): Promise<FixResult> {
		const now = this.#o.clock.now();
		let window = this.#o.schedule.next(now);
		if (window.kind === "wait") window = this.#o.schedule.next(Math.max(now, window.until));
		const timeoutMs = window.kind === "gnss" ? window.timeoutMs : 60_000;
		const modem = this.#o.modem;
		const powered = await this.#ensurePowered();
		if (!powered.ok) {
			this.#o.schedule.onFixTimeout();
			return powered;
		}
		// LTE and GNSS share the RF path: no socket across a GNSS window.
		await this.#closeSocket();
		const on = await modem.gnssOn();
		if (!on.ok) {
			this.#o.schedule.onFixTimeout();
			return { ok: false, reason: `gnss on: ${describe(on.error)}` };
		}
		const deadline = this.#o.clock.now() + timeoutMs;
		let fix: Fix | undefined;
		let reason = "timeout";
		for (;;) {
			if (this.#stopGnss) { reason = "window stopped"; break; }
			const read = await modem.gnssRead();
			if (read.ok) {
				fix = read.value;
				break;
			}
			if (read.error.kind !== "noFix") {
				reason = describe(read.error);
				break;
			}
			const left = deadline - this.#o.clock.now();
			if (left <= 0) break;
			await this.#sleep(Math.min(left, this.#o.gnssPollMs ?? 2000));
		}
		await modem.gnssOff();
		if (!fix) {
			this.#o.schedule.onFixTimeout();
			this.#log(`uplink: no fix (${reason})`);
			return { ok: false, reason };
		}
		this.#lastFix = fix;
		if (this.#stages.fix === undefined && this.#triggerAt !== undefined) this.#stages.fix = this.#o.clock.now() - this.#triggerAt;
		if (this.#eventId) {
			const point = capturePoint(this.#o.keystore, this.#eventId, ++this.#seq, fix);
			this.#captured.set(fix, point);
			this.points.captured++;
			this.#keep(point);
		}
		this.#o.schedule.onFix(fix);
		return { ok: true, fix };
	}

	// PlatformPort

	async openEvent(eventId: string, resumed: boolean, test = false): Promise<PlatformReply> {
		if (eventId !== this.#eventId) {
			this.#eventId = eventId;
			this.#seq = resumed ? resumedSeqBase(this.#o.wallClock.now(), this.#o.clock.now()) : 0;
			this.#restored = resumed ? this.#loadBacklog(eventId) : [];
			this.points.restored += this.#restored.length;
			for (const p of this.#restored) this.#keep(p);
			if (!resumed) this.#forgetBacklog();
		}
		let cell: ServingCell | undefined;
		if (this.#o.modem.state === "attached") {
			const serving = await this.#o.modem.servingCell();
			if (serving.ok) cell = serving.value;
		}
		const battery = this.#o.battery?.();
		const body = encodeOpen({
			event: eventId, reason: test ? "test" : "button", resumed, stages: this.#stages,
			...(this.#lastFix ? { fix: this.#lastFix } : {}), ...(cell ? { cell } : {}), ...(battery ? { battery } : {}),
		});
		const result = await this.#exchange(routes.open, body);
		if (result.ok && result.body.state === "open") {
			this.#o.schedule.start(this.#o.clock.now(), this.#lastFix);
			this.#o.schedule.next(this.#o.clock.now());
			this.#o.schedule.onSent(true);
		}
		return this.#reply(result);
	}

	sendLocation(eventId: string, fix?: Fix): Promise<PlatformReply> {
		const work = this.#sendLocation(eventId, fix).finally(() => { if (this.#sending === work) this.#sending = undefined; });
		this.#sending = work;
		return work;
	}

	async #sendLocation(eventId: string, fix?: Fix): Promise<PlatformReply> {
		const now = this.#o.clock.now();
		const window = this.#o.schedule.next(now);
		// Several points per request (radioSchedule `pointsPerSend`): a fix the schedule keeps for the next location
		// window is queued there (MAC'd already), and the event goes on to the next GNSS window without the radio
		// opening a TLS session for it.
		if (fix && !(window.kind === "lte" && window.payload !== "alert")) {
			const point = this.#captured.get(fix);
			if (point) {
				// A queued point is not sent yet: like an unsent one it survives a reset (one NVS write per fix).
				this.#deferred.push(point);
				this.#saveBacklog(eventId, mergePoints(this.#restored, this.#deferred));
			}
			this.#log(`uplink: fix ${point?.s ?? "?"} queued for the next location request`);
			return this.#withInterval({ ok: true, state: "open" });
		}
		const fixes = window.kind === "lte" && window.payload !== "alert" ? window.points : fix ? [fix] : [];
		// Only points still owed: one dropped for room (pointCapacity) or already acknowledged is not sent again.
		const fresh = fixes.map((f) => this.#captured.get(f)).filter((p): p is Point => p !== undefined && this.#unacked.has(p.s));
		// Points restored after a reset go first; the protocol wants strictly increasing `s` in a batch.
		const points = mergePoints(this.#restored.filter((p) => this.#unacked.has(p.s)), fresh).slice(0, maxPointsPerBatch);
		let cell: ServingCell | undefined;
		if (!fix) {
			const up = await this.#ensureLink(true);
			if (up.ok) {
				const serving = await this.#o.modem.servingCell();
				if (serving.ok) cell = serving.value;
			}
		}
		if (points.length === 0 && !cell) {
			this.#o.schedule.onSent(false);
			return this.#withInterval({ ok: false, reason: "nothing to report", retryable: true });
		}
		const result = await this.#exchange(routes.locations(eventId), encodeLocationBatch(points, cell), true);
		const delivered = result.ok && result.body.state !== "error";
		if (delivered) this.#acknowledged(points);
		// The event ended on the device while this batch was on its way (eventEnded): nothing more to schedule.
		if (eventId !== this.#eventId) return this.#reply(result);
		this.#o.schedule.onSent(delivered);
		if (delivered && cell) this.traffic.cellReports++;
		if (delivered) {
			const sent = new Set(points.map((p) => p.s));
			this.#restored = this.#restored.filter((p) => !sent.has(p.s));
			this.#deferred = this.#deferred.filter((p) => !sent.has(p.s));
			if (this.#restored.length === 0 && this.#deferred.length === 0) this.#forgetBacklog();
		} else this.#saveBacklog(eventId, mergePoints(this.#restored, fresh));
		// The platform closed the event (the user is safe): the points still owed go now, before the device ends the
		// event (the platform stores points of a closed event, docs/protocol.md §6.2; de-duplicated on (event, s)).
		if (delivered && result.body.state === "closed") await this.#flush(eventId);
		return this.#withInterval(this.#reply(result));
	}

	async closeEvent(eventId: string, reason: SosCloseReason): Promise<PlatformReply> {
		await this.#stopGnssWindow();
		if (this.#sending) await this.#sending;
		// Deliver before closing: the close ends the event on the platform, and what is not sent by then is dropped.
		await this.#flush(eventId);
		const wire: CloseReason = reason === "device" ? "cancel" : reason === "max-duration" ? "timeout" : "done";
		// The close body has no field for the dropped count: docs/protocol.md §6.3 lists `reason` and `bat` only, and
		// the platform refuses any other key (400 `body`), so a count there would cost the close on older platforms.
		const result = await this.#exchange(routes.close(eventId), encodeClose(wire, this.#o.battery?.()));
		// The close's `ack` (protocol §5: the highest `s` stored; the device may drop points <= ack) settles points whose
		// batch reached the platform although its answer was lost.
		const ack = result.ok ? result.body.ack : undefined;
		if (ack !== undefined) this.#acknowledged([...this.#unacked.values()].filter((p) => p.s <= ack));
		// A close that did not get through is sent again (modules/sos/machine); the event ends here only once the
		// platform answered (#reply), or when the device gives up (eventEnded).
		return this.#reply(result);
	}

	/**
	 * The event is over on the device without a close request of its own (closed while the radios were down, or after
	 * a failed close): the points still owed are dropped and counted (PlatformPort.eventEnded).
	 */
	eventEnded(eventId: string): void {
		if (eventId === this.#eventId) this.#endEvent();
	}

	// internals

	/** A point owed to the platform; past `pointCapacity` the second oldest gives way and is counted as dropped. */
	#keep(point: Point): void {
		this.#unacked.set(point.s, point);
		if (this.#unacked.size <= (this.#o.pointCapacity ?? 60)) return;
		const [first, second] = [...this.#unacked.keys()].sort((a, b) => a - b);
		const victim = second ?? first!;
		this.#unacked.delete(victim);
		this.points.dropped++;
		this.#log(`uplink: point ${victim} dropped (more than ${this.#o.pointCapacity ?? 60} unsent)`);
	}

	#acknowledged(points: readonly Point[]): void {
		for (const p of points) if (this.#unacked.delete(p.s)) this.points.delivered++;
	}

	/**
	 * Sends every point still owed, oldest first, one batch of at most `maxPointsPerBatch` after another. A batch that
	 * does not get through goes again (`flushAttempts` in all): its answer may be what was lost, and the platform
	 * de-duplicates a resent point on (event, s). After that the rest stays owed (dropped with the event).
	 */
	async #flush(eventId: string): Promise<void> {
		let failures = 0;
		while (this.#unacked.size > 0 && eventId === this.#eventId && !this.#closed) {
			const points = [...this.#unacked.values()].sort((a, b) => a.s - b.s).slice(0, maxPointsPerBatch);
			const result = await this.#exchange(routes.locations(eventId), encodeLocationBatch(points, undefined), true);
			if (!result.ok || result.body.state === "error") {
				const why = result.ok ? result.body.error ?? "error" : result.reason;
				if (++failures < flushAttempts && (result.ok || result.retryable)) continue;
				this.#log(`uplink: ${this.#unacked.size} unsent point(s) could not be delivered before the close (${why})`);
				return;
			}
			this.#acknowledged(points);
			if (result.body.state === "revoked" || result.body.state === "suspended") return;
		}
	}

	#endEvent(): void {
		if (this.#unacked.size > 0) {
			this.points.dropped += this.#unacked.size;
			this.#log(`uplink: event ended with ${this.#unacked.size} point(s) unsent: dropped`);
			this.#unacked.clear();
		}
		if (this.#eventId !== undefined) {
			const t = this.points;
			this.#log(`uplink: points captured ${t.captured}, restored ${t.restored}, delivered ${t.delivered}, dropped ${t.dropped}`);
		}
		this.#o.schedule.stop();
		this.#restored = [];
		this.#deferred = [];
		this.#forgetBacklog();
		this.#eventId = undefined;
		this.#triggerAt = undefined;
		this.#stages = {};
	}

	#reply(result: Exchange): PlatformReply {
		if (!result.ok) return result;
		const body = result.body;
		// "suspended" (seed 004): the platform refuses this device for now; the event ends here, nothing is marked.
		if (body.state === "closed" || body.state === "revoked" || body.state === "suspended") {
			this.#endEvent();
			return { ok: true, state: body.state };
		}
		if (body.state === "error") return { ok: false, reason: `platform refused: ${body.error ?? "error"}`, retryable: body.error !== "unknown-event" };
		if (body.interval !== undefined) this.#o.schedule.setPlatformInterval(body.interval * 1000);
		return { ok: true, state: "open", ...(body.interval !== undefined ? { intervalMs: body.interval * 1000 } : {}) };
	}

	/** The wait the schedule asks for until the next GNSS window, handed to the state machine as its interval. */
	#withInterval(reply: PlatformReply): PlatformReply {
		if (!reply.ok && !reply.retryable) return reply;
		if (reply.ok && reply.state !== "open") return reply;
		const now = this.#o.clock.now();
		const window = this.#o.schedule.next(now);
		if (window.kind !== "wait") return reply;
		if (!window.keepWarm) void this.powerDown();
		const intervalMs = Math.max(0, window.until - now);
		return reply.ok ? { ...reply, intervalMs } : reply;
	}

	async #ensurePowered(): Promise<StepResult> {
		const modem = this.#o.modem;
		if (this.#preparing) await this.#preparing;
		// A false start's power-down still running when the gesture completes after all: let it finish, then boot.
		if (this.#poweringDown) await this.#poweringDown;
		if (modem.state === "off" || modem.state === "failed") {
			// Only the first power-on of this boot can rely on the boot's knowledge of the modem.
			const on = await modem.powerOn({ knownOff: this.#modemKnownOff });
			this.#modemKnownOff = false;
			if (!on.ok) return { ok: false, reason: `power on: ${describe(on.error)}` };
		}
		if (modem.state === "booted") {
			const configured = await modem.configure();
			if (!configured.ok) return { ok: false, reason: `configure: ${describe(configured.error)}` };
			this.#caUploaded = false;
			this.#stage("modem");
		}
		return { ok: true };
	}

	async #ensureLink(reattach = false): Promise<StepResult> {
		const modem = this.#o.modem;
		const powered = await this.#ensurePowered();
		if (!powered.ok) return powered;
		const caName = this.#o.platform.caName ?? "enigm-ca.pem";
		if (!this.#caUploaded && modem.state === "ready") {
			// While the network search that configure() started runs: the CA does not wait for registration.
			const uploaded = await modem.uploadCa(caName, this.#o.platform.caPem);
			if (!uploaded.ok) return { ok: false, reason: `CA upload: ${describe(uploaded.error)}` };
			this.#caUploaded = true;
		}
		if (modem.state !== "attached") {
			const timeoutMs = reattach ? (this.#o.reattachTimeoutMs ?? 30_000) : (this.#o.attachTimeoutMs ?? 120_000);
			const attached = await modem.attach({ apn: this.#o.platform.apn, timeoutMs });
			if (!attached.ok) return { ok: false, reason: `attach: ${describe(attached.error)}` };
			this.#stage("attach");
			if (this.#o.wallClock.source !== "platform") {
				const time = await modem.networkTime();
				if (time.ok) this.#o.wallClock.set(time.value.utc, "network");
			}
		}
		if (this.#socket !== undefined) return { ok: true };
		if (!this.#caUploaded) {
			const uploaded = await modem.uploadCa(caName, this.#o.platform.caPem);
			if (!uploaded.ok) return { ok: false, reason: `CA upload: ${describe(uploaded.error)}` };
			this.#caUploaded = true;
		}
		const { host, port, sni } = this.#o.platform;
		const open = () => modem.open({ host, port, ca: caName, ...(sni ? { sni } : {}) });
		let opened = await open();
		if (!opened.ok && modem.state === "ready") {
			// The open found the data context gone (its deactivation URC lost, e.g. while the ESP32 light-slept: the
			// driver's confirmData dropped to "ready"): bring it back and open once more now, not a whole retry backoff
			// (up to minutes into an event) later.
			this.#log(`uplink: TLS open failed with the data context gone (${describe(opened.error)}): re-activating it`);
			const attached = await modem.attach({ apn: this.#o.platform.apn, timeoutMs: this.#o.reattachTimeoutMs ?? 30_000 });
			if (attached.ok) opened = await open();
		}
		if (!opened.ok) return { ok: false, reason: `TLS open: ${describe(opened.error)}` };
		this.#socket = opened.value;
		this.#stage("tls");
		return { ok: true };
	}

	async #closeSocket(): Promise<void> {
		const socket = this.#socket;
		this.#socket = undefined;
		if (socket !== undefined && this.#o.modem.state === "attached") await this.#o.modem.closeSocket(socket);
	}

	/**
	 * One signed request and its authenticated response. A refusal of the request's `created` (docs/protocol.md §4
	 * step 5) must not block the alert: network time is untrusted, so the request goes out again at once, with the
	 * platform's authenticated time when the refusal carried it, else without `created`.
	 */
	async #exchange(path: string, body: Uint8Array, reattach = false): Promise<Exchange> {
		const first = await this.#exchangeOnce(path, body, reattach, false);
		if (!first.createdRefused) return first.exchange;
		const second = await this.#exchangeOnce(path, body, reattach, true);
		return second.exchange;
	}

	async #exchangeOnce(path: string, body: Uint8Array, reattach: boolean, retry: boolean): Promise<{ exchange: Exchange; createdRefused?: boolean }> {
		const up = await this.#ensureLink(reattach);
		if (!up.ok || this.#socket === undefined) return { exchange: { ok: false, reason: up.ok ? "no socket" : up.reason, retryable: true } };
		const socket = this.#socket;
		const signed = this.#o.signer.sign(path, body);
		if (!signed.ok) return { exchange: { ok: false, reason: `signing: ${signed.error}`, retryable: false } };
		const bytes = serializeRequest(signed.request);
		const sent = await this.#o.modem.send(socket, bytes);
		if (!sent.ok) {
			await this.#closeSocket();
			return { exchange: { ok: false, reason: `send: ${describe(sent.error)}`, retryable: true } };
		}
		this.traffic.requests++;
		this.traffic.sent += bytes.length;
		this.#o.counter.commit();
		const parser = new HttpResponseParser();
		const deadline = this.#o.clock.now() + (this.#o.responseTimeoutMs ?? 30_000);
		for (;;) {
			this.#dataSeen = false;
			const got = await this.#o.modem.receive(socket, 1460);
			if (!got.ok) {
				await this.#closeSocket();
				return { exchange: { ok: false, reason: `receive: ${describe(got.error)}`, retryable: true } };
			}
			this.traffic.received += got.value.length;
			const parsed = got.value.length ? parser.push(got.value) : undefined;
			if (parsed && !parsed.ok) {
				await this.#closeSocket();
				return { exchange: { ok: false, reason: `response: ${parsed.error}`, retryable: true } };
			}
			if (parsed?.ok) {
				const verified = this.#o.signer.verifyResponse(signed.request, parsed.response);
				if (!verified.ok) {
					// Unauthenticated: a middlebox or a broken platform. Never act on it; keep trying.
					this.#log(`uplink: response to ${path.split("/").slice(0, 3).join("/")} rejected (${verified.error}), status ${parsed.response.status}`);
					await this.#closeSocket();
					const exchange: Exchange = { ok: false, reason: `unauthenticated response (${verified.error})`, retryable: true };
					// An unsigned 422 may be a `created` refusal (a platform that does not sign it, or a middlebox). Omitting
					// `created` is always allowed (protocol §4), so dropping it costs nothing and cannot be abused.
					if (parsed.response.status === 422 && signed.request.created !== undefined) return { exchange, createdRefused: this.#createdRefused(retry, "unsigned") };
					return { exchange };
				}
				if (verified.body.time !== undefined) this.#o.wallClock.set(verified.body.time * 1000, "platform");
				if (verified.body.state === "error" && verified.body.error === "nonce" && verified.body.nonce !== undefined)
					this.#o.counter.skipPast(verified.body.nonce);
				const exchange: Exchange = { ok: true, status: verified.status, body: verified.body };
				if (verified.body.state === "error" && verified.body.error === "created" && signed.request.created !== undefined)
					return { exchange, createdRefused: this.#createdRefused(retry, "signed") };
				return { exchange };
			}
			const left = deadline - this.#o.clock.now();
			if (left <= 0) {
				await this.#closeSocket();
				return { exchange: { ok: false, reason: "response timeout", retryable: true } };
			}
			await this.#waitForData(Math.min(left, 1000));
		}
	}

	/**
	 * The platform refused `created`. The first time, network time goes (platform time, just taken from a signed
	 * refusal, stays) and the caller retries at once; a second refusal drops the wall time altogether, so every later
	 * request goes without `created` until an accepted response brings the platform's time. Returns whether to retry.
	 */
	#createdRefused(retry: boolean, how: "signed" | "unsigned"): boolean {
		this.#o.wallClock.distrust(retry);
		const next = this.#o.wallClock.now() === undefined ? "without created" : "with the platform's time";
		this.#log(`uplink: created refused (${how}): network time distrusted, ${retry ? "later requests go" : "sending again"} ${next}`);
		return !retry;
	}

	#stage(stage: Stage): void {
		if (this.#triggerAt !== undefined && this.#stages[stage] === undefined) this.#stages[stage] = this.#o.clock.now() - this.#triggerAt;
	}

	#modemEvent(event: ModemEvent): void {
		if (event.type === "reset" || (event.type === "socketClosed" && event.socket === this.#socket)) {
			this.#socket = undefined;
			if (event.type === "reset") this.#caUploaded = false;
		}
		if (event.type === "time" && this.#o.wallClock.source !== "platform") this.#o.wallClock.set(event.time.utc, "network");
		if (event.type === "data" || event.type === "socketClosed" || event.type === "reset") {
			this.#dataSeen = true;
			this.#wakeWaiters();
		}
		this.#listener?.(event);
	}

	#wakeWaiters(): void {
		const pending = this.#pending;
		this.#pending = [];
		for (const resolve of pending) resolve();
	}

	/** Resolves on the next data indication (or one already seen since the read) or after `ms`, whichever is first. */
	#waitForData(ms: number): Promise<void> {
		if (this.#dataSeen) return Promise.resolve();
		return new Promise((resolve) => {
			let timer: TimerHandle | undefined;
			const done = () => {
				this.#o.clock.clear(timer);
				resolve();
			};
			timer = this.#o.clock.set(() => {
				this.#pending = this.#pending.filter((p) => p !== done);
				resolve();
			}, ms);
			this.#pending.push(done);
		});
	}

	#sleep(ms: number): Promise<void> {
		return new Promise((resolve) => this.#o.clock.set(resolve, ms));
	}

	#log(line: string): void {
		this.#o.log?.(line);
	}

	#saveBacklog(eventId: string, points: Point[]): void {
		const store = this.#o.store;
		if (!store || points.length === 0 || this.#closed) return;
		// Keep the first point (where the event began) and the newest ones that fit one NVS string.
		const kept = points.slice();
		let text = JSON.stringify({ event: eventId, points: kept });
		while (text.length > backlogMaxBytes && kept.length > 1) {
			kept.splice(1, 1);
			text = JSON.stringify({ event: eventId, points: kept });
		}
		if (text.length > backlogMaxBytes) return;
		try {
			this.#backlog(store).write(text);
		} catch {
			this.#log("uplink: could not keep unsent points in the store");
		}
	}

	#loadBacklog(eventId: string): Point[] {
		const store = this.#o.store;
		const text = store ? this.#backlog(store).read() : undefined;
		if (!text) return [];
		let saved: unknown;
		try {
			// {event, points: [{...}]} is 3 deep; a corrupted string nested deeper would abort XS inside JSON.parse.
			saved = jsonDepth(text, 4) < 0 ? undefined : JSON.parse(text);
		} catch {
			saved = undefined;
		}
		const record = saved as { event?: unknown; points?: unknown } | undefined;
		if (!record || record.event !== eventId || !Array.isArray(record.points) || !record.points.every(isPoint)) {
			this.#forgetBacklog();
			return [];
		}
		this.#log(`uplink: ${record.points.length} unsent point(s) restored after the reset`);
		return record.points as Point[];
	}

	#forgetBacklog(): void {
		const store = this.#o.store;
		if (!store || this.#closed) return;
		const backlog = this.#backlog(store);
		if (backlog.read()) backlog.write("");
	}

	/** The unsent points: a two-slot record, so a cut inside a write keeps the previous backlog (modules/durableRecord). */
	#backlog(store: Store): DurableRecord {
		return (this.#backlogRecord ??= new DurableRecord(store, backlogKeys[0], backlogKeys[1]));
	}
}

/** NVS keys of the unsent points' two slots; an NVS string holds at most 4000 bytes with its NUL (and the slot's sequence prefix). */
const backlogKeys = ["ev_backlog_a", "ev_backlog_b"] as const;
const backlogMaxBytes = 3900;
/** Sends of one batch of owed points before a close, the first included. */
const flushAttempts = 3;

function isPoint(value: unknown): boolean {
	const p = value as Record<string, unknown> | null;
	return !!p && typeof p === "object" && typeof p.m === "string" && typeof p.q === "string" &&
		["s", "t", "la", "lo", "a", "n"].every((k) => Number.isInteger(p[k])) && (p.al === undefined || Number.isInteger(p.al));
}

/** The union of two point lists by sequence number, in increasing order (a point sent twice is de-duplicated). */
export function mergePoints(a: readonly Point[], b: readonly Point[]): Point[] {
	const bySeq = new Map<number, Point>();
	for (const p of a) bySeq.set(p.s, p);
	for (const p of b) bySeq.set(p.s, p);
	return [...bySeq.values()].sort((x, y) => x.s - y.s);
}

/**
 * First point number of an event resumed after a reboot: past every number used before it, in this boot or an
 * earlier one, since the platform keeps one point per number (a reused number is dropped as a duplicate). The
 * tick clock restarts at every boot (Moddable Time.ticks), so two resumes would start from the same ticks; wall
 * time (network or platform, set before the resumed alert goes out) only moves forward across reboots and outpaces
 * the numbering, one point per GNSS window of several seconds against one number per second. Seconds since 2020
 * plus 1,000,000 stay under the protocol's 2^31 limit until 2087. Ticks only when wall time is still unknown.
 */
export function resumedSeqBase(wallMs: number | undefined, ticksMs: number): number {
	const seconds = wallMs !== undefined ? (wallMs - Date.UTC(2020, 0, 1)) / 1000 : ticksMs / 1000;
	return 1_000_000 + Math.max(0, Math.floor(seconds));
}

function describe(error: ModemError): string {
	switch (error.kind) {
		case "timeout":
		case "state":
		case "parse":
			return `${error.kind} at ${error.step}`;
		case "error":
			return `error at ${error.step}${error.code !== undefined ? ` (CME ${error.code})` : ""}`;
		case "socket":
			return `socket error ${error.code} at ${error.step}`;
		case "closed":
			return `socket ${error.socket} closed`;
		default:
			return error.kind;
	}
}
