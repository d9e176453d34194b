/**
 * The platform's domain: device registry (import, revoke, replace), accounts and claiming, contacts, the event
 * lifecycle with its timeout timers, and contact notification. No HTTP here (routes.ts), so the CLI and the tests
 * drive the same code.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { Clock, TimerHandle } from "hal/clock";
import Store, { type ContactRow, type DeviceRow, type EventRow } from "./store";
import { DEVICE_ID, unwrapDeviceKey, wrapDeviceKey } from "./keys";
import { type ImportRecord, ImportError, parseImportRecord, unwrapImportRecord } from "./importRecords";
import type { EmergencyContext, Notifier } from "./notifier";
import type { CloseBody, LocationsBody, OpenBody } from "./messages";
import { verifyPointMac } from "./messages";
import type { DeviceKeyInfo } from "./verify";

export interface PlatformOptions {
	readonly store: Store;
	/** 32-byte platform storage key (device keys are wrapped under it at rest). */
	readonly storageKey: Buffer;
	/** 32-byte provisioning import key, when this platform imports records. */
	readonly importKey?: Buffer;
	/** `now()` is Unix milliseconds here (wall time); timers drive event timeouts. */
	readonly clock: Clock;
	readonly notifier: Notifier;
	readonly log: (line: string) => void;
	/** Longest an event stays open without being closed, ms (default 4 h). */
	readonly maxEventMs?: number;
	/** Reporting interval sent to devices, s (protocol §5 clamps to [5, 600]). */
	readonly interval?: number;
	/** How far a nonce may jump above the highest accepted one (0 = unlimited). */
	readonly nonceWindow?: number;
	/** Claim codes expire after this many ms (default 30 days). */
	readonly claimCodeMs?: number;
}

export class PlatformError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
	) {
		super(message);
	}
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function newId(): string {
	return randomBytes(16).toString("hex");
}

function json(v: unknown): string | null {
	return v === undefined ? null : JSON.stringify(v);
}

export interface ImportSummary {
	imported: number;
	unchanged: number;
	failed: { line: number; error: string }[];
}

export default class Platform {
	readonly store: Store;
	readonly #storageKey: Buffer;
	readonly #importKey: Buffer | undefined;
	readonly clock: Clock;
	readonly #notifier: Notifier;
	readonly log: (line: string) => void;
	readonly maxEventMs: number;
	readonly interval: number;
	readonly nonceWindow: number;
	readonly #claimCodeMs: number;
	readonly #keys = new Map<string, Buffer>();
	readonly #timers = new Map<number, TimerHandle>();
	readonly #pending = new Set<Promise<void>>();

	constructor(options: PlatformOptions) {
		if (options.storageKey.length !== 32) throw new RangeError("invalid storage key");
		if (options.importKey && options.importKey.length !== 32) throw new RangeError("invalid import key");
		this.store = options.store;
		this.#storageKey = options.storageKey;
		this.#importKey = options.importKey;
		this.clock = options.clock;
		this.#notifier = options.notifier;
		this.log = options.log;
		this.maxEventMs = options.maxEventMs ?? 4 * 3600_000;
		this.interval = options.interval ?? 30;
		this.nonceWindow = options.nonceWindow ?? 1_000_000;
		this.#claimCodeMs = options.claimCodeMs ?? 30 * 24 * 3600_000;
		// Events left open by a previous run keep their deadline; overdue ones close now.
		for (const e of this.store.openEvents()) this.#schedule(e);
	}

