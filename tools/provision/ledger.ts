/**
 * The batch ledger: an SQLite database in the output directory (better-sqlite3, WAL), one row
 * per issued identity. A serial is UNIQUE, so it can never get a second identity; keys are kept only wrapped under
 * the platform import key. A chunk of identities is inserted in the same transaction that records the committed
 * byte length of each JSON-lines output (`meta`), so a crashed run rolls back to the last commit as a whole.
 */
import Database from "better-sqlite3";
import { chmodSync, existsSync } from "node:fs";
import type { Wrapped } from "./wrap";
import type { KeyStore } from "./boards";

export interface LedgerRow {
	seq: number;
	serial: string;
	deviceId: string;
	board: string;
	keyStore: KeyStore;
	efuseBlock: number | null;
	key: Wrapped;
	nvsKeys: Wrapped | null;
	/** ESP32-S3 HMAC-based NVS encryption: the eFuse HMAC key the XTS keys derive from, wrapped, and its block. */
	nvsHmacKey: Wrapped | null;
	nvsEfuseBlock: number | null;
	imageSha256: string;
	createdAt: string;
}

interface RawRow {
	seq: number;
	serial: string;
	device_id: string;
	board: string;
	key_store: string;
	efuse_block: number | null;
	key_wrapped: string;
	nvs_keys_wrapped: string | null;
	nvs_hmac_wrapped: string | null;
	nvs_efuse_block: number | null;
	image_sha256: string;
	created_at: string;
}

/** The values of device.ts ledgerLine(), in INSERT order. */
type Columns = [string, string, string, string, number | null, string, string | null, string, string, string | null, number | null];

function fromRaw(r: RawRow): LedgerRow {
	return {
		seq: r.seq,
		serial: r.serial,
		deviceId: r.device_id,
		board: r.board,
		keyStore: r.key_store as KeyStore,
		efuseBlock: r.efuse_block,
		key: JSON.parse(r.key_wrapped) as Wrapped,
		nvsKeys: r.nvs_keys_wrapped === null ? null : (JSON.parse(r.nvs_keys_wrapped) as Wrapped),
		nvsHmacKey: r.nvs_hmac_wrapped == null ? null : (JSON.parse(r.nvs_hmac_wrapped) as Wrapped),
		nvsEfuseBlock: r.nvs_efuse_block ?? null,
		imageSha256: r.image_sha256,
		createdAt: r.created_at,
	};
}

export default class Ledger {
	#db: Database.Database | undefined;
	readonly #get: Database.Statement<[string]>;
	readonly #setMeta: Database.Statement<[string, string]>;
	readonly #insert: Database.Statement<Columns>;
	readonly #getMeta: Database.Statement<[string]>;
	readonly #page: Database.Statement<[number, number]>;

