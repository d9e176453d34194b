import type { Keystore } from "hal/keystore";
import { keystoreDomain } from "hal/keystore";
import NvsKeystore from "hal/esp32/nvsKeystore";

/**
 * `hal/deviceKeystore` on classic ESP32 boards (no HMAC peripheral): the key is an NVS blob, protected by flash
 * encryption plus NVS encryption in release builds, read and used natively (PSA Crypto), never handed to JS.
 */
export function openDeviceKeystore(): Keystore {
	return new NvsKeystore({ namespace: keystoreDomain });
}
