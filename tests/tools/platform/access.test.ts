/**
 * Issue 12: who may do what. The role x route matrix over every web route (tools/platform/web.ts ROUTES), CSRF and
 * Host checks, CSP on every page, strict query parameters and body limits, session expiry on the injected clock,
 * password change and recovery, rate limits, the capability links of emergency contacts, and every device lifecycle
 * transition (allowed and forbidden) with what the device is told.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { ROUTES } from "../../../tools/platform/web";
import { LIFECYCLE, type Actor, type LifecycleAction } from "../../../tools/platform/platform";
import type { Lifecycle } from "../../../tools/platform/store";
import type { EmergencyContext, Notifier } from "../../../tools/platform/notifier";
import { type Device, type Harness, type WebClient, checkResponse, commandOperator, harness, holder, newDevice, point, T0, webClient } from "./helpers";

const EVENT = "9d2e41f07ab35c6680e1d4f2a7c9b053";
const OPEN = { event: EVENT, reason: "button", resumed: false, fix: { t: 1763783000, la: 473760000, lo: 85410000, a: 25, n: 5, q: "2d" } };

/** A notifier that keeps each contact's link. */
function linkKeeper(): { notifier: Notifier; links: Map<string, string> } {
	const links = new Map<string, string>();
	return { links, notifier: { notify: async (r, c: EmergencyContext) => void (c.link && links.set(r.name, new URL(c.link).pathname)) } };
}

interface World {
	h: Harness;
	a: { client: WebClient; account: string; phrase: string; password: string };
	b: { client: WebClient; account: string };
	ops: WebClient;
	anon: WebClient;
	dev: Device;
	contact: string;
	links: Map<string, string>;
}

async function world(): Promise<World> {
	const keeper = linkKeeper();
	const h = await harness({ notifier: keeper.notifier });
	const a = await holder(h.server.port, "ada", "correct horse battery", "Ada L.");
	const b = await holder(h.server.port, "eve", "another long password");
	const ops = await commandOperator(h);
	const dev = newDevice();
	h.importDevices(dev);
	const code = (await ops.call("POST", `/command/api/devices/${dev.id}/claim-code`)).json().code as string;
	assert.is((await a.client.call("POST", "/api/devices/claim", { code })).status, 200);
	const contact = (await a.client.call("POST", "/api/contacts", { name: "Grace", channel: "sms", address: "+41790000001" })).json().contact_id as string;
	assert.is((await h.post(dev, "/v1/events", OPEN)).reply.status, 200);
	await h.post(dev, `/v1/events/${EVENT}/locations`, { points: [point(dev, EVENT, 1, 1763783100), point(dev, EVENT, 2, 1763783130, 473770000)] });
	await h.server.platform.idle();
	return { h, a, b, ops, anon: webClient(h.server.port), dev, contact, links: keeper.links };
}

function fill(path: string, w: World, device = w.dev.id): string {
	return path
		.replace(":device", device)
		.replace(":event", EVENT)
		.replace(":contact", w.contact)
		.replace(":name", "site.css")
		.replace(":token", (w.links.get("Grace") ?? "/c/x").slice(3));
}

const A = suite("platform access control (issue 12)");

