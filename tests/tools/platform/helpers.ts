/**
 * Test fixtures for the platform: an independent request signer and response checker built by string
 * concatenation straight from RFC 9421 / docs/protocol.md (no code shared with tools/platform/httpSig.ts),
 * import records made with node:crypto as tools/provision documents them, an HTTPS client pinned to the dev CA.
 */
import { createCipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import { request } from "node:https";
import { join } from "node:path";
import ManualClock from "hal/sim/manualClock";
import { ensureDevCa, type DevCa } from "../../../tools/platform/devCa";
import { startPlatformServer, type PlatformServer } from "../../../tools/platform/server";
import type { Notifier } from "../../../tools/platform/notifier";
import { testTempDir } from "../tempDir";

export const T0 = 1763783100_000;
export const REQ_COMPONENTS = '("@method" "@authority" "@path" "content-type" "content-digest")';

let ca: DevCa | undefined;
/** One dev CA per test process, in a temp dir. */
export function devCa(): DevCa {
	ca ??= ensureDevCa(testTempDir("enigm-devca-"));
	return ca;
}

export function tempDir(): string {
	return testTempDir("enigm-platform-");
}

export interface Device {
	readonly id: string;
	readonly key: Buffer;
	readonly serial: string;
	readonly board: string;
}

export function newDevice(serial = `ENK-${randomBytes(3).toString("hex")}`, board = "sim"): Device {
	return { id: randomBytes(16).toString("hex"), key: randomBytes(32), serial, board };
}

export function importKeyId(key: Buffer): string {
	return createHash("sha256").update("enigm-platform-import-key-id").update(key).digest("hex").slice(0, 16);
}

/** A platform import record as tools/provision writes it (platform-import.jsonl). */
export function importRecord(importKey: Buffer, d: Device, override: Partial<{ serial: string; board: string; deviceId: string }> = {}): string {
	const iv = randomBytes(12);
	const c = createCipheriv("aes-256-gcm", importKey, iv);
	c.setAAD(Buffer.from(`enigm-provision-v1|device-key|${d.id}|${d.serial}|${d.board}`, "utf8"));
	const ct = Buffer.concat([c.update(d.key), c.final()]);
	return JSON.stringify({
		type: "enigm.provision.device",
		v: 1,
		deviceId: override.deviceId ?? d.id,
		serial: override.serial ?? d.serial,
		board: override.board ?? d.board,
		keyStore: "nvs",
		key: { alg: "A256GCM", kid: importKeyId(importKey), iv: iv.toString("hex"), ct: ct.toString("hex"), tag: c.getAuthTag().toString("hex") },
		createdAt: "2026-11-22T00:00:00Z",
	});
}

export interface SignOptions {
	readonly device: Device;
	readonly nonce: number | string;
	readonly path: string;
	readonly body: string | Buffer;
	readonly host: string;
	readonly method?: string;
	readonly created?: number;
	/** Replaces the parameter string after the component list (default: protocol §4 order). */
	readonly params?: string;
	/** Replaces the covered-component list, and the lines of the base with it. */
	readonly components?: readonly string[];
	readonly contentType?: string;
	/** Key to sign with (default the device's). */
	readonly key?: Buffer;
}

export interface SignedRequest {
	readonly method: string;
	readonly path: string;
	readonly headers: Record<string, string>;
	readonly body: Buffer;
	/** The Signature member value, `:<base64>:`. */
	readonly sigValue: string;
}

/** RFC 9421 §2.5 by hand: the lines the protocol lists, LF-joined, no trailing LF. */
export function signRequest(o: SignOptions): SignedRequest {
	const body = Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body, "utf8");
	const method = o.method ?? "POST";
	const contentType = o.contentType ?? "application/json";
	const digest = `sha-256=:${createHash("sha256").update(body).digest("base64")}:`;
	const params =
		o.params ?? `${o.created !== undefined ? `;created=${o.created}` : ""};keyid="${o.device.id}";nonce="${o.nonce}";alg="hmac-sha256";tag="enigm-key-v1"`;
	const names = o.components ?? ["@method", "@authority", "@path", "content-type", "content-digest"];
	const values: Record<string, string> = { "@method": method, "@authority": o.host, "@path": o.path, "content-type": contentType, "content-digest": digest };
	const list = `(${names.map((n) => `"${n}"`).join(" ")})`;
	const base = `${names.map((n) => `"${n}": ${values[n]}`).join("\n")}\n"@signature-params": ${list}${params}`;
	const sig = createHmac("sha256", o.key ?? o.device.key).update(base).digest("base64");
	return {
		method,
		path: o.path,
		body,
		sigValue: `:${sig}:`,
		headers: {
			host: o.host,
			"content-type": contentType,
			"content-digest": digest,
			"signature-input": `enigm=${list}${params}`,
			signature: `enigm=:${sig}:`,
		},
	};
}

