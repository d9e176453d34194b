import type { ButtonEdge, LightSleep, Power, WakeCause } from "hal/power";

const wakeCauseNative = native("xs_enigm_power_wake_cause") as () => WakeCause;
const sampleButtonNative = native("xs_enigm_power_sample_button") as (pin: number, pullUp: boolean) => 0 | 1;
const deepSleepNative = native("xs_enigm_power_deep_sleep") as (pin: number, activeLow: boolean) => void;
const lightSleepEnableNative = native("xs_enigm_power_light_sleep_enable") as (pin: number, activeLow: boolean) => boolean;
const lightSleepHoldNative = native("xs_enigm_power_light_sleep_hold") as () => void;
const lightSleepReleaseNative = native("xs_enigm_power_light_sleep_release") as () => void;

export interface Esp32PowerOptions {
	/** The button's GPIO; must be an RTC GPIO (checked natively with rtc_gpio_is_valid_gpio). */
	pin: number;
	/** true when a press reads 0 (button to GND, pull-up). */
	activeLow: boolean;
}

/**
 * ESP32 power over hal/esp32/power.c. Construct it as early as possible at boot: the constructor reads the wake
 * cause and samples the button, so a press that woke the chip is still seen as held. Edge capture between the
 * wake and the button driver attaching is not implemented natively (an ISR here would compete with the ECMA-419
 * Digital's own handler for the pin), so `bootButtonEdges()` is empty and the driver assumes the wake press from
 * `wakeCause` and `buttonPressedAtBoot`, as hal/power documents.
 */
export default class Esp32Power implements Power {
	readonly wakeCause: WakeCause;
	readonly buttonPressedAtBoot: boolean;
	readonly #pin: number;
	readonly #activeLow: boolean;
	readonly lightSleep: LightSleep;

	constructor(options: Esp32PowerOptions) {
		const { pin, activeLow } = options ?? ({} as Esp32PowerOptions);
		if (!Number.isInteger(pin) || pin < 0 || pin > 48) throw new RangeError("invalid pin");
		if (typeof activeLow !== "boolean") throw new RangeError("invalid activeLow");
		this.#pin = pin;
		this.#activeLow = activeLow;
		this.wakeCause = wakeCauseNative();
		const level = sampleButtonNative(pin, activeLow);
		this.buttonPressedAtBoot = activeLow ? level === 0 : level === 1;
		// hal/esp32/power.c: esp_pm_configure(light_sleep_enable) with an ESP_PM_NO_LIGHT_SLEEP lock, counted here
		// as well so that a stray release is a RangeError as on the simulated target.
		let holds = 0;
		this.lightSleep = Object.freeze({
			enable: () => { lightSleepEnableNative(pin, activeLow); },
			hold: () => { holds++; lightSleepHoldNative(); },
			release: () => {
				if (holds === 0) throw new RangeError("release without hold");
				holds--;
				lightSleepReleaseNative();
			},
		});
	}

	bootButtonEdges(): ButtonEdge[] {
		return [];
	}

	deepSleep(): void {
		deepSleepNative(this.#pin, this.#activeLow);
	}
}
