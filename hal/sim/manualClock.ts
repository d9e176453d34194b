import type { Clock, TimerHandle } from "hal/clock";

interface Pending {
	readonly at: number;
	readonly order: number;
	readonly callback: () => void;
	cancelled: boolean;
}

/**
 * Simulated time for tests, scenarios and benchmarks: nothing happens until `advance` (or `runUntilIdle`) is
 * called, and callbacks fire in deadline order, ties in the order they were set.
 */
export default class ManualClock implements Clock {
	#now: number;
	#order = 0;
	#pending: Pending[] = [];

	constructor(start = 0) {
		this.#now = start;
	}

	now(): number {
		return this.#now;
	}

	set(callback: () => void, ms: number): TimerHandle {
		if (!(ms >= 0)) ms = 0;
		const entry: Pending = { at: this.#now + ms, order: this.#order++, callback, cancelled: false };
		this.#pending.push(entry);
		return entry;
	}

	clear(handle: TimerHandle | undefined): void {
		if (handle) (handle as Pending).cancelled = true;
	}

	/** Number of callbacks still waiting. */
	get pending(): number {
		return this.#pending.filter((p) => !p.cancelled).length;
	}

	/** Deadline of the earliest pending callback, or undefined. */
	nextDeadline(): number | undefined {
		return this.#next()?.at;
	}

	/** Moves time forward by `ms`, firing every callback that falls due, including ones set meanwhile. */
	advance(ms: number): void {
		this.advanceTo(this.#now + ms);
	}

	advanceTo(time: number): void {
		for (;;) {
			const next = this.#next();
			if (!next || next.at > time) break;
			this.#fire(next);
		}
		if (time > this.#now) this.#now = time;
	}

	/** Fires callbacks in order until none is left or `limitMs` of simulated time has passed. */
	runUntilIdle(limitMs = 24 * 3600_000): void {
		const end = this.#now + limitMs;
		for (;;) {
			const next = this.#next();
			if (!next || next.at > end) break;
			this.#fire(next);
		}
	}

	/**
	 * Like `advance`, but lets promise continuations run between callbacks, so async drivers (a command awaiting
	 * its reply) progress exactly as they would on the device's event loop.
	 */
	async advanceAsync(ms: number): Promise<void> {
		const end = this.#now + ms;
		await settle();
		for (;;) {
			const next = this.#next();
			if (!next || next.at > end) break;
			this.#fire(next);
			await settle();
		}
		if (end > this.#now) this.#now = end;
	}

	#next(): Pending | undefined {
		this.#pending = this.#pending.filter((p) => !p.cancelled);
		let best: Pending | undefined;
		for (const p of this.#pending)
			if (!best || p.at < best.at || (p.at === best.at && p.order < best.order)) best = p;
		return best;
	}

	#fire(entry: Pending): void {
		entry.cancelled = true;
		if (entry.at > this.#now) this.#now = entry.at;
		entry.callback();
	}
}

/** Lets every queued promise continuation run: the host's macrotask turn where there is one, else many microtask turns. */
export async function settle(): Promise<void> {
	const immediate = (globalThis as { setImmediate?: (callback: () => void) => void }).setImmediate;
	if (immediate) {
		await new Promise<void>((resolve) => immediate(resolve));
		return;
	}
	for (let turn = 0; turn < 200; turn++) await undefined;
}
