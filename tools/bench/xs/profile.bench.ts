/**
 * XS profile of one signed location update (bench helper, not a test): the instructions of each sub-step of the
 * signing and verifying path, metered one by one, so the bench can say where an update's instructions go.
 */
import { test } from "uvu";
import type { Fix } from "drivers/gnss/fix";
import { capturePoint, encodeLocationBatch, parseResponseBody } from "modules/protocol/messages";
import RequestSigner from "modules/protocol/requestSigner";
import { serializeRequest } from "modules/protocol/http";
import HttpResponseParser from "modules/protocol/httpResponseParser";
import { routes, requestComponents, signatureLabel } from "modules/protocol/constants";
import { decodeLatin1, encodeAscii, encodeUtf8, toBase64 } from "modules/protocol/bytes";
import { sha256 } from "modules/protocol/sha256";
import { contentDigest } from "modules/protocol/digest";
import { readSignature, signatureBase, serializeSignatureParams } from "modules/protocol/signature";
import { fieldValue } from "modules/protocol/message";
import { meterNow, printMeter } from "../../../tests/xs/meter";
import * as ex from "../../../tests/firmware/protocol/fixtures";

const fix: Fix = { time: 1763783100_000, lat: 47.3769, lon: 8.5417, altitude: 408, accuracy: 5, satellites: 9, quality: "3d", source: "gnss" };

function metered<T>(label: string, work: () => T): T {
	const start = meterNow();
	const v = work();
	printMeter(label, meterNow() - start);
	return v;
}

test("profile", () => {
	const soft = ex.exampleKeystore();
	const keystore = { deviceId: soft.deviceId, hmacSha256: (m: Uint8Array) => soft.hmacSha256(m), close: () => soft.close() };
	const signer = new RequestSigner({ keystore, counter: { next: () => ex.exampleNonce }, host: ex.exampleHost, wallTime: () => ex.exampleCreatedMs });
	let head = "HTTP/1.1 200 OK\r\n";
	for (const [name, value] of ex.exampleResponseHead) head += `${name}: ${value}\r\n`;
	const wire = encodeUtf8(head + "\r\n" + ex.exampleResponseBody);
	for (let round = 0; round < 2; round++) {
		const point = capturePoint(keystore, ex.exampleEventId, 1, fix);
		const body = metered("p encodeLocationBatch", () => encodeLocationBatch([point]));
		metered("p sha256(body)", () => sha256(body));
		metered("p contentDigest(body)", () => contentDigest(body));
		metered("p toBase64(32)", () => toBase64(new Uint8Array(32)));
		const signed = metered("p sign", () => signer.sign(routes.locations(ex.exampleEventId), body));
		if (!signed.ok) throw new Error("sign");
		const req = signed.request;
		const input = { components: requestComponents, params: [["created", 1], ["keyid", soft.deviceId], ["nonce", "1"], ["alg", "hmac-sha256"], ["tag", "enigm-key-v1"]] as Array<[string, string | number]> };
		const base = metered("p signatureBase(request)", () => signatureBase(input, req));
		metered("p encodeAscii(base)", () => encodeAscii(base));
		metered("p serializeSignatureParams", () => serializeSignatureParams(input));
		metered("p hmac(base)", () => keystore.hmacSha256(encodeAscii(base)));
		const bytes = metered("p serializeRequest", () => serializeRequest(req));
		const parser = new HttpResponseParser();
		const parsed = metered("p parseResponse", () => parser.push(wire));
		if (!parsed?.ok) throw new Error("parse");
		metered("p decodeLatin1(wire)", () => decodeLatin1(wire));
		const res = parsed.response;
		const sig = metered("p readSignature", () => readSignature(res.headers, signatureLabel));
		metered("p fieldValue x2", () => { fieldValue(res.headers, "content-type"); fieldValue(res.headers, "content-digest"); });
		metered("p contentDigest(response)", () => contentDigest(res.body));
		metered("p signatureBase(response)", () => signatureBase(sig.input, res, req));
		metered("p parseResponseBody", () => parseResponseBody(res.body));
		metered("p verifyResponse", () => signer.verifyResponse(req, res));
		printMeter("p body bytes", body.length);
		printMeter("p response body bytes", res.body.length);
		printMeter("p request bytes", bytes.length);
	}
});

test.run();