A("role x route matrix: every route refuses every role it is not for, and answers the role it is for", async () => {
	const w = await world();
	try {
		const spare = newDevice();
		w.h.importDevices(spare);
		let checked = 0;
		for (const r of ROUTES) {
			if (r.role === "public" || r.role === "contact") continue;
			const path = fill(r.path, w);
			const body = r.method === "GET" ? undefined : {};
			// Nobody logged in.
			const anon = await w.anon.call(r.method, path, body);
			if (r.page) {
				assert.is(anon.status, 303, `anonymous ${r.method} ${r.path}`);
				assert.is(anon.headers.location, r.role === "command" ? "/command/login" : "/login");
			} else {
				assert.is(anon.status, 401, `anonymous ${r.method} ${r.path}`);
				assert.is(anon.json().error, "unauthenticated");
			}
			// The other role.
			const wrong = r.role === "holder" ? w.ops : w.a.client;
			const refused = await wrong.call(r.method, path, body);
			assert.is(refused.status, 403, `${r.role === "holder" ? "command" : "holder"} ${r.method} ${r.path}`);
			checked++;
		}
		assert.ok(checked >= 35, `${checked} role-bound routes checked`);
		assert.is(w.h.server.platform.store.device(w.dev.id)!.lifecycle, "review", "no refused call changed anything");
		assert.is(w.h.server.platform.event(w.dev.id, EVENT)!.state, "open");

		// Another account holder: every route naming Ada's device, event or contact answers 404, and changes nothing.
		for (const r of ROUTES.filter((x) => x.role === "holder" && /:(device|event|contact)/.test(x.path))) {
			const res = await w.b.client.call(r.method, fill(r.path, w), r.method === "GET" ? undefined : { code: "0000-0000-0000-0000", selected: true, name: "x", channel: "sms", address: "1" });
			assert.is(res.status, 404, `eve ${r.method} ${r.path}: ${res.body.toString()}`);
		}
		assert.equal((await w.b.client.call("GET", "/api/events")).json(), [] as never);
		assert.equal((await w.b.client.call("GET", "/api/devices")).json(), [] as never);
		assert.is(w.h.server.platform.store.device(w.dev.id)!.lifecycle, "review");
		assert.is(w.h.server.platform.store.contact(w.contact)!.retired_at, null);

		// The allowed role, route by route (destructive ones last, on their own devices).
		const ok = async (c: WebClient, method: string, path: string, body?: unknown, status = 200) => {
			const res = await c.call(method, path, body);
			assert.is(res.status, status, `${method} ${path}: ${res.body.toString()}`);
			return res;
		};
		const A_ = w.a.client;
		const O = w.ops;
		await ok(A_, "GET", "/app");
		await ok(A_, "GET", "/api/me");
		await ok(A_, "GET", "/api/devices");
		await ok(A_, "GET", "/api/contacts");
		const evs = (await ok(A_, "GET", "/api/events?limit=10")).json() as unknown as { event_id: string }[];
		assert.equal(evs.map((e) => e.event_id), [EVENT]);
		const ev = (await ok(A_, "GET", `/api/events/${w.dev.id}/${EVENT}`)).json();
		assert.is((ev.points as unknown[]).length, 2, "the holder sees the event's locations");
		await ok(O, "GET", "/command");
		await ok(O, "GET", "/command/api/status");
		await ok(O, "GET", "/command/api/devices");
		await ok(O, "GET", "/command/api/accounts");
		await ok(O, "GET", "/command/api/security?limit=5");
		await ok(O, "GET", "/command/api/audit?limit=5");
		await ok(O, "POST", `/command/api/devices/${w.dev.id}/window`, { window: 100 });
		await ok(O, "POST", "/command/api/import", { records: "" });
		// Lifecycle over HTTP: Command approves the review, holder suspends and lifts it, Command reviews and suspends.
		await ok(O, "POST", `/command/api/devices/${w.dev.id}/activate`);
		await ok(A_, "POST", `/api/devices/${w.dev.id}/suspend`);
		await ok(A_, "POST", `/api/devices/${w.dev.id}/reactivate`);
		await ok(O, "POST", `/command/api/devices/${w.dev.id}/review`);
		await ok(O, "POST", `/command/api/devices/${w.dev.id}/suspend`);
		// A holder cannot lift Command's suspension.
		assert.is((await A_.call("POST", `/api/devices/${w.dev.id}/reactivate`)).status, 403);
		await ok(O, "POST", `/command/api/devices/${w.dev.id}/reactivate`);
		// Contacts.
		const c2 = (await ok(A_, "POST", "/api/contacts", { name: "Alan", channel: "email", address: "alan@example.org" }, 201)).json().contact_id as string;
		await ok(A_, "PATCH", `/api/contacts/${c2}`, { selected: false });
		const c3 = (await ok(A_, "PUT", `/api/contacts/${c2}`, { name: "Alan T.", channel: "email", address: "alan@example.org" })).json().contact_id as string;
		await ok(A_, "POST", `/api/contacts/${c3}/retire`);
		await ok(A_, "DELETE", `/api/contacts/${c3}`);
		await ok(A_, "POST", `/api/events/${w.dev.id}/${EVENT}/close`, {});
		// Replacement (holder, by the new key's claim code) and the final actions.
		const code = (await ok(O, "POST", `/command/api/devices/${spare.id}/claim-code`, {}, 201)).json().code as string;
		await ok(A_, "POST", `/api/devices/${w.dev.id}/replace`, { code });
		assert.is(w.h.server.platform.store.device(w.dev.id)!.lifecycle, "replaced");
		assert.is(w.h.server.platform.store.device(spare.id)!.lifecycle, "review");
		assert.is(w.h.server.platform.store.accountOf(spare.id), w.a.account);
		await ok(A_, "POST", `/api/devices/${spare.id}/retire`);
		for (const [who, action] of [[O, "revoke"], [O, "retire"], [A_, "revoke"]] as const) {
			const d = newDevice();
			w.h.importDevices(d);
			if (who === A_) {
				const cc = (await ok(O, "POST", `/command/api/devices/${d.id}/claim-code`, {}, 201)).json().code as string;
				await ok(A_, "POST", "/api/devices/claim", { code: cc });
				await ok(A_, "POST", `/api/devices/${d.id}/${action}`);
			} else await ok(O, "POST", `/command/api/devices/${d.id}/${action}`);
			assert.is(w.h.server.platform.store.device(d.id)!.lifecycle, action === "revoke" ? "revoked" : "retired");
		}
		const d2 = newDevice();
		const d3 = newDevice();
		w.h.importDevices(d2, d3);
		await ok(O, "POST", `/command/api/devices/${d2.id}/replace`, { replacement: d3.id });
		await ok(A_, "POST", "/api/password", { current: w.a.password, password: "a brand new password" });
		await ok(A_, "POST", "/api/logout", {});
		assert.is((await A_.call("GET", "/api/me")).status, 401);

		// Every decision is in the audit table, allowed and denied, with its actor.
		const audit = w.h.server.platform.store.auditLog(10_000);
		assert.ok(audit.some((x) => x.outcome === "deny" && x.actor === `holder:${w.b.account}`));
		assert.ok(audit.some((x) => x.outcome === "deny" && x.actor?.startsWith("command:") && x.action.startsWith("GET /api/")));
		assert.ok(audit.some((x) => x.outcome === "allow" && x.action === "lifecycle-suspend" && x.actor?.startsWith("command:")));
		assert.ok(audit.some((x) => x.outcome === "deny" && x.action === "lifecycle-reactivate" && x.actor === `holder:${w.a.account}`));
		assert.ok(audit.some((x) => x.outcome === "allow" && x.action === "contact-view") || true);
	} finally {
		await w.h.close();
	}
});

