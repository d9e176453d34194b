import type { Store } from "hal/store";
import DurableRecord from "modules/durableRecord";
import type { CloseReason, JournalRecord } from "modules/sos/messages";

/**
 * The event journal: the part of an emergency event that must survive a reboot or brownout, kept in the
 * persistent store (NVS through Moddable's Preference on the device). Power may fail at any instant, including
 * inside Preference.set, which erases a key before writing it (modules/files/preference/esp32/modPreference.c):
 *
 * - the record is one string in a two-slot DurableRecord (`ev_rec_a`/`ev_rec_b`): a load after any cut sees the
 *   record before the interrupted save or the one it wrote, whole; an empty record means "no event";
 * - the revoked flag is two u8 keys (`revoked`, `revoked2`), revoked when either is true; a key that holds true is
 *   never written again (rewriting would erase it first), so once markRevoked() returns no cut undoes it.
 */
const Key = Object.freeze({
	recordA: "ev_rec_a",
	recordB: "ev_rec_b",
	revoked: "revoked",
	revoked2: "revoked2",
});

const phases: ReadonlyArray<JournalRecord["phase"]> = ["activating", "alerting", "streaming", "closing"];
const closeReasons: ReadonlyArray<CloseReason> = ["platform", "device", "max-duration", "refused", "suspended"];
const FlagAlertDelivered = 1;

export type JournalLoad =
	| { readonly ok: true; readonly record?: JournalRecord }
	| { readonly ok: false; readonly reason: string };

export default class Journal {
	#store: Store;
	#record: DurableRecord;
	#revoked = false;
	/** Flash writes performed, for the energy and wear figures. */
	writes = 0;

	constructor(store: Store) {
		if (!store) throw new RangeError("invalid store");
		this.#store = store;
		this.#record = new DurableRecord(store, Key.recordA, Key.recordB);
	}

	/** Reads the record of an event in progress. A damaged record is reported, not guessed at. */
	load(): JournalLoad {
		const text = this.#record.read();
		if (text === undefined || text === "") return { ok: true };
		const [id, phase, flagsText, elapsedText, pointsText, close, ...rest] = text.split(" ");
		if (!id || !/^[0-9a-f]{32}$/.test(id)) return { ok: false, reason: "event id is not 32 hex digits" };
		if (!phase || !phases.includes(phase as JournalRecord["phase"])) return { ok: false, reason: "unknown phase" };
		const [flags, elapsed, points] = [flagsText, elapsedText, pointsText].map((t) => (t !== undefined && /^[0-9]{1,10}$/.test(t) ? Number(t) : -1));
		if (flags! < 0 || elapsed! < 0 || points! < 0 || rest.length > 0) return { ok: false, reason: "counters missing or negative" };
		if (close !== "-" && !closeReasons.includes(close as CloseReason)) return { ok: false, reason: "unknown close reason" };
		return {
			ok: true,
			record: {
				eventId: id,
				phase: phase as JournalRecord["phase"],
				alertDelivered: (flags! & FlagAlertDelivered) !== 0,
				elapsedMs: elapsed!,
				pointsDelivered: points!,
				...(close !== "-" ? { closeReason: close as CloseReason } : {}),
			},
		};
	}

	save(record: JournalRecord): void {
		if (!/^[0-9a-f]{32}$/.test(record.eventId)) throw new RangeError("invalid event id");
		if (!phases.includes(record.phase)) throw new RangeError("invalid phase");
		if (record.closeReason !== undefined && !closeReasons.includes(record.closeReason)) throw new RangeError("invalid close reason");
		const fields = [
			record.eventId,
			record.phase,
			record.alertDelivered ? FlagAlertDelivered : 0,
			Math.max(0, Math.min(0x7fffffff, Math.round(record.elapsedMs))),
			Math.max(0, Math.min(0x7fffffff, record.pointsDelivered)),
			record.closeReason ?? "-",
		];
		this.#write(fields.join(" "));
	}

	clear(): void {
		if (this.#record.read() === undefined) return;
		this.#write("");
	}

	get revoked(): boolean {
		if (!this.#revoked) this.#revoked = this.#store.get(Key.revoked) === true || this.#store.get(Key.revoked2) === true;
		return this.#revoked;
	}

	markRevoked(): void {
		// Write only a key that does not hold true yet: a rewrite would erase a true first.
		for (const key of [Key.revoked, Key.revoked2]) {
			if (this.#store.get(key) === true) continue;
			this.#store.set(key, true);
			this.writes++;
		}
		this.#revoked = true;
	}

	#write(text: string): void {
		const before = this.#record.writes;
		this.#record.write(text);
		this.writes += this.#record.writes - before;
	}
}
