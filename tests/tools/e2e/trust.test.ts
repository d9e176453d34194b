/**
 * Issue 4, "Done when", end to end in simulated time: a device provisioned by tools/provision (its NVS image
 * parsed back into the simulated store) is imported into tools/platform, and the real firmware on the sim board,
 * through the emulated modem and real TLS, opens an event and posts locations that the platform accepts; while
 * requests the firmware really sent, replayed, and requests forged without the device key, tampered on the way or
 * sent after revocation are all refused with the distinct statuses of tools/platform/README.md "Refusals".
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { openEvent, pointCount, raiseAlert, send, testWorld, type Captured, type TestWorld } from "./helpers";

/** Re-signs a captured request as RFC 9421 / docs/protocol.md §4 specify, with `key` (not the device's). */
function forge(c: Captured, o: { key: Buffer; keyid: string; nonce: number; body?: Buffer }): Captured {
	const body = o.body ?? c.body;
	const digest = `sha-256=:${createHash("sha256").update(body).digest("base64")}:`;
	const list = '("@method" "@authority" "@path" "content-type" "content-digest")';
	const params = `;keyid="${o.keyid}";nonce="${o.nonce}";alg="hmac-sha256";tag="enigm-key-v1"`;
	const base = [`"@method": ${c.method}`, `"@authority": ${c.headers.host}`, `"@path": ${c.path}`, `"content-type": ${c.headers["content-type"]}`, `"content-digest": ${digest}`, `"@signature-params": ${list}${params}`].join("\n");
	const sig = createHmac("sha256", o.key).update(base).digest("base64");
	return { ...c, body, headers: { ...c.headers, "content-digest": digest, "signature-input": `enigm=${list}${params}`, signature: `enigm=:${sig}:` } };
}

function nonceOf(c: Captured): number {
	const m = /;nonce="(\d+)"/.exec(c.headers["signature-input"] ?? "");
	if (!m) throw new Error("captured request without a nonce");
	return Number(m[1]);
}

function lastRefusal(t: TestWorld) {
	return t.world.platform.platform.store.refusals(1)[0];
}

const T = suite("trust end to end (provisioned device, platform, firmware)");

