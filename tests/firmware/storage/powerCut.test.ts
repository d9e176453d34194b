/**
 * Power cut at every flash operation of long random device lives. The store is hal/sim/memoryStore as strict as
 * Moddable's ESP32 Preference: every set is nvs_erase_key then nvs_set_* (modules/files/preference/esp32/
 * modPreference.c, SDK 8.2.3), each NVS operation atomic by itself, and power may fail between any two of them.
 * A run is first played without a cut to count its flash operations; then, for every position, it is replayed
 * with the power cut there, the device reboots (new objects over the same flash), and the rest of the run goes on,
 * with a second cut further on. Checked all along:
 * - no nonce counter value is ever issued twice (RFC 8613 B.1.1 as modules/counter implements it);
 * - once markRevoked() has returned, every later boot reads the device as revoked;
 * - the journal record and the store-and-forward backlog read back as the last completed write or the one in
 *   flight at the cut, never missing, older or damaged (so no stored point is lost: a backlog write that
 *   completed is what the next boot restores).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import MemoryStore, { Flash, PowerCut } from "hal/sim/memoryStore";
import type { StoredValue } from "hal/store";
import Counter from "modules/counter";
import Journal from "modules/journal";
import DurableRecord from "modules/durableRecord";
import type { JournalRecord } from "modules/sos/messages";
import { seededRandom as prng } from "../../../tools/sim/modem/prng";


type Action =
	| { kind: "next" }
	| { kind: "commit" }
	| { kind: "save"; record: JournalRecord }
	| { kind: "clear" }
	| { kind: "backlog"; text: string }
	| { kind: "revoke" }
	| { kind: "reboot" };

function script(seed: number, length: number): Action[] {
	const r = prng(seed);
	const hex = () => Array.from({ length: 32 }, () => "0123456789abcdef"[Math.floor(r() * 16)]).join("");
	const phases = ["activating", "alerting", "streaming", "closing"] as const;
	const actions: Action[] = [];
	let points: number[] = [];
	for (let i = 0; i < length; i++) {
		const x = r();
		if (x < 0.45) actions.push({ kind: "next" });
		else if (x < 0.5) actions.push({ kind: "commit" });
		else if (x < 0.65)
			actions.push({
				kind: "save",
				record: {
					eventId: hex(),
					phase: phases[Math.floor(r() * 4)]!,
					alertDelivered: r() < 0.5,
					elapsedMs: Math.floor(r() * 1e6),
					pointsDelivered: Math.floor(r() * 500),
					...(r() < 0.3 ? { closeReason: "device" as const } : {}),
				},
			});
		else if (x < 0.7) actions.push({ kind: "clear" });
		else if (x < 0.85) {
			// The uplink's backlog: points accumulate until a batch is acknowledged, then it is emptied.
			points = r() < 0.2 ? [] : [...points, points.length + 1];
			actions.push({ kind: "backlog", text: points.length ? JSON.stringify({ points }) : "" });
		} else if (x < 0.95) actions.push({ kind: "reboot" });
		else if (i > length / 2 && r() < 0.3) actions.push({ kind: "revoke" });
		else actions.push({ kind: "next" });
	}
	return actions;
}

interface Device {
	counter: Counter;
	journal: Journal;
	backlog: DurableRecord;
}

function boot(backing: Map<string, Map<string, StoredValue>>, flash: Flash): Device {
	const store = new MemoryStore("enigm", backing, flash);
	return {
		counter: new Counter({ store, blockSize: 4, margin: 1 }),
		journal: new Journal(store),
		backlog: new DurableRecord(store, "ev_backlog_a", "ev_backlog_b"),
	};
}

/** What the flash must hold after the last completed writes (and, at a cut, the write in flight). */
interface Truth {
	issued: Set<number>;
	revoked: boolean;
	record: string | undefined; // journal record as load() reports it (JSON), undefined = none
	backlog: string | undefined;
}

const recordText = (r: JournalRecord | undefined) => (r ? JSON.stringify({ ...r }) : undefined);

function loadRecord(journal: Journal): string | undefined {
	const loaded = journal.load();
	assert.ok(loaded.ok, `journal damaged: ${loaded.ok ? "" : loaded.reason}`);
	return recordText(loaded.ok ? loaded.record : undefined);
}

