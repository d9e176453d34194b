import type { Entropy } from "hal/entropy";

const fillNative = native("xs_enigm_entropy_fill") as (bytes: Uint8Array) => void;

/** hal/esp32/entropy.c: esp_fill_random with the SAR-ADC entropy source on (bootloader_random_enable), true random without RF (ESP-IDF Random Number Generation). */
export default class Esp32Entropy implements Entropy {
	fill(bytes: Uint8Array): Uint8Array {
		if (!(bytes instanceof Uint8Array)) throw new TypeError("invalid bytes");
		fillNative(bytes);
		return bytes;
	}
}
