import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Fix } from "drivers/gnss/fix";
import {
	capturePoint, encodeClose, encodeLocationBatch, encodeOpen, parseResponseBody, pointFields, pointMacInput,
} from "modules/protocol/messages";
import { messageSizes } from "modules/protocol/sizes";
import { decodeUtf8, encodeUtf8 } from "modules/protocol/bytes";
import * as ex from "./fixtures";

const messages = suite("modules/protocol/messages");

const exampleFix: Fix = { time: 1763783100_400, lat: 47.3769, lon: 8.5417, altitude: 408.2, accuracy: 4.6, satellites: 9, quality: "3d", source: "gnss" };

messages("captures the docs/protocol.md worked point: MAC input and MAC (node:crypto reference)", () => {
	const fields = pointFields(1, exampleFix);
	assert.is(pointMacInput(ex.exampleEventId, fields), ex.examplePointInput);
	const p = capturePoint(ex.exampleKeystore(), ex.exampleEventId, 1, exampleFix);
	assert.is(p.m, ex.examplePointMac);
	assert.is(decodeUtf8(encodeLocationBatch([p])), ex.exampleBody);
});

messages("encodes coordinates as 1e-7 degree integers, negatives and missing altitude canonically", () => {
	const f = pointFields(12, { ...exampleFix, lat: -33.8567844, lon: -151.2152967, altitude: undefined, accuracy: 1200.5, satellites: 0, quality: "cell", source: "cell" });
	assert.equal(f, { s: 12, t: 1763783100, la: -338567844, lo: -1512152967, a: 1201, n: 0, q: "cell" });
	assert.is(pointMacInput(ex.exampleEventId, f), `enigm-point-v1\n${ex.exampleEventId}\n12,1763783100,-338567844,-1512152967,1201,,0,cell`);
	const json = decodeUtf8(encodeLocationBatch([capturePoint(ex.exampleKeystore(), ex.exampleEventId, 12, { ...exampleFix, altitude: undefined })]));
	assert.not.match(json, "\"al\"");
});

messages("a point's MAC binds its event, sequence and every field", () => {
	const ks = ex.exampleKeystore();
	const base = capturePoint(ks, ex.exampleEventId, 1, exampleFix).m;
	const variants = [
		capturePoint(ks, "9d2e41f07ab35c6680e1d4f2a7c9b054", 1, exampleFix),
		capturePoint(ks, ex.exampleEventId, 2, exampleFix),
		capturePoint(ks, ex.exampleEventId, 1, { ...exampleFix, time: exampleFix.time + 1000 }),
		capturePoint(ks, ex.exampleEventId, 1, { ...exampleFix, lat: 47.3769001 }),
		capturePoint(ks, ex.exampleEventId, 1, { ...exampleFix, lon: 8.5417001 }),
		capturePoint(ks, ex.exampleEventId, 1, { ...exampleFix, accuracy: 6 }),
		capturePoint(ks, ex.exampleEventId, 1, { ...exampleFix, altitude: 409 }),
		capturePoint(ks, ex.exampleEventId, 1, { ...exampleFix, altitude: undefined }),
		capturePoint(ks, ex.exampleEventId, 1, { ...exampleFix, satellites: 8 }),
		capturePoint(ks, ex.exampleEventId, 1, { ...exampleFix, quality: "2d" }),
	];
	for (const v of variants) assert.is.not(v.m, base);
	assert.is(base.length, 22);
});

messages("refuses fixes and batches that cannot be encoded", () => {
	assert.throws(() => pointFields(0, exampleFix), RangeError);
	assert.throws(() => pointFields(1, { ...exampleFix, lat: 91 }), RangeError);
	assert.throws(() => pointFields(1, { ...exampleFix, lon: NaN }), RangeError);
	assert.throws(() => pointFields(1, { ...exampleFix, accuracy: Infinity }), RangeError);
	assert.throws(() => pointMacInput("not-an-id", pointFields(1, exampleFix)), RangeError);
	const p = capturePoint(ex.exampleKeystore(), ex.exampleEventId, 1, exampleFix);
	assert.throws(() => encodeLocationBatch([]), RangeError);
	assert.throws(() => encodeLocationBatch([p, p]), /increase/);
	assert.throws(() => encodeLocationBatch(new Array(33).fill(0).map((_, i) => ({ ...p, s: i + 1 }))), RangeError);
});

