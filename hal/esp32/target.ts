import Digital from "embedded:io/digital";
import type { Board } from "hal/board";
import type { Target } from "hal/targetTypes";
import type { Indicator } from "hal/indicator";
import TimerClock from "hal/moddable/timerClock";
import PreferenceStore from "hal/moddable/preferenceStore";
import DigitalIndicator from "hal/moddable/digitalIndicator";
import Esp32Power from "hal/esp32/power";
import Esp32Entropy from "hal/esp32/entropy";
// Mapped per board manifest: eFuse HMAC on the ESP32-S3, NVS + PSA Crypto on the classic ESP32.
import { openDeviceKeystore } from "hal/deviceKeystore";

/** ESP32 platform services for a hardware board (module name `hal/target` on esp32, see manifest.json). */
export function createTarget(board: Board): Target {
	if (typeof board?.pin?.button !== "number") throw new RangeError("invalid board: button pin");
	const clock = new TimerClock();
	// First: sample the button before anything else runs, so the wake press is still held.
	const power = new Esp32Power({ pin: board.pin.button, activeLow: board.button.activeLow });
	let indicator: Indicator;
	if (board.pin.led !== undefined) {
		if (typeof board.pin.led !== "number") throw new RangeError("invalid board: led pin");
		const output = new Digital({ pin: board.pin.led, mode: Digital.Output });
		indicator = new DigitalIndicator({ output, activeLow: board.led?.activeLow ?? false, clock });
	} else indicator = { show(pattern) { trace(`indicator: ${pattern}\n`); } };
	return Object.freeze({
		clock,
		store: (domain: string) => new PreferenceStore(domain),
		power,
		entropy: new Esp32Entropy(),
		indicator,
		keystore: openDeviceKeystore,
	});
}