export interface Reply {
	readonly status: number;
	readonly headers: Record<string, string | string[] | undefined>;
	readonly body: Buffer;
	json(): Record<string, unknown>;
}

export function send(port: number, r: { method: string; path: string; headers: Record<string, string>; body?: Buffer }, caPem = devCa().ca): Promise<Reply> {
	return new Promise((resolve, reject) => {
		const req = request(
			{ host: "127.0.0.1", servername: "localhost", port, method: r.method, path: r.path, headers: { ...r.headers, "content-length": String(r.body?.length ?? 0) }, ca: caPem, agent: false },
			(res) => {
				const chunks: Buffer[] = [];
				res.on("data", (c: Buffer) => chunks.push(c));
				res.on("end", () => {
					const body = Buffer.concat(chunks);
					resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString("utf8")) as Record<string, unknown> });
				});
			},
		);
		req.on("error", reject);
		req.end(r.body ?? Buffer.alloc(0));
	});
}

/** A web client with its own cookie jar, sending the same-origin `Origin` a browser sends (override per call). */
export interface WebClient {
	call(method: string, path: string, body?: unknown, o?: { origin?: string | null; host?: string; headers?: Record<string, string> }): Promise<Reply>;
	/** The session cookie value, if any. */
	readonly session: string | undefined;
	setSession(token: string | undefined): void;
}

export function webClient(port: number, caPem = devCa().ca): WebClient {
	let session: string | undefined;
	return {
		get session() {
			return session;
		},
		setSession(t) {
			session = t;
		},
		async call(method, path, body, o = {}) {
			const b = body === undefined ? undefined : Buffer.from(typeof body === "string" ? body : JSON.stringify(body), "utf8");
			const host = o.host ?? `localhost:${port}`;
			const origin = o.origin === undefined ? `https://localhost:${port}` : o.origin;
			const headers: Record<string, string> = {
				host,
				...(origin !== null && method !== "GET" ? { origin } : {}),
				...(b ? { "content-type": "application/json" } : {}),
				...(session ? { cookie: `__Host-enigm-session=${session}` } : {}),
				...o.headers,
			};
			const r = await send(port, { method, path, headers, ...(b ? { body: b } : {}) }, caPem);
			const set = r.headers["set-cookie"];
			for (const c of Array.isArray(set) ? set : set ? [set] : []) {
				const m = /^__Host-enigm-session=([^;]*)/.exec(c);
				if (m) session = m[1] || undefined;
			}
			return r;
		},
	};
}

/** Registers an account holder over HTTP and keeps the session. */
export async function holder(port: number, username: string, password = "correct horse battery", name?: string): Promise<{ client: WebClient; account: string; phrase: string; password: string }> {
	const client = webClient(port);
	const r = await client.call("POST", "/api/register", { username, password, ...(name ? { name } : {}) });
	if (r.status !== 201) throw new Error(`register ${username}: ${r.status} ${r.body.toString()}`);
	return { client, account: r.json().account_id as string, phrase: r.json().recovery_phrase as string, password };
}

/** A Command operator (created as the platform's operator would, from the CLI) logged in over HTTP. */
export async function commandOperator(h: Harness, username = "ops", password = "operator password 1"): Promise<WebClient> {
	if (!h.server.platform.store.operatorByUsername(username)) await h.server.platform.createOperator(username, password);
	const client = webClient(h.server.port);
	const r = await client.call("POST", "/api/command/login", { username, password });
	if (r.status !== 200) throw new Error(`command login: ${r.status} ${r.body.toString()}`);
	return client;
}

/** The old loopback admin API is gone: Command calls as operator "ops" (created on first use). */
export async function adminCall(h: Harness, method: string, path: string, body?: unknown): Promise<Reply> {
	const c = await commandOperator(h);
	return c.call(method, path, body);
}

/**
 * Protocol §5 "Device verification", by hand: the exact covered list and params, the digest, and the HMAC over
 * the base rebuilt from the status, the request's method, path and signature. Returns a reason or "ok".
 */
