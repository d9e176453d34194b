/**
 * XS bench bundle (run through the XS lane, tests/xs/run.ts, by tools/bench/xsBench.ts): one signed location update
 * as the firmware does it, piece by piece, under the XS instruction meter (`XS-METER <count> <label>`).
 *
 * It uses the worked example of docs/protocol.md §9 (tests/firmware/protocol/fixtures.ts, computed with node:crypto),
 * so every piece is also checked: the batch body, the request signature and the platform's signed response must all
 * match the independent vectors, or the bundle fails and the bench with it.
 *
 * HMAC runs in TypeScript here (hal/sim/softKeystore), as the simulator does; the device computes it in the HMAC
 * peripheral (ESP32-S3) or natively (classic ESP32). The instructions spent inside `hmacSha256` are counted apart,
 * so the bench can report the update with and without them.
 *
 * The objects an update leaves alive (keystore, signer, parser, last request and response) stay reachable from
 * `globalThis.__benchKeep`, so a snapshot written at exit (`xsnap -w`, after a full collection) holds them.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Fix } from "drivers/gnss/fix";
import type { Keystore } from "hal/keystore";
import { capturePoint, encodeLocationBatch } from "modules/protocol/messages";
import RequestSigner from "modules/protocol/requestSigner";
import { serializeRequest } from "modules/protocol/http";
import HttpResponseParser from "modules/protocol/httpResponseParser";
import { routes } from "modules/protocol/constants";
import { decodeUtf8, encodeUtf8 } from "modules/protocol/bytes";
import { meterNow, printMeter } from "../../../tests/xs/meter";
import * as ex from "../../../tests/firmware/protocol/fixtures";

const fix: Fix = { time: 1763783100_000, lat: 47.3769, lon: 8.5417, altitude: 408, accuracy: 5, satellites: 9, quality: "3d", source: "gnss" };

function responseBytes(): Uint8Array {
	let head = "HTTP/1.1 200 OK\r\n";
	for (const [name, value] of ex.exampleResponseHead) head += `${name}: ${value}\r\n`;
	return encodeUtf8(head + "\r\n" + ex.exampleResponseBody);
}

const pieces = ["capturePoint", "encodeLocationBatch", "sign", "serializeRequest", "parseResponse", "verifyResponse"] as const;
type Piece = (typeof pieces)[number];

const iterations = 5;

test("a signed location update (capture, batch, sign, serialize, parse and verify the response)", () => {
	const soft = ex.exampleKeystore();
	let hmacCount = 0;
	let hmacInstructions = 0;
	// Counts the HMAC share: the device replaces it with the hardware peripheral.
	const keystore: Keystore = {
		deviceId: soft.deviceId,
		hmacSha256(message) {
			const start = meterNow();
			const mac = soft.hmacSha256(message);
			hmacInstructions += meterNow() - start;
			hmacCount++;
			return mac;
		},
		close: () => soft.close(),
	};
	const signer = new RequestSigner({ keystore, counter: { next: () => ex.exampleNonce }, host: ex.exampleHost, wallTime: () => ex.exampleCreatedMs });
	const wire = responseBytes();
	const keep: Record<string, unknown> = { keystore, signer };
	(globalThis as Record<string, unknown>).__benchKeep = keep;

	for (let round = 1; round <= iterations; round++) {
		const counts: Partial<Record<Piece, number>> = {};
		const hmacBefore = hmacInstructions;
		const hmacCallsBefore = hmacCount;
		const step = <T>(piece: Piece, work: () => T): T => {
			const start = meterNow();
			const value = work();
			counts[piece] = meterNow() - start;
			return value;
		};
		const total = meterNow();
		const point = step("capturePoint", () => capturePoint(keystore, ex.exampleEventId, 1, fix));
		const body = step("encodeLocationBatch", () => encodeLocationBatch([point]));
		const signed = step("sign", () => signer.sign(routes.locations(ex.exampleEventId), body));
		if (!signed.ok) throw new Error(signed.error);
		const bytes = step("serializeRequest", () => serializeRequest(signed.request));
		const parser = new HttpResponseParser();
		const parsed = step("parseResponse", () => parser.push(wire));
		if (!parsed?.ok) throw new Error("response did not parse");
		const verified = step("verifyResponse", () => signer.verifyResponse(signed.request, parsed.response));
		const all = meterNow() - total;
		assert.ok(verified.ok, JSON.stringify(verified));
		if (round === 1) {
			// Checked against the node:crypto worked example (docs/protocol.md §9).
			assert.is(point.m, ex.examplePointMac);
			assert.is(decodeUtf8(body), ex.exampleBody);
			assert.is(decodeUtf8(bytes), ex.exampleRequestText);
		}
		const phase = round === 1 ? "cold" : round === iterations ? "warm" : undefined;
		if (phase) {
			for (const piece of pieces) printMeter(`${phase} ${piece}`, counts[piece] ?? 0);
			printMeter(`${phase} update`, all);
			printMeter(`${phase} hmac`, hmacInstructions - hmacBefore);
			printMeter(`${phase} hmacCalls`, hmacCount - hmacCallsBefore);
			printMeter(`${phase} requestBytes`, bytes.length);
		}
		keep.last = { point, body, request: signed.request, bytes, parser, response: parsed.response };
	}
});

test.run();
