/**
 * The platform's storage: one SQLite file (better-sqlite3), WAL journal, forward-only numbered migrations recorded
 * in `schema_migrations`. Every write that must be atomic (counter + event, replace device, replace contact) runs
 * in a transaction. Device keys are stored wrapped (see keys.ts); nothing here ever sees a key in clear.
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

// Each entry runs once, in order, inside a transaction; never edit a shipped migration, add a new one.
const MIGRATIONS: readonly string[] = Object.freeze([
	`
	CREATE TABLE devices (
		device_id TEXT PRIMARY KEY CHECK (length(device_id) = 32),
		serial TEXT NOT NULL,
		board TEXT NOT NULL,
		key_iv BLOB NOT NULL,
		key_wrapped BLOB NOT NULL,
		state TEXT NOT NULL CHECK (state IN ('active', 'revoked')),
		imported_at INTEGER NOT NULL,
		revoked_at INTEGER,
		revoked_reason TEXT,
		replaces TEXT REFERENCES devices(device_id),
		replaced_by TEXT REFERENCES devices(device_id),
		nonce_window INTEGER,
		claim_code_hash TEXT UNIQUE,
		claim_code_expires INTEGER
	);
	CREATE INDEX devices_serial ON devices(serial);
	CREATE TABLE accounts (
		account_id TEXT PRIMARY KEY,
		display_name TEXT NOT NULL,
		created_at INTEGER NOT NULL
	);
	CREATE TABLE device_accounts (
		device_id TEXT PRIMARY KEY REFERENCES devices(device_id),
		account_id TEXT NOT NULL REFERENCES accounts(account_id),
		claimed_at INTEGER NOT NULL
	);
	CREATE TABLE contacts (
		contact_id TEXT PRIMARY KEY,
		account_id TEXT NOT NULL REFERENCES accounts(account_id),
		name TEXT NOT NULL,
		channel TEXT NOT NULL,
		address TEXT NOT NULL,
		selected INTEGER NOT NULL DEFAULT 1,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE INDEX contacts_account ON contacts(account_id);
	CREATE TABLE counters (
		device_id TEXT PRIMARY KEY REFERENCES devices(device_id),
		highest INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE TABLE events (
		id INTEGER PRIMARY KEY,
		device_id TEXT NOT NULL REFERENCES devices(device_id),
		event_id TEXT NOT NULL CHECK (length(event_id) = 32),
		account_id TEXT,
		share_id TEXT NOT NULL UNIQUE,
		state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
		reason TEXT,
		stages TEXT,
		fix TEXT,
		cell TEXT,
		bat TEXT,
		test INTEGER NOT NULL DEFAULT 0,
		opened_at INTEGER NOT NULL,
		resumed_count INTEGER NOT NULL DEFAULT 0,
		last_seen_at INTEGER NOT NULL,
		closed_at INTEGER,
		closed_by TEXT CHECK (closed_by IN ('device', 'user', 'timeout', 'revocation', 'superseded')),
		close_reason TEXT,
		UNIQUE (device_id, event_id)
	);
	CREATE INDEX events_state ON events(state);
	CREATE TABLE points (
		id INTEGER PRIMARY KEY,
		event INTEGER NOT NULL REFERENCES events(id),
		s INTEGER NOT NULL,
		t INTEGER NOT NULL,
		la INTEGER NOT NULL,
		lo INTEGER NOT NULL,
		a INTEGER NOT NULL,
		al INTEGER,
		n INTEGER NOT NULL,
		q TEXT NOT NULL,
		m TEXT NOT NULL,
		received_at INTEGER NOT NULL,
		UNIQUE (event, s)
	);
	CREATE TABLE refusals (
		id INTEGER PRIMARY KEY,
		at INTEGER NOT NULL,
		device_id TEXT,
		status INTEGER NOT NULL,
		code TEXT NOT NULL,
		method TEXT,
		path TEXT,
		detail TEXT
	);
	CREATE INDEX refusals_at ON refusals(at);
	CREATE TABLE notifications (
		id INTEGER PRIMARY KEY,
		event INTEGER NOT NULL REFERENCES events(id),
		contact_id TEXT,
		kind TEXT NOT NULL,
		at INTEGER NOT NULL,
		status TEXT NOT NULL,
		detail TEXT
	);
	CREATE INDEX notifications_event ON notifications(event);
	CREATE TABLE audit (
		id INTEGER PRIMARY KEY,
		at INTEGER NOT NULL,
		action TEXT NOT NULL,
		device_id TEXT,
		account_id TEXT,
		detail TEXT
	);
	`,
	`
	-- Issue 12: accounts with credentials, Command operators, web sessions, the device lifecycle of seed 004,
	-- per-contact per-event capability links, retired contacts, and who decided what in the audit table.
	ALTER TABLE accounts ADD COLUMN username TEXT;
	ALTER TABLE accounts ADD COLUMN password_hash TEXT;
	ALTER TABLE accounts ADD COLUMN recovery_hash TEXT;
	CREATE UNIQUE INDEX accounts_username ON accounts(username);
	CREATE TABLE operators (
		operator_id TEXT PRIMARY KEY,
		username TEXT NOT NULL UNIQUE,
		password_hash TEXT NOT NULL,
		created_at INTEGER NOT NULL
	);
	CREATE TABLE sessions (
		token_hash TEXT PRIMARY KEY,
		kind TEXT NOT NULL CHECK (kind IN ('holder', 'command')),
		principal TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		last_seen_at INTEGER NOT NULL
	);
	CREATE INDEX sessions_principal ON sessions(principal);
	ALTER TABLE devices ADD COLUMN lifecycle TEXT NOT NULL DEFAULT 'provisioned'
		CHECK (lifecycle IN ('provisioned', 'review', 'active', 'suspended', 'revoked', 'replaced', 'retired'));
	ALTER TABLE devices ADD COLUMN lifecycle_by TEXT;
	ALTER TABLE devices ADD COLUMN lifecycle_at INTEGER;
	UPDATE devices SET lifecycle = CASE
		WHEN state = 'revoked' AND replaced_by IS NOT NULL THEN 'replaced'
		WHEN state = 'revoked' THEN 'revoked'
		WHEN device_id IN (SELECT device_id FROM device_accounts) THEN 'active'
		ELSE 'provisioned' END;
	ALTER TABLE contacts ADD COLUMN retired_at INTEGER;
	CREATE TABLE contact_links (
		token_hash TEXT PRIMARY KEY,
		event INTEGER NOT NULL REFERENCES events(id),
		contact_id TEXT NOT NULL,
		created_at INTEGER NOT NULL
	);
	ALTER TABLE audit ADD COLUMN actor TEXT;
	ALTER TABLE audit ADD COLUMN outcome TEXT;
	`,
]);

export interface DeviceRow {
	device_id: string;
	serial: string;
	board: string;
	key_iv: Buffer;
	key_wrapped: Buffer;
	state: "active" | "revoked";
	imported_at: number;
	revoked_at: number | null;
	revoked_reason: string | null;
	replaces: string | null;
	replaced_by: string | null;
	nonce_window: number | null;
	claim_code_hash: string | null;
	claim_code_expires: number | null;
	/** Seed 004 lifecycle (see platform.ts LIFECYCLE). `state` stays the key's trust: 'revoked' once final. */
	lifecycle: Lifecycle;
	/** Who made the last lifecycle transition: holder, command, device or claim. */
	lifecycle_by: string | null;
	lifecycle_at: number | null;
}

