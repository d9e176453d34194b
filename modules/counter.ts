import type { Store } from "hal/store";

/**
 * The request nonce counter: every value is issued at most once, ever, across reboots and crashes, while flash is
 * written only once every K values (plus once per boot that issues anything). This is the OSCORE scheme of
 * RFC 8613 Appendix B.1.1:
 *
 * - the store holds a mark M (i32, key `nonce_mark`);
 * - first use after boot: start at M + K + F and persist that as the new mark *before* issuing anything, so a crash
 *   right after boot cannot make the next boot start at the same value;
 * - issuing v with v >= M + K makes the mark due; it is written right after v is handed out (the write lags the use
 *   by at most one value, which F >= 1 covers), and any further issue completes a pending write first.
 *
 * Invariant: every value ever issued is < (stored mark) + K + F, so a boot never re-issues one.
 *
 * Power cuts: Moddable's ESP32 Preference.set erases the key before writing it (modules/files/preference/esp32/
 * modPreference.c, SDK 8.2.3), so one key could be lost between the two. The mark therefore lives in two i32 slots
 * (`key` and `key` + "2") and is the larger of the two; a new mark (always larger) overwrites the smaller slot, so
 * the erase never touches the mark in force. Both slots are missing only before the first mark write completed,
 * and nothing is issued before that write, so starting at 1 then reuses nothing.
 *
 * Range and exhaustion: values are 1..2147483647 because NVS/Preference stores i32. When the next start or value
 * would pass that, `next()` returns undefined for ever: the device can no longer sign and needs a new identity
 * (re-provisioning). At one request per 5 s without pause that takes 340 years; each boot costs up to K + F values.
 */
export const maxCounter = 0x7fffffff;

export interface CounterOptions {
	readonly store: Store;
	/** Store key of the mark (NVS key, at most 15 characters). */
	readonly key?: string;
	/** Values per persisted block (RFC 8613 B.1.1 K). */
	readonly blockSize?: number;
	/** Safety margin for a write that lags its use (RFC 8613 B.1.1 F), at least 1. */
	readonly margin?: number;
}

export type CounterError = "exhausted" | "store";

export default class Counter {
	readonly #store: Store;
	readonly #keys: readonly [string, string];
	#slots: [number | undefined, number | undefined] = [undefined, undefined];
	readonly #k: number;
	readonly #f: number;
	#next = 0; // next value to issue; 0 until the first use after boot
	#mark = 0; // the mark as persisted
	#due = false; // a mark write is owed for #next - 1
	#writes = 0;
	#lastError: CounterError | undefined;

	constructor(options: CounterOptions) {
		const { store, key = "nonce_mark", blockSize = 32, margin = 4 } = options ?? ({} as CounterOptions);
		if (!store) throw new TypeError("store required");
		if (typeof key !== "string" || key.length < 1 || key.length > 14) throw new RangeError("invalid counter key");
		if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > 1_000_000) throw new RangeError("invalid blockSize");
		if (!Number.isInteger(margin) || margin < 1 || margin > 1_000_000) throw new RangeError("invalid margin");
		this.#store = store;
		this.#keys = [key, key + "2"];
		this.#k = blockSize;
		this.#f = margin;
	}

	/** Why the last `next()` returned undefined. */
	get lastError(): CounterError | undefined {
		return this.#lastError;
	}

	/** Flash writes this instance has made (for tests and the size/latency report). */
	get writes(): number {
		return this.#writes;
	}

	/**
	 * The next value, or undefined when the counter is exhausted or the store failed (see `lastError`); a failed
	 * store write never lets a value out that the persisted mark does not cover.
	 */
	next(): number | undefined {
		this.#lastError = undefined;
		try {
			if (this.#next === 0 && !this.#boot()) return undefined;
			if (this.#due) this.#persist(this.#next - 1);
			const v = this.#next;
			if (v > maxCounter) {
				this.#lastError = "exhausted";
				return undefined;
			}
			this.#next = v + 1;
			if (v >= this.#mark + this.#k) this.#due = true;
			return v;
		} catch {
			this.#lastError = "store";
			return undefined;
		}
	}

	/** Completes a pending mark write now (e.g. after the request went out, off the latency-critical path). */
	commit(): boolean {
		if (!this.#due) return true;
		try {
			this.#persist(this.#next - 1);
			return true;
		} catch {
			this.#lastError = "store";
			return false;
		}
	}

	/**
	 * Moves the counter past `value` (a platform's signed "nonce too old" answer, docs/protocol.md §8): the new start
	 * is persisted before anything is issued. Returns false if that is beyond the range or the store failed.
	 */
	skipPast(value: number): boolean {
		if (!Number.isInteger(value) || value < 0) return false;
		if (this.#next === 0 && !this.#boot()) return false;
		if (value < this.#next) return true;
		if (value + 1 > maxCounter) {
			this.#lastError = "exhausted";
			return false;
		}
		try {
			this.#persist(value + 1);
			this.#next = value + 1;
			this.#due = false;
			return true;
		} catch {
			this.#lastError = "store";
			return false;
		}
	}

	#boot(): boolean {
		let stored: number | undefined;
		for (let slot = 0; slot < 2; slot++) {
			const value = this.#store.get(this.#keys[slot]!);
			if (value === undefined) continue;
			if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
				// A corrupted mark could make us reuse values: refuse rather than guess.
				this.#lastError = "store";
				return false;
			}
			this.#slots[slot] = value;
			stored = Math.max(stored ?? 0, value);
		}
		const start = stored === undefined ? 1 : stored + this.#k + this.#f;
		if (start > maxCounter) {
			this.#lastError = "exhausted";
			return false;
		}
		this.#persist(start);
		this.#next = start;
		return true;
	}

	#persist(mark: number): void {
		const [a, b] = this.#slots;
		// The slot not holding the mark in force: a missing one first, else the smaller.
		const slot = a === undefined ? 0 : b === undefined ? 1 : a <= b ? 0 : 1;
		this.#slots[slot] = undefined; // erased first by the store, whatever happens next
		this.#store.set(this.#keys[slot]!, mark);
		this.#slots[slot] = mark;
		this.#writes++;
		this.#mark = mark;
		this.#due = false;
	}
}