/** Plays `actions` from `from`; returns the index of the action a cut interrupted, or undefined if none did. */
function play(actions: Action[], from: number, truth: Truth, backing: Map<string, Map<string, StoredValue>>, flash: Flash, onCut: (inFlight: Action) => void): number | undefined {
	let device = boot(backing, flash);
	for (let i = from; i < actions.length; i++) {
		const action = actions[i]!;
		try {
			switch (action.kind) {
				case "next": {
					const v = device.counter.next();
					if (flash.off) throw new PowerCut(); // the CPU died inside next(): nothing left the device
					if (v === undefined) assert.unreachable(`counter refused: ${device.counter.lastError}`);
					assert.not.ok(truth.issued.has(v!), `counter value ${v} issued twice`);
					truth.issued.add(v!);
					break;
				}
				case "commit":
					device.counter.commit();
					if (flash.off) throw new PowerCut();
					break;
				case "save":
					device.journal.save(action.record);
					truth.record = recordText(action.record);
					break;
				case "clear":
					device.journal.clear();
					truth.record = undefined;
					break;
				case "backlog":
					device.backlog.write(action.text);
					truth.backlog = action.text;
					break;
				case "revoke":
					device.journal.markRevoked();
					truth.revoked = true;
					break;
				case "reboot":
					device = boot(backing, flash);
					assert.is(loadRecord(device.journal), truth.record);
					assert.is(device.backlog.read() ?? "", truth.backlog ?? "");
					if (truth.revoked) assert.ok(device.journal.revoked, "revoked device reads as revoked");
					break;
			}
		} catch (e) {
			if (!(e instanceof PowerCut)) throw e;
			onCut(action);
			return i;
		}
	}
	return undefined;
}

/** After a cut: reboot and check that each fact reads as before the interrupted write or as that write. */
function checkAfterCut(truth: Truth, inFlight: Action, backing: Map<string, Map<string, StoredValue>>, flash: Flash): void {
	flash.powerOn();
	const device = boot(backing, flash);
	const record = loadRecord(device.journal);
	if (inFlight.kind === "save" && record === recordText(inFlight.record)) truth.record = record;
	else if (inFlight.kind === "clear" && record === undefined) truth.record = undefined;
	assert.is(record, truth.record, `journal after a cut in ${inFlight.kind}`);
	const backlog = device.backlog.read() ?? "";
	if (inFlight.kind === "backlog" && backlog === inFlight.text) truth.backlog = backlog;
	assert.is(backlog, truth.backlog ?? "", `backlog after a cut in ${inFlight.kind}`);
	if (inFlight.kind === "revoke" && device.journal.revoked) truth.revoked = true;
	if (truth.revoked) assert.ok(device.journal.revoked, "a revoked device never activates again");
}

const cuts = suite("power cut at every flash operation (erase-then-set store)");

for (const seed of [1, 7, 2024]) {
	cuts(`seed ${seed}: 160 actions, a cut at every flash operation and a second one later`, () => {
		const actions = script(seed, 160);
		const clean = new Flash();
		const cleanTruth: Truth = { issued: new Set(), revoked: false, record: undefined, backlog: undefined };
		assert.is(play(actions, 0, cleanTruth, new Map(), clean, () => {}), undefined);
		const total = clean.ops;
		assert.ok(total > 100, `a long run (${total} flash operations)`);
		const r = prng(seed ^ 0x5eed);
		for (let cut = 0; cut < total; cut++) {
			const backing = new Map<string, Map<string, StoredValue>>();
			const flash = new Flash(cut);
			const truth: Truth = { issued: new Set(), revoked: false, record: undefined, backlog: undefined };
			let from = 0;
			let secondCut: number | undefined = Math.floor(r() * 60);
			for (;;) {
				let inFlight: Action | undefined;
				const at = play(actions, from, truth, backing, flash, (a) => (inFlight = a));
				if (at === undefined) break;
				checkAfterCut(truth, inFlight!, backing, flash);
				flash.cutAt = secondCut;
				secondCut = undefined;
				from = at + 1;
			}
		}
	});
}

cuts("a cut between the erase and the write of a single-key value would lose it: the model is that strict", () => {
	const backing = new Map<string, Map<string, StoredValue>>();
	const flash = new Flash();
	const store = new MemoryStore("enigm", backing, flash);
	store.set("nonce_mark", 100);
	flash.cutAt = flash.ops + 1;
	assert.throws(() => store.set("nonce_mark", 200), (e: unknown) => e instanceof PowerCut);
	flash.powerOn();
	assert.is(new MemoryStore("enigm", backing, flash).get("nonce_mark"), undefined);
});

cuts("a provisioned counter whose mark write was cut resumes past every value it issued", () => {
	const backing = new Map<string, Map<string, StoredValue>>();
	const flash = new Flash();
	const c = new Counter({ store: new MemoryStore("enigm", backing, flash), blockSize: 4, margin: 1 });
	const issued: number[] = [];
	for (let i = 0; i < 9; i++) issued.push(c.next()!);
	flash.cutAt = flash.ops + 1; // the next mark write loses power between its erase and its write
	for (let i = 0; i < 8 && !flash.off; i++) {
		const v = c.next();
		if (!flash.off && v !== undefined) issued.push(v);
	}
	assert.ok(flash.off, "the cut happened");
	flash.powerOn();
	const after = new Counter({ store: new MemoryStore("enigm", backing, flash), blockSize: 4, margin: 1 });
	const v = after.next()!;
	assert.ok(v > Math.max(...issued), `${v} after ${Math.max(...issued)}`);
});

cuts.run();
