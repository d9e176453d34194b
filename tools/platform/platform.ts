/**
 * The platform's domain: device registry (import, revoke, replace), accounts and claiming, contacts, the event
 * lifecycle with its timeout timers, and contact notification. No HTTP here (routes.ts), so the CLI and the tests
 * drive the same code.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { Clock, TimerHandle } from "hal/clock";
import Store, { type ContactRow, type DeviceRow, type EventRow, type Lifecycle } from "./store";
import { AttemptLimiter, hashSecret, isValidPhrase, newRecoveryPhrase, newToken, normalizePhrase, passwordProblem, SCRYPT_N, tokenHash, TOKEN, USERNAME, verifySecret } from "./auth";
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
	/** scrypt cost N for new password hashes (default auth.ts SCRYPT_N; tests lower it). */
	readonly scryptN?: number;
	/** A web session ends after this long without a request (default 30 min) ... */
	readonly sessionIdleMs?: number;
	/** ... and this long after login whatever happens (default 12 h). */
	readonly sessionMaxMs?: number;
}

/** Who acts: an account holder, a Command operator, a device (its verified request) or the platform itself. */
export type Actor =
	| { readonly role: "holder"; readonly id: string }
	| { readonly role: "command"; readonly id: string }
	| { readonly role: "device"; readonly id: string }
	| { readonly role: "system"; readonly id: string };

export function actorName(a: Actor): string {
	return `${a.role}:${a.id}`;
}

export type LifecycleAction = "enroll" | "activate" | "review" | "suspend" | "reactivate" | "revoke" | "replace" | "retire";

/**
 * Seed 004's device lifecycle: each action, the states it leaves from, the state it leads to and who may take it.
 * The holder acts on own devices only. `provisioned` is a device imported from manufacturing and not yet enrolled.
 * revoked, replaced and retired are final (the device is told `revoked`, signed, and the firmware stops for good);
 * a replacement is a new identity (its own key and id) that starts its own enrollment.
 */
export const LIFECYCLE: Readonly<Record<LifecycleAction, { from: readonly Lifecycle[]; to: Lifecycle; by: readonly Actor["role"][] }>> = Object.freeze({
	enroll: { from: ["provisioned"], to: "review", by: ["holder"] },
	activate: { from: ["review"], to: "active", by: ["device", "command"] },
	review: { from: ["active"], to: "review", by: ["command"] },
	suspend: { from: ["review", "active"], to: "suspended", by: ["holder", "command"] },
	reactivate: { from: ["suspended"], to: "active", by: ["holder", "command"] },
	revoke: { from: ["provisioned", "review", "active", "suspended"], to: "revoked", by: ["holder", "command", "system"] },
	replace: { from: ["provisioned", "review", "active", "suspended"], to: "replaced", by: ["holder", "command", "system"] },
	retire: { from: ["provisioned", "review", "active", "suspended"], to: "retired", by: ["holder", "command"] },
});