	close(): void {
		for (const t of this.#timers.values()) this.clock.clear(t);
		this.#timers.clear();
		for (const k of this.#keys.values()) k.fill(0);
		this.#keys.clear();
	}

	/** Resolves when every notification started so far has finished (tests, shutdown). */
	async idle(): Promise<void> {
		while (this.#pending.size) await Promise.allSettled([...this.#pending]);
	}

	get now(): number {
		return this.clock.now();
	}

	get nowSeconds(): number {
		return Math.floor(this.clock.now() / 1000);
	}

	// --- registry ---

	/** Key lookup for request verification; unwraps in memory and caches. */
	deviceKey(deviceId: string): DeviceKeyInfo | undefined {
		const d = this.store.device(deviceId);
		if (!d) return undefined;
		let key = this.#keys.get(deviceId);
		if (!key) {
			key = unwrapDeviceKey(this.#storageKey, deviceId, { iv: d.key_iv, wrapped: d.key_wrapped });
			this.#keys.set(deviceId, key);
		}
		return { key, revoked: d.state === "revoked" };
	}

	#device(deviceId: string): DeviceRow {
		const d = DEVICE_ID.test(deviceId) ? this.store.device(deviceId) : undefined;
		if (!d) throw new PlatformError(404, "unknown-device", "no such device");
		return d;
	}

	/** Imports one unwrapped record; idempotent for an identical key, refuses a different key for a known id. */
	#importOne(r: ImportRecord, key: Buffer): "imported" | "unchanged" {
		const existing = this.store.device(r.deviceId);
		if (existing) {
			const current = unwrapDeviceKey(this.#storageKey, r.deviceId, { iv: existing.key_iv, wrapped: existing.key_wrapped });
			const same = current.equals(key) && existing.serial === r.serial && existing.board === r.board;
			current.fill(0);
			if (!same) throw new ImportError(`device ${r.deviceId} already registered with different data`);
			return "unchanged";
		}
		const w = wrapDeviceKey(this.#storageKey, r.deviceId, key);
		this.store.insertDevice({ device_id: r.deviceId, serial: r.serial, board: r.board, key_iv: w.iv, key_wrapped: w.wrapped, imported_at: this.now });
		this.store.audit("import", this.now, r.deviceId, null, `serial ${r.serial} board ${r.board}`);
		return "imported";
	}

	/** Imports JSON-lines provisioning records; each line stands alone (a bad line is reported, others go in). */
	importRecords(text: string): ImportSummary {
		if (!this.#importKey) throw new PlatformError(409, "no-import-key", "platform started without an import key");
		const summary: ImportSummary = { imported: 0, unchanged: 0, failed: [] };
		const lines = text.split(/\r?\n/);
		for (const [i, line] of lines.entries()) {
			if (line.trim() === "") continue;
			try {
				const r = parseImportRecord(line);
				const key = unwrapImportRecord(this.#importKey, r);
				try {
					const result = this.store.transaction(() => this.#importOne(r, key));
					summary[result]++;
				} finally {
					key.fill(0);
				}
			} catch (e) {
				if (!(e instanceof ImportError)) throw e;
				summary.failed.push({ line: i + 1, error: e.message });
			}
		}
		this.log(`import: ${summary.imported} imported, ${summary.unchanged} unchanged, ${summary.failed.length} failed`);
		return summary;
	}

	revoke(deviceId: string, reason: string): void {
		const d = this.#device(deviceId);
		if (d.state === "revoked") return;
		this.store.transaction(() => {
			this.store.revokeDevice(deviceId, this.now, reason);
			this.store.audit("revoke", this.now, deviceId, this.store.accountOf(deviceId) ?? null, reason);
			for (const e of this.store.openEvents(deviceId)) this.#close(e, "revocation", reason);
		});
		this.log(`device ${deviceId} revoked`);
	}

	/**
	 * Replaces a device by a new identity already imported (a newly provisioned device or the same hardware
	 * re-provisioned): the old one is revoked for ever, the new one takes over its account; both keep the link.
	 */
	replace(oldId: string, newId: string, reason = "replaced"): void {
		const old = this.#device(oldId);
		const next = this.#device(newId);
		if (oldId === newId) throw new PlatformError(409, "same-device", "a device cannot replace itself");
		if (next.state !== "active") throw new PlatformError(409, "replacement-revoked", "the replacement is revoked");
		if (next.replaces || this.store.accountOf(newId)) throw new PlatformError(409, "replacement-in-use", "the replacement is already in use");
		if (old.replaced_by) throw new PlatformError(409, "already-replaced", "the device was already replaced");
		this.store.transaction(() => {
			if (old.state === "active") this.revoke(oldId, reason);
			this.store.setReplacedBy(oldId, newId);
			this.store.setReplaces(newId, oldId);
			const account = this.store.accountOf(oldId);
			if (account) this.store.associate(newId, account, this.now);
			this.store.audit("replace", this.now, oldId, account ?? null, `replaced by ${newId}`);
		});
		this.log(`device ${oldId} replaced by ${newId}`);
	}

	setNonceWindow(deviceId: string, window: number | null): void {
		this.#device(deviceId);
		if (window !== null && (!Number.isInteger(window) || window < 0)) throw new PlatformError(400, "bad-window", "window must be a non-negative integer");
		this.store.setNonceWindow(deviceId, window);
	}

	windowOf(deviceId: string): number {
		return this.store.device(deviceId)?.nonce_window ?? this.nonceWindow;
	}

	// --- accounts, claiming, contacts ---

	createAccount(displayName: string): string {
		const name = displayName.trim();
		if (name.length === 0 || name.length > 100) throw new PlatformError(400, "bad-name", "display name must be 1..100 characters");
		const id = newId();
		this.store.insertAccount({ account_id: id, display_name: name, created_at: this.now });
		this.store.audit("account", this.now, null, id, null);
		return id;
	}

	#account(accountId: string) {
		const a = this.store.account(accountId);
		if (!a) throw new PlatformError(404, "unknown-account", "no such account");
		return a;
	}

	#claimHash(code: string): string {
		const normalized = code.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
		return createHmac("sha256", this.#storageKey).update(`enigm-claim-v1|${normalized}`).digest("hex");
	}

	/**
	 * Issues a one-time claim code for an unclaimed device (printed in the box, or shown to the owner by support).
	 * 80 random bits, Crockford base32; only its HMAC under the storage key is stored, so the database alone does
	 * not let anyone claim a device. Issuing a new code voids the previous one.
	 */
	issueClaimCode(deviceId: string): { code: string; expires: number } {
		const d = this.#device(deviceId);
		if (d.state !== "active") throw new PlatformError(409, "device-revoked", "device is revoked");
		if (this.store.accountOf(deviceId)) throw new PlatformError(409, "already-claimed", "device already belongs to an account");
		const raw = randomBytes(10);
		let bits = 0n;
		for (const b of raw) bits = (bits << 8n) | BigInt(b);
		let code = "";
		for (let i = 0; i < 16; i++) code = CROCKFORD[Number((bits >> BigInt(5 * i)) & 31n)]! + code;
		const formatted = code.match(/.{4}/g)!.join("-");
		const expires = this.now + this.#claimCodeMs;
		this.store.setClaimCode(deviceId, this.#claimHash(formatted), expires);
		this.store.audit("claim-code", this.now, deviceId, null, null);
		return { code: formatted, expires };
	}

	/** Claims the device the code belongs to; the same error for an unknown, used or expired code. */
	claim(accountId: string, code: string): string {
		this.#account(accountId);
		const d = this.store.deviceByClaimHash(this.#claimHash(code));
		if (!d || d.state !== "active" || (d.claim_code_expires ?? 0) < this.now || this.store.accountOf(d.device_id))
			throw new PlatformError(404, "bad-claim-code", "claim code unknown, used or expired");
		this.store.transaction(() => {
			this.store.setClaimCode(d.device_id, null, null);
			this.store.associate(d.device_id, accountId, this.now);
			this.store.audit("claim", this.now, d.device_id, accountId, null);
		});
		return d.device_id;
	}

	#contactInput(v: { name?: unknown; channel?: unknown; address?: unknown; selected?: unknown }): Pick<ContactRow, "name" | "channel" | "address" | "selected"> {
		const name = typeof v.name === "string" ? v.name.trim() : "";
		const channel = typeof v.channel === "string" ? v.channel : "";
		const address = typeof v.address === "string" ? v.address.trim() : "";
		if (name.length === 0 || name.length > 100) throw new PlatformError(400, "bad-contact", "contact name must be 1..100 characters");
		if (!["sms", "email", "webhook", "voice"].includes(channel)) throw new PlatformError(400, "bad-contact", "channel must be sms, email, voice or webhook");
		if (address.length === 0 || address.length > 200) throw new PlatformError(400, "bad-contact", "address must be 1..200 characters");
		if (v.selected !== undefined && typeof v.selected !== "boolean") throw new PlatformError(400, "bad-contact", "selected must be a boolean");
		return { name, channel, address, selected: v.selected === false ? 0 : 1 };
	}

	addContact(accountId: string, v: { name?: unknown; channel?: unknown; address?: unknown; selected?: unknown }): ContactRow {
		this.#account(accountId);
		const c: ContactRow = { contact_id: newId(), account_id: accountId, ...this.#contactInput(v), created_at: this.now, updated_at: this.now };
		this.store.insertContact(c);
		this.store.audit("contact-add", this.now, null, accountId, c.contact_id);
		return c;
	}

	contacts(accountId: string): ContactRow[] {
		this.#account(accountId);
		return this.store.contacts(accountId);
	}

	#contact(accountId: string, contactId: string): ContactRow {
		const c = this.store.contact(contactId);
		if (!c || c.account_id !== accountId) throw new PlatformError(404, "unknown-contact", "no such contact");
		return c;
	}

	selectContact(accountId: string, contactId: string, selected: boolean): void {
		this.#contact(accountId, contactId);
		this.store.updateContactSelected(contactId, selected, this.now);
	}

	removeContact(accountId: string, contactId: string): void {
		this.#contact(accountId, contactId);
		this.store.deleteContact(contactId);
		this.store.audit("contact-remove", this.now, null, accountId, contactId);
	}

	/** Replaces one contact by another atomically (the old one is removed, the new one gets a new id). */
	replaceContact(accountId: string, contactId: string, v: { name?: unknown; channel?: unknown; address?: unknown; selected?: unknown }): ContactRow {
		const old = this.#contact(accountId, contactId);
		const input = this.#contactInput({ selected: old.selected === 1, ...v });
		const c: ContactRow = { contact_id: newId(), account_id: accountId, ...input, created_at: this.now, updated_at: this.now };
		this.store.transaction(() => {
			this.store.deleteContact(contactId);
			this.store.insertContact(c);
			this.store.audit("contact-replace", this.now, null, accountId, `${contactId} -> ${c.contact_id}`);
		});
		return c;
	}

	// --- events ---

	/** Protocol §6.1: open a new event, or resume it (idempotent on the device's event id). */
	openEvent(deviceId: string, body: OpenBody): EventRow {
		const existing = this.store.event(deviceId, body.event);
		const update = { stages: json(body.stages), fix: json(body.fix), cell: json(body.cell), bat: json(body.bat) };
		if (existing) {
			if (existing.state === "open") this.store.touchEvent(existing.id, this.now, body.resumed === true, update);
			return this.store.eventById(existing.id)!;
		}
		for (const other of this.store.openEvents(deviceId)) this.#close(other, "superseded", `superseded by ${body.event}`);
		const id = this.store.insertEvent({
			device_id: deviceId,
			event_id: body.event,
			account_id: this.store.accountOf(deviceId) ?? null,
			share_id: randomBytes(12).toString("base64url"),
			state: "open",
			reason: body.reason,
			...update,
			test: body.reason === "test" ? 1 : 0,
			opened_at: this.now,
			last_seen_at: this.now,
		});
		if (body.resumed) this.store.touchEvent(id, this.now, true);
		const row = this.store.eventById(id)!;
		this.store.audit("event-open", this.now, deviceId, row.account_id, body.event);
		this.log(`event ${body.event} opened by device ${deviceId}${body.reason === "test" ? " (test)" : ""}`);
		this.#schedule(row);
		this.#notify(row, "opened");
		return row;
	}

	event(deviceId: string, eventId: string): EventRow | undefined {
		return this.store.event(deviceId, eventId);
	}

	/**
	 * Protocol §6.2: every point's MAC checked first (a bad one refuses the batch whole, nothing stored), then the
	 * points stored, de-duplicated on (event, s). Returns the ack (highest s stored), or undefined when a MAC failed.
	 */
	addPoints(event: EventRow, key: Buffer, body: LocationsBody): number | undefined {
		for (const p of body.points) if (!verifyPointMac(key, event.event_id, p)) return undefined;
		for (const p of body.points)
			this.store.insertPoint({ event: event.id, s: p.s, t: p.t, la: p.la, lo: p.lo, a: p.a, al: p.al ?? null, n: p.n, q: p.q, m: p.m, received_at: this.now });
		this.store.touchEvent(event.id, this.now, false, body.cell ? { cell: json(body.cell) } : {});
		return this.store.highestPoint(event.id);
	}

	closeByDevice(event: EventRow, body: CloseBody): EventRow {
		if (event.state === "open") {
			if (body.bat) this.store.touchEvent(event.id, this.now, false, { bat: json(body.bat) });
			this.#close(event, "device", body.reason);
		}
		return this.store.eventById(event.id)!;
	}

	/** The user (owner, support, a contact acting for them) closes the event; the device learns it on its next request. */
	closeByUser(deviceId: string, eventId: string, reason = "user"): EventRow {
		const e = this.store.event(deviceId, eventId);
		if (!e) throw new PlatformError(404, "unknown-event", "no such event");
		if (e.state === "open") this.#close(e, "user", reason);
		return this.store.eventById(e.id)!;
	}

	#close(e: EventRow, by: NonNullable<EventRow["closed_by"]>, reason: string | null): void {
		const at = this.now;
		if (!this.store.closeEvent(e.id, at, by, reason)) return;
		const t = this.#timers.get(e.id);
		if (t !== undefined) this.clock.clear(t);
		this.#timers.delete(e.id);
		this.store.audit("event-close", at, e.device_id, e.account_id, `${e.event_id} by ${by}`);
		this.log(`event ${e.event_id} closed by ${by}${reason ? ` (${reason})` : ""}`);
		this.#notify(this.store.eventById(e.id)!, "closed");
	}

	#schedule(e: EventRow): void {
		const due = e.opened_at + this.maxEventMs - this.now;
		const handle = this.clock.set(() => {
			this.#timers.delete(e.id);
			const current = this.store.eventById(e.id);
			if (current?.state === "open") this.#close(current, "timeout", `open longer than ${Math.round(this.maxEventMs / 1000)} s`);
		}, Math.max(0, due));
		this.#timers.set(e.id, handle);
	}

	/** What a contact is told: the emergency context only (notifier.ts). */
	emergencyContext(e: EventRow, kind: "opened" | "closed"): EmergencyContext {
		const person = e.account_id ? (this.store.account(e.account_id)?.display_name ?? "Enigm user") : "Enigm user";
		const last = this.store.lastPoint(e.id);
		const fix = last ?? (e.fix ? (JSON.parse(e.fix) as { t: number; la: number; lo: number; a: number }) : undefined);
		const cell = e.cell ? (JSON.parse(e.cell) as { mcc: number; mnc: number; tac: number; ci: number }) : undefined;
		return {
			kind,
			reference: e.share_id,
			person,
			reason: e.reason ?? "button",
			openedAt: Math.floor(e.opened_at / 1000),
			...(e.closed_at !== null ? { closedAt: Math.floor(e.closed_at / 1000), closedBy: e.closed_by ?? "unknown" } : {}),
			...(fix ? { position: { lat: fix.la / 1e7, lon: fix.lo / 1e7, accuracy: fix.a, time: fix.t } } : {}),
			...(cell ? { cell: { mcc: cell.mcc, mnc: cell.mnc, tac: cell.tac, ci: cell.ci } } : {}),
		};
	}

	#notify(e: EventRow, kind: "opened" | "closed"): void {
		if (e.test || !e.account_id) {
			this.store.insertNotification({ event: e.id, contact_id: null, kind, at: this.now, status: "skipped", detail: e.test ? "test event" : "device not claimed" });
			return;
		}
		const context = this.emergencyContext(e, kind);
		for (const c of this.store.contacts(e.account_id)) {
			if (!c.selected) continue;
			const p = this.#notifier
				.notify({ name: c.name, channel: c.channel, address: c.address }, context)
				.then(
					() => this.store.insertNotification({ event: e.id, contact_id: c.contact_id, kind, at: this.now, status: "sent", detail: null }),
					(err: unknown) => {
						const msg = err instanceof Error ? err.message : "failed";
						this.store.insertNotification({ event: e.id, contact_id: c.contact_id, kind, at: this.now, status: "failed", detail: msg });
						this.log(`notify ${c.contact_id} failed: ${msg}`);
					},
				)
				.catch(() => undefined)
				.finally(() => this.#pending.delete(p));
			this.#pending.add(p);
		}
	}

	/** Which unsigned or signed refusal, recorded without secrets. */
	recordRefusal(r: { deviceId: string | undefined; status: number; code: string; method: string; path: string; detail: string }): void {
		this.store.insertRefusal({ at: this.now, device_id: r.deviceId ?? null, status: r.status, code: r.code, method: r.method, path: r.path.slice(0, 200), detail: r.detail });
	}
}
