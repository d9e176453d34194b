import type { Store } from "hal/store";

/**
 * One string value that survives a power cut at any instant, over a store whose `set` is erase-then-write
 * (Moddable's ESP32 Preference.set: nvs_erase_key, then nvs_set_str; modules/files/preference/esp32/
 * modPreference.c, SDK 8.2.3). Two keys (slots) each hold `<seq> <payload>`; the valid slot with the higher
 * sequence number is the value. A write goes into the other slot with the next sequence number, so the erase it
 * starts with never touches the current value: after a cut the store holds either the value before the write or
 * the value it wrote, never neither. Each NVS operation is atomic by itself (ESP-IDF NVS: an entry only counts
 * once it is marked written), which this relies on.
 *
 * An empty payload is a written "nothing" (cleared), distinct from a record that was never written.
 */
export const maxSequence = 0x7fffffff;

export default class DurableRecord {
	readonly #store: Store;
	readonly #keys: readonly [string, string];
	#loaded = false;
	#seq = 0; // sequence number of the current value, 0 = none
	#slot = 1; // slot index holding the current value (the next write goes to the other)
	#value: string | undefined;
	/** Store writes made (each is one erase + one write on the device). */
	writes = 0;

	constructor(store: Store, keyA: string, keyB: string) {
		if (!store) throw new TypeError("store required");
		if (keyA === keyB) throw new RangeError("two distinct slot keys required");
		this.#store = store;
		this.#keys = [keyA, keyB];
	}

	/** The current payload, or undefined if neither slot holds a valid record (never written). */
	read(): string | undefined {
		this.#load();
		return this.#value;
	}

	/** Writes `payload` durably; a payload equal to the current one writes nothing. */
	write(payload: string): void {
		if (typeof payload !== "string") throw new TypeError("payload must be a string");
		this.#load();
		if (payload === this.#value) return;
		if (this.#seq >= maxSequence) throw new RangeError("record sequence exhausted");
		const seq = this.#seq + 1;
		const slot = this.#seq === 0 ? 0 : 1 - this.#slot;
		this.#store.set(this.#keys[slot]!, `${seq} ${payload}`);
		this.writes++;
		this.#seq = seq;
		this.#slot = slot;
		this.#value = payload;
	}

	#load(): void {
		if (this.#loaded) return;
		for (let slot = 0; slot < 2; slot++) {
			const parsed = parseSlot(this.#store.get(this.#keys[slot]!));
			if (parsed && parsed.seq > this.#seq) {
				this.#seq = parsed.seq;
				this.#slot = slot;
				this.#value = parsed.payload;
			}
		}
		this.#loaded = true;
	}
}

function parseSlot(value: unknown): { seq: number; payload: string } | undefined {
	if (typeof value !== "string") return undefined;
	const space = value.indexOf(" ");
	if (space < 1 || space > 10) return undefined;
	const digits = value.slice(0, space);
	if (!/^[1-9][0-9]*$/.test(digits)) return undefined;
	const seq = Number(digits);
	if (seq > maxSequence) return undefined;
	return { seq, payload: value.slice(space + 1) };
}
