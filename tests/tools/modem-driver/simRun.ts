/**
 * Drives a driver against the modem emulator in simulated time: `run(p)` advances the manual clock from deadline
 * to deadline (letting the emulator's real TLS socket IO settle first) until `p` settles. Shared by the driver
 * suites that put a real driver on the emulator.
 */
import type ManualClock from "hal/sim/manualClock";
import type ModemEmulator from "../../../tools/sim/modem/emulator";
import type { ModemResult } from "drivers/modem/modem";

export function simRunner(clock: ManualClock, emu: ModemEmulator, log: readonly string[]) {
	return async <T>(p: Promise<T>, limitMs = 900_000): Promise<T> => {
		let done = false;
		let value: T | undefined;
		p.then((v) => { done = true; value = v; });
		const end = clock.now() + limitMs;
		const realEnd = Date.now() + 10_000;
		while (!done) {
			await emu.whenIoSettled();
			if (done) break;
			const next = clock.nextDeadline();
			if (next === undefined || next > end) {
				// Waiting on real socket IO (the TLS server on loopback), not on simulated time.
				if (Date.now() > realEnd) throw new Error("hang: " + log.slice(-8).join(" | "));
				await new Promise((r) => setTimeout(r, 2));
				continue;
			}
			await clock.advanceAsync(Math.max(0, next - clock.now()));
		}
		return value as T;
	};
}

/** The value of a driver result, or a thrown error naming `what` and the driver's error. */
export function value<T>(r: ModemResult<T>, what = ""): T {
	if (!r.ok) throw new Error(`${what} failed: ${JSON.stringify(r.error)}`);
	return r.value;
}
