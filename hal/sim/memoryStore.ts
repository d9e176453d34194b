import { checkStoreDomain, checkStoreEntry, type Store, type StoredValue } from "hal/store";

export { checkStoreDomain, maxDomainLength } from "hal/store";

/**
 * In-memory Store for tests and the host simulator. It refuses exactly what Preference/NVS refuses (hal/store
 * `checkStoreEntry`), copies ArrayBuffers in and out as NVS blobs are copied, and counts flash writes so tests can
 * assert that callers batch their writes. Several instances may share one `backing` map to model one NVS partition
 * seen through several domains, or a reboot (a new instance over the same backing).
 */
export default class MemoryStore implements Store {
	readonly domain: string;
	#entries: Map<string, StoredValue>;
	#writes = 0;

	constructor(domain = "sim", backing?: Map<string, Map<string, StoredValue>>) {
		checkStoreDomain(domain);
		this.domain = domain;
		if (backing) {
			let entries = backing.get(domain);
			if (!entries) backing.set(domain, (entries = new Map()));
			this.#entries = entries;
		} else this.#entries = new Map();
	}

	get(key: string): StoredValue | undefined {
		checkStoreEntry(key);
		const value = this.#entries.get(key);
		return value instanceof ArrayBuffer ? value.slice(0) : value;
	}

	set(key: string, value: StoredValue): void {
		checkStoreEntry(key, value);
		if (typeof value !== "number" && typeof value !== "string" && typeof value !== "boolean" && !(value instanceof ArrayBuffer))
			throw new TypeError(`store value for "${key}" must be a number, string, boolean or ArrayBuffer`);
		this.#entries.set(key, value instanceof ArrayBuffer ? value.slice(0) : value);
		this.#writes++;
	}

	delete(key: string): void {
		checkStoreEntry(key);
		if (this.#entries.delete(key)) this.#writes++;
	}

	keys(): string[] {
		return Array.from(this.#entries.keys());
	}

	/** Number of set/delete calls that would have written flash. */
	get writes(): number {
		return this.#writes;
	}
}
