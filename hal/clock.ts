/**
 * The only source of time for modules and drivers (CONVENTIONS.md 4). The device binds it to Moddable's `Timer`
 * (hal/moddable/timerClock), tests and the host simulator to a manual clock that advances simulated time
 * (hal/sim/manualClock). Nothing in modules/ or drivers/ waits any other way.
 */
export type TimerHandle = { readonly __timerHandle: true } | object;

export interface Clock {
	/** Monotonic milliseconds since boot (not wall time; wall time comes from the network, see modules/wallTime). */
	now(): number;
	/** Calls `callback` once, `ms` milliseconds from now. */
	set(callback: () => void, ms: number): TimerHandle;
	/** Cancels a pending callback; clearing an expired or undefined handle is harmless. */
	clear(handle: TimerHandle | undefined): void;
}
