/**
 * Event lifecycle, accounts, contacts and notification, through real HTTPS on loopback: the holder's API (own
 * session), Command's API (operator session) and the contact's capability link.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { type Device, type Harness, type WebClient, adminCall, checkResponse, harness, holder, newDevice, point, T0, webClient } from "./helpers";
import { FanoutNotifier, LogNotifier, WebhookNotifier, type EmergencyContext, type Notifier, type Recipient } from "../../../tools/platform/notifier";

const EVENT = "9d2e41f07ab35c6680e1d4f2a7c9b053";
const open = (event = EVENT, extra: Record<string, unknown> = {}) => ({
	event,
	reason: "button",
	resumed: false,
	stages: { press: 0, wake: 850, attach: 14200 },
	fix: { t: 1763783000, la: 473760000, lo: 85410000, a: 25, n: 5, q: "2d" },
	cell: { mcc: 228, mnc: 1, tac: 1234, ci: 26411010, rsrp: -95, rat: "lte-m" },
	bat: { mv: 3912, pct: 78 },
	...extra,
});

/** A loopback webhook receiver. */
async function receiver(): Promise<{ url: string; bodies: unknown[]; close(): Promise<void> }> {
	const bodies: unknown[] = [];
	const server = createServer((req: IncomingMessage, res) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => {
			bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
			res.writeHead(204).end();
		});
	});
	await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
		bodies,
		close: () => new Promise((r) => server.close(() => r())),
	};
}

async function setupAccount(h: Harness, d: Device, username = "ada"): Promise<{ account: string; contacts: string[]; client: WebClient }> {
	const code = (await adminCall(h, "POST", `/command/api/devices/${d.id}/claim-code`)).json().code as string;
	assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
	const { account, client } = await holder(h.server.port, username, "correct horse battery", "Ada L.");
	const claimed = await client.call("POST", "/api/devices/claim", { code: code.toLowerCase() });
	assert.is(claimed.status, 200);
	assert.is(claimed.json().device_id, d.id);
	const contacts: string[] = [];
	for (const c of [
		{ name: "Grace", channel: "sms", address: "+41790000001" },
		{ name: "Alan", channel: "email", address: "alan@example.org" },
		{ name: "Not chosen", channel: "sms", address: "+41790000003", selected: false },
	])
		contacts.push((await client.call("POST", "/api/contacts", c)).json().contact_id as string);
	return { account, contacts, client };
}

const L = suite("platform lifecycle");