	constructor(file: string) {
		const fresh = !existsSync(file);
		const db = (this.#db = new Database(file));
		if (fresh) chmodSync(file, 0o600);
		db.pragma("journal_mode = WAL");
		// FULL: a commit is on disk when it returns (one WAL fsync per chunk, the batch's group commit). A device
		// folder is renamed to its final name only after its row committed, so the commit must survive a power cut
		// (NORMAL could lose it and leave a final-named folder whose key no ledger knows).
		db.pragma("synchronous = FULL");
		// 500 KB page cache (better-sqlite3 sets 16 MB): lookups are by the serial index, and a batch appends rows. The
		// cache fills as the ledger grows, so its size is part of the RSS difference between a small batch and a large
		// one: 2 MB instead cost ~1-1.5 MB more peak RSS at 40,000 devices, with the same CPU per device.
		db.pragma("cache_size = -500");
		db.exec(`
			CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
			CREATE TABLE IF NOT EXISTS devices (
				seq INTEGER PRIMARY KEY,
				serial TEXT NOT NULL UNIQUE,
				device_id TEXT NOT NULL UNIQUE,
				board TEXT NOT NULL,
				key_store TEXT NOT NULL CHECK (key_store IN ('nvs', 'efuse')),
				efuse_block INTEGER,
				key_wrapped TEXT NOT NULL,
				nvs_keys_wrapped TEXT,
				image_sha256 TEXT NOT NULL,
				created_at TEXT NOT NULL,
				nvs_hmac_wrapped TEXT,
				nvs_efuse_block INTEGER
			);
		`);
		// Ledgers written before the S3's HMAC-based NVS encryption lack the last two columns (NULL = plain NVS).
		const columns = new Set((db.pragma("table_info(devices)") as { name: string }[]).map((c) => c.name));
		if (!columns.has("nvs_hmac_wrapped")) db.exec("ALTER TABLE devices ADD COLUMN nvs_hmac_wrapped TEXT");
		if (!columns.has("nvs_efuse_block")) db.exec("ALTER TABLE devices ADD COLUMN nvs_efuse_block INTEGER");
		this.#get = db.prepare("SELECT * FROM devices WHERE serial = ?");
		this.#insert = db.prepare(`
			INSERT INTO devices (serial, device_id, board, key_store, efuse_block, key_wrapped, nvs_keys_wrapped, image_sha256, created_at, nvs_hmac_wrapped, nvs_efuse_block)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
		this.#setMeta = db.prepare("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v");
		this.#getMeta = db.prepare("SELECT v FROM meta WHERE k = ?");
		this.#page = db.prepare("SELECT * FROM devices WHERE seq > ? ORDER BY seq LIMIT ?");
	}

	get(serial: string): LedgerRow | undefined {
		const r = this.#get.get(serial) as RawRow | undefined;
		return r && fromRaw(r);
	}

	/**
	 * Inserts the rows of UTF-8 device.ts ledgerLine()s in order, one prepared INSERT each (a row at a time: the main thread
	 * holds no more than one row's strings); `expected` is how many there must be.
	 */
	insertRows(lines: Uint8Array, expected: number): void {
		const text = Buffer.from(lines.buffer, lines.byteOffset, lines.byteLength);
		let n = 0;
		for (let at = 0; at < text.length; ) {
			let end = text.indexOf(10, at);
			if (end < 0) end = text.length;
			const columns = JSON.parse(text.toString("utf8", at, end)) as Columns;
			if (!Array.isArray(columns) || columns.length !== 11) throw new Error(`ledger: malformed row ${n + 1}`);
			this.#insert.run(...columns);
			n++;
			at = end + 1;
		}
		if (n !== expected) throw new Error(`ledger: inserted ${n} rows, expected ${expected}`);
	}

	meta(key: string): string | undefined {
		return (this.#getMeta.get(key) as { v: string } | undefined)?.v;
	}

	setMeta(key: string, value: string): void {
		this.#setMeta.run(key, value);
	}

	/**
	 * An explicit transaction, for rows inserted as they arrive and committed later (batch.ts: a chunk's rows wait in
	 * SQLite, not in the main thread's memory). Uncommitted rows are rolled back by rollback(), close() or a crash.
	 */
	begin(): void {
		this.#db!.prepare("BEGIN").run();
	}

	/** Commits the transaction begin() opened (durable when it returns: synchronous = FULL). */
	commit(): void {
		this.#db!.prepare("COMMIT").run();
	}

	rollback(): void {
		if (this.#db?.inTransaction) this.#db.prepare("ROLLBACK").run();
	}

	/** Runs fn in one transaction (committed, and durable, when it returns). */
	transaction<T>(fn: () => T): T {
		return this.#db!.transaction(fn)() as T;
	}

	/** Rows in issue order, a page at a time (memory stays flat). */
	*rows(pageSize = 512): Generator<LedgerRow> {
		let after = 0;
		for (;;) {
			const page = this.#page.all(after, pageSize) as RawRow[];
			if (page.length === 0) return;
			for (const r of page) yield fromRaw(r);
			after = page[page.length - 1]!.seq;
		}
	}

	close(): void {
		this.rollback();
		this.#db?.pragma("wal_checkpoint(TRUNCATE)");
		this.#db?.close();
		this.#db = undefined;
	}
}
