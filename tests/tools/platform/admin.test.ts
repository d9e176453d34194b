import { suite } from "uvu";
import * as assert from "uvu/assert";
import { connect } from "node:tls";
import { adminCall, commandOperator, devCa, harness, newDevice } from "./helpers";

const A = suite("platform admin API and HTTP edges");

A("admin errors are JSON with a code; unknown routes, devices, accounts and bad JSON", async () => {
	const h = await harness();
	try {
		const port = h.server.port;
		const cases: [string, string, unknown, number, string][] = [
			["GET", "/command/api/nothing", undefined, 404, "not-found"],
			["POST", `/command/api/devices/${"0".repeat(32)}/revoke`, {}, 404, "unknown-device"],
			["POST", `/command/api/devices/${"0".repeat(32)}/window`, { window: 1 }, 404, "unknown-device"],
			["GET", "/command/api/audit?limit=abc", undefined, 400, "bad-query"],
			["GET", "/command/api/audit?limit=-1", undefined, 400, "bad-query"],
			["GET", "/command/api/audit?limit=0", undefined, 400, "bad-query"],
			["GET", "/command/api/audit?limit=501", undefined, 400, "bad-query"],
			["GET", "/command/api/audit?limit=1&limit=2", undefined, 400, "bad-query"],
			["GET", "/command/api/security?sort=x", undefined, 400, "bad-query"],
			["POST", `/command/api/devices/${"0".repeat(32)}/replace`, { replacement: 7 }, 400, "bad-request"],
			["GET", "/nowhere", undefined, 404, "not-found"],
			["DELETE", "/command/api/devices", undefined, 405, "method"],
		];
		for (const [method, path, body, status, code] of cases) {
			const r = await adminCall(h, method, path, body);
			assert.is(r.status, status, `${method} ${path}`);
			assert.is(r.json().error, code, `${method} ${path}`);
		}
		const ops = await commandOperator(h);
		const bad = await ops.call("POST", "/command/api/import", "{nope");
		assert.is(bad.status, 400);
		assert.is(bad.json().error, "bad-json");
		assert.is((await ops.call("POST", "/command/api/import", "x", { headers: { "content-type": "application/x-www-form-urlencoded" } })).status, 415);
		const d = newDevice();
		h.importDevices(d);
		assert.is((await adminCall(h, "POST", `/command/api/devices/${d.id}/window`, { window: 10 })).json().window, 10);
		assert.is((await adminCall(h, "POST", `/command/api/devices/${d.id}/window`, { window: -1 })).status, 400);
		const status = (await adminCall(h, "GET", "/command/api/status")).json();
		assert.equal(status, { time: 1763783100, schema: 2, devices: 1 });
		void port;
	} finally {
		await h.close();
	}
});

A("a client that disconnects mid-body leaves the server serving", async () => {
	const h = await harness();
	try {
		await new Promise<void>((resolve, reject) => {
			const s = connect({ host: "127.0.0.1", servername: "localhost", port: h.server.port, ca: devCa().ca }, () => {
				s.write(`POST /v1/events HTTP/1.1\r\nHost: ${h.host}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"event":`);
				setImmediate(() => {
					s.destroy();
					resolve();
				});
			});
			s.on("error", reject);
		});
		const ok = await adminCall(h, "GET", "/command/api/status");
		assert.is(ok.status, 200);
		assert.not.ok(h.logs.some((l) => l.startsWith("internal error")), h.logs.join(" / "));
	} finally {
		await h.close();
	}
});

A.run();
