/**
 * Cross-checks modules/protocol against node:crypto and against an independent, minimal RFC 9421 hmac-sha256
 * implementation written here from the RFC and docs/protocol.md (it shares no code with the firmware).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import { HmacSha256, hmacSha256, sha256 } from "modules/protocol/sha256";
import RequestSigner, { verifyResponse } from "modules/protocol/requestSigner";
import { serializeRequest } from "modules/protocol/http";
import HttpResponseParser from "modules/protocol/httpResponseParser";
import { readSignature, signatureBase } from "modules/protocol/signature";
import { encodeAscii, equalBytes, fromBase64 } from "modules/protocol/bytes";
import type { Keystore } from "hal/keystore";
import type { HttpRequest } from "modules/protocol/message";

const crypto = suite("modules/protocol vs node:crypto");

crypto("SHA-256 matches node:crypto on 2000 random inputs", () => {
	for (let i = 0; i < 2000; i++) {
		const data = randomBytes(randomInt(0, 300));
		assert.is(Buffer.from(sha256(data)).toString("hex"), createHash("sha256").update(data).digest("hex"), `length ${data.length}`);
	}
});

crypto("HMAC-SHA256 matches node:crypto on 2000 random keys and messages", () => {
	for (let i = 0; i < 2000; i++) {
		const key = randomBytes(randomInt(0, 150));
		const msg = randomBytes(randomInt(0, 300));
		const expected = createHmac("sha256", key).update(msg).digest("hex");
		assert.is(Buffer.from(hmacSha256(key, msg)).toString("hex"), expected);
		const keyed = new HmacSha256(key);
		assert.is(Buffer.from(keyed.mac(msg)).toString("hex"), expected);
		keyed.close();
	}
});

// ---- independent implementation (node:crypto, regexes, string building) ----

interface RawRequest { method: string; path: string; headers: Map<string, string>; body: Buffer }

function parseRawRequest(bytes: Uint8Array): RawRequest {
	const buf = Buffer.from(bytes);
	const end = buf.indexOf("\r\n\r\n");
	const [line, ...fields] = buf.subarray(0, end).toString("latin1").split("\r\n");
	const [method, path] = line.split(" ");
	const headers = new Map<string, string>();
	for (const f of fields) {
		const i = f.indexOf(":");
		headers.set(f.slice(0, i).toLowerCase(), f.slice(i + 1).trim());
	}
	return { method, path, headers, body: buf.subarray(end + 4) };
}

function independentVerifyRequest(raw: RawRequest, keys: Map<string, Buffer>): { ok: boolean; nonce?: number; reason?: string } {
	const input = /^enigm=\(("@method" "@authority" "@path" "content-type" "content-digest")\)((?:;created=\d+)?;keyid="([0-9a-f]{32})";nonce="([1-9]\d*)";alg="hmac-sha256";tag="enigm-key-v1")$/.exec(raw.headers.get("signature-input") ?? "");
	if (!input) return { ok: false, reason: "signature-input" };
	const key = keys.get(input[3]);
	if (!key) return { ok: false, reason: "unknown-key" };
	const digest = `sha-256=:${createHash("sha256").update(raw.body).digest("base64")}:`;
	if (raw.headers.get("content-digest") !== digest) return { ok: false, reason: "digest" };
	const base = [
		`"@method": ${raw.method}`,
		`"@authority": ${raw.headers.get("host")}`,
		`"@path": ${raw.path}`,
		`"content-type": ${raw.headers.get("content-type")}`,
		`"content-digest": ${raw.headers.get("content-digest")}`,
		`"@signature-params": (${input[1]})${input[2]}`,
	].join("\n");
	const sig = /^enigm=:([A-Za-z0-9+/=]+):$/.exec(raw.headers.get("signature") ?? "");
	if (!sig) return { ok: false, reason: "signature" };
	const mac = createHmac("sha256", key).update(base, "ascii").digest();
	const got = Buffer.from(sig[1], "base64");
	if (got.length !== mac.length || !timingSafeEqual(got, mac)) return { ok: false, reason: "mac" };
	return { ok: true, nonce: Number(input[4]) };
}

function independentSignResponse(raw: RawRequest, key: Buffer, deviceId: string, status: number, body: string, created: number): Buffer {
	const digest = `sha-256=:${createHash("sha256").update(body).digest("base64")}:`;
	const reqSig = /^enigm=(:[A-Za-z0-9+/=]+:)$/.exec(raw.headers.get("signature")!)![1];
	const params = `("@status" "content-type" "content-digest" "@method";req "@path";req "signature";req;key="enigm");created=${created};keyid="${deviceId}";alg="hmac-sha256";tag="enigm-platform-v1"`;
	const base = [
		`"@status": ${status}`,
		`"content-type": application/json`,
		`"content-digest": ${digest}`,
		`"@method";req: ${raw.method}`,
		`"@path";req: ${raw.path}`,
		`"signature";req;key="enigm": ${reqSig}`,
		`"@signature-params": ${params}`,
	].join("\n");
	const mac = createHmac("sha256", key).update(base, "ascii").digest("base64");
	return Buffer.from(
		`HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Digest: ${digest}\r\n` +
			`Signature-Input: enigm=${params}\r\nSignature: enigm=:${mac}:\r\n\r\n${body}`,
		"latin1",
	);
}

function independentSignRequest(key: Buffer, deviceId: string, host: string, path: string, body: string, nonce: number, created?: number): Buffer {
	const digest = `sha-256=:${createHash("sha256").update(body).digest("base64")}:`;
	const params = `("@method" "@authority" "@path" "content-type" "content-digest")${created !== undefined ? `;created=${created}` : ""};keyid="${deviceId}";nonce="${nonce}";alg="hmac-sha256";tag="enigm-key-v1"`;
	const base = `"@method": POST\n"@authority": ${host}\n"@path": ${path}\n"content-type": application/json\n"content-digest": ${digest}\n"@signature-params": ${params}`;
	const mac = createHmac("sha256", key).update(base, "ascii").digest("base64");
	return Buffer.from(
		`POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
			`Content-Digest: ${digest}\r\nSignature-Input: enigm=${params}\r\nSignature: enigm=:${mac}:\r\n\r\n${body}`,
		"latin1",
	);
}

function keystoreFor(key: Buffer, deviceId: string): Keystore {
	const h = new HmacSha256(key);
	return { deviceId, hmacSha256: (m) => h.mac(m), close: () => h.close() };
}

const interop = suite("modules/protocol vs an independent RFC 9421 implementation");

interop("the independent verifier accepts 300 random firmware-signed requests and the firmware accepts its signed responses", () => {
	for (let i = 0; i < 300; i++) {
		const key = randomBytes(32);
		const deviceId = randomBytes(16).toString("hex");
		let nonce = randomInt(1, 2 ** 31 - 100);
		const created = i % 2 ? undefined : 1_700_000_000_000 + randomInt(0, 1e9);
		const host = i % 3 ? "platform.example" : "localhost:8443";
		const signer = new RequestSigner({ keystore: keystoreFor(key, deviceId), counter: { next: () => nonce++ }, host, wallTime: () => created });
		const path = `/v1/events/${randomBytes(16).toString("hex")}/locations`;
		const body = JSON.stringify({ points: [{ s: i, note: randomBytes(randomInt(0, 40)).toString("base64") }] });
		const signed = signer.sign(path, Buffer.from(body));
		assert.ok(signed.ok);
		if (!signed.ok) continue;
		const raw = parseRawRequest(serializeRequest(signed.request));
		const v = independentVerifyRequest(raw, new Map([[deviceId, key]]));
		assert.ok(v.ok, v.reason);
		assert.is(v.nonce, signed.request.nonce);
		assert.is(independentVerifyRequest(raw, new Map([[deviceId, randomBytes(32)]])).reason, "mac", "wrong key refused");
		assert.is(independentVerifyRequest({ ...raw, path: raw.path + "x" }, new Map([[deviceId, key]])).reason, "mac", "tampered path refused");

		const responseBody = JSON.stringify({ state: i % 5 ? "open" : "closed", time: 1_763_783_106, interval: 30 });
		const responseBytes = independentSignResponse(raw, key, deviceId, 200, responseBody, 1_763_783_106);
		const parsed = new HttpResponseParser().push(responseBytes);
		assert.ok(parsed?.ok);
		if (!parsed?.ok) continue;
		const checked = signer.verifyResponse(signed.request, parsed.response);
		assert.ok(checked.ok, JSON.stringify(checked));
		const wrong = verifyResponse(keystoreFor(randomBytes(32), deviceId), signed.request, parsed.response);
		assert.not.ok(wrong.ok, "another key refused");
	}
});

interop("the firmware's RFC 9421 code verifies 300 random requests signed by the independent implementation", () => {
	for (let i = 0; i < 300; i++) {
		const key = randomBytes(32);
		const deviceId = randomBytes(16).toString("hex");
		const path = `/v1/events/${randomBytes(16).toString("hex")}/close`;
		const body = JSON.stringify({ reason: "cancel", pad: randomBytes(randomInt(0, 30)).toString("hex") });
		const bytes = independentSignRequest(key, deviceId, "platform.example", path, body, randomInt(1, 2 ** 31 - 1), i % 2 ? 1_763_783_105 : undefined);
		const raw = parseRawRequest(bytes);
		const request: HttpRequest = { method: raw.method, authority: raw.headers.get("host")!, path: raw.path, headers: [...raw.headers.entries()], body: raw.body };
		const { input, signature } = readSignature(request.headers, "enigm");
		const mac = hmacSha256(key, encodeAscii(signatureBase(input, request)));
		assert.ok(equalBytes(mac, signature));
		assert.is(raw.headers.get("content-digest"), `sha-256=:${Buffer.from(sha256(raw.body)).toString("base64")}:`);
		const other = hmacSha256(randomBytes(32), encodeAscii(signatureBase(input, request)));
		assert.not.ok(equalBytes(other, signature));
		assert.ok(equalBytes(fromBase64(Buffer.from(signature).toString("base64")), signature));
	}
});

crypto.run();
interop.run();
