/**
 * GNSS/LTE radio time-sharing for one emergency event.
 *
 * On the SIM7080G and the BG95/BG77 the GNSS receiver and the LTE-M transceiver share one RF path: GNSS must be
 * stopped before data moves, and LTE stalls while GNSS runs (reported in TinyGSM #143/#419, LilyGO T-SIM7080G
 * issues, espressif/esp-protocols #659; newer Quectel firmware only switches priority, `AT+QGPSCFG="priority"`).
 * So an event is a sequence of exclusive windows, and this module decides which one comes next. It is pure and
 * deterministic: it never reads a clock or sets a timer; the caller passes `now` (the injected Clock's
 * milliseconds) and reports what happened.
 *
 * Protocol, for the SOS runner:
 *
 *     s.start(now)                       // the event begins
 *     loop:
 *       w = s.next(now)
 *       "lte"/alert        -> send the alert with w.fix (if any) and the serving cell; s.onSent(ok)
 *       "gnss"             -> GNSS on (hot start if w.warm), read until a fix or w.timeoutMs;
 *                             s.onFix(fix) or s.onFixTimeout()
 *       "lte"/location     -> send w.points (oldest first); s.onSent(ok)
 *       "lte"/cell-report  -> send the serving cell, plus w.points if any; s.onSent(ok)
 *       "wait"             -> until w.until; keep the modem powered (GNSS stopped, state kept) if w.keepWarm,
 *                             else power it down; then call next(now) again (or earlier, after a change)
 *
 * `next` is idempotent: while a window is in flight it returns the same window. A completion is timed by the
 * following `next(now)` call, which the runner makes right after reporting it.
 *
 * Policy (every number is in `RadioScheduleConfig`; defaults and why):
 * 1. The alert goes out first, before any GNSS: the alert matters more than the position, and LTE attach is seconds
 *    while a cold GNSS start is 35 s to 4 min. It carries the last known fix, if any, and the serving cell.
 *    If it fails it is retried with doubling back-off (5 s to 60 s); from the second failure on, the back-off
 *    time is used for a GNSS window so the retry carries a position (the first retry is not delayed by GNSS).
 * 2. Then GNSS and LTE windows alternate. A fix is due every `interval`, counted from the start of the previous
 *    GNSS window, so the cadence does not drift with time-to-fix and send time:
 *      - the first 10 min: every 60 s (responders need a trail while help is being organised);
 *      - after that, adaptive: 60 s while moving (walking 1.4 m/s covers ~85 m, about street-level GNSS
 *        accuracy), 120 s by default, 300 s when stationary (position is not changing; the report proves the
 *        device is alive) or when the battery is low (whatever the motion);
 *      - a reporting interval sent by the platform overrides the local policy, clamped to [10 s, 10 min].
 * 3. A GNSS window that times out is followed by a cell-based report (coarse, hundreds of metres, better than
 *    nothing).
 * 4. Window lengths follow receiver physics (time to first fix: hot 1–22 s, warm up to 45 s, cold 35 s–4 min):
 *      hot start 30 s; warm after a timeout 60 s; cold 120 s, then 180 s, then 240 s on consecutive timeouts so a
 *      slow cold start can complete while cell reports keep going out.
 *    "Hot" needs a fix younger than the ephemeris validity (2 h: GPS ephemerides are uploaded every 2 h and fit
 *    4 h, IS-GPS-200 20.3.4.4) and a receiver that kept its state since.
 * 5. Between windows the modem stays powered with GNSS stopped (`keepWarm`), which keeps the receiver's ephemeris
 *    and time so the next start is hot, when the gap is under 15 min. A cold start costs at least 35 s of GNSS
 *    current plus an LTE re-attach; an idle registered modem with PSM/eDRX draws milliamps. Longer gaps power down.
 * 6. Several points per request: with `pointsPerSend` > 1 a location window opens only once that many fixes are
 *    queued (the first fix after the alert goes alone; a GNSS timeout sends the queue with the cell report). Each
 *    window is a TCP + TLS handshake and a signed request/response pair (~2.4 kB) against ~110 B per extra point.
 * 7. Store-and-forward: fixes whose send failed stay queued and go out, oldest first, with the next LTE window
 *    (at most 20 a window). The queue holds 60 points (an hour at the initial cadence); when full, the second
 *    oldest is dropped: the newest points say where the person is now, and the first one says where the event
 *    started, so those two ends are kept. Cell reports are not queued: a stale cell is worth nothing.
 */
