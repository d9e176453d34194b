import type { Clock, TimerHandle } from "hal/clock";
import type { ButtonEdge, Power, WakeCause } from "hal/power";

/**
 * A Clock that remembers its pending timers so "deep sleep" on the desktop simulator can cancel them all: the
 * firmware then does nothing until the process is restarted, which is what dormancy looks like from outside.
 */
export class SleepableClock implements Clock {
	readonly #inner: Clock;
	readonly #pending = new Set<TimerHandle>();
	#asleep = false;

	constructor(inner: Clock) {
		this.#inner = inner;
	}

	now(): number {
		return this.#inner.now();
	}

	set(callback: () => void, ms: number): TimerHandle {
		if (this.#asleep) return {};
		const handle: TimerHandle = this.#inner.set(() => {
			this.#pending.delete(handle);
			callback();
		}, ms);
		this.#pending.add(handle);
		return handle;
	}

	clear(handle: TimerHandle | undefined): void {
		if (!handle) return;
		this.#pending.delete(handle);
		this.#inner.clear(handle);
	}

	/** Cancels every pending timer and refuses new ones. */
	sleep(): void {
		this.#asleep = true;
		for (const handle of this.#pending) this.#inner.clear(handle);
		this.#pending.clear();
	}
}

export interface SimulatorPowerOptions {
	clock: SleepableClock;
	wakeCause?: WakeCause;
	buttonPressedAtBoot?: boolean;
}

/** Power on the desktop simulator: boot conditions from the manifest config, deep sleep traces and stops timers. */
export default class SimulatorPower implements Power {
	readonly wakeCause: WakeCause;
	readonly buttonPressedAtBoot: boolean;
	readonly #clock: SleepableClock;

	constructor(options: SimulatorPowerOptions) {
		const { clock, wakeCause = "powerOn", buttonPressedAtBoot = false } = options ?? ({} as SimulatorPowerOptions);
		if (!(clock instanceof SleepableClock)) throw new RangeError("invalid clock");
		if (!["button", "timer", "powerOn", "reset", "other"].includes(wakeCause)) throw new RangeError("invalid wakeCause");
		this.#clock = clock;
		this.wakeCause = wakeCause;
		this.buttonPressedAtBoot = buttonPressedAtBoot === true;
	}

	bootButtonEdges(): ButtonEdge[] {
		return [];
	}

	deepSleep(): void {
		trace("power: deep sleep (simulator: timers stopped; restart the simulator to wake)\n");
		this.#clock.sleep();
	}
}