messages("encodes open with stages in order, fix, cell and battery", () => {
	const body = decodeUtf8(encodeOpen({
		event: ex.exampleEventId, reason: "button", resumed: true, stages: { attach: 14200, press: 0, wake: 850 },
		fix: exampleFix, cell: { mcc: 228, mnc: 1, tac: 1234, cellId: 26411010, rsrp: -95.4, accessTechnology: "lte-m" },
		battery: { millivolts: 3912, percent: 78 },
	}));
	assert.is(
		body,
		`{"event":"${ex.exampleEventId}","reason":"button","resumed":true,"stages":{"press":0,"wake":850,"attach":14200},` +
			`"fix":{"t":1763783100,"la":473769000,"lo":85417000,"a":5,"al":408,"n":9,"q":"3d"},` +
			`"cell":{"mcc":228,"mnc":1,"tac":1234,"ci":26411010,"rsrp":-95,"rat":"lte-m"},"bat":{"mv":3912,"pct":78}}`,
	);
	assert.is(decodeUtf8(encodeOpen({ event: ex.exampleEventId, reason: "test", resumed: false, stages: {} })), `{"event":"${ex.exampleEventId}","reason":"test","resumed":false,"stages":{}}`);
	assert.throws(() => encodeOpen({ event: "x", reason: "button", resumed: false, stages: {} }), RangeError);
});

messages("encodes close", () => {
	assert.is(decodeUtf8(encodeClose("cancel")), "{\"reason\":\"cancel\"}");
	assert.is(decodeUtf8(encodeClose("done", { percent: 3 })), "{\"reason\":\"done\",\"bat\":{\"pct\":3}}");
	assert.throws(() => encodeClose("bogus" as never), RangeError);
});

messages("parses response bodies and refuses invalid ones", () => {
	assert.equal(parseResponseBody(encodeUtf8(ex.exampleResponseBody)), { state: "open", event: ex.exampleEventId, interval: 30, time: 1763783106, ack: 1 });
	assert.equal(parseResponseBody(encodeUtf8("{\"state\":\"revoked\",\"time\":5}")), { state: "revoked", time: 5 });
	assert.equal(parseResponseBody(encodeUtf8("{\"state\":\"suspended\",\"time\":5}")), { state: "suspended", time: 5 });
	assert.equal(parseResponseBody(encodeUtf8("{\"state\":\"error\",\"error\":\"nonce\",\"nonce\":99,\"time\":5}")), { state: "error", error: "nonce", nonce: 99, time: 5 });
	for (const bad of ["", "[]", "null", "{}", "{\"state\":\"maybe\"}", "{\"state\":\"open\",\"interval\":-1}", "{\"state\":\"open\",\"interval\":1.5}", "{\"state\":\"open\",\"event\":\"E\"}", "{\"state\":\"open\""])
		assert.is(parseResponseBody(encodeUtf8(bad)), undefined, bad);
	assert.is(parseResponseBody(new Uint8Array([0x7b, 0xff, 0x7d])), undefined);
});

messages("reports payload sizes (docs/protocol.md §7)", () => {
	const sizes = messageSizes();
	const print = (globalThis as { print?: (s: string) => void }).print ?? (globalThis as { console?: { log(s: string): void } }).console?.log;
	print?.(`payload sizes (bytes): ${JSON.stringify(sizes)}`);
	assert.ok(sizes.locationBody1 > 100 && sizes.locationBody1 < 160);
	assert.ok(sizes.perPoint <= 120, "each point stays under 120 bytes");
	assert.ok(sizes.locationRequest1 < 700, "a one-point request stays under 700 bytes");
	assert.ok(sizes.openRequest < 1000);
	assert.ok(sizes.closeRequest < 600);
});

messages.run();
