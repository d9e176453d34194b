import type { Indicator, IndicatorPattern } from "hal/indicator";

/** Records every pattern shown, for tests and the host simulator's display. */
export default class SimIndicator implements Indicator {
	readonly shown: IndicatorPattern[] = [];
	#onShow: ((pattern: IndicatorPattern) => void) | undefined;

	constructor(onShow?: (pattern: IndicatorPattern) => void) {
		this.#onShow = onShow;
	}

	show(pattern: IndicatorPattern): void {
		this.shown.push(pattern);
		this.#onShow?.(pattern);
	}

	/** The pattern on display now ("off" before anything was shown). */
	get current(): IndicatorPattern {
		return this.shown.length ? this.shown[this.shown.length - 1]! : "off";
	}
}