import type { Fix } from "drivers/gnss/fix";

/** What the radio should do next. */
export type RadioWindow =
	/** LTE: send the alert, with the last known fix (if any) and the serving cell. First window of every event. */
	| { readonly kind: "lte"; readonly payload: "alert"; readonly fix: Fix | undefined }
	/** GNSS: LTE paused, receiver on until a fix or `timeoutMs`. `warm`: its state was kept, request a hot start. */
	| { readonly kind: "gnss"; readonly timeoutMs: number; readonly warm: boolean }
	/** LTE: send these fixes, oldest first (the store-and-forward backlog, then the new fix). */
	| { readonly kind: "lte"; readonly payload: "location"; readonly points: readonly Fix[] }
	/** LTE: the GNSS window timed out; send a serving-cell report, and the backlog `points` if any. */
	| { readonly kind: "lte"; readonly payload: "cell-report"; readonly points: readonly Fix[] }
	/** Nothing until `until` (clock ms). `keepWarm`: keep the modem powered, GNSS stopped; false: power it down. */
	| { readonly kind: "wait"; readonly until: number; readonly keepWarm: boolean };

/** How the last fixes moved, for the adaptive interval. */
export type Motion =
	| "unknown"     // fewer than two fixes, or they disagree less than their accuracy but speed is unknown
	| "moving"
	| "stationary";

/** The scheduler's one input interface (CONVENTIONS 6), for the SOS runner. */
export interface RadioScheduler {
	/** The event starts; `lastFix` is a position already known for this event (a resumed event), if any. */
	start(now: number, lastFix?: Fix): void;
	/** The window to run now, or how long to wait. Same window again while one is in flight. */
	next(now: number): RadioWindow;
	/** The GNSS window produced a fix. */
	onFix(fix: Fix): void;
	/** The GNSS window ended without a fix. */
	onFixTimeout(): void;
	/** The LTE window's send was (not) acknowledged by the platform. */
	onSent(ok: boolean): void;
	/** The platform's reporting interval (ms), or undefined to return to the local policy. */
	setPlatformInterval(ms: number | undefined): void;
	/** Battery state from the PMU (drivers/pmu): low battery stretches the interval. */
	setBatteryLow(low: boolean): void;
	/** The event ended: drop the backlog, forget the fixes (event-bound location only). */
	stop(): void;
}

export interface RadioScheduleConfig {
	readonly initialPhaseMs: number;
	readonly initialIntervalMs: number;
	readonly movingIntervalMs: number;
	readonly defaultIntervalMs: number;
	readonly stationaryIntervalMs: number;
	readonly batteryLowIntervalMs: number;
	readonly minPlatformIntervalMs: number;
	readonly maxPlatformIntervalMs: number;
	readonly hotTimeoutMs: number;
	readonly warmTimeoutMs: number;
	/** Cold-start window lengths for the 1st, 2nd, 3rd+ consecutive attempt. */
	readonly coldTimeoutsMs: readonly number[];
	readonly ephemerisValidMs: number;
	readonly keepWarmMaxGapMs: number;
	readonly alertRetryBaseMs: number;
	readonly alertRetryMaxMs: number;
	readonly queueCapacity: number;
	readonly maxPointsPerSend: number;
	/**
	 * Fixes collected before a location window opens (several points per request): each LTE window costs a TCP
	 * and TLS handshake and a signed request/response pair, about 2.5 kB on the wire, against about 120 B per
	 * extra point. The first fix after the alert goes out alone (the alert may have carried none); a GNSS timeout
	 * (cell report) sends whatever is queued at once.
	 */
	readonly pointsPerSend: number;
	/** Speed at or above which the device is moving, m/s (slow walk). */
	readonly movingSpeed: number;
	/** Speed below which it may be stationary, m/s. */
	readonly stationarySpeed: number;
	/** Displacement below which two fixes are the same place, m (at least the sum of their accuracies). */
	readonly stationaryRadius: number;
}

