import type { Clock } from "hal/clock";
import type { Entropy } from "hal/entropy";
import type { Indicator } from "hal/indicator";
import type { Keystore } from "hal/keystore";
import type { Power } from "hal/power";
import type { Store } from "hal/store";

/**
 * The platform services main.ts needs besides the board's IO. `hal/target` is one module name mapped per platform
 * in the manifest (esp32: hal/esp32/target, lin/mac/win: hal/simulator/target); each exports
 * `createTarget(board): Target`.
 */
export interface Target {
	readonly clock: Clock;
	/** A Store over one Preference/NVS domain (namespace), at most 15 characters. */
	store(domain: string): Store;
	readonly power: Power;
	readonly entropy: Entropy;
	readonly indicator: Indicator;
	/**
	 * The device's signing key, never exposed: eFuse HMAC peripheral (ESP32-S3), encrypted NVS + PSA Crypto (classic
	 * ESP32), or the simulated store with HMAC in TypeScript. Throws RangeError when the device is not provisioned.
	 */
	keystore(store: Store): Keystore;
	/**
	 * The platform CA (PEM bytes) when the platform keeps it outside `mc/config`: the desktop simulator reads the
	 * file named by `config.platformCaFile`. Absent on boards, where main.ts takes the PEM from `config.platformCa`.
	 */
	platformCa?(): Uint8Array | undefined;
}