export type Lifecycle = "provisioned" | "review" | "active" | "suspended" | "revoked" | "replaced" | "retired";

export interface OperatorRow {
	operator_id: string;
	username: string;
	password_hash: string;
	created_at: number;
}

export interface SessionRow {
	token_hash: string;
	kind: "holder" | "command";
	principal: string;
	created_at: number;
	last_seen_at: number;
}

export interface LinkRow {
	token_hash: string;
	event: number;
	contact_id: string;
	created_at: number;
}

export interface AuditRow {
	id: number;
	at: number;
	action: string;
	device_id: string | null;
	account_id: string | null;
	detail: string | null;
	actor: string | null;
	outcome: string | null;
}

/** A device as the admin API shows it: no key material, no claim code hash. */
export interface DeviceView {
	device_id: string;
	serial: string;
	board: string;
	state: "active" | "revoked";
	lifecycle: Lifecycle;
	imported_at: number;
	revoked_at: number | null;
	revoked_reason: string | null;
	replaces: string | null;
	replaced_by: string | null;
	account_id: string | null;
	claim_pending: boolean;
	highest_counter: number | null;
	open_event: string | null;
}

export interface AccountRow {
	account_id: string;
	display_name: string;
	created_at: number;
	username: string | null;
	password_hash: string | null;
	recovery_hash: string | null;
}

export interface ContactRow {
	contact_id: string;
	account_id: string;
	name: string;
	channel: string;
	address: string;
	selected: number;
	created_at: number;
	updated_at: number;
	retired_at?: number | null;
}

