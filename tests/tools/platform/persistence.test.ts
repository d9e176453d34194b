/**
 * Storage survives restarts; keys are wrapped at rest; TLS with the dev CA; the CLI end to end without secrets in
 * its output.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes, X509Certificate } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import ManualClock from "hal/sim/manualClock";
import Store from "../../../tools/platform/store";
import { checkResponse, devCa, harness, importRecord, newDevice, point, send, signRequest, T0, tempDir } from "./helpers";

const EVENT = "9d2e41f07ab35c6680e1d4f2a7c9b053";

const P = suite("platform persistence");

P("schema migrated once, WAL journal, rows survive close and reopen", () => {
	const file = join(tempDir(), "p.db");
	const s1 = new Store(file);
	assert.is(s1.schemaVersion, 2);
	assert.is(s1.journalMode, "wal");
	s1.insertAccount({ account_id: "a1", display_name: "Ada", created_at: 1 });
	s1.insertRefusal({ at: 2, device_id: null, status: 412, code: "unknown-key", method: "POST", path: "/v1/events", detail: "x" });
	s1.close();
	const s2 = new Store(file);
	assert.is(s2.schemaVersion, 2);
	assert.is(s2.account("a1")!.display_name, "Ada");
	assert.is(s2.refusals()[0]!.code, "unknown-key");
	s2.close();
	assert.throws(() => s2.accounts(), /store closed/);
});

P("the whole platform state survives a restart: devices, counters, events, points, revocation, timeout deadlines", async () => {
	const dir = tempDir();
	const dbPath = join(dir, "platform.db");
	const storageKey = randomBytes(32);
	const importKey = randomBytes(32);
	const clock = new ManualClock(T0);
	const d = newDevice();
	const gone = newDevice();
	let replay;
	{
		const h = await harness({ dbPath, storageKey, importKey, clock, maxEventMs: 3600_000 });
		h.importDevices(d, gone);
		await h.post(d, "/v1/events", { event: EVENT, reason: "button" });
		const sent = await h.post(d, `/v1/events/${EVENT}/locations`, { points: [point(d, EVENT, 1, 1763783100)] });
		assert.is(sent.reply.status, 200);
		replay = sent.req;
		h.server.platform.revoke(gone.id, "stolen");
		await h.close();
	}
	// The device key is not in the database file in clear (WAL checkpointed on close).
	const bytes = readFileSync(dbPath);
	assert.is(bytes.indexOf(d.key), -1);
	assert.is(bytes.indexOf(Buffer.from(d.key.toString("hex"))), -1);
	{
		clock.advance(1800_000);
		const h = await harness({ dbPath, storageKey, importKey, clock, maxEventMs: 3600_000 });
		try {
			assert.is((await send(h.server.port, replay)).status, 409, "counter remembered");
			const e = h.server.platform.event(d.id, EVENT)!;
			assert.is(e.state, "open");
			assert.is(h.server.platform.store.pointCount(e.id), 1);
			const req = signRequest({ device: gone, nonce: 5, path: "/v1/events", body: JSON.stringify({ event: "c".repeat(32), reason: "button" }), host: h.host });
			const r = await send(h.server.port, req);
			assert.is(r.status, 403, "revocation remembered");
			assert.is(checkResponse(r, req, gone), "ok");
			// The timeout deadline counts from the original opening, not from the restart.
			clock.advance(1800_000);
			assert.is(h.server.platform.event(d.id, EVENT)!.closed_by, "timeout");
			const second = signRequest({ device: d, nonce: 10, path: "/v1/events", body: JSON.stringify({ event: "d".repeat(32), reason: "button" }), host: h.host });
			assert.is((await send(h.server.port, second)).status, 200);
		} finally {
			await h.close();
		}
	}
	{
		// Restart long after the deadline: the overdue event is closed at start-up.
		clock.advance(2 * 3600_000);
		const h = await harness({ dbPath, storageKey, importKey, clock, maxEventMs: 3600_000 });
		try {
			assert.is(h.server.platform.event(d.id, "d".repeat(32))!.state, "open");
			clock.advance(0);
			const e = h.server.platform.event(d.id, "d".repeat(32))!;
			assert.is(e.closed_by, "timeout");
		} finally {
			await h.close();
		}
	}
});

P("TLS: the dev CA verifies the server for localhost and 127.0.0.1; a client without it refuses", async () => {
	const ca = devCa();
	const cert = new X509Certificate(ca.cert);
	assert.ok(cert.verify(new X509Certificate(ca.ca).publicKey));
	assert.is(cert.checkHost("localhost"), "localhost");
	assert.is(cert.checkIP("127.0.0.1"), "127.0.0.1");
	assert.ok(new X509Certificate(ca.ca).ca);
	assert.is(statSync(ca.keyPath).mode & 0o077, 0, "server key not readable by others");
	const h = await harness();
	try {
		const ok = await send(h.server.port, { method: "GET", path: "/login", headers: { host: h.host } });
		assert.is(ok.status, 200);
		const refused = await new Promise<string>((resolve) => {
			const req = request({ host: "127.0.0.1", servername: "localhost", port: h.server.port, path: "/login", agent: false }, () => resolve("connected"));
			req.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
			req.end();
		});
		assert.match(refused, /SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY|CERT/);
		const otherCa = await import("../../../tools/platform/devCa").then((m) => m.ensureDevCa(tempDir()));
		const wrong = await send(h.server.port, { method: "GET", path: "/login", headers: { host: h.host } }, otherCa.ca).then(
			() => "connected",
			(e: NodeJS.ErrnoException) => e.code ?? "error",
		);
		assert.is.not(wrong, "connected");
	} finally {
		await h.close();
	}
});

P("the server refuses to listen anywhere but loopback", async () => {
	const { startPlatformServer } = await import("../../../tools/platform/server");
	for (const host of ["0.0.0.0", "::", "192.168.1.10"])
		await startPlatformServer({ db: ":memory:", storageKey: randomBytes(32), tls: { key: devCa().key, cert: devCa().cert }, host }).then(
			() => assert.unreachable(`listened on ${host}`),
			(e: unknown) => assert.instance(e, RangeError),
		);
});

const SERVER = join(process.cwd(), "tools", "platform", "server.ts");

function cli(args: string[], cwd: string): string {
	return execFileSync(process.execPath, ["--import", "tsx", SERVER, ...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "" } });
}

P("CLI: --help prints the usage and starts no server; an unknown command is refused with the usage", () => {
	// A server would never exit: execFileSync's timeout turns that into a failure instead of a hang.
	const help = execFileSync(process.execPath, ["--import", "tsx", SERVER, "--help"], { encoding: "utf8", timeout: 30_000, env: { ...process.env, NODE_OPTIONS: "" } });
	assert.match(help, /^usage: npm run platform -- \[command\]/);
	assert.match(help, /serve \(default\)/);
	assert.not.match(help, /listening/);
	try {
		cli(["bogus"], process.cwd());
		assert.unreachable("an unknown command exited 0");
	} catch (e) {
		const err = e as { status?: number; stderr?: string };
		assert.is(err.status, 2);
		assert.match(err.stderr ?? "", /unknown command bogus\nusage:/);
	}
});

P("CLI on a fresh checkout: a subcommand with the default database creates .cache/platform/ (mode 0700) itself", () => {
	const fresh = tempDir();
	// tsx by URL: `--import tsx` resolves from the working directory, which has no node_modules here.
	const out = execFileSync(process.execPath, ["--import", import.meta.resolve("tsx"), SERVER, "devices"], { cwd: fresh, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "", TSX_TSCONFIG_PATH: join(process.cwd(), "tsconfig.tools.json") } });
	assert.equal(JSON.parse(out), []);
	assert.is(statSync(join(fresh, ".cache", "platform")).mode & 0o777, 0o700);
	assert.ok(statSync(join(fresh, ".cache", "platform", "platform.db")).isFile());
});

P("CLI: import, claim code, account, claim, user close; serve over TLS; no key in any output", async () => {
	const dir = tempDir();
	const importKey = randomBytes(32);
	writeFileSync(join(dir, "import.key"), `${importKey.toString("hex")}\n`, { mode: 0o600 });
	const d = newDevice();
	writeFileSync(join(dir, "records.jsonl"), `${importRecord(importKey, d)}\n`);
	const db = ["--db", join(dir, "p.db"), "--storage-key", join(dir, "storage.key")];
	let out = cli(["import", join(dir, "records.jsonl"), "--import-key", join(dir, "import.key"), ...db], process.cwd());
	assert.match(out, /"imported": 1/);
	const code = JSON.parse(cli(["claim-code", d.id, ...db], process.cwd())).code as string;
	const account = JSON.parse(cli(["account", "Ada", ...db], process.cwd())).account_id as string;
	out += cli(["claim", account, code, ...db], process.cwd());
	// Command operators come from the CLI only, the password from the environment (not argv, which `ps` shows).
	const operator = execFileSync(process.execPath, ["--import", "tsx", SERVER, "operator", "ops", ...db], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "", ENIGM_OPERATOR_PASSWORD: "operator password 1" } });
	assert.match(JSON.parse(operator).operator_id as string, /^[0-9a-f]{32}$/);
	assert.not.ok(operator.includes("operator password 1"));
	const storageKey = readFileSync(join(dir, "storage.key"), "utf8").trim();
	assert.is(statSync(join(dir, "storage.key")).mode & 0o077, 0);

	const child = spawn(process.execPath, ["--import", "tsx", SERVER, "serve", "--port", "0", "--ca-dir", devCa().dir, ...db], { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"] });
	try {
		let log = "";
		const port = await new Promise<number>((resolve, reject) => {
			child.stdout.on("data", (c: Buffer) => {
				log += c.toString();
				const m = /listening on https:\/\/localhost:(\d+)/.exec(log);
				if (m) resolve(Number(m[1]));
			});
			child.on("exit", () => reject(new Error(`server exited: ${log}`)));
		});
		const host = `localhost:${port}`;
		const req = signRequest({ device: d, nonce: 1, path: "/v1/events", body: JSON.stringify({ event: EVENT, reason: "button" }), host });
		const r = await send(port, req);
		assert.is(r.status, 200);
		assert.is(checkResponse(r, req, d), "ok");
		const bad = await send(port, signRequest({ device: d, nonce: 2, path: "/v1/events", body: "{}", host, key: randomBytes(32) }));
		assert.is(bad.status, 401);
		out += cli(["close-event", d.id, EVENT, "--reason", "safe", ...db], process.cwd());
		const next = await send(port, signRequest({ device: d, nonce: 3, path: `/v1/events/${EVENT}/close`, body: '{"reason":"cancel"}', host }));
		assert.is(next.json().state, "closed");
		out += log;
	} finally {
		child.kill("SIGTERM");
		await new Promise((r) => child.once("exit", r));
	}
	for (const secret of [d.key.toString("hex"), d.key.toString("base64"), importKey.toString("hex"), storageKey, Buffer.from(storageKey, "hex").toString("base64")])
		assert.not.ok(out.includes(secret), "secret in CLI output");
	assert.match(out, /refused 401 bad-signature/);
	assert.match(out, /closed by user \(safe\)/);
});

P.run();
