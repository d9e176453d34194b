import type { Power, WakeCause } from "hal/power";

const wakeCauses: readonly WakeCause[] = Object.freeze(["button", "timer", "powerOn", "reset", "other"] as const);

export interface SimPowerOptions {
	wakeCause?: WakeCause;
	buttonPressedAtBoot?: boolean;
	bootLatencyMs?: number;
	/** Called on each deepSleep request, after it is recorded (the host simulator stops the firmware there). */
	onDeepSleep?: () => void;
}

/**
 * Simulated microcontroller power: the boot conditions are whatever the test or scenario says, and deep sleep
 * requests are counted instead of stopping the CPU. `deepSleep` returns, so callers must not do work after it.
 */
export default class SimPower implements Power {
	readonly wakeCause: WakeCause;
	readonly buttonPressedAtBoot: boolean;
	readonly bootLatencyMs: number;
	#sleeps = 0;
	#onDeepSleep: (() => void) | undefined;

	constructor(options: SimPowerOptions = {}) {
		const { wakeCause = "powerOn", buttonPressedAtBoot = false, bootLatencyMs = 0 } = options;
		if (!wakeCauses.includes(wakeCause)) throw new RangeError("invalid wakeCause");
		if (typeof buttonPressedAtBoot !== "boolean") throw new RangeError("invalid buttonPressedAtBoot");
		if (!(Number.isFinite(bootLatencyMs) && bootLatencyMs >= 0)) throw new RangeError("invalid bootLatencyMs");
		this.wakeCause = wakeCause;
		this.buttonPressedAtBoot = buttonPressedAtBoot;
		this.bootLatencyMs = bootLatencyMs;
		this.#onDeepSleep = options.onDeepSleep;
	}

	deepSleep(): void {
		this.#sleeps++;
		this.#onDeepSleep?.();
	}

	/** Number of deep-sleep requests so far. */
	get sleepRequests(): number {
		return this.#sleeps;
	}

	get asleep(): boolean {
		return this.#sleeps > 0;
	}
}