export const defaultRadioScheduleConfig: RadioScheduleConfig = Object.freeze({
	initialPhaseMs: 10 * 60_000,
	initialIntervalMs: 60_000,
	movingIntervalMs: 60_000,
	defaultIntervalMs: 120_000,
	stationaryIntervalMs: 300_000,
	batteryLowIntervalMs: 300_000,
	minPlatformIntervalMs: 10_000,
	maxPlatformIntervalMs: 600_000,
	hotTimeoutMs: 30_000,
	warmTimeoutMs: 60_000,
	coldTimeoutsMs: Object.freeze([120_000, 180_000, 240_000]),
	ephemerisValidMs: 2 * 3600_000,
	keepWarmMaxGapMs: 15 * 60_000,
	alertRetryBaseMs: 5_000,
	alertRetryMaxMs: 60_000,
	queueCapacity: 60,
	maxPointsPerSend: 20,
	pointsPerSend: 1,
	movingSpeed: 1.0,
	stationarySpeed: 0.5,
	stationaryRadius: 50,
});

/** Snapshot for logs, the simulator's display and tests. */
export interface RadioScheduleStatus {
	readonly started: boolean;
	readonly alertSent: boolean;
	readonly inFlight: RadioWindow | undefined;
	readonly queued: number;
	readonly dropped: number;
	readonly motion: Motion;
	readonly warm: boolean;
	readonly consecutiveTimeouts: number;
}

/** Metres between two fixes (equirectangular approximation: exact enough below a few km). */
export function distanceM(a: Fix, b: Fix): number {
	const R = 6_371_000;
	const rad = Math.PI / 180;
	const x = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
	const y = (b.lat - a.lat) * rad;
	return Math.sqrt(x * x + y * y) * R;
}

/** Classifies motion from the previous and the latest fix. */
export function classifyMotion(previous: Fix | undefined, latest: Fix, config: RadioScheduleConfig = defaultRadioScheduleConfig): Motion {
	let speed = latest.speed;
	if (previous && latest.time > previous.time) {
		const d = distanceM(previous, latest);
		const tolerance = Math.max(config.stationaryRadius, previous.accuracy + latest.accuracy);
		if (d > tolerance) {
			const derived = d / ((latest.time - previous.time) / 1000);
			speed = speed === undefined ? derived : Math.max(speed, derived);
		} else if (speed === undefined || speed < config.stationarySpeed) {
			return "stationary";
		}
	}
	if (speed === undefined) return "unknown";
	if (speed >= config.movingSpeed) return "moving";
	return "unknown";
}

function checkConfig(c: RadioScheduleConfig): void {
	const positive = [
		c.initialIntervalMs, c.movingIntervalMs, c.defaultIntervalMs, c.stationaryIntervalMs, c.batteryLowIntervalMs,
		c.minPlatformIntervalMs, c.hotTimeoutMs, c.warmTimeoutMs, c.alertRetryBaseMs, c.queueCapacity, c.maxPointsPerSend,
	];
	if (!Number.isInteger(c.pointsPerSend) || c.pointsPerSend < 1 || c.pointsPerSend > c.queueCapacity) throw new RangeError("invalid pointsPerSend");
	for (const n of positive) if (!(n > 0) || !Number.isFinite(n)) throw new RangeError("invalid interval");
	if (c.maxPlatformIntervalMs < c.minPlatformIntervalMs) throw new RangeError("invalid platform bounds");
	if (c.coldTimeoutsMs.length === 0 || c.coldTimeoutsMs.some((n) => !(n > 0))) throw new RangeError("invalid coldTimeoutsMs");
	if (c.queueCapacity < 2) throw new RangeError("invalid queueCapacity");
}