L("open, resume after reboot, points, close by device; contacts notified (log + webhook) with the emergency context only", async () => {
	const hook = await receiver();
	const lines: string[] = [];
	const h = await harness({ notifier: new FanoutNotifier([new LogNotifier((l) => lines.push(l)), new WebhookNotifier({ url: hook.url })]) });
	try {
		const d = newDevice();
		const bystander = newDevice();
		h.importDevices(d, bystander);
		const { account } = await setupAccount(h, d);

		const first = await h.post(d, "/v1/events", open());
		assert.is(first.reply.status, 200);
		assert.is(checkResponse(first.reply, first.req, d), "ok");
		assert.equal(first.reply.json(), { state: "open", event: EVENT, interval: 30, time: T0 / 1000 });
		// Reboot: same event id, resumed, a counter that jumped forward by the reservation.
		for (let i = 0; i < 36; i++) h.nonce(d);
		const again = await h.post(d, "/v1/events", open(EVENT, { resumed: true }));
		assert.is(again.reply.status, 200);
		assert.equal(again.reply.json(), { state: "open", event: EVENT, interval: 30, time: T0 / 1000 });
		const ev = h.server.platform.event(d.id, EVENT)!;
		assert.is(ev.resumed_count, 1);
		assert.is(h.server.platform.store.events(d.id).length, 1, "resume is idempotent");

		const batch = await h.post(d, `/v1/events/${EVENT}/locations`, { points: [point(d, EVENT, 1, 1763783100), point(d, EVENT, 2, 1763783130, 473770000)] });
		assert.equal(batch.reply.json(), { state: "open", event: EVENT, interval: 30, time: T0 / 1000, ack: 2 });
		// Store-and-forward resend of point 2 with a new point 3: de-duplicated on (event, s).
		const resend = await h.post(d, `/v1/events/${EVENT}/locations`, { points: [point(d, EVENT, 2, 1763783130, 473770000), point(d, EVENT, 3, 1763783160)] });
		assert.is(resend.reply.json().ack, 3);
		assert.is(h.server.platform.store.pointCount(ev.id), 3);

		await h.server.platform.idle();
		assert.is(hook.bodies.length, 2, "two selected contacts told of the opening");
		const msg = hook.bodies[0] as { recipient: Recipient; emergency: EmergencyContext };
		assert.equal(Object.keys(msg).sort(), ["emergency", "recipient"]);
		assert.equal(Object.keys(msg.emergency).sort(), ["cell", "kind", "link", "openedAt", "person", "position", "reason", "reference"]);
		assert.is(msg.emergency.kind, "opened");
		assert.is(msg.emergency.person, "Ada L.");
		assert.equal(msg.emergency.position, { lat: 47.376, lon: 8.541, accuracy: 25, time: 1763783000 });
		const text = JSON.stringify(hook.bodies) + lines.join("\n");
		for (const secretish of [d.id, d.serial, account, EVENT, bystander.id, "Not chosen", d.key.toString("hex"), d.key.toString("base64")])
			assert.not.ok(text.includes(secretish), `contact payload leaks ${secretish.slice(0, 6)}…`);
		assert.ok(lines.some((l) => l.startsWith("notify sms:Grace emergency opened for Ada L.")));

		// The contact's own link: the context and this event's track only; each contact has a different link.
		const link = new URL(msg.emergency.link!);
		assert.is.not(link.pathname, new URL((hook.bodies[1] as { emergency: EmergencyContext }).emergency.link!).pathname);
		const share = await webClient(h.server.port).call("GET", `${link.pathname}/data`);
		assert.is(share.status, 200);
		assert.is((share.json().track as unknown[]).length, 3);
		assert.equal(Object.keys(share.json()).sort(), ["latest", "now", "opened_at", "person", "reason", "state", "track"]);

		const closed = await h.post(d, `/v1/events/${EVENT}/close`, { reason: "cancel" });
		// Once the event is closed, the link stops working.
		const gone = await webClient(h.server.port).call("GET", `${link.pathname}/data`);
		assert.is(gone.status, 410);
		assert.is(gone.json().error, "event-closed");
		assert.equal(closed.reply.json(), { state: "closed", event: EVENT, time: T0 / 1000, ack: 3 }, "ack: the three points stored above");
		assert.is(checkResponse(closed.reply, closed.req, d), "ok");
		const after = h.server.platform.event(d.id, EVENT)!;
		assert.is(after.closed_by, "device");
		assert.is(after.close_reason, "cancel");
		await h.server.platform.idle();
		assert.is(hook.bodies.length, 4);
		assert.is((hook.bodies[3] as { emergency: EmergencyContext }).emergency.kind, "closed");
		assert.is((hook.bodies[3] as { emergency: EmergencyContext }).emergency.closedBy, "device");
		const notes = h.server.platform.store.notifications(ev.id);
		assert.is(notes.filter((n) => n.status === "sent").length, 4);

		// Open again with the closed event id: the device is told it is closed.
		const reopen = await h.post(d, "/v1/events", open(EVENT, { resumed: true }));
		assert.is(reopen.reply.json().state, "closed");
	} finally {
		await h.close();
		await hook.close();
	}
});

L("a cell report (GNSS window timed out) is accepted with or without stored points; an empty batch without a cell is refused", async () => {
	const h = await harness();
	try {
		const d = newDevice();
		h.importDevices(d);
		await setupAccount(h, d);
		assert.is((await h.post(d, "/v1/events", open())).reply.status, 200);
		const cell = { mcc: 228, mnc: 1, tac: 4321, ci: 26411011, rsrp: -101, rat: "lte-m" };
		const onlyCell = await h.post(d, `/v1/events/${EVENT}/locations`, { points: [], cell });
		assert.is(onlyCell.reply.status, 200, JSON.stringify(onlyCell.reply.json()));
		assert.is(checkResponse(onlyCell.reply, onlyCell.req, d), "ok");
		assert.equal(JSON.parse(h.server.platform.event(d.id, EVENT)!.cell!), cell);
		const withPoint = await h.post(d, `/v1/events/${EVENT}/locations`, { points: [point(d, EVENT, 1, 1763783100)], cell });
		assert.is(withPoint.reply.json().ack, 1);
		const empty = await h.post(d, `/v1/events/${EVENT}/locations`, { points: [] });
		assert.is(empty.reply.status, 400);
		const badCell = await h.post(d, `/v1/events/${EVENT}/locations`, { points: [], cell: { ...cell, ci: -1 } });
		assert.is(badCell.reply.status, 400);
	} finally {
		await h.close();
	}
});