export function checkResponse(reply: Reply, req: SignedRequest, device: Device): string {
	const input = String(reply.headers["signature-input"] ?? "");
	const m = new RegExp(
		`^enigm=(\\("@status" "content-type" "content-digest" "@method";req "@path";req "signature";req;key="enigm"\\);created=(\\d+);keyid="${device.id}";alg="hmac-sha256";tag="enigm-platform-v1")$`,
	).exec(input);
	if (!m) return "signature-input";
	const digest = `sha-256=:${createHash("sha256").update(reply.body).digest("base64")}:`;
	if (reply.headers["content-digest"] !== digest) return "digest";
	if (reply.headers["content-type"] !== "application/json") return "content-type";
	const base = [
		`"@status": ${reply.status}`,
		`"content-type": application/json`,
		`"content-digest": ${digest}`,
		`"@method";req: ${req.method}`,
		`"@path";req: ${req.path}`,
		`"signature";req;key="enigm": ${req.sigValue}`,
		`"@signature-params": ${m[1]}`,
	].join("\n");
	const expected = `enigm=:${createHmac("sha256", device.key).update(base).digest("base64")}:`;
	return reply.headers["signature"] === expected ? "ok" : "mac";
}

/** Protocol §6.2 point with its MAC, computed by hand. */
export function point(device: Device, eventId: string, s: number, t: number, la = 473769000, lo = 85417000): Record<string, unknown> {
	const p = { s, t, la, lo, a: 5, al: 408, n: 9, q: "3d" };
	const input = `enigm-point-v1\n${eventId}\n${p.s},${p.t},${p.la},${p.lo},${p.a},${p.al},${p.n},${p.q}`;
	const m = createHmac("sha256", device.key).update(input).digest().subarray(0, 16).toString("base64url");
	return { ...p, m };
}

export interface Harness {
	readonly server: PlatformServer;
	readonly clock: ManualClock;
	readonly logs: string[];
	readonly importKey: Buffer;
	readonly storageKey: Buffer;
	readonly host: string;
	readonly dbPath: string;
	nonce(d: Device): number;
	post(d: Device, path: string, body: unknown, extra?: Partial<SignOptions>): Promise<{ req: SignedRequest; reply: Reply }>;
	importDevices(...devices: Device[]): void;
	close(): Promise<void>;
}

/** scrypt N for tests: the hashing is real, only cheaper (production default: auth.ts SCRYPT_N). */
export const TEST_SCRYPT_N = 2 ** 10;

export async function harness(o: { dbPath?: string; storageKey?: Buffer; importKey?: Buffer; notifier?: Notifier; maxEventMs?: number; nonceWindow?: number; clock?: ManualClock; tileUrl?: string } = {}): Promise<Harness> {
	const logs: string[] = [];
	const clock = o.clock ?? new ManualClock(T0);
	const storageKey = o.storageKey ?? randomBytes(32);
	const importKey = o.importKey ?? randomBytes(32);
	const dbPath = o.dbPath ?? join(tempDir(), "platform.db");
	const server = await startPlatformServer({
		db: dbPath,
		storageKey,
		importKey,
		tls: { key: devCa().key, cert: devCa().cert },
		port: 0,
		clock,
		log: (l) => logs.push(l),
		...(o.notifier ? { notifier: o.notifier } : {}),
		...(o.maxEventMs !== undefined ? { maxEventMs: o.maxEventMs } : {}),
		...(o.nonceWindow !== undefined ? { nonceWindow: o.nonceWindow } : {}),
		...(o.tileUrl ? { tileUrl: o.tileUrl } : {}),
		scryptN: TEST_SCRYPT_N,
	});
	const host = `localhost:${server.port}`;
	const counters = new Map<string, number>();
	const h: Harness = {
		server,
		clock,
		logs,
		importKey,
		storageKey,
		host,
		dbPath,
		nonce(d) {
			const n = (counters.get(d.id) ?? 0) + 1;
			counters.set(d.id, n);
			return n;
		},
		async post(d, path, body, extra = {}) {
			const req = signRequest({ device: d, nonce: h.nonce(d), path, body: typeof body === "string" ? body : JSON.stringify(body), host, ...extra });
			return { req, reply: await send(server.port, req) };
		},
		importDevices(...devices) {
			const summary = server.platform.importRecords(devices.map((d) => importRecord(importKey, d)).join("\n"));
			if (summary.failed.length) throw new Error(`import failed: ${JSON.stringify(summary.failed)}`);
		},
		close: () => server.close(),
	};
	return h;
}