type Pending = "location" | "cell-report" | undefined;

export default class RadioSchedule implements RadioScheduler {
	#c: RadioScheduleConfig;
	#started = false;
	#startedAt = 0;
	#alertSent = false;
	#alertFailures = 0;
	/** Earliest time for the next alert attempt; undefined until the failure is timed by `next`. */
	#alertAt = 0;
	#alertFailedUntimed = false;
	#gnssSinceAlertFailure = false;
	#inFlight: RadioWindow | undefined;
	#inFlightAt = 0;
	#pending: Pending;
	#lastGnssAt: number | undefined;
	#lastFix: Fix | undefined;
	#lastFixAt: number | undefined;
	#warm = false;
	#everFixed = false;
	#timeouts = 0;
	#queue: Fix[] = [];
	#dropped = 0;
	#motion: Motion = "unknown";
	#platformMs: number | undefined;
	#batteryLow = false;
	/** A location window of this event was acknowledged (the first fix is sent alone, later ones in batches). */
	#locationSent = false;

	constructor(config: Partial<RadioScheduleConfig> = {}) {
		const c = Object.freeze({ ...defaultRadioScheduleConfig, ...config });
		checkConfig(c);
		this.#c = c;
	}

	get config(): RadioScheduleConfig {
		return this.#c;
	}

	get status(): RadioScheduleStatus {
		return {
			started: this.#started,
			alertSent: this.#alertSent,
			inFlight: this.#inFlight,
			queued: this.#queue.length,
			dropped: this.#dropped,
			motion: this.#motion,
			warm: this.#warm,
			consecutiveTimeouts: this.#timeouts,
		};
	}

	start(now: number, lastFix?: Fix): void {
		this.stop();
		this.#started = true;
		this.#startedAt = now;
		this.#alertAt = now;
		if (lastFix) this.#lastFix = lastFix;
	}

	stop(): void {
		this.#started = this.#alertSent = this.#alertFailedUntimed = this.#gnssSinceAlertFailure = false;
		this.#warm = this.#everFixed = this.#batteryLow = this.#locationSent = false;
		this.#alertFailures = this.#timeouts = this.#dropped = 0;
		this.#inFlight = this.#pending = this.#lastGnssAt = this.#lastFix = this.#lastFixAt = this.#platformMs = undefined;
		this.#queue = [];
		this.#motion = "unknown";
	}

