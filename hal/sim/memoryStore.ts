import { checkStoreDomain, checkStoreEntry, type Store, type StoredValue } from "hal/store";

export { checkStoreDomain, maxDomainLength } from "hal/store";

/** Thrown by every store call once the simulated power is cut; the caller's boot is over. */
export class PowerCut extends Error {
	constructor() {
		super("power cut");
		this.name = "PowerCut";
	}
}

/**
 * The flash operations of one NVS partition, and where power fails. Each NVS operation is atomic on its own
 * (ESP-IDF NVS: an entry is written, then marked written; an interrupted one is discarded at the next init), but
 * Moddable's ESP32 `Preference.set` is two of them: `nvs_erase_key`, then `nvs_set_*`
 * (modules/files/preference/esp32/modPreference.c, ERASE_KEY before each nvs_set_*; SDK 8.2.3), and
 * `Preference.delete` is one `nvs_erase_key`. `cutAt = n` lets n operations happen and then cuts the power: the
 * (n+1)th operation does not happen and it, and every store call after it, throws `PowerCut`.
 */
export class Flash {
	/** Operations performed so far (erases of a present key and writes). */
	ops = 0;
	cutAt: number | undefined;
	#off = false;

	constructor(cutAt?: number) {
		this.cutAt = cutAt;
	}

	get off(): boolean {
		return this.#off;
	}

	/** Called before each operation: throws instead of performing it once the cut position is reached. */
	op(): void {
		this.check();
		if (this.cutAt !== undefined && this.ops >= this.cutAt) {
			this.#off = true;
			throw new PowerCut();
		}
		this.ops++;
	}

	check(): void {
		if (this.#off) throw new PowerCut();
	}

	/** Power back on (a reboot): the flash keeps what was written; no further cut unless one is set again. */
	powerOn(cutAt?: number): void {
		this.#off = false;
		this.ops = 0;
		this.cutAt = cutAt;
	}
}

/**
 * In-memory Store for tests and the host simulator, as strict as Moddable's Preference over NVS: it refuses
 * exactly what Preference/NVS refuses (hal/store `checkStoreEntry`), copies ArrayBuffers in and out as NVS blobs
 * are copied, writes a value as erase-then-set (two flash operations, see `Flash`) and counts set/delete calls so
 * tests can assert that callers batch their writes. Several instances may share one `backing` map (and one
 * `flash`) to model one NVS partition seen through several domains, or a reboot (a new instance over the same
 * backing).
 */
export default class MemoryStore implements Store {
	readonly domain: string;
	readonly flash: Flash;
	#entries: Map<string, StoredValue>;
	#writes = 0;

	constructor(domain = "sim", backing?: Map<string, Map<string, StoredValue>>, flash?: Flash) {
		checkStoreDomain(domain);
		this.domain = domain;
		this.flash = flash ?? new Flash();
		if (backing) {
			let entries = backing.get(domain);
			if (!entries) backing.set(domain, (entries = new Map()));
			this.#entries = entries;
		} else this.#entries = new Map();
	}

	get(key: string): StoredValue | undefined {
		checkStoreEntry(key);
		this.flash.check();
		const value = this.#entries.get(key);
		return value instanceof ArrayBuffer ? value.slice(0) : value;
	}

	set(key: string, value: StoredValue): void {
		checkStoreEntry(key, value);
		if (typeof value !== "number" && typeof value !== "string" && typeof value !== "boolean" && !(value instanceof ArrayBuffer))
			throw new TypeError(`store value for "${key}" must be a number, string, boolean or ArrayBuffer`);
		this.#writes++;
		this.#erase(key);
		this.flash.op();
		this.#entries.set(key, value instanceof ArrayBuffer ? value.slice(0) : value);
	}

	delete(key: string): void {
		checkStoreEntry(key);
		this.flash.check();
		if (!this.#entries.has(key)) return;
		this.#writes++;
		this.#erase(key);
	}

	keys(): string[] {
		this.flash.check();
		return Array.from(this.#entries.keys());
	}

	/** Number of set/delete calls that would have written flash. */
	get writes(): number {
		return this.#writes;
	}

	#erase(key: string): void {
		this.flash.check();
		if (!this.#entries.has(key)) return; // nvs_erase_key on an absent key: ESP_ERR_NVS_NOT_FOUND, nothing written
		this.flash.op();
		this.#entries.delete(key);
	}
}