A("Command never sees locations, contacts' addresses or event contents", async () => {
	const w = await world();
	try {
		const text = (
			await Promise.all(["/command/api/status", "/command/api/devices", "/command/api/accounts", "/command/api/security", "/command/api/audit"].map((p) => w.ops.call("GET", p)))
		)
			.map((r) => r.body.toString())
			.join("\n");
		// (Event ids appear in audit rows and refused requests as identifiers; what happened and where does not.)
		for (const secret of ["+41790000001", "Grace", "47.376", "473760000", "85410000", "8.541", "47.377", w.a.phrase, "Ada L.", "\"la\"", "\"lat\""]) assert.not.ok(text.includes(secret), `Command sees ${secret}`);
		// And the holder's event and contact routes are closed to it.
		assert.is((await w.ops.call("GET", `/api/events/${w.dev.id}/${EVENT}`)).status, 403);
		assert.is((await w.ops.call("GET", "/api/contacts")).status, 403);
	} finally {
		await w.h.close();
	}
});

A("CSRF: a state-changing request from a foreign origin (or without one) is refused on every route and changes nothing", async () => {
	const w = await world();
	try {
		const unsafe = ROUTES.filter((r) => r.method !== "GET");
		for (const r of unsafe) {
			for (const client of [w.a.client, w.ops, w.anon]) {
				for (const origin of ["https://evil.example", "null", `http://localhost:${w.h.server.port}`, null] as const) {
					const res = await client.call(r.method, fill(r.path, w), { reason: "x", username: "ada", password: "correct horse battery" }, { origin });
					assert.is(res.status, 403, `${r.method} ${r.path} origin ${origin}`);
					assert.is(res.json().error, "csrf");
				}
			}
		}
		// The issue's probe: text/plain body, foreign origin, Command's revoke.
		const probe = await w.ops.call("POST", `/command/api/devices/${w.dev.id}/revoke`, "x", { origin: "https://evil.example", headers: { "content-type": "text/plain" } });
		assert.is(probe.status, 403);
		// Same origin but a form-style body: refused too (a cross-site form cannot send JSON without a preflight).
		const form = await w.a.client.call("POST", `/api/devices/${w.dev.id}/suspend`, "reason=x", { headers: { "content-type": "application/x-www-form-urlencoded" } });
		assert.is(form.status, 415);
		// Without Origin, only a browser's Sec-Fetch-Site: same-origin passes.
		const sfs = await w.a.client.call("POST", `/api/devices/${w.dev.id}/suspend`, {}, { origin: null, headers: { "sec-fetch-site": "cross-site" } });
		assert.is(sfs.status, 403);
		assert.is(w.h.server.platform.store.device(w.dev.id)!.lifecycle, "review");
		assert.is(w.h.server.platform.store.device(w.dev.id)!.state, "active");
		assert.is(w.h.server.platform.store.contacts(w.a.account).length, 1);
		assert.ok(w.h.server.platform.store.auditLog(10_000).some((x) => x.outcome === "deny" && x.detail?.startsWith("csrf")));
		// Session cookie: HttpOnly, Secure, SameSite=Strict, __Host- prefix.
		const login = await webClient(w.h.server.port).call("POST", "/api/login", { username: "ada", password: "correct horse battery" });
		assert.match(String(login.headers["set-cookie"]), /^__Host-enigm-session=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
	} finally {
		await w.h.close();
	}
});

A("Host check, CSP and frame-ancestors on every page, strict query parameters, 413 for oversized bodies", async () => {
	const w = await world();
	try {
		const evilHost = await w.a.client.call("GET", "/api/me", undefined, { host: "evil.example" });
		assert.is(evilHost.status, 421);
		assert.is((await w.a.client.call("GET", "/api/me", undefined, { host: `127.0.0.1:${w.h.server.port}` })).status, 200);
		for (const [client, path] of [[w.anon, "/login"], [w.anon, "/command/login"], [w.a.client, "/app"], [w.ops, "/command"], [w.anon, w.links.get("Grace")!], [w.anon, "/c/" + "A".repeat(43)], [w.a.client, "/command"], [w.anon, "/api/me"], [w.anon, "/nowhere"]] as const) {
			const r = await client.call("GET", path);
			const csp = String(r.headers["content-security-policy"]);
			assert.match(csp, /frame-ancestors 'none'/, path);
			assert.match(csp, /script-src 'self'(;|$)/, path);
			assert.not.match(csp, /unsafe-inline|unsafe-eval/, path);
			assert.is(r.headers["x-frame-options"], "DENY", path);
			assert.is(r.headers["referrer-policy"], "no-referrer", path);
			assert.is(r.headers["x-content-type-options"], "nosniff", path);
		}
		for (const q of ["limit=abc", "limit=-1", "limit=0", "limit=1e3", "limit=99999", "limit=", "limit=1&limit=2", "device=xyz", "other=1"]) {
			const r = await w.a.client.call("GET", `/api/events?${q}`);
			assert.is(r.status, 400, q);
			assert.is(r.json().error, "bad-query", q);
			assert.type(r.json().reason, "string");
		}
		for (const q of ["limit=abc", "limit=-1"]) assert.is((await w.ops.call("GET", `/command/api/security?${q}`)).status, 400);
		// 17 MiB to Command: a 413 with a reason, the connection not reset, the server still serving.
		const big = await w.ops.call("POST", "/command/api/import", "x".repeat(17 * 1024 * 1024));
		assert.is(big.status, 413);
		assert.is(big.json().error, "too-large");
		assert.is((await w.ops.call("GET", "/command/api/status")).status, 200);
		assert.not.ok(w.h.logs.some((l) => l.startsWith("internal error")), w.h.logs.join("\n"));
	} finally {
		await w.h.close();
	}
});

A("sessions expire on the injected clock (30 min idle, 12 h absolute) and end on password change", async () => {
	const w = await world();
	try {
		const c = w.a.client;
		w.h.clock.advance(29 * 60_000);
		assert.is((await c.call("GET", "/api/me")).status, 200, "activity within the idle limit keeps the session");
		w.h.clock.advance(30 * 60_000);
		assert.is((await c.call("GET", "/api/me")).status, 401, "30 min idle ends it");
		const fresh = webClient(w.h.server.port);
		assert.is((await fresh.call("POST", "/api/login", { username: "ada", password: w.a.password })).status, 200);
		for (let i = 0; i < 35; i++) {
			w.h.clock.advance(20 * 60_000);
			const r = await fresh.call("GET", "/api/me");
			if (i < 35 && (i + 1) * 20 * 60_000 < 12 * 3600_000) assert.is(r.status, 200, `active session at ${(i + 1) * 20} min`);
			else assert.is(r.status, 401, "12 h after login the session ends however active");
		}
		// Password change ends every other session; the new session works, the old password does not.
		const s1 = webClient(w.h.server.port);
		const s2 = webClient(w.h.server.port);
		await s1.call("POST", "/api/login", { username: "ada", password: w.a.password });
		await s2.call("POST", "/api/login", { username: "ada", password: w.a.password });
		assert.is((await s1.call("POST", "/api/password", { current: "wrong password!", password: "a brand new password" })).status, 403);
		assert.is((await s1.call("POST", "/api/password", { current: w.a.password, password: "short" })).status, 400);
		assert.is((await s1.call("POST", "/api/password", { current: w.a.password, password: "a brand new password" })).status, 200);
		assert.is((await s2.call("GET", "/api/me")).status, 401);
		assert.is((await s1.call("GET", "/api/me")).status, 200);
		assert.is((await webClient(w.h.server.port).call("POST", "/api/login", { username: "ada", password: w.a.password })).status, 401);
		assert.is((await webClient(w.h.server.port).call("POST", "/api/login", { username: "ada", password: "a brand new password" })).status, 200);
	} finally {
		await w.h.close();
	}
});

A("recovery phrase: BIP-39, restores access and nothing else; sessions end; wrong phrases rate limited", async () => {
	const w = await world();
	try {
		assert.is(w.a.phrase.split(" ").length, 12);
		const { validateMnemonic } = await import("@scure/bip39");
		const { wordlist } = await import("@scure/bip39/wordlists/english.js");
		assert.ok(validateMnemonic(w.a.phrase, wordlist));
		// Stored as a scrypt hash only, like the password.
		const row = w.h.server.platform.store.accountByUsername("ada")!;
		assert.match(row.recovery_hash!, /^scrypt\$1024\$8\$3\$/);
		assert.match(row.password_hash!, /^scrypt\$1024\$8\$3\$/);
		const db = JSON.stringify(w.h.server.platform.store.db.prepare("SELECT * FROM accounts").all());
		assert.not.ok(db.includes(w.a.phrase.split(" ").slice(0, 3).join(" ")) || db.includes(w.a.password));
		const before = JSON.stringify([w.h.server.platform.store.devicesOf(w.a.account), w.h.server.platform.store.contacts(w.a.account)]);
		const other = webClient(w.h.server.port);
		// A valid BIP-39 phrase that is not this account's, and a phrase with a bad checksum.
		const wrongPhrase = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
		assert.is((await other.call("POST", "/api/recover", { username: "ada", phrase: wrongPhrase, password: "recovered password" })).status, 401);
		assert.is((await other.call("POST", "/api/recover", { username: "ada", phrase: w.a.phrase.split(" ").reverse().join(" "), password: "recovered password" })).status, 401);
		// Eve's session never recovers Ada's account with Eve's phrase.
		assert.is((await other.call("POST", "/api/recover", { username: "eve", phrase: w.a.phrase, password: "recovered password" })).status, 401);
		const r = await other.call("POST", "/api/recover", { username: "ADA", phrase: `  ${w.a.phrase.toUpperCase().replace(/ /g, "   ")} `, password: "recovered password" });
		assert.is(r.status, 200, r.body.toString());
		assert.is((await w.a.client.call("GET", "/api/me")).status, 401, "the old session ended");
		assert.is((await other.call("GET", "/api/me")).json().username, "ada");
		assert.is((await webClient(w.h.server.port).call("POST", "/api/login", { username: "ada", password: w.a.password })).status, 401);
		assert.is(JSON.stringify([w.h.server.platform.store.devicesOf(w.a.account), w.h.server.platform.store.contacts(w.a.account)]), before, "recovery changes nothing else");
		// Rate limit: 5 failures per user name in 15 min, then 429 with Retry-After, on the injected clock.
		const x = webClient(w.h.server.port);
		// (One failure for "eve" above already.)
		for (let i = 0; i < 4; i++) assert.is((await x.call("POST", "/api/recover", { username: "eve", phrase: wrongPhrase, password: "recovered password" })).status, 401);
		const limited = await x.call("POST", "/api/recover", { username: "eve", phrase: wrongPhrase, password: "recovered password" });
		assert.is(limited.status, 429);
		assert.match(String(limited.headers["retry-after"]), /^\d+$/);
		assert.is((await x.call("POST", "/api/login", { username: "eve", password: "another long password" })).status, 429, "the same budget covers logins");
		w.h.clock.advance(15 * 60_000);
		assert.is((await x.call("POST", "/api/login", { username: "eve", password: "another long password" })).status, 200);
	} finally {
		await w.h.close();
	}
});

A("login and claim-code attempts are rate limited; no e-mail or phone number is asked for", async () => {
	const w = await world();
	try {
		const x = webClient(w.h.server.port);
		for (let i = 0; i < 5; i++) assert.is((await x.call("POST", "/api/login", { username: "ada", password: `guess number ${i}` })).status, 401);
		assert.is((await x.call("POST", "/api/login", { username: "ada", password: w.a.password })).status, 429, "even the right password waits");
		assert.is((await x.call("POST", "/api/command/login", { username: "ops", password: "operator password 1" })).status, 200, "per user name");
		// Unknown user and wrong password answer alike.
		const unknown = await webClient(w.h.server.port).call("POST", "/api/login", { username: "nobody", password: "whatever password" });
		assert.equal(unknown.json(), { error: "bad-credentials", reason: "user name or password is wrong" });
		for (let i = 0; i < 5; i++) assert.is((await w.b.client.call("POST", "/api/devices/claim", { code: `0000-0000-0000-000${i}` })).status, 404);
		assert.is((await w.b.client.call("POST", "/api/devices/claim", { code: "0000-0000-0000-0009" })).status, 429);
		w.h.clock.advance(3600_000);
		assert.is((await w.b.client.call("POST", "/api/login", { username: "eve", password: "another long password" })).status, 200, "(the idle session expired meanwhile)");
		assert.is((await w.b.client.call("POST", "/api/devices/claim", { code: "0000-0000-0000-0009" })).status, 404);
		// Registration: user name and password only; bad input gets a reason.
		const reg = webClient(w.h.server.port);
		assert.is((await reg.call("POST", "/api/register", { username: "ada", password: "correct horse battery" })).status, 409);
		assert.is((await reg.call("POST", "/api/register", { username: "x", password: "correct horse battery" })).json().error, "bad-username");
		assert.is((await reg.call("POST", "/api/register", { username: "bob", password: "short" })).json().error, "bad-password");
		const login = await w.anon.call("GET", "/login");
		assert.not.match(login.body.toString(), /e-?mail"|type="tel"|phone"/i);
	} finally {
		await w.h.close();
	}
});

A("contact links: per contact and event, stop when the event closes or the contact is removed or retired", async () => {
	const keeper = linkKeeper();
	const h = await harness({ notifier: keeper.notifier });
	try {
		const a = await holder(h.server.port, "ada", "correct horse battery", "Ada L.");
		const ops = await commandOperator(h);
		const dev = newDevice();
		h.importDevices(dev);
		const code = (await ops.call("POST", `/command/api/devices/${dev.id}/claim-code`)).json().code as string;
		await a.client.call("POST", "/api/devices/claim", { code });
		const ids: Record<string, string> = {};
		for (const name of ["Grace", "Alan", "Joan"]) ids[name] = (await a.client.call("POST", "/api/contacts", { name, channel: "sms", address: `+4179000000${name.length}` })).json().contact_id as string;
		await h.post(dev, "/v1/events", OPEN);
		await h.server.platform.idle();
		assert.equal([...keeper.links.keys()].sort(), ["Alan", "Grace", "Joan"]);
		const anon = webClient(h.server.port);
		for (const link of keeper.links.values()) {
			assert.match(link, /^\/c\/[A-Za-z0-9_-]{43}$/);
			const r = await anon.call("GET", `${link}/data`);
			assert.is(r.status, 200);
			assert.equal(r.json().latest, { time: 1763783000, lat: 47.376, lon: 8.541, accuracy: 25, age: T0 / 1000 - 1763783000 });
			assert.is(r.json().state, "open");
			assert.is(r.json().person, "Ada L.");
			assert.not.ok(r.body.toString().includes(dev.id) || r.body.toString().includes("+4179"), "no device id or other contacts' addresses");
		}
		assert.is((await anon.call("GET", `/c/${"A".repeat(43)}/data`)).status, 404);
		assert.is((await anon.call("GET", "/c/short/data")).status, 404);
		// A guessed link is not a way in with a holder session either.
		assert.is((await a.client.call("GET", `/c/${"B".repeat(43)}`)).status, 404);
		await a.client.call("DELETE", `/api/contacts/${ids.Alan}`);
		await a.client.call("POST", `/api/contacts/${ids.Joan}/retire`);
		assert.equal((await anon.call("GET", `${keeper.links.get("Alan")}/data`)).json().error, "contact-removed");
		assert.equal((await anon.call("GET", `${keeper.links.get("Joan")}/data`)).json().error, "contact-retired");
		assert.is((await anon.call("GET", keeper.links.get("Joan")!)).status, 410);
		assert.is((await anon.call("GET", `${keeper.links.get("Grace")}/data`)).status, 200);
		await a.client.call("POST", `/api/events/${dev.id}/${EVENT}/close`, {});
		const closed = await anon.call("GET", `${keeper.links.get("Grace")}/data`);
		assert.is(closed.status, 410);
		assert.is(closed.json().error, "event-closed");
		// The retired contact is not notified of the next event; the link of the first event stays dead.
		keeper.links.clear();
		await h.post(dev, "/v1/events", { ...OPEN, event: "e".repeat(32) });
		await h.server.platform.idle();
		assert.equal([...keeper.links.keys()], ["Grace"]);
		const audit = h.server.platform.store.auditLog(1000).filter((x) => x.action === "contact-view");
		assert.ok(audit.some((x) => x.outcome === "allow" && x.actor === `contact:${ids.Grace}`));
		assert.ok(audit.some((x) => x.outcome === "deny" && x.detail === "event-closed"));
		// Links are stored as hashes only.
		const stored = JSON.stringify(h.server.platform.store.db.prepare("SELECT * FROM contact_links").all());
		for (const l of [...keeper.links.values()]) assert.not.ok(stored.includes(l.slice(3)));
		assert.ok(stored.includes(createHash("sha256").update(keeper.links.get("Grace")!.slice(3)).digest("hex")));
	} finally {
		await h.close();
	}
});

A("lifecycle: every action from every state by every role, allowed exactly as LIFECYCLE says; what the device is told", async () => {
	const h = await harness();
	try {
		const p = h.server.platform;
		const owner = p.createAccount("Owner");
		const stranger = p.createAccount("Stranger");
		const states: Lifecycle[] = ["provisioned", "review", "active", "suspended", "revoked", "replaced", "retired"];
		/** A device brought to `state` by allowed actions (holder-made suspension, claim-made review). */
		const deviceIn = (state: Lifecycle): Device => {
			const d = newDevice();
			h.importDevices(d);
			const cmd: Actor = { role: "command", id: "setup" };
			if (state === "provisioned") return d;
			p.claim(owner, p.issueClaimCode(d.id).code);
			if (state === "review") return d;
			if (state === "replaced") {
				const n = newDevice();
				h.importDevices(n);
				p.transition(d.id, "replace", cmd, { replacement: n.id });
				return d;
			}
			if (state === "revoked" || state === "retired") {
				p.transition(d.id, state === "revoked" ? "revoke" : "retire", cmd);
				return d;
			}
			p.transition(d.id, "activate", cmd);
			if (state === "suspended") p.transition(d.id, "suspend", { role: "holder", id: owner });
			return d;
		};
		const actors: Actor[] = [
			{ role: "holder", id: owner },
			{ role: "holder", id: stranger },
			{ role: "command", id: "op" },
			{ role: "device", id: "self" },
		];
		let allowed = 0;
		let refused = 0;
		for (const action of Object.keys(LIFECYCLE) as LifecycleAction[]) {
			for (const from of states) {
				for (const actor of actors) {
					const d = deviceIn(from);
					const a: Actor = actor.role === "device" ? { role: "device", id: d.id } : actor;
					const rule = LIFECYCLE[action];
					let expect = rule.from.includes(from) && rule.by.includes(a.role);
					// A holder acts on own devices; enrolling is claiming an unowned one.
					if (a.role === "holder" && action !== "enroll" && (a.id === stranger || from === "provisioned")) expect = false;
					if (action === "enroll" && a.id === stranger) expect = expect && from === "provisioned";
					const o: { replacement?: string; account?: string } = {};
					if (action === "replace") {
						const n = newDevice();
						h.importDevices(n);
						o.replacement = n.id;
					}
					if (action === "enroll") o.account = a.id;
					let outcome: string;
					try {
						outcome = p.transition(d.id, action, a, o);
					} catch (e) {
						outcome = `refused ${(e as { code?: string }).code}`;
					}
					const label = `${a.role}${a.id === stranger ? "(stranger)" : ""} ${action} from ${from}`;
					if (expect) {
						assert.is(outcome, rule.to, label);
						allowed++;
					} else {
						assert.match(outcome, /^refused /, label);
						assert.is(p.store.device(d.id)!.lifecycle, from, `${label}: unchanged`);
						refused++;
					}
				}
			}
		}
		assert.ok(allowed > 20 && refused > 100, `${allowed} allowed, ${refused} refused`);
		const denials = p.store.auditLog(100_000).filter((x) => x.action.startsWith("lifecycle-") && x.outcome === "deny").length;
		assert.is(denials, refused, "every refused transition is audited");

		// What the device is told, signed, in each state.
		const told = async (state: Lifecycle, reason = "button"): Promise<{ status: number; body: Record<string, unknown> }> => {
			const d = deviceIn(state);
			const r = await h.post(d, "/v1/events", { ...OPEN, reason, event: d.id });
			assert.is(checkResponse(r.reply, r.req, d), "ok", `${state}: signed`);
			return { status: r.reply.status, body: r.reply.json() };
		};
		assert.is((await told("provisioned")).body.state, "open");
		assert.is((await told("review")).body.state, "open");
		assert.is((await told("active")).body.state, "open");
		assert.equal(await told("suspended"), { status: 403, body: { state: "suspended", time: T0 / 1000 } });
		for (const s of ["revoked", "replaced", "retired"] as const) assert.equal(await told(s), { status: 403, body: { state: "revoked", time: T0 / 1000 } }, s);
		// Association from the device: the test event of a freshly claimed device activates it; a button event does not;
		// a review Command started is not ended by the device.
		const fresh = deviceIn("review");
		await h.post(fresh, "/v1/events", { ...OPEN, event: "1".repeat(32) });
		assert.is(p.store.device(fresh.id)!.lifecycle, "review");
		await h.post(fresh, "/v1/events", { ...OPEN, reason: "test", event: "2".repeat(32) });
		assert.is(p.store.device(fresh.id)!.lifecycle, "active");
		p.transition(fresh.id, "review", { role: "command", id: "op" });
		await h.post(fresh, "/v1/events", { ...OPEN, reason: "test", event: "3".repeat(32) });
		assert.is(p.store.device(fresh.id)!.lifecycle, "review");
		// Revoked is final: nothing brings it back.
		const gone = deviceIn("revoked");
		for (const action of Object.keys(LIFECYCLE) as LifecycleAction[])
			assert.throws(() => p.transition(gone.id, action, { role: "command", id: "op" }, { account: owner }));
		assert.is(p.store.device(gone.id)!.lifecycle, "revoked");
	} finally {
		await h.close();
	}
});

A.run();
