import { suite } from "uvu";
import * as assert from "uvu/assert";
import MemoryStore from "hal/sim/memoryStore";
import SoftKeystore from "hal/sim/softKeystore";
import { encodeAscii, fromHex, toHex } from "modules/protocol/bytes";
import * as ex from "./fixtures";

const keystore = suite("hal/sim/softKeystore");

keystore("MACs with the provisioned key (the worked example key, node:crypto reference value)", () => {
	const ks = ex.exampleKeystore();
	assert.is(ks.deviceId, ex.exampleDeviceId);
	// HMAC-SHA256(key 00..1f, "enigm-point-v1\n...") first 16 bytes = the worked point MAC (node:crypto reference)
	assert.is(toHex(ks.hmacSha256(encodeAscii(ex.examplePointInput))).slice(0, 32), "bc8756be36af0fd8a1936087fdcf5500");
});

keystore("refuses an unprovisioned or malformed identity", () => {
	const cases: Array<[string, (s: MemoryStore) => void]> = [
		["nothing", () => {}],
		["no key", (s) => s.set("device_id", ex.exampleDeviceId)],
		["short key", (s) => { s.set("device_id", ex.exampleDeviceId); s.set("hmac_key", new Uint8Array(16).buffer); }],
		["key as string", (s) => { s.set("device_id", ex.exampleDeviceId); s.set("hmac_key", ex.exampleKeyHex); }],
		["uppercase id", (s) => { s.set("device_id", ex.exampleDeviceId.toUpperCase()); s.set("hmac_key", fromHex(ex.exampleKeyHex).buffer as ArrayBuffer); }],
		["IMEI-like id", (s) => { s.set("device_id", "356938035643809"); s.set("hmac_key", fromHex(ex.exampleKeyHex).buffer as ArrayBuffer); }],
	];
	for (const [name, fill] of cases) {
		const store = new MemoryStore("enigm");
		fill(store);
		assert.throws(() => new SoftKeystore({ store }), RangeError, name);
	}
});

keystore("close() makes it refuse to MAC; the key is not reachable as a property", () => {
	const ks = ex.exampleKeystore();
	assert.equal(Object.keys(ks), ["deviceId"]);
	assert.not.match(JSON.stringify(ks), "000102");
	ks.close();
	assert.throws(() => ks.hmacSha256(new Uint8Array(1)), /closed/);
});

keystore.run();
