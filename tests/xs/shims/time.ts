/** Moddable `time` (modules/base/time): only `ticks`, the virtual milliseconds of the host shim's clock. */
import { now } from "./host";

export default class Time {
	private constructor() {}

	static get ticks(): number {
		return now();
	}

	static get microseconds(): number {
		return now() * 1000;
	}

	static delta(start: number, end: number = now()): number {
		return end - start;
	}
}