L("a failing webhook is recorded as failed and never delays or refuses the device", async () => {
	const hook = await receiver();
	await hook.close(); // nothing listens there any more
	const h = await harness({ notifier: new WebhookNotifier({ url: hook.url, timeoutMs: 2000 }) });
	try {
		const d = newDevice();
		h.importDevices(d);
		await setupAccount(h, d);
		const r = await h.post(d, "/v1/events", open());
		assert.is(r.reply.status, 200);
		await h.server.platform.idle();
		const notes = h.server.platform.store.notifications(h.server.platform.event(d.id, EVENT)!.id);
		assert.is(notes.length, 2);
		assert.ok(notes.every((n) => n.status === "failed" && /webhook failed/.test(n.detail ?? "")));
		assert.ok(h.logs.some((l) => /^notify [0-9a-f]{32} failed: webhook failed/.test(l)));
	} finally {
		await h.close();
	}
});

L("the holder closes the event; the device learns it, signed, on its next request", async () => {
	const h = await harness();
	try {
		const d = newDevice();
		h.importDevices(d);
		const { client } = await setupAccount(h, d);
		await h.post(d, "/v1/events", open());
		const r = await client.call("POST", `/api/events/${d.id}/${EVENT}/close`, { reason: "I am safe" });
		assert.is(r.status, 200);
		assert.is(r.json().closed_by, "user");
		const next = await h.post(d, `/v1/events/${EVENT}/locations`, { points: [point(d, EVENT, 1, 1763783100)] });
		assert.is(next.reply.status, 200);
		assert.equal(next.reply.json(), { state: "closed", event: EVENT, time: T0 / 1000, ack: 1 });
		assert.is(checkResponse(next.reply, next.req, d), "ok");
	} finally {
		await h.close();
	}
});

L("event closes on timeout by the injected clock; a test event notifies nobody; a new event supersedes an open one", async () => {
	const sent: string[] = [];
	const notifier: Notifier = { notify: async (r, c) => void sent.push(`${r.name}:${c.kind}`) };
	const h = await harness({ notifier, maxEventMs: 3600_000 });
	try {
		const d = newDevice();
		h.importDevices(d);
		await setupAccount(h, d);
		await h.post(d, "/v1/events", open());
		h.clock.advance(3599_000);
		assert.is(h.server.platform.event(d.id, EVENT)!.state, "open");
		h.clock.advance(1000);
		const e = h.server.platform.event(d.id, EVENT)!;
		assert.is(e.state, "closed");
		assert.is(e.closed_by, "timeout");
		assert.is(e.closed_at, T0 + 3600_000);
		await h.server.platform.idle();
		assert.equal(sent, ["Grace:opened", "Alan:opened", "Grace:closed", "Alan:closed"]);

		sent.length = 0;
		await h.post(d, "/v1/events", open("1".repeat(32), { reason: "test" }));
		await h.server.platform.idle();
		assert.equal(sent, []);
		await h.post(d, "/v1/events", open("2".repeat(32)));
		assert.is(h.server.platform.event(d.id, "1".repeat(32))!.closed_by, "superseded");
		assert.is(h.server.platform.store.openEvents(d.id).length, 1);
	} finally {
		await h.close();
	}
});

