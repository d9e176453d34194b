/**
 * Cryptographically secure random bytes: ESP32 hardware RNG (`esp_fill_random`, with the RF subsystem or the
 * bootloader entropy source enabled, ESP-IDF "Random Number Generation"), node:crypto in host tools.
 * Used for event identifiers; never Math.random.
 */
export interface Entropy {
	fill(bytes: Uint8Array): Uint8Array;
}
