/**
 * The firmware's own protocol code (modules/protocol) against this platform over a raw TLS socket: requests the
 * firmware signs and serializes are accepted; the platform's answers parse and verify with the firmware's
 * response check, including the signed refusals it must trust (revoked, nonce). The two implementations share no
 * code, so each checks the other.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { connect } from "node:tls";
import type { Keystore } from "hal/keystore";
import RequestSigner from "modules/protocol/requestSigner";
import { serializeRequest } from "modules/protocol/http";
import HttpResponseParser from "modules/protocol/httpResponseParser";
import type { HttpRequest, HttpResponse } from "modules/protocol/message";
import { capturePoint, encodeClose, encodeLocationBatch, encodeOpen } from "modules/protocol/messages";
import { HmacSha256 } from "modules/protocol/sha256";
import { devCa, harness, newDevice, T0, type Device } from "./helpers";

function keystore(d: Device): Keystore {
	const mac = new HmacSha256(new Uint8Array(d.key));
	return { deviceId: d.id, hmacSha256: (m) => mac.mac(m), close: () => mac.close() };
}

/** One request on its own TLS connection, the response parsed by the firmware's parser. */
function exchange(port: number, request: HttpRequest): Promise<HttpResponse> {
	return new Promise((resolve, reject) => {
		const socket = connect({ host: "127.0.0.1", servername: "localhost", port, ca: devCa().ca }, () => socket.write(serializeRequest(request)));
		const parser = new HttpResponseParser();
		socket.on("data", (chunk: Buffer) => {
			const r = parser.push(new Uint8Array(chunk));
			if (!r) return;
			socket.end();
			if (r.ok) resolve(r.response);
			else reject(new Error(`firmware parser: ${r.error} ${r.detail}`));
		});
		socket.on("error", reject);
	});
}

const EVENT = "9d2e41f07ab35c6680e1d4f2a7c9b053";
const FIX = { time: 1763783100_000, lat: 47.3769, lon: 8.5417, altitude: 408, accuracy: 5, satellites: 9, quality: "3d" as const, source: "gnss" as const };

const X = suite("platform ⇄ firmware modules/protocol");

X("open, locations, close signed by the firmware are accepted; every answer verifies on the device side", async () => {
	const h = await harness();
	try {
		const d = newDevice();
		h.importDevices(d);
		let n = 100;
		const signer = new RequestSigner({ keystore: keystore(d), counter: { next: () => ++n }, host: h.host, wallTime: () => T0 + 2000 });
		const ks = keystore(d);

		const send = async (path: string, body: Uint8Array) => {
			const s = signer.sign(path, body);
			assert.ok(s.ok);
			if (!s.ok) throw new Error("sign failed");
			const response = await exchange(h.server.port, s.request);
			return { request: s.request, response, verified: signer.verifyResponse(s.request, response) };
		};

		const open = await send(
			"/v1/events",
			encodeOpen({
				event: EVENT,
				reason: "button",
				resumed: false,
				stages: { press: 0, wake: 850, attach: 14200 },
				fix: FIX,
				cell: { mcc: 228, mnc: 1, tac: 1234, cellId: 26411010, rsrp: -95, accessTechnology: "lte-m" },
				battery: { millivolts: 3912, percent: 78 },
			}),
		);
		assert.is(open.response.status, 200);
		assert.equal(open.verified, { ok: true, status: 200, body: { state: "open", event: EVENT, interval: 30, time: T0 / 1000 }, created: T0 / 1000 });

		const points = [1, 2, 3].map((s) => capturePoint(ks, EVENT, s, { ...FIX, time: FIX.time + s * 30_000, lat: FIX.lat + s * 1e-4 }));
		const batch = await send(`/v1/events/${EVENT}/locations`, encodeLocationBatch(points));
		assert.is(batch.response.status, 200);
		assert.ok(batch.verified.ok && batch.verified.body.ack === 3);
		assert.is(h.server.platform.store.pointCount(h.server.platform.event(d.id, EVENT)!.id), 3);

		const close = await send(`/v1/events/${EVENT}/close`, encodeClose("cancel", { percent: 77 }));
		assert.ok(close.verified.ok && close.verified.body.state === "closed");

		// Replay of the close: the signed 409 verifies on the device and names the highest nonce.
		const replay = await exchange(h.server.port, close.request);
		const v = signer.verifyResponse(close.request, replay);
		assert.ok(v.ok && v.status === 409 && v.body.error === "nonce" && v.body.nonce === n);

		// Revocation: a signed 403 the device trusts.
		h.server.platform.revoke(d.id, "test");
		const revoked = await send("/v1/events", encodeOpen({ event: "e".repeat(32), reason: "button", resumed: false, stages: { press: 0 } }));
		assert.ok(revoked.verified.ok && revoked.verified.status === 403 && revoked.verified.body.state === "revoked");

		// An unsigned refusal (unknown key) does not verify: the device treats it as a transport failure.
		const stranger = newDevice();
		const s2 = new RequestSigner({ keystore: keystore(stranger), counter: { next: () => 1 }, host: h.host });
		const r2 = s2.sign("/v1/events", encodeOpen({ event: EVENT, reason: "button", resumed: false, stages: {} }));
		assert.ok(r2.ok);
		if (r2.ok) {
			const resp = await exchange(h.server.port, r2.request);
			assert.is(resp.status, 412);
			assert.not.ok(s2.verifyResponse(r2.request, resp).ok);
		}

		// A response altered in transit (state flipped) fails the firmware's check.
		const forged: HttpResponse = { ...batch.response, body: new TextEncoder().encode(new TextDecoder().decode(batch.response.body).replace('"open"', '"closed"')) };
		assert.not.ok(signer.verifyResponse(batch.request, forged).ok);
	} finally {
		await h.close();
	}
});

X.run();