L("contacts: add, review, select, replace, remove; claim codes are one-time", async () => {
	const h = await harness();
	try {
		const d = newDevice();
		h.importDevices(d);
		const { contacts, client } = await setupAccount(h, d);
		const list = (await client.call("GET", "/api/contacts")).json() as unknown as { contact_id: string; selected: boolean }[];
		assert.is(list.length, 3);
		assert.is((await client.call("PATCH", `/api/contacts/${contacts[2]}`, { selected: true })).json().selected, true);
		const replaced = (await client.call("PUT", `/api/contacts/${contacts[0]}`, { name: "Grace H.", channel: "sms", address: "+41790000009" })).json();
		assert.is.not(replaced.contact_id, contacts[0]);
		assert.is(replaced.selected, true);
		assert.is((await client.call("DELETE", `/api/contacts/${contacts[1]}`)).status, 200);
		const names = ((await client.call("GET", "/api/contacts")).json() as unknown as { name: string }[]).map((c) => c.name).sort();
		assert.equal(names, ["Grace H.", "Not chosen"]);
		assert.is((await client.call("POST", "/api/contacts", { name: "x", channel: "pigeon", address: "y" })).status, 400);
		// Another account cannot touch this account's contacts.
		const other = await holder(h.server.port, "eve");
		assert.is((await other.client.call("DELETE", `/api/contacts/${replaced.contact_id}`)).status, 404);
		// A used claim code does not work again; a claimed device gets no new code.
		assert.is((await adminCall(h, "POST", `/command/api/devices/${d.id}/claim-code`)).status, 409);
		assert.is((await other.client.call("POST", "/api/devices/claim", { code: "0000-0000-0000-0000" })).status, 404);
		// The claim code is stored only as an HMAC.
		const raw = h.server.platform.store.db.prepare("SELECT claim_code_hash FROM devices").all();
		assert.ok(raw.every((r) => (r as { claim_code_hash: string | null }).claim_code_hash === null));
	} finally {
		await h.close();
	}
});

L("replacement takes over the account; revocation closes the open event", async () => {
	const h = await harness();
	try {
		const d = newDevice();
		const spare = newDevice();
		h.importDevices(d, spare);
		const { account } = await setupAccount(h, d);
		await h.post(d, "/v1/events", open());
		const r = await adminCall(h, "POST", `/command/api/devices/${d.id}/replace`, { replacement: spare.id });
		assert.is(r.status, 200);
		assert.is(h.server.platform.event(d.id, EVENT)!.closed_by, "revocation");
		assert.is(h.server.platform.store.accountOf(spare.id), account);
		const devices = (await adminCall(h, "GET", "/command/api/devices")).json() as unknown as { device_id: string; lifecycle: string }[];
		assert.equal(devices.map((x) => [x.device_id, x.lifecycle]).sort(), [[d.id, "replaced"], [spare.id, "review"]].sort());
		assert.is((await adminCall(h, "POST", `/command/api/devices/${d.id}/replace`, { replacement: spare.id })).status, 409);
		// No key material in any admin answer.
		const text = JSON.stringify(devices);
		assert.not.ok(/key_wrapped|key_iv|claim_code_hash/.test(text));
	} finally {
		await h.close();
	}
});

L("import: records from tools/provision's format, idempotent, tampered and foreign-key records refused", async () => {
	const { importRecord } = await import("./helpers");
	const h = await harness();
	try {
		const p = h.server.platform;
		const a = newDevice();
		const b = newDevice();
		const good = importRecord(h.importKey, a);
		const tampered = importRecord(h.importKey, b, { serial: "ENK-OTHER" });
		const foreign = importRecord(Buffer.alloc(32, 7), b);
		const summary = p.importRecords([good, "not json", tampered, foreign, good].join("\n"));
		assert.is(summary.imported, 1);
		assert.is(summary.unchanged, 1);
		assert.equal(
			summary.failed.map((f) => f.line),
			[2, 3, 4],
		);
		assert.match(summary.failed[1]!.error, /does not authenticate/);
		assert.match(summary.failed[2]!.error, /wrapped under import key/);
		// Admin API import with the JSONL as the body.
		const viaApi = await adminCall(h, "POST", "/command/api/import", { records: importRecord(h.importKey, b) });
		assert.is(viaApi.json().imported, 1);
		// Same id with another key is refused, the registered key unchanged.
		const clash = p.importRecords(importRecord(h.importKey, { ...a, key: Buffer.alloc(32, 1) }));
		assert.is(clash.failed.length, 1);
		assert.ok(p.deviceKey(a.id)!.key.equals(a.key));
		assert.not.ok(JSON.stringify(summary).includes(a.key.toString("hex")));
	} finally {
		await h.close();
	}
});

L.run();
