import config from "mc/config";
import type { Board } from "hal/board";
import type { Target } from "hal/targetTypes";
import type { Store } from "hal/store";
import SoftKeystore from "hal/sim/softKeystore";
import type { WakeCause } from "hal/power";
import TimerClock from "hal/moddable/timerClock";
import PreferenceStore from "hal/moddable/preferenceStore";
import DigitalIndicator from "hal/moddable/digitalIndicator";
import SimulatorPower, { SleepableClock } from "hal/simulator/power";
import HostEntropy from "hal/simulator/entropy";
import { readPlatformCa } from "hal/simulator/platformCa";

/**
 * Platform services on the Moddable desktop simulator (module name `hal/target` on lin/mac/win). Preference is a
 * JSON file under `config.file.root`; the wake cause comes from `config.wakeCause` so a QA run can start as if the
 * button woke the device: mcconfig -d -m -p lin wakeCause=button pressedAtBoot=true
 * The platform CA is read from the file `config.platformCaFile` (a PEM path) when it is set.
 */
export function createTarget(board: Board): Target {
	const clock = new SleepableClock(new TimerClock());
	// Command-line overrides arrive as strings ("true"), manifest values as JSON types.
	const { wakeCause = "powerOn", pressedAtBoot = false, platformCaFile } = config as { wakeCause?: WakeCause; pressedAtBoot?: boolean | string; platformCaFile?: string };
	const power = new SimulatorPower({
		clock,
		wakeCause,
		buttonPressedAtBoot: pressedAtBoot === true || pressedAtBoot === "true",
	});
	const led = board.pin.led;
	const indicator =
		led === undefined
			? { show(pattern: string) { trace(`indicator: ${pattern}\n`); } }
			: new DigitalIndicator({ output: new board.io.Digital({ pin: led, mode: board.io.Digital.Output }), activeLow: board.led?.activeLow ?? false, clock });
	return Object.freeze({
		clock,
		store: (domain: string) => new PreferenceStore(domain),
		power,
		entropy: new HostEntropy(),
		indicator,
		keystore: (store: Store) => new SoftKeystore({ store }),
		platformCa: () => (platformCaFile ? readPlatformCa(String(platformCaFile)) : undefined),
	});
}