	/** The reporting interval in force at `now`: the platform's if set, else the local policy's. */
	intervalMs(now: number): number {
		const c = this.#c;
		if (this.#platformMs !== undefined) return this.#platformMs;
		if (now - this.#startedAt < c.initialPhaseMs) return c.initialIntervalMs;
		let ms = c.defaultIntervalMs;
		if (this.#motion === "moving") ms = c.movingIntervalMs;
		else if (this.#motion === "stationary") ms = c.stationaryIntervalMs;
		if (this.#batteryLow) ms = Math.max(ms, c.batteryLowIntervalMs);
		return ms;
	}

	setPlatformInterval(ms: number | undefined): void {
		if (ms === undefined || !Number.isFinite(ms)) {
			this.#platformMs = undefined;
			return;
		}
		this.#platformMs = Math.min(this.#c.maxPlatformIntervalMs, Math.max(this.#c.minPlatformIntervalMs, ms));
	}

	setBatteryLow(low: boolean): void {
		this.#batteryLow = low;
	}

	next(now: number): RadioWindow {
		if (!this.#started) throw new RangeError("not started");
		if (this.#inFlight) return this.#inFlight;
		const c = this.#c;

		if (!this.#alertSent) {
			if (this.#alertFailedUntimed) {
				this.#alertFailedUntimed = false;
				const backoff = Math.min(c.alertRetryMaxMs, c.alertRetryBaseMs * 2 ** Math.min(16, this.#alertFailures - 1));
				this.#alertAt = now + backoff;
			}
			if (now >= this.#alertAt) return this.#issue(now, { kind: "lte", payload: "alert", fix: this.#lastFix });
			// From the second failure on (the network is not just hiccuping), use the back-off for one GNSS window
			// so the retry carries a position. The first retry comes quickly, without GNSS in the way.
			if (this.#alertFailures >= 2 && !this.#gnssSinceAlertFailure) {
				this.#gnssSinceAlertFailure = true;
				return this.#issue(now, this.#gnssWindow(now));
			}
			return this.#wait(now, this.#alertAt);
		}

		if (this.#pending) {
			const points = this.#queue.slice(0, c.maxPointsPerSend);
			return this.#issue(now, { kind: "lte", payload: this.#pending, points });
		}

		const due = this.#lastGnssAt === undefined ? now : this.#lastGnssAt + this.intervalMs(now);
		if (now >= due) return this.#issue(now, this.#gnssWindow(now));
		return this.#wait(now, due);
	}

	onFix(fix: Fix): void {
		if (this.#inFlight?.kind !== "gnss") return;
		this.#motion = classifyMotion(this.#lastFix, fix, this.#c);
		this.#lastFix = fix;
		this.#lastFixAt = this.#inFlightAt;
		this.#warm = true;
		this.#everFixed = true;
		this.#timeouts = 0;
		this.#inFlight = undefined;
		// Before the alert is through, the fix rides with the alert retry instead of a separate report.
		if (!this.#alertSent) return;
		this.#enqueue(fix);
		if (!this.#locationSent || this.#queue.length >= this.#c.pointsPerSend) this.#pending = "location";
	}

	onFixTimeout(): void {
		if (this.#inFlight?.kind !== "gnss") return;
		this.#timeouts++;
		this.#inFlight = undefined;
		if (this.#alertSent) this.#pending = "cell-report";
	}

	onSent(ok: boolean): void {
		const w = this.#inFlight;
		if (w?.kind !== "lte") return;
		this.#inFlight = undefined;
		if (w.payload === "alert") {
			if (ok) {
				this.#alertSent = true;
				this.#alertFailures = 0;
			} else {
				this.#alertFailures++;
				this.#alertFailedUntimed = true;
				this.#gnssSinceAlertFailure = false;
			}
			return;
		}
		this.#pending = undefined;
		// Delivered points leave the queue; undelivered ones stay for the next LTE window.
		if (ok) {
			this.#queue.splice(0, w.points.length);
			if (w.points.length > 0) this.#locationSent = true;
		}
	}

	#issue(now: number, w: RadioWindow): RadioWindow {
		this.#inFlight = w;
		this.#inFlightAt = now;
		if (w.kind === "gnss") this.#lastGnssAt = now;
		return w;
	}

	#wait(now: number, until: number): RadioWindow {
		const keepWarm = until - now <= this.#c.keepWarmMaxGapMs;
		// Powered down, the receiver loses its ephemeris and time: the next start is cold.
		if (!keepWarm) this.#warm = false;
		return { kind: "wait", until, keepWarm };
	}

	#gnssWindow(now: number): RadioWindow {
		const c = this.#c;
		const fresh = this.#lastFixAt !== undefined && now - this.#lastFixAt < c.ephemerisValidMs;
		const warm = this.#warm && this.#everFixed && fresh;
		let timeoutMs: number;
		if (warm) timeoutMs = this.#timeouts === 0 ? c.hotTimeoutMs : c.warmTimeoutMs;
		else timeoutMs = c.coldTimeoutsMs[Math.min(this.#timeouts, c.coldTimeoutsMs.length - 1)];
		return { kind: "gnss", timeoutMs, warm };
	}

	#enqueue(fix: Fix): void {
		if (this.#queue.length >= this.#c.queueCapacity) {
			// Keep both ends: the event's first point and the newest ones.
			this.#queue.splice(1, 1);
			this.#dropped++;
		}
		this.#queue.push(fix);
	}
}