export class PlatformError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly headers: Record<string, string> = {},
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
	readonly #scryptN: number;
	readonly sessionIdleMs: number;
	readonly sessionMaxMs: number;
	readonly #loginByUser: AttemptLimiter;
	readonly #loginByAddress: AttemptLimiter;
	readonly #claimByAccount: AttemptLimiter;
	readonly #claimByAddress: AttemptLimiter;
	/** Base URL contact links are built on (set by the server once it listens). */
	publicUrl = "https://localhost";

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
		this.#scryptN = options.scryptN ?? SCRYPT_N;
		this.sessionIdleMs = options.sessionIdleMs ?? 30 * 60_000;
		this.sessionMaxMs = options.sessionMaxMs ?? 12 * 3600_000;
		const now = () => this.clock.now();
		// Login: 5 failures per user name and 20 per client address per 15 min; claim codes: 5 per account and 20
		// per address per hour (80-bit codes make guessing hopeless anyway; this keeps the log quiet).
		this.#loginByUser = new AttemptLimiter(5, 15 * 60_000, now);
		this.#loginByAddress = new AttemptLimiter(20, 15 * 60_000, now);
		this.#claimByAccount = new AttemptLimiter(5, 3600_000, now);
		this.#claimByAddress = new AttemptLimiter(20, 3600_000, now);
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

	/** Revocation by the platform operator (CLI, tests): final, open events closed. */
	revoke(deviceId: string, reason: string): void {
		const d = this.#device(deviceId);
		if (d.state === "revoked") return;
		this.transition(deviceId, "revoke", { role: "system", id: "cli" }, { reason });
	}

	/**
	 * Replaces a device by a new identity already imported (a newly provisioned device or the same hardware
	 * re-provisioned): the old one is final (`replaced`, told `revoked`), the new one is enrolled to the same account
	 * and waits in review for its own test event; both keep the link.
	 */
	replace(oldId: string, newId: string, reason = "replaced", actor: Actor = { role: "system", id: "cli" }): void {
		this.transition(oldId, "replace", actor, { reason, replacement: newId });
	}

	/**
	 * One lifecycle action (LIFECYCLE), checked and audited: who (role, and for a holder ownership), from which
	 * state; a refused attempt is audited too. Returns the new state.
	 */
	transition(deviceId: string, action: LifecycleAction, actor: Actor, o: { reason?: string; replacement?: string; account?: string } = {}): Lifecycle {
		const rule = LIFECYCLE[action];
		const d = DEVICE_ID.test(deviceId) ? this.store.device(deviceId) : undefined;
		const owner = d ? (this.store.accountOf(deviceId) ?? null) : null;
		const deny = (status: number, code: string, message: string): never => {
			this.store.audit(`lifecycle-${action}`, this.now, d ? deviceId : null, owner, `${code}: ${message}`, actorName(actor), "deny");
			throw new PlatformError(status, code, message);
		};
		if (!d) return deny(404, "unknown-device", "no such device");
		// A holder acts on own devices only (enroll: on an unclaimed one, through its claim code).
		if (actor.role === "holder" && action !== "enroll" && owner !== actor.id) return deny(404, "unknown-device", "no such device");
		if (!rule.by.includes(actor.role)) return deny(403, "forbidden-transition", `${actor.role} may not ${action} a device`);
		if (!rule.from.includes(d.lifecycle)) return deny(409, "bad-transition", `cannot ${action} a device that is ${d.lifecycle}`);
		// A device activates itself only out of the review that follows its enrollment (its test event), not out of
		// a review Command started; a holder lifts only a suspension the holder made.
		if (action === "activate" && actor.role === "device" && d.lifecycle_by !== "claim") return deny(409, "bad-transition", "under review by Command");
		if (action === "reactivate" && actor.role === "holder" && d.lifecycle_by !== "holder") return deny(403, "forbidden-transition", "suspended by Command: only Command lifts it");
		let next: DeviceRow | undefined;
		if (action === "replace") {
			next = o.replacement && DEVICE_ID.test(o.replacement) ? this.store.device(o.replacement) : undefined;
			if (!next) return deny(404, "unknown-device", "no such replacement device");
			if (next.device_id === deviceId) return deny(409, "same-device", "a device cannot replace itself");
			if (next.lifecycle !== "provisioned" || next.replaces || this.store.accountOf(next.device_id)) return deny(409, "replacement-in-use", "the replacement is not a new, unclaimed device");
		}
		if (action === "enroll" && (owner || !o.account)) return deny(409, "already-claimed", "device already belongs to an account");
		const at = this.now;
		const by = action === "enroll" ? "claim" : actor.role;
		this.store.transaction(() => {
			this.store.setLifecycle(deviceId, rule.to, by, at);
			if (rule.to === "revoked" || rule.to === "replaced" || rule.to === "retired") {
				this.store.revokeDevice(deviceId, at, o.reason ?? action);
				for (const e of this.store.openEvents(deviceId)) this.#close(e, "revocation", o.reason ?? action);
			}
			if (action === "enroll") {
				this.store.setClaimCode(deviceId, null, null);
				this.store.associate(deviceId, o.account!, at);
			}
			if (next) {
				this.store.setReplacedBy(deviceId, next.device_id);
				this.store.setReplaces(next.device_id, deviceId);
				this.store.setClaimCode(next.device_id, null, null);
				if (owner) {
					this.store.associate(next.device_id, owner, at);
					this.store.setLifecycle(next.device_id, "review", "claim", at);
				}
			}
			this.store.audit(`lifecycle-${action}`, at, deviceId, owner ?? o.account ?? null, `${d.lifecycle} -> ${rule.to}${next ? ` by ${next.device_id}` : ""}${o.reason ? ` (${o.reason.slice(0, 200)})` : ""}`, actorName(actor), "allow");
		});
		this.log(`device ${deviceId} ${d.lifecycle} -> ${rule.to} (${action} by ${actor.role})`);
		return rule.to;
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

	/** An account without credentials (CLI, fixtures); `register` is the holder's way in. */
	createAccount(displayName: string): string {
		const name = displayName.trim();
		if (name.length === 0 || name.length > 100) throw new PlatformError(400, "bad-name", "display name must be 1..100 characters");
		const id = newId();
		this.store.insertAccount({ account_id: id, display_name: name, created_at: this.now });
		this.store.audit("account", this.now, null, id, null);
		return id;
	}

	// --- credentials and sessions (auth.ts) ---

	/**
	 * Registration (seed 004: user name and password, a recovery phrase, no e-mail or phone number). The phrase is
	 * shown once, here; only its scrypt hash is kept.
	 */
	async register(input: { username?: unknown; password?: unknown; name?: unknown }): Promise<{ account_id: string; recovery_phrase: string }> {
		const username = typeof input.username === "string" ? input.username.trim().toLowerCase() : "";
		if (!USERNAME.test(username)) throw new PlatformError(400, "bad-username", "user name: 3..32 of a-z 0-9 . _ -, starting with a letter or digit");
		const problem = passwordProblem(input.password);
		if (problem) throw new PlatformError(400, "bad-password", problem);
		const name = input.name === undefined ? username : typeof input.name === "string" ? input.name.trim() : "";
		if (name.length === 0 || name.length > 100) throw new PlatformError(400, "bad-name", "display name must be 1..100 characters");
		if (this.store.accountByUsername(username) || this.store.operatorByUsername(username)) throw new PlatformError(409, "username-taken", "that user name is taken");
		const phrase = newRecoveryPhrase();
		const [password_hash, recovery_hash] = await Promise.all([hashSecret(input.password as string, this.#scryptN), hashSecret(phrase, this.#scryptN)]);
		if (this.store.accountByUsername(username) || this.store.operatorByUsername(username)) throw new PlatformError(409, "username-taken", "that user name is taken");
		const id = newId();
		this.store.insertAccount({ account_id: id, display_name: name, created_at: this.now, username, password_hash, recovery_hash });
		this.store.audit("register", this.now, null, id, null, `holder:${id}`);
		return { account_id: id, recovery_phrase: phrase };
	}

	/** Command operators are created by the platform's operator (CLI, `npm start`), never over the web. */
	async createOperator(username: string, password: string): Promise<string> {
		const u = username.trim().toLowerCase();
		if (!USERNAME.test(u)) throw new PlatformError(400, "bad-username", "bad operator user name");
		const problem = passwordProblem(password);
		if (problem) throw new PlatformError(400, "bad-password", problem);
		if (this.store.accountByUsername(u) || this.store.operatorByUsername(u)) throw new PlatformError(409, "username-taken", "that user name is taken");
		const id = newId();
		this.store.insertOperator({ operator_id: id, username: u, password_hash: await hashSecret(password, this.#scryptN), created_at: this.now });
		this.store.audit("operator-create", this.now, null, null, u, "system");
		return id;
	}

	#limited(limiters: [AttemptLimiter, string][], what: string, actor: string): void {
		const wait = Math.max(...limiters.map(([l, k]) => l.blockedFor(k)));
		if (wait > 0) {
			this.store.audit(`${what}-limited`, this.now, null, null, `retry in ${wait} s`, actor, "deny");
			throw new PlatformError(429, "rate-limited", `too many failed attempts; retry in ${wait} s`, { "retry-after": String(wait) });
		}
	}

	/** Checks a user name and password (holder or Command); the same answer for an unknown user and a wrong password. */
	async login(kind: "holder" | "command", input: { username?: unknown; password?: unknown }, address: string): Promise<string> {
		const username = typeof input.username === "string" ? input.username.trim().toLowerCase().slice(0, 64) : "";
		const password = typeof input.password === "string" ? input.password.slice(0, 1024) : "";
		const limiters: [AttemptLimiter, string][] = [[this.#loginByUser, `${kind}:${username}`], [this.#loginByAddress, address]];
		this.#limited(limiters, "login", `anonymous:${address}`);
		const row = kind === "holder" ? this.store.accountByUsername(username) : this.store.operatorByUsername(username);
		const principal = row ? ("account_id" in row ? row.account_id : row.operator_id) : undefined;
		if (!(await verifySecret(password, row?.password_hash, this.#scryptN)) || !principal) {
			for (const [l, k] of limiters) l.fail(k);
			this.store.audit("login", this.now, null, null, `${kind} ${username.replace(/[^a-z0-9._-]/g, "?")}`, `anonymous:${address}`, "deny");
			throw new PlatformError(401, "bad-credentials", "user name or password is wrong");
		}
		this.#loginByUser.reset(`${kind}:${username}`);
		this.store.audit("login", this.now, null, kind === "holder" ? principal : null, kind, `${kind}:${principal}`);
		return this.#newSession(kind, principal);
	}

	#newSession(kind: "holder" | "command", principal: string): string {
		const token = newToken();
		this.store.insertSession({ token_hash: tokenHash(token), kind, principal, created_at: this.now, last_seen_at: this.now });
		return token;
	}

	/** The session a cookie names, if it is still valid (idle and absolute expiry on the platform clock). */
	session(token: string | undefined): Actor | undefined {
		if (!token || !TOKEN.test(token)) return undefined;
		const h = tokenHash(token);
		const s = this.store.session(h);
		if (!s) return undefined;
		const now = this.now;
		if (now - s.last_seen_at >= this.sessionIdleMs || now - s.created_at >= this.sessionMaxMs) {
			this.store.deleteSession(h);
			return undefined;
		}
		const exists = s.kind === "holder" ? this.store.account(s.principal) : this.store.operator(s.principal);
		if (!exists) return undefined;
		this.store.touchSession(h, now);
		return { role: s.kind, id: s.principal };
	}

	logout(token: string | undefined): void {
		if (token && TOKEN.test(token)) this.store.deleteSession(tokenHash(token));
	}

	/** Password change: every session of the account ends; the caller gets a fresh one. */
	async changePassword(accountId: string, input: { current?: unknown; password?: unknown }): Promise<string> {
		const a = this.#account(accountId);
		const problem = passwordProblem(input.password);
		if (problem) throw new PlatformError(400, "bad-password", problem);
		if (!(await verifySecret(typeof input.current === "string" ? input.current : "", a.password_hash, this.#scryptN))) {
			this.store.audit("password-change", this.now, null, accountId, "wrong current password", `holder:${accountId}`, "deny");
			throw new PlatformError(403, "bad-credentials", "current password is wrong");
		}
		const hash = await hashSecret(input.password as string, this.#scryptN);
		this.store.transaction(() => {
			this.store.setPasswordHash(accountId, hash);
			const ended = this.store.deleteSessionsOf(accountId);
			this.store.audit("password-change", this.now, null, accountId, `${ended} sessions ended`, `holder:${accountId}`);
		});
		return this.#newSession("holder", accountId);
	}

	/**
	 * Account recovery with the phrase: a new password, every session ended, and nothing else (no device, contact
	 * or event changes; seed 004 "Account Recovery Boundaries"). Rate limited like a login.
	 */
	async recover(input: { username?: unknown; phrase?: unknown; password?: unknown }, address: string): Promise<string> {
		const username = typeof input.username === "string" ? input.username.trim().toLowerCase().slice(0, 64) : "";
		const phrase = typeof input.phrase === "string" ? normalizePhrase(input.phrase.slice(0, 1024)) : "";
		const problem = passwordProblem(input.password);
		if (problem) throw new PlatformError(400, "bad-password", problem);
		const limiters: [AttemptLimiter, string][] = [[this.#loginByUser, `holder:${username}`], [this.#loginByAddress, address]];
		this.#limited(limiters, "recover", `anonymous:${address}`);
		const row = this.store.accountByUsername(username);
		const ok = (await verifySecret(isValidPhrase(phrase) ? phrase : "", row?.recovery_hash, this.#scryptN)) && isValidPhrase(phrase) && row;
		if (!ok) {
			for (const [l, k] of limiters) l.fail(k);
			this.store.audit("recover", this.now, null, null, username.replace(/[^a-z0-9._-]/g, "?"), `anonymous:${address}`, "deny");
			throw new PlatformError(401, "bad-recovery", "user name or recovery phrase is wrong");
		}
		const hash = await hashSecret(input.password as string, this.#scryptN);
		this.store.transaction(() => {
			this.store.setPasswordHash(row.account_id, hash);
			const ended = this.store.deleteSessionsOf(row.account_id);
			this.store.audit("recover", this.now, null, row.account_id, `${ended} sessions ended`, `holder:${row.account_id}`);
		});
		this.#loginByUser.reset(`holder:${username}`);
		return this.#newSession("holder", row.account_id);
	}

	/** A holder claims a device with its claim code: enrollment (the device then waits in review for its test event). */
	claimAs(accountId: string, code: unknown, address: string): string {
		const limiters: [AttemptLimiter, string][] = [[this.#claimByAccount, accountId], [this.#claimByAddress, address]];
		this.#limited(limiters, "claim", `holder:${accountId}`);
		try {
			if (typeof code !== "string" || code.length > 64) throw new PlatformError(400, "bad-request", "code must be a string");
			return this.claim(accountId, code);
		} catch (e) {
			if (e instanceof PlatformError && e.status === 404) {
				for (const [l, k] of limiters) l.fail(k);
				this.store.audit("claim", this.now, null, accountId, "bad claim code", `holder:${accountId}`, "deny");
			}
			throw e;
		}
	}

	/** The device a claim code names, for a holder replacing a device with a new one. */
	deviceForCode(code: unknown): string {
		const d = typeof code === "string" && code.length <= 64 ? this.store.deviceByClaimHash(this.#claimHash(code)) : undefined;
		if (!d || d.lifecycle !== "provisioned" || (d.claim_code_expires ?? 0) < this.now) throw new PlatformError(404, "bad-claim-code", "claim code unknown, used or expired");
		return d.device_id;
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
		if (this.store.accountOf(deviceId) || d.lifecycle !== "provisioned") throw new PlatformError(409, "already-claimed", "device already belongs to an account");
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
		this.transition(d.device_id, "enroll", { role: "holder", id: accountId }, { account: accountId });
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
		const c = this.#contact(accountId, contactId);
		if (c.retired_at && selected) throw new PlatformError(409, "contact-retired", "a retired contact cannot be selected");
		this.store.updateContactSelected(contactId, selected, this.now);
	}

	removeContact(accountId: string, contactId: string): void {
		this.#contact(accountId, contactId);
		this.store.deleteContact(contactId);
		this.store.audit("contact-remove", this.now, null, accountId, contactId);
	}

	/** Retires a contact: kept for the record, never notified again, every link it holds stops working. */
	retireContact(accountId: string, contactId: string): ContactRow {
		this.#contact(accountId, contactId);
		this.store.retireContact(contactId, this.now);
		this.store.audit("contact-retire", this.now, null, accountId, contactId, `holder:${accountId}`);
		return this.store.contact(contactId)!;
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
		this.store.audit("event-open", this.now, deviceId, row.account_id, body.event, `device:${deviceId}`);
		// Association from the device (issue 12 part 6): the test event of a freshly enrolled device activates it.
		const dev = this.store.device(deviceId);
		if (body.reason === "test" && dev?.lifecycle === "review" && dev.lifecycle_by === "claim") this.transition(deviceId, "activate", { role: "device", id: deviceId });
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
		const base = this.emergencyContext(e, kind);
		for (const c of this.store.contacts(e.account_id)) {
			if (!c.selected || c.retired_at) continue;
			// Per contact, per event capability link (issue 12 part 2), sent with the opening notification only.
			let context: EmergencyContext = base;
			if (kind === "opened") {
				const token = newToken();
				this.store.insertLink({ token_hash: tokenHash(token), event: e.id, contact_id: c.contact_id, created_at: this.now });
				context = { ...base, link: `${this.publicUrl}/c/${token}` };
			}
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

	/**
	 * What a contact's link opens: the event and the contact, while the event is open and the contact neither
	 * removed nor retired; the reason otherwise (audited either way).
	 */
	resolveLink(token: string): { ok: true; event: EventRow; contactId: string } | { ok: false; status: number; code: string; message: string } {
		const link = TOKEN.test(token) ? this.store.link(tokenHash(token)) : undefined;
		const e = link ? this.store.eventById(link.event) : undefined;
		const contact = link ? this.store.contact(link.contact_id) : undefined;
		const actor = link ? `contact:${link.contact_id}` : "anonymous";
		const refuse = (status: number, code: string, message: string) => {
			this.store.audit("contact-view", this.now, e?.device_id ?? null, e?.account_id ?? null, code, actor, "deny");
			return { ok: false as const, status, code, message };
		};
		if (!link || !e) return refuse(404, "not-found", "no such link");
		if (!contact || contact.account_id !== e.account_id) return refuse(410, "contact-removed", "this contact was removed; the link no longer works");
		if (contact.retired_at) return refuse(410, "contact-retired", "this contact was retired; the link no longer works");
		if (e.state !== "open") return refuse(410, "event-closed", "the emergency is over; location sharing has stopped");
		this.store.audit("contact-view", this.now, e.device_id, e.account_id, e.event_id, actor, "allow");
		return { ok: true, event: e, contactId: contact.contact_id };
	}

	/** Which unsigned or signed refusal, recorded without secrets. */
	recordRefusal(r: { deviceId: string | undefined; status: number; code: string; method: string; path: string; detail: string }): void {
		this.store.insertRefusal({ at: this.now, device_id: r.deviceId ?? null, status: r.status, code: r.code, method: r.method, path: r.path.slice(0, 200), detail: r.detail });
	}
}