export interface EventRow {
	id: number;
	device_id: string;
	event_id: string;
	account_id: string | null;
	share_id: string;
	state: "open" | "closed";
	reason: string | null;
	stages: string | null;
	fix: string | null;
	cell: string | null;
	bat: string | null;
	test: number;
	opened_at: number;
	resumed_count: number;
	last_seen_at: number;
	closed_at: number | null;
	closed_by: "device" | "user" | "timeout" | "revocation" | "superseded" | null;
	close_reason: string | null;
}

export interface PointRow {
	id: number;
	event: number;
	/** Protocol §6.2 fields: sequence, fix time (Unix s), 1e-7 degrees, accuracy m, altitude m, satellites, quality, MAC. */
	s: number;
	t: number;
	la: number;
	lo: number;
	a: number;
	al: number | null;
	n: number;
	q: string;
	m: string;
	received_at: number;
}

export interface RefusalRow {
	id: number;
	at: number;
	device_id: string | null;
	status: number;
	code: string;
	method: string | null;
	path: string | null;
	detail: string | null;
}

export interface NotificationRow {
	id: number;
	event: number;
	contact_id: string | null;
	kind: string;
	at: number;
	status: string;
	detail: string | null;
}

export default class Store {
	#db: Database.Database | undefined;

	/** Opens (creating if needed) the database and brings its schema up to date. `:memory:` works for tests. */
	constructor(file: string) {
		// SQLite creates the file, not its directory: a fresh checkout has no .cache/platform/ until something makes
		// it (the CLI's subcommands open the default database before the storage key file is created).
		if (file !== ":memory:" && !file.startsWith("file:")) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
		const db = new Database(file);
		this.#db = db;
		if (file !== ":memory:") db.pragma("journal_mode = WAL");
		db.pragma("foreign_keys = ON");
		db.pragma("synchronous = FULL");
		db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
		const row = db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number | null };
		const current = row.v ?? 0;
		if (current > MIGRATIONS.length) throw new Error(`database schema version ${current} is newer than this platform`);
		for (let v = current + 1; v <= MIGRATIONS.length; v++) {
			db.transaction(() => {
				db.exec(MIGRATIONS[v - 1]!);
				db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(v, Date.now());
			})();
		}
	}

	get schemaVersion(): number {
		return (this.db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number }).v;
	}

	get journalMode(): string {
		return String(this.db.pragma("journal_mode", { simple: true }));
	}

	get db(): Database.Database {
		if (!this.#db) throw new Error("store closed");
		return this.#db;
	}

	close(): void {
		this.#db?.close();
		this.#db = undefined;
	}

	transaction<T>(fn: () => T): T {
		return this.db.transaction(fn)();
	}

	// --- devices ---

	device(deviceId: string): DeviceRow | undefined {
		return this.db.prepare("SELECT * FROM devices WHERE device_id = ?").get(deviceId) as DeviceRow | undefined;
	}

	insertDevice(d: Pick<DeviceRow, "device_id" | "serial" | "board" | "key_iv" | "key_wrapped" | "imported_at"> & { replaces?: string | null }): void {
		this.db
			.prepare(
				"INSERT INTO devices (device_id, serial, board, key_iv, key_wrapped, state, imported_at, replaces) VALUES (?, ?, ?, ?, ?, 'active', ?, ?)",
			)
			.run(d.device_id, d.serial, d.board, d.key_iv, d.key_wrapped, d.imported_at, d.replaces ?? null);
	}

	revokeDevice(deviceId: string, at: number, reason: string): boolean {
		return (
			this.db
				.prepare("UPDATE devices SET state = 'revoked', revoked_at = ?, revoked_reason = ?, claim_code_hash = NULL WHERE device_id = ? AND state = 'active'")
				.run(at, reason, deviceId).changes === 1
		);
	}

	setReplacedBy(oldId: string, newId: string): void {
		this.db.prepare("UPDATE devices SET replaced_by = ? WHERE device_id = ?").run(newId, oldId);
	}

	setReplaces(newId: string, oldId: string): void {
		this.db.prepare("UPDATE devices SET replaces = ? WHERE device_id = ?").run(oldId, newId);
	}

	setNonceWindow(deviceId: string, window: number | null): void {
		this.db.prepare("UPDATE devices SET nonce_window = ? WHERE device_id = ?").run(window, deviceId);
	}

	setClaimCode(deviceId: string, hash: string | null, expires: number | null): void {
		this.db.prepare("UPDATE devices SET claim_code_hash = ?, claim_code_expires = ? WHERE device_id = ?").run(hash, expires, deviceId);
	}

	deviceByClaimHash(hash: string): DeviceRow | undefined {
		return this.db.prepare("SELECT * FROM devices WHERE claim_code_hash = ?").get(hash) as DeviceRow | undefined;
	}

	deviceViews(): DeviceView[] {
		return this.db
			.prepare(
				`SELECT d.device_id, d.serial, d.board, d.state, d.lifecycle, d.imported_at, d.revoked_at, d.revoked_reason, d.replaces, d.replaced_by,
					a.account_id, d.claim_code_hash IS NOT NULL AS claim_pending, c.highest AS highest_counter,
					(SELECT e.event_id FROM events e WHERE e.device_id = d.device_id AND e.state = 'open' LIMIT 1) AS open_event
				FROM devices d LEFT JOIN device_accounts a ON a.device_id = d.device_id LEFT JOIN counters c ON c.device_id = d.device_id
				ORDER BY d.imported_at, d.device_id`,
			)
			.all()
			.map((r) => ({ ...(r as DeviceView), claim_pending: Boolean((r as { claim_pending: number }).claim_pending) }));
	}

	// --- accounts, claiming, contacts ---

	insertAccount(a: Pick<AccountRow, "account_id" | "display_name" | "created_at"> & Partial<AccountRow>): void {
		this.db
			.prepare("INSERT INTO accounts (account_id, display_name, created_at, username, password_hash, recovery_hash) VALUES (?, ?, ?, ?, ?, ?)")
			.run(a.account_id, a.display_name, a.created_at, a.username ?? null, a.password_hash ?? null, a.recovery_hash ?? null);
	}

	accountByUsername(username: string): AccountRow | undefined {
		return this.db.prepare("SELECT * FROM accounts WHERE username = ?").get(username) as AccountRow | undefined;
	}

	setPasswordHash(accountId: string, hash: string): void {
		this.db.prepare("UPDATE accounts SET password_hash = ? WHERE account_id = ?").run(hash, accountId);
	}

	insertOperator(o: OperatorRow): void {
		this.db.prepare("INSERT INTO operators (operator_id, username, password_hash, created_at) VALUES (?, ?, ?, ?)").run(o.operator_id, o.username, o.password_hash, o.created_at);
	}

	operatorByUsername(username: string): OperatorRow | undefined {
		return this.db.prepare("SELECT * FROM operators WHERE username = ?").get(username) as OperatorRow | undefined;
	}

	operator(id: string): OperatorRow | undefined {
		return this.db.prepare("SELECT * FROM operators WHERE operator_id = ?").get(id) as OperatorRow | undefined;
	}

	// --- sessions ---

	insertSession(r: SessionRow): void {
		this.db.prepare("INSERT INTO sessions (token_hash, kind, principal, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)").run(r.token_hash, r.kind, r.principal, r.created_at, r.last_seen_at);
	}

	session(tokenHash: string): SessionRow | undefined {
		return this.db.prepare("SELECT * FROM sessions WHERE token_hash = ?").get(tokenHash) as SessionRow | undefined;
	}

	touchSession(tokenHash: string, at: number): void {
		this.db.prepare("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?").run(at, tokenHash);
	}

	deleteSession(tokenHash: string): void {
		this.db.prepare("DELETE FROM sessions WHERE token_hash = ?").run(tokenHash);
	}

	deleteSessionsOf(principal: string): number {
		return this.db.prepare("DELETE FROM sessions WHERE principal = ?").run(principal).changes;
	}

	// --- contact capability links ---

	insertLink(r: LinkRow): void {
		this.db.prepare("INSERT INTO contact_links (token_hash, event, contact_id, created_at) VALUES (?, ?, ?, ?)").run(r.token_hash, r.event, r.contact_id, r.created_at);
	}

	link(tokenHash: string): LinkRow | undefined {
		return this.db.prepare("SELECT * FROM contact_links WHERE token_hash = ?").get(tokenHash) as LinkRow | undefined;
	}

	retireContact(contactId: string, at: number): void {
		this.db.prepare("UPDATE contacts SET retired_at = ?, selected = 0, updated_at = ? WHERE contact_id = ?").run(at, at, contactId);
	}

	setLifecycle(deviceId: string, lifecycle: Lifecycle, by: string, at: number): void {
		this.db.prepare("UPDATE devices SET lifecycle = ?, lifecycle_by = ?, lifecycle_at = ? WHERE device_id = ?").run(lifecycle, by, at, deviceId);
	}

	account(accountId: string): AccountRow | undefined {
		return this.db.prepare("SELECT * FROM accounts WHERE account_id = ?").get(accountId) as AccountRow | undefined;
	}

	accounts(): AccountRow[] {
		return this.db.prepare("SELECT * FROM accounts ORDER BY created_at, rowid").all() as AccountRow[];
	}

	accountOf(deviceId: string): string | undefined {
		const r = this.db.prepare("SELECT account_id FROM device_accounts WHERE device_id = ?").get(deviceId) as { account_id: string } | undefined;
		return r?.account_id;
	}

	associate(deviceId: string, accountId: string, at: number): void {
		this.db.prepare("INSERT INTO device_accounts (device_id, account_id, claimed_at) VALUES (?, ?, ?)").run(deviceId, accountId, at);
	}

	devicesOf(accountId: string): string[] {
		return (this.db.prepare("SELECT device_id FROM device_accounts WHERE account_id = ? ORDER BY claimed_at").all(accountId) as { device_id: string }[]).map(
			(r) => r.device_id,
		);
	}

	contacts(accountId: string): ContactRow[] {
		return this.db.prepare("SELECT * FROM contacts WHERE account_id = ? ORDER BY created_at, rowid").all(accountId) as ContactRow[];
	}

	contact(contactId: string): ContactRow | undefined {
		return this.db.prepare("SELECT * FROM contacts WHERE contact_id = ?").get(contactId) as ContactRow | undefined;
	}

	insertContact(c: ContactRow): void {
		this.db
			.prepare("INSERT INTO contacts (contact_id, account_id, name, channel, address, selected, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
			.run(c.contact_id, c.account_id, c.name, c.channel, c.address, c.selected, c.created_at, c.updated_at);
	}

	updateContactSelected(contactId: string, selected: boolean, at: number): void {
		this.db.prepare("UPDATE contacts SET selected = ?, updated_at = ? WHERE contact_id = ?").run(selected ? 1 : 0, at, contactId);
	}

	deleteContact(contactId: string): boolean {
		return this.db.prepare("DELETE FROM contacts WHERE contact_id = ?").run(contactId).changes === 1;
	}

	// --- counters ---

	highestCounter(deviceId: string): number | undefined {
		const r = this.db.prepare("SELECT highest FROM counters WHERE device_id = ?").get(deviceId) as { highest: number } | undefined;
		return r?.highest;
	}

	setHighestCounter(deviceId: string, value: number, at: number): void {
		this.db
			.prepare("INSERT INTO counters (device_id, highest, updated_at) VALUES (?, ?, ?) ON CONFLICT(device_id) DO UPDATE SET highest = excluded.highest, updated_at = excluded.updated_at")
			.run(deviceId, value, at);
	}

	// --- events and points ---

	event(deviceId: string, eventId: string): EventRow | undefined {
		return this.db.prepare("SELECT * FROM events WHERE device_id = ? AND event_id = ?").get(deviceId, eventId) as EventRow | undefined;
	}

	eventById(id: number): EventRow | undefined {
		return this.db.prepare("SELECT * FROM events WHERE id = ?").get(id) as EventRow | undefined;
	}

	eventByShare(shareId: string): EventRow | undefined {
		return this.db.prepare("SELECT * FROM events WHERE share_id = ?").get(shareId) as EventRow | undefined;
	}

	openEvents(deviceId?: string): EventRow[] {
		if (deviceId) return this.db.prepare("SELECT * FROM events WHERE state = 'open' AND device_id = ? ORDER BY opened_at").all(deviceId) as EventRow[];
		return this.db.prepare("SELECT * FROM events WHERE state = 'open' ORDER BY opened_at").all() as EventRow[];
	}

	events(deviceId?: string, limit = 200): EventRow[] {
		if (deviceId)
			return this.db.prepare("SELECT * FROM events WHERE device_id = ? ORDER BY opened_at DESC, id DESC LIMIT ?").all(deviceId, limit) as EventRow[];
		return this.db.prepare("SELECT * FROM events ORDER BY opened_at DESC, id DESC LIMIT ?").all(limit) as EventRow[];
	}

	insertEvent(e: Omit<EventRow, "id" | "resumed_count" | "closed_at" | "closed_by" | "close_reason">): number {
		const r = this.db
			.prepare(
				`INSERT INTO events (device_id, event_id, account_id, share_id, state, reason, stages, fix, cell, bat, test, opened_at, last_seen_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			)
			.run(e.device_id, e.event_id, e.account_id, e.share_id, e.state, e.reason, e.stages, e.fix, e.cell, e.bat, e.test, e.opened_at, e.last_seen_at);
		return Number(r.lastInsertRowid);
	}

	touchEvent(id: number, at: number, resumed: boolean, update: { stages?: string | null; fix?: string | null; cell?: string | null; bat?: string | null } = {}): void {
		this.db
			.prepare(
				`UPDATE events SET last_seen_at = ?, resumed_count = resumed_count + ?, stages = COALESCE(?, stages), fix = COALESCE(?, fix),
				cell = COALESCE(?, cell), bat = COALESCE(?, bat) WHERE id = ?`,
			)
			.run(at, resumed ? 1 : 0, update.stages ?? null, update.fix ?? null, update.cell ?? null, update.bat ?? null, id);
	}

	closeEvent(id: number, at: number, by: NonNullable<EventRow["closed_by"]>, reason: string | null): boolean {
		return (
			this.db.prepare("UPDATE events SET state = 'closed', closed_at = ?, closed_by = ?, close_reason = ? WHERE id = ? AND state = 'open'").run(at, by, reason, id)
				.changes === 1
		);
	}

	insertPoint(p: Omit<PointRow, "id">): boolean {
		return (
			this.db
				.prepare("INSERT OR IGNORE INTO points (event, s, t, la, lo, a, al, n, q, m, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
				.run(p.event, p.s, p.t, p.la, p.lo, p.a, p.al, p.n, p.q, p.m, p.received_at).changes === 1
		);
	}

	points(event: number): PointRow[] {
		return this.db.prepare("SELECT * FROM points WHERE event = ? ORDER BY s").all(event) as PointRow[];
	}

	pointCount(event: number): number {
		return (this.db.prepare("SELECT COUNT(*) AS n FROM points WHERE event = ?").get(event) as { n: number }).n;
	}

	lastPoint(event: number): PointRow | undefined {
		return this.db.prepare("SELECT * FROM points WHERE event = ? ORDER BY s DESC LIMIT 1").get(event) as PointRow | undefined;
	}

	/** Highest point sequence stored for the event (the `ack` of protocol §5), 0 when none. */
	highestPoint(event: number): number {
		return (this.db.prepare("SELECT COALESCE(MAX(s), 0) AS s FROM points WHERE event = ?").get(event) as { s: number }).s;
	}

	// --- refusals, notifications, audit ---

	insertRefusal(r: Omit<RefusalRow, "id">): void {
		this.db
			.prepare("INSERT INTO refusals (at, device_id, status, code, method, path, detail) VALUES (?, ?, ?, ?, ?, ?, ?)")
			.run(r.at, r.device_id, r.status, r.code, r.method, r.path, r.detail);
	}

	refusals(limit = 200): RefusalRow[] {
		return this.db.prepare("SELECT * FROM refusals ORDER BY id DESC LIMIT ?").all(limit) as RefusalRow[];
	}

	insertNotification(n: Omit<NotificationRow, "id">): void {
		this.db
			.prepare("INSERT INTO notifications (event, contact_id, kind, at, status, detail) VALUES (?, ?, ?, ?, ?, ?)")
			.run(n.event, n.contact_id, n.kind, n.at, n.status, n.detail);
	}

	notifications(event?: number): NotificationRow[] {
		if (event !== undefined) return this.db.prepare("SELECT * FROM notifications WHERE event = ? ORDER BY id").all(event) as NotificationRow[];
		return this.db.prepare("SELECT * FROM notifications ORDER BY id DESC LIMIT 500").all() as NotificationRow[];
	}

	/** One audit row: `actor` is `holder:<account>`, `command:<operator>`, `contact:<contact>`, `device:<id>` or `system`; `outcome` allow or deny. */
	audit(action: string, at: number, deviceId: string | null, accountId: string | null, detail: string | null, actor: string | null = "system", outcome: "allow" | "deny" = "allow"): void {
		this.db
			.prepare("INSERT INTO audit (at, action, device_id, account_id, detail, actor, outcome) VALUES (?, ?, ?, ?, ?, ?, ?)")
			.run(at, action, deviceId, accountId, detail, actor, outcome);
	}

	auditLog(limit = 500): AuditRow[] {
		return this.db.prepare("SELECT * FROM audit ORDER BY id DESC LIMIT ?").all(limit) as AuditRow[];
	}
}
