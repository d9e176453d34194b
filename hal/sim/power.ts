import type { ButtonEdge, Power, WakeCause } from "hal/power";

const wakeCauses: readonly WakeCause[] = Object.freeze(["button", "timer", "powerOn", "reset", "other"] as const);

export interface SimPowerOptions {
	wakeCause?: WakeCause;
	buttonPressedAtBoot?: boolean;
	/** Edges the platform "captured" between the wake and the driver attaching, oldest first. */
	bootButtonEdges?: readonly ButtonEdge[];
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
	#edges: readonly ButtonEdge[];
	#sleeps = 0;
	#onDeepSleep: (() => void) | undefined;

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
