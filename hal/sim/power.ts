import type { ButtonEdge, LightSleep, Power, WakeCause } from "hal/power";

const wakeCauses: readonly WakeCause[] = Object.freeze(["button", "timer", "powerOn", "reset", "other"] as const);

export interface SimPowerOptions {
	wakeCause?: WakeCause;
	buttonPressedAtBoot?: boolean;
	/** Edges the platform "captured" between the wake and the driver attaching, oldest first. */
	bootButtonEdges?: readonly ButtonEdge[];
	/** Called on each deepSleep request, after it is recorded (the host simulator stops the firmware there). */
	onDeepSleep?: () => void;
	/**
	 * Called whenever the chip's light-sleep permission changes: true when it may light-sleep (enabled, no hold),
	 * false when it must stay awake. The bench turns these calls into the MCU's awake and light-sleep time.
	 */
	onLightSleepAllowed?: (allowed: boolean) => void;
}

/**
 * Simulated microcontroller power: the boot conditions are whatever the test or scenario says, and deep sleep
 * requests are counted instead of stopping the CPU. `deepSleep` returns, so callers must not do work after it.
 */
export default class SimPower implements Power {
	readonly wakeCause: WakeCause;
	readonly buttonPressedAtBoot: boolean;
	#edges: readonly ButtonEdge[];
	#sleeps = 0;
	#onDeepSleep: (() => void) | undefined;
	readonly lightSleep: SimLightSleep;

	constructor(options: SimPowerOptions = {}) {
		const { wakeCause = "powerOn", buttonPressedAtBoot = false, bootButtonEdges = [] } = options;
		if (!wakeCauses.includes(wakeCause)) throw new RangeError("invalid wakeCause");
		if (typeof buttonPressedAtBoot !== "boolean") throw new RangeError("invalid buttonPressedAtBoot");
		for (const edge of bootButtonEdges)
			if (!Number.isFinite(edge?.time) || typeof edge.pressed !== "boolean") throw new RangeError("invalid bootButtonEdges");
		this.wakeCause = wakeCause;
		this.buttonPressedAtBoot = buttonPressedAtBoot;
		this.#edges = bootButtonEdges.map((edge) => ({ time: edge.time, pressed: edge.pressed }));
		this.#onDeepSleep = options.onDeepSleep;
		this.lightSleep = new SimLightSleep(options.onLightSleepAllowed);
	}

	bootButtonEdges(): ButtonEdge[] {
		return this.#edges.map((edge) => ({ ...edge }));
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

/** hal/power LightSleep with the lock counted, as esp_pm_lock_acquire/release count a lock's holds. */
export class SimLightSleep implements LightSleep {
	#enabled = false;
	#holds = 0;
	#onAllowed: ((allowed: boolean) => void) | undefined;

	constructor(onAllowed?: (allowed: boolean) => void) {
		if (onAllowed !== undefined && typeof onAllowed !== "function") throw new RangeError("invalid onLightSleepAllowed");
		this.#onAllowed = onAllowed;
	}

	enable(): void {
		const before = this.allowed;
		this.#enabled = true;
		this.#changed(before);
	}

	hold(): void {
		const before = this.allowed;
		this.#holds++;
		this.#changed(before);
	}

	release(): void {
		if (this.#holds === 0) throw new RangeError("release without hold");
		const before = this.allowed;
		this.#holds--;
		this.#changed(before);
	}

	/** The chip may light-sleep now: enabled and nothing held. */
	get allowed(): boolean {
		return this.#enabled && this.#holds === 0;
	}

	get holds(): number {
		return this.#holds;
	}

	#changed(before: boolean): void {
		if (this.allowed !== before) this.#onAllowed?.(this.allowed);
	}
}