T("the provisioned device is imported, its event and locations are accepted, and forged, replayed and revoked requests are refused", async () => {
	const t = await testWorld();
	const { world } = t;
	try {
		// Imported from the provisioning record, claimed, active; the device id is the random 128-bit identity.
		const registered = world.platform.platform.store.deviceViews().find((d) => d.device_id === world.deviceId);
		assert.ok(registered, "device not in the platform registry");
		assert.is(registered!.state, "active");
		assert.is(registered!.serial, "SIM-1");
		assert.match(world.deviceId, /^[0-9a-f]{32}$/);

		// The firmware raises the alert and streams: every request it sent was accepted.
		assert.ok(await raiseAlert(world), "never reached active.streaming");
		assert.ok(await world.runUntil(() => pointCount(world) >= 2, 300_000), "fewer than 2 points accepted");
		const event = openEvent(world);
		assert.ok(event, "no open event at the platform");
		assert.is(world.platform.platform.store.refusals().length, 0, "the firmware's own requests were refused");
		const fromDevice = t.captured.filter((c) => c.path.startsWith("/v1/"));
		assert.ok(fromDevice.length >= 3);
		for (const c of fromDevice) assert.is(c.status, 200, `${c.method} ${c.path} answered ${c.status}`);
		assert.ok(fromDevice.some((c) => c.path === "/v1/events"));
		const locations = fromDevice.filter((c) => c.path === `/v1/events/${event!.event_id}/locations`);
		assert.ok(locations.length >= 2, "no location batch captured");
		const captured = locations[locations.length - 1]!;
		const pointsBefore = pointCount(world);
		const counterBefore = world.platform.platform.store.deviceViews()[0]!.highest_counter;

		// 1. Replayed: the captured request, byte for byte, again: signed 409 (the device's nonce is used up).
		const replay = await send(t, captured);
		assert.is(replay.status, 409);
		assert.is(replay.json().error, "nonce");
		assert.ok(replay.headers["signature"], "replay refusal must be signed (protocol §5)");
		assert.is(lastRefusal(t)!.code, "nonce-replayed");

		// 2. Forged: the same request signed with a key that is not the device's, fresh nonce: 401 bad-mac.
		const wrongKey = await send(t, forge(captured, { key: randomBytes(32), keyid: world.deviceId, nonce: nonceOf(captured) + 5 }));
		assert.is(wrongKey.status, 401);
		assert.is(wrongKey.json().error, "bad-signature");
		assert.is(lastRefusal(t)!.code, "bad-mac");

		// 3. Tampered on the way: the captured signature with another body (a moved point): 401 digest-mismatch.
		const body = JSON.parse(captured.body.toString("utf8")) as { points: Array<{ la: number }> };
		body.points[0]!.la += 1000;
		const tampered = await send(t, { ...captured, body: Buffer.from(JSON.stringify(body)) });
		assert.is(tampered.status, 401);
		assert.is(lastRefusal(t)!.code, "digest-mismatch");

		// 4. Tampered and re-digested (the attacker recomputes Content-Digest but cannot sign): 401 bad-mac.
		const redigested = forge(captured, { key: randomBytes(32), keyid: world.deviceId, nonce: nonceOf(captured) + 6, body: Buffer.from(JSON.stringify(body)) });
		const resigned = await send(t, { ...redigested, headers: { ...redigested.headers, "signature-input": captured.headers["signature-input"]!, signature: captured.headers["signature"]! } });
		assert.is(resigned.status, 401);
		assert.is(lastRefusal(t)!.code, "bad-mac");

		// 5. An identity the platform never imported: 412 unknown-key.
		const stranger = await send(t, forge(captured, { key: randomBytes(32), keyid: randomBytes(16).toString("hex"), nonce: 1 }));
		assert.is(stranger.status, 412);
		assert.is(lastRefusal(t)!.code, "unknown-key");

		// None of it changed anything: same points, same counter, event still open; the refusals are on record.
		assert.is(pointCount(world), pointsBefore);
		assert.is(world.platform.platform.store.deviceViews()[0]!.highest_counter, counterBefore);
		assert.is(openEvent(world)?.event_id, event!.event_id);
		assert.equal(world.platform.platform.store.refusals().map((r) => r.code).reverse(), ["nonce-replayed", "bad-mac", "digest-mismatch", "bad-mac", "unknown-key"]);

		// The device itself carries on: its next reports are still accepted.
		assert.ok(await world.runUntil(() => pointCount(world) > pointsBefore, 120_000), "the device's next report was not accepted");

		// 6. Revoked: the platform closes the event; the device's next request gets the signed 403 and the device
		// becomes revoked for good; a captured request replayed now is refused as revoked (before its nonce is looked at).
		world.revoke("lost");
		assert.is(world.events()[0]!.state, "closed");
		const refusalsBefore = world.platform.platform.store.refusals().length;
		assert.ok(await world.runUntil(() => world.state === "revoked" || world.asleep, 300_000), `device did not react to revocation: ${world.state}`);
		assert.ok(await world.runUntil(() => world.asleep, 120_000), "revoked device did not go back to sleep");
		assert.is(world.state, "revoked");
		const deviceRefusals = world.platform.platform.store.refusals().slice(0, world.platform.platform.store.refusals().length - refusalsBefore);
		assert.ok(deviceRefusals.some((r) => r.code === "revoked" && r.status === 403), `the device's request after revocation was not refused as revoked: ${JSON.stringify(deviceRefusals)}`);
		const afterRevoke = await send(t, captured);
		assert.is(afterRevoke.status, 403);
		assert.is(afterRevoke.json().state, "revoked");
		assert.is(lastRefusal(t)!.code, "revoked");

		// A revoked device never activates again: a triple press wakes it, but nothing goes on the wire.
		const wire = world.metrics.wireSent;
		const events = world.events().length;
		world.press();
		await world.run(120_000);
		assert.is(world.metrics.wireSent, wire);
		assert.is(world.events().length, events);
		assert.is(world.state, "revoked");

		// No secret reached any log line (keys, MACs, signatures are 32+ hex or base64 characters).
		for (const line of t.log) assert.not.match(line, /[A-Za-z0-9+/]{43}=|[0-9a-f]{64}/, line);
	} finally {
		await t.close();
	}
});

T.run();
