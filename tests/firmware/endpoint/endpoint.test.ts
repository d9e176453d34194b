import { suite } from "uvu";
import * as assert from "uvu/assert";
import MemoryStore from "hal/sim/memoryStore";
import { readEndpoint } from "modules/endpoint";

const Endpoint = suite("modules/endpoint: the provisioned platform endpoint");
const pem = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2FmZQ==\n-----END CERTIFICATE-----\n";

function store(entries: Record<string, string | number>) {
	const s = new MemoryStore("enigm");
	for (const [k, v] of Object.entries(entries)) s.set(k, v);
	return s;
}

Endpoint("host with a port, and the CA bytes as provisioned", () => {
	const r = readEndpoint(store({ platform_host: "platform.example:8443", platform_ca: pem }));
	assert.ok(r.ok && r.endpoint);
	if (!r.ok || !r.endpoint) return;
	assert.is(r.endpoint.host, "platform.example");
	assert.is(r.endpoint.port, 8443);
	assert.is(r.endpoint.caPem.length, pem.length);
	assert.is(String.fromCharCode(...r.endpoint.caPem.subarray(0, 27)), "-----BEGIN CERTIFICATE-----");
});

Endpoint("host without a port means 443", () => {
	const r = readEndpoint(store({ platform_host: "api.enigm.example", platform_ca: pem }));
	assert.is(r.ok && r.endpoint?.port, 443);
});

Endpoint("no endpoint provisioned is not an error", () => {
	assert.equal(readEndpoint(store({ device_id: "00" })), { ok: true });
});

Endpoint("half an endpoint, a bad host, a bad port or a bad PEM are refused with a reason", () => {
	const cases: Array<Record<string, string | number>> = [
		{ platform_host: "platform.example" },
		{ platform_ca: pem },
		{ platform_host: 443, platform_ca: pem },
		{ platform_host: "Platform.Example", platform_ca: pem },
		{ platform_host: "platform.example:0", platform_ca: pem },
		{ platform_host: "platform.example:70000", platform_ca: pem },
		{ platform_host: "platform.example", platform_ca: "not a certificate" },
	];
	for (const c of cases) {
		const r = readEndpoint(store(c));
		assert.not.ok(r.ok, JSON.stringify(c));
		assert.ok(!r.ok && r.reason.length > 0);
	}
});

Endpoint.run();
