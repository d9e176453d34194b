/**
 * XS instruction meter (xsnap's `resetMeter(limit, index)`, which returns the instructions counted since the last
 * reset and restarts the count). `meterNow()` turns it into one running total per bundle, so measurements nest:
 * a measurement is the difference of two readings. Outside XS (Node) every reading is 0 and nothing prints.
 *
 * A bundle reports a figure by printing `XS-METER <count> <label>`; `runFileInXs(file, { meter: true })` collects
 * those lines. The uvu shim prints one per test (handler plus the timers drained after it) and `(total)` at the end.
 */
let total = 0;

type ResetMeter = (limit: number, index: number) => number;

function resetter(): ResetMeter | undefined {
	const host = globalThis as { __xsnap?: { resetMeter?: ResetMeter }; resetMeter?: ResetMeter };
	const reset = host.__xsnap?.resetMeter ?? host.resetMeter;
	return typeof reset === "function" ? reset : undefined;
}

/** True inside xsnap. */
export function meterAvailable(): boolean {
	return resetter() !== undefined;
}

/** Instructions executed since the bundle started (0 outside XS). */
export function meterNow(): number {
	const reset = resetter();
	if (reset) total += reset(0, 0);
	return total;
}

export function printMeter(label: string, count: number): void {
	const host = globalThis as { __xsnap?: { print(text: string): void }; print?: (text: string) => void };
	const print = host.__xsnap?.print ?? host.print;
	if (print && meterAvailable()) print(`XS-METER ${count} ${label}`);
}

/** Runs `work` and prints its instruction count under `label` (in XS); returns what `work` returns. */
export function measure<T>(label: string, work: () => T): T {
	const start = meterNow();
	const result = work();
	printMeter(label, meterNow() - start);
	return result;
}

/** Like `measure` for async work: counts everything the machine executes until the promise settles. */
export async function measureAsync<T>(label: string, work: () => Promise<T>): Promise<T> {
	const start = meterNow();
	const result = await work();
	printMeter(label, meterNow() - start);
	return result;
}
