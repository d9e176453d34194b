/**
 * The tamper / replay / revocation matrix over real HTTPS on loopback: requests signed by the independent test
 * signer (helpers.ts), then changed one way each; every change refused with its own cause and the protocol's
 * status, valid traffic accepted with a response signed and bound to its request.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { type Device, type Harness, type SignedRequest, checkResponse, harness, newDevice, point, send, signRequest, T0 } from "./helpers";
import { Refusals, type Cause } from "../../../tools/platform/refusals";

const EVENT = "9d2e41f07ab35c6680e1d4f2a7c9b053";
const OPEN = { event: EVENT, reason: "button", resumed: false, stages: { press: 0, wake: 850 } };

const M = suite("platform matrix");
let h: Harness;
let dev: Device;
let other: Device;

M.before(async () => {
	h = await harness({ nonceWindow: 1000 });
	dev = newDevice();
	other = newDevice();
	h.importDevices(dev, other);
	const opened = await h.post(dev, "/v1/events", OPEN);
	assert.is(opened.reply.status, 200);
});

M.after(async () => {
	await h.close();
});

function lastRefusal(): { code: string; status: number; device_id: string | null } {
	return h.server.platform.store.refusals(1)[0]!;
}

async function expectRefused(req: SignedRequest, cause: Cause, device?: Device): Promise<void> {
	const before = h.server.platform.store.refusals(1)[0]?.id ?? 0;
	const reply = await send(h.server.port, req);
	const kind = Refusals[cause];
	assert.is(reply.status, kind.status, `${cause}: status`);
	const body = reply.json();
	if (kind.signed && device) {
		assert.is(checkResponse(reply, req, device), "ok", `${cause}: signed response`);
		assert.is(body.error ?? body.state, cause === "revoked" ? "revoked" : kind.error);
	} else {
		assert.is(reply.headers["signature"], undefined, `${cause}: unsigned`);
		assert.equal(body, { error: kind.error, reason: cause });
	}
	const r = h.server.platform.store.refusals(1)[0]! as { id: number; code: string };
	assert.ok(r.id > before, `${cause}: refusal recorded`);
	assert.is(r.code, cause);
}

function locations(d: Device, s: number, nonce: number, extra: Partial<Parameters<typeof signRequest>[0]> = {}): SignedRequest {
	return signRequest({ device: d, nonce, path: `/v1/events/${EVENT}/locations`, body: JSON.stringify({ points: [point(d, EVENT, s, 1763783100 + s)] }), host: h.host, ...extra });
}

M("valid location batch accepted, response signed and bound to the request", async () => {
	const req = locations(dev, 1, h.nonce(dev), { created: T0 / 1000 });
	const reply = await send(h.server.port, req);
	assert.is(reply.status, 200);
	assert.is(checkResponse(reply, req, dev), "ok");
	assert.equal(reply.json(), { state: "open", event: EVENT, interval: 30, time: T0 / 1000, ack: 1 });
	// The same response does not verify against another request (binding).
	const another = locations(dev, 1, 999_999);
	assert.is(checkResponse(reply, another, dev), "mac");
});

M("every covered component changed after signing is refused", async () => {
	const host = h.host;
	const cases: [string, (r: SignedRequest) => SignedRequest, Cause][] = [
		["@method signed as PUT, sent as POST", () => ({ ...locations(dev, 2, h.nonce(dev), { method: "PUT" }), method: "POST" }), "bad-mac"],
		["@authority", (r) => ({ ...r, headers: { ...r.headers, host: `evil.example:${h.server.port}` } }), "bad-mac"],
		["@path", (r) => ({ ...r, path: `/v1/events/${EVENT}/close` }), "bad-mac"],
		["content-type", (r) => ({ ...r, headers: { ...r.headers, "content-type": "text/plain" } }), "bad-mac"],
		[
			"content-digest (and body) swapped for another valid pair",
			(r) => {
				const o = locations(dev, 3, 1);
				return { ...r, body: o.body, headers: { ...r.headers, "content-digest": o.headers["content-digest"]! } };
			},
			"bad-mac",
		],
		[
			"body only",
			(r) => {
				const b = Buffer.from(r.body);
				b[b.length - 5] ^= 1;
				return { ...r, body: b };
			},
			"digest-mismatch",
		],
		[
			"signature bit",
			(r) => {
				const sig = Buffer.from(r.sigValue.slice(1, -1), "base64");
				sig[7] ^= 0x80;
				return { ...r, headers: { ...r.headers, signature: `enigm=:${sig.toString("base64")}:` } };
			},
			"bad-mac",
		],
		["nonce parameter", (r) => ({ ...r, headers: { ...r.headers, "signature-input": r.headers["signature-input"]!.replace(/nonce="(\d+)"/, (_, n: string) => `nonce="${Number(n) + 1}"`) } }), "bad-mac"],
		["created parameter added", (r) => ({ ...r, headers: { ...r.headers, "signature-input": r.headers["signature-input"]!.replace(";keyid", `;created=${T0 / 1000};keyid`) } }), "bad-mac"],
	];
	for (const [name, change, cause] of cases) {
		const req = change(locations(dev, 2, h.nonce(dev)));
		await expectRefused(req, cause);
		assert.is(lastRefusal().device_id, dev.id, name);
	}
	void host;
});

M("every signature parameter dropped, or wrong, is refused before the key is used", async () => {
	const base = (params: string) => locations(dev, 2, 0, { params });
	const n = () => h.nonce(dev);
	const id = dev.id;
	const cases: [string, string, Cause][] = [
		["keyid dropped", `;nonce="${n()}";alg="hmac-sha256";tag="enigm-key-v1"`, "signature-malformed"],
		["nonce dropped", `;keyid="${id}";alg="hmac-sha256";tag="enigm-key-v1"`, "signature-malformed"],
		["alg dropped", `;keyid="${id}";nonce="${n()}";tag="enigm-key-v1"`, "signature-malformed"],
		["tag dropped", `;keyid="${id}";nonce="${n()}";alg="hmac-sha256"`, "signature-malformed"],
		["wrong alg", `;keyid="${id}";nonce="${n()}";alg="hmac-sha512";tag="enigm-key-v1"`, "algorithm"],
		["wrong tag", `;keyid="${id}";nonce="${n()}";alg="hmac-sha256";tag="enigm-key-v2"`, "algorithm"],
		["unknown param", `;keyid="${id}";nonce="${n()}";alg="hmac-sha256";tag="enigm-key-v1";expires=1`, "signature-malformed"],
		["nonce 0", `;keyid="${id}";nonce="0";alg="hmac-sha256";tag="enigm-key-v1"`, "signature-malformed"],
		["nonce with leading zero", `;keyid="${id}";nonce="0${n()}";alg="hmac-sha256";tag="enigm-key-v1"`, "signature-malformed"],
		["nonce above i32", `;keyid="${id}";nonce="2147483648";alg="hmac-sha256";tag="enigm-key-v1"`, "signature-malformed"],
		["nonce as integer", `;keyid="${id}";nonce=${n()};alg="hmac-sha256";tag="enigm-key-v1"`, "signature-malformed"],
		["keyid uppercase", `;keyid="${id.toUpperCase()}";nonce="${n()}";alg="hmac-sha256";tag="enigm-key-v1"`, "signature-malformed"],
		["created not an integer", `;created="1";keyid="${id}";nonce="${n()}";alg="hmac-sha256";tag="enigm-key-v1"`, "signature-malformed"],
		["unknown keyid", `;keyid="${randomBytes(16).toString("hex")}";nonce="${n()}";alg="hmac-sha256";tag="enigm-key-v1"`, "unknown-key"],
	];
	for (const [name, params, cause] of cases) {
		await expectRefused(base(params), cause);
		assert.ok(true, name);
	}
	// created dropped is fine: a device without wall time omits it (protocol §4).
	const ok = await send(h.server.port, locations(dev, 2, h.nonce(dev)));
	assert.is(ok.status, 200);
});

M("covered component list must be exactly the protocol's", async () => {
	for (const components of [
		["@method", "@authority", "@path", "content-type"],
		["@authority", "@method", "@path", "content-type", "content-digest"],
		["@method", "@authority", "@path", "content-type", "content-digest", "content-digest"],
	])
		await expectRefused(locations(dev, 2, h.nonce(dev), { components }), "covered-components");
});

M("missing signature fields or Content-Digest are refused", async () => {
	const r = locations(dev, 2, h.nonce(dev));
	const without = (k: string) => {
		const headers = { ...r.headers };
		delete headers[k];
		return { ...r, headers };
	};
	await expectRefused(without("signature"), "signature-missing");
	await expectRefused(without("signature-input"), "signature-missing");
	await expectRefused({ ...r, headers: { ...r.headers, signature: `other=${r.sigValue}` } }, "signature-missing");
	await expectRefused({ ...r, headers: { ...r.headers, "signature-input": "enigm=(" } }, "signature-malformed");
	await expectRefused(without("content-digest"), "digest-missing");
});

M("wrong key for a known key id is refused", async () => {
	await expectRefused(locations(dev, 2, h.nonce(dev), { key: other.key }), "bad-mac");
});

M("created outside ±300 s is refused, inside accepted", async () => {
	await expectRefused(locations(dev, 2, h.nonce(dev), { created: T0 / 1000 - 301 }), "created", dev);
	await expectRefused(locations(dev, 2, h.nonce(dev), { created: T0 / 1000 + 301 }), "created", dev);
	// Signed and carrying the platform's time, so a device with a wrong network clock corrects it (issue 9.4).
	const refused = await send(h.server.port, locations(dev, 2, h.nonce(dev), { created: T0 / 1000 + 86_400 * 365 * 5 }));
	assert.equal(refused.json(), { state: "error", event: EVENT, time: T0 / 1000, error: "created" });
	const ok = await send(h.server.port, locations(dev, 2, h.nonce(dev), { created: T0 / 1000 + 299 }));
	assert.is(ok.status, 200);
});

M("replayed request, old counter and counter outside the window are refused, signed, with the highest nonce", async () => {
	const req = locations(dev, 3, h.nonce(dev));
	assert.is((await send(h.server.port, req)).status, 200);
	const highest = h.server.platform.store.highestCounter(dev.id)!;
	const replay = await send(h.server.port, req);
	assert.is(replay.status, 409);
	assert.is(checkResponse(replay, req, dev), "ok");
	assert.equal(replay.json(), { state: "error", event: EVENT, time: T0 / 1000, error: "nonce", nonce: highest });
	assert.is(lastRefusal().code, "nonce-replayed");
	await expectRefused(locations(dev, 3, highest - 5), "nonce-replayed", dev);
	await expectRefused(locations(dev, 3, highest + 1001), "nonce-window", dev);
	// A reboot's reservation jump (K + F = 36, protocol §8) is inside the window.
	const jumped = await send(h.server.port, locations(dev, 4, highest + 36));
	assert.is(jumped.status, 200);
	for (let i = 0; i < 36; i++) h.nonce(dev);
});

M("malformed bodies are refused signed with 400 body; a bad point MAC refuses the whole batch", async () => {
	const path = `/v1/events/${EVENT}/locations`;
	const bodies: [string, string | Buffer, Cause][] = [
		["not JSON", "{", "body"],
		["not UTF-8", Buffer.from([0x7b, 0xff, 0x7d]), "body"],
		["array", "[]", "body"],
		["no points", '{"points":[]}', "body"],
		["unknown key", JSON.stringify({ points: [point(dev, EVENT, 9, 1)], x: 1 }), "body"],
		["float latitude", JSON.stringify({ points: [{ ...point(dev, EVENT, 9, 1), la: 47.1 }] }), "body"],
		["decreasing s", JSON.stringify({ points: [point(dev, EVENT, 9, 1), point(dev, EVENT, 8, 2)] }), "body"],
		["33 points", JSON.stringify({ points: Array.from({ length: 33 }, (_, k) => point(dev, EVENT, k + 10, k)) }), "body"],
		["bad point MAC", JSON.stringify({ points: [point(dev, EVENT, 9, 1), { ...point(dev, EVENT, 10, 2), la: 1 }] }), "point-mac"],
		["point MAC of another event", JSON.stringify({ points: [point(dev, "0".repeat(32), 9, 1)] }), "point-mac"],
	];
	const before = h.server.platform.store.pointCount(h.server.platform.event(dev.id, EVENT)!.id);
	for (const [, body, cause] of bodies) await expectRefused(signRequest({ device: dev, nonce: h.nonce(dev), path, body, host: h.host }), cause, dev);
	assert.is(h.server.platform.store.pointCount(h.server.platform.event(dev.id, EVENT)!.id), before, "nothing stored");
	await expectRefused(signRequest({ device: dev, nonce: h.nonce(dev), path: "/v1/events", body: '{"event":"XYZ","reason":"button"}', host: h.host }), "body", dev);
	await expectRefused(signRequest({ device: dev, nonce: h.nonce(dev), path: "/v1/events", body: `{"event":"${EVENT}","reason":"panic"}`, host: h.host }), "body", dev);
	await expectRefused(signRequest({ device: dev, nonce: h.nonce(dev), path: `/v1/events/${EVENT}/close`, body: "{}", host: h.host }), "body", dev);
});

M("unknown event, unknown route, wrong method and oversized bodies", async () => {
	const unknown = "f".repeat(32);
	await expectRefused(signRequest({ device: dev, nonce: h.nonce(dev), path: `/v1/events/${unknown}/close`, body: '{"reason":"cancel"}', host: h.host }), "unknown-event", dev);
	await expectRefused(signRequest({ device: dev, nonce: h.nonce(dev), path: `/v1/events/${EVENT}/delete`, body: "{}", host: h.host }), "not-found");
	await expectRefused({ ...signRequest({ device: dev, nonce: h.nonce(dev), path: "/v1/events", body: "{}", host: h.host }), method: "PUT" }, "method");
	await expectRefused(signRequest({ device: dev, nonce: h.nonce(dev), path: "/v1/events", body: "x".repeat(20_000), host: h.host }), "too-large");
});

M("another device's event id is unknown to this device", async () => {
	await expectRefused(signRequest({ device: other, nonce: h.nonce(other), path: `/v1/events/${EVENT}/close`, body: '{"reason":"cancel"}', host: h.host }), "unknown-event", other);
	assert.is(h.server.platform.event(dev.id, EVENT)!.state, "open");
});

M("revoked device refused for ever, signed; its replacement accepted; the old stays revoked", async () => {
	const spare = newDevice();
	h.importDevices(spare);
	h.server.platform.replace(dev.id, spare.id, "lost");
	const req = locations(dev, 20, h.nonce(dev));
	const reply = await send(h.server.port, req);
	assert.is(reply.status, 403);
	assert.is(checkResponse(reply, req, dev), "ok");
	assert.equal(reply.json(), { state: "revoked", event: EVENT, time: T0 / 1000 });
	await expectRefused(signRequest({ device: dev, nonce: h.nonce(dev), path: "/v1/events", body: JSON.stringify({ ...OPEN, event: "a".repeat(32) }), host: h.host }), "revoked", dev);
	// A forged request for the revoked device is still a bad MAC, not a revocation answer.
	await expectRefused(locations(dev, 21, h.nonce(dev), { key: other.key }), "bad-mac");
	const fresh = await h.post(spare, "/v1/events", { ...OPEN, event: "b".repeat(32) });
	assert.is(fresh.reply.status, 200);
	assert.is(checkResponse(fresh.reply, fresh.req, spare), "ok");
	// The replacement cannot un-revoke the old one, and re-importing the old one changes nothing.
	h.importDevices(dev);
	assert.is(h.server.platform.store.device(dev.id)!.state, "revoked");
	assert.is(h.server.platform.store.device(dev.id)!.replaced_by, spare.id);
	assert.is(h.server.platform.store.device(spare.id)!.replaces, dev.id);
	await expectRefused(locations(dev, 22, h.nonce(dev)), "revoked", dev);
});

M("every refusal kind seen, and no device key or signature value in the logs", async () => {
	const seen = new Set(h.server.platform.store.refusals(10_000).map((r) => r.code));
	for (const cause of Object.keys(Refusals)) assert.ok(seen.has(cause), `refusal ${cause} exercised`);
	const text = h.logs.join("\n") + JSON.stringify(h.server.platform.store.refusals(10_000));
	for (const d of [dev, other]) {
		for (const enc of ["hex", "base64", "base64url"] as const) assert.not.ok(text.includes(d.key.toString(enc)), "device key leaked");
	}
	for (const enc of ["hex", "base64"] as const) {
		assert.not.ok(text.includes(h.storageKey.toString(enc)), "storage key leaked");
		assert.not.ok(text.includes(h.importKey.toString(enc)), "import key leaked");
	}
	assert.not.ok(/enigm=:/.test(text), "signature value in logs");
	// Each refusal produced exactly one log line naming the status and the cause.
	assert.ok(h.logs.some((l) => /^refused 401 bad-signature \(bad-mac\) device=[0-9a-f]{32} POST /.test(l)));
});

M.run();
