/**
 * Persistent key/value store, one domain per instance. On Moddable this is `Preference` (NVS on ESP32):
 * keys are at most 15 characters (NVS key limit), integers are stored as i32, booleans as u8, strings as str and
 * ArrayBuffers as blob; floats are refused. Every `set` is one flash write, so callers batch their writes.
 */
export type StoredValue = number | string | boolean | ArrayBuffer;

export const maxKeyLength = 15;

/** NVS namespace names are at most 15 characters (ESP-IDF "Non-Volatile Storage Library", NVS_KEY_NAME_MAX_SIZE - 1). */
export const maxDomainLength = 15;

export function checkStoreDomain(domain: string): void {
	if (domain.length === 0 || domain.length > maxDomainLength)
		throw new RangeError(`store domain "${domain}" must be 1..${maxDomainLength} characters`);
}

export interface Store {
	get(key: string): StoredValue | undefined;
	set(key: string, value: StoredValue): void;
	delete(key: string): void;
	keys(): string[];
}

/** Validation shared by every implementation, so the simulator refuses what NVS would refuse. */
export function checkStoreEntry(key: string, value?: StoredValue): void {
	if (key.length === 0 || key.length > maxKeyLength)
		throw new RangeError(`store key "${key}" must be 1..${maxKeyLength} characters`);
	if (typeof value === "number" && (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff))
		throw new RangeError(`store value for "${key}" must be an i32 integer`);
	if (typeof value === "string" && value.length > 4000)
		throw new RangeError(`store value for "${key}" exceeds 4000 bytes`);
	if (value instanceof ArrayBuffer && value.byteLength > 4000)
		throw new RangeError(`store value for "${key}" exceeds 4000 bytes`);
}
