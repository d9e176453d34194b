import { suite } from "uvu";
import * as assert from "uvu/assert";
import { connect } from "node:tls";
import { adminCall, devCa, harness, newDevice, send } from "./helpers";

const A = suite("platform admin API and HTTP edges");

A("admin errors are JSON with a code; unknown routes, devices, accounts and bad JSON", async () => {
	const h = await harness();
	try {
		const port = h.server.port;
		const cases: [string, string, unknown, number, string][] = [
			["GET", "/admin/nothing", undefined, 404, "not-found"],
			["GET", `/admin/devices/${"0".repeat(32)}`, undefined, 404, "unknown-device"],
			["POST", `/admin/devices/${"0".repeat(32)}/revoke`, {}, 404, "unknown-device"],
			["GET", `/admin/accounts/${"0".repeat(32)}`, undefined, 404, "unknown-account"],
			["POST", "/admin/accounts", { name: "" }, 400, "bad-name"],
			["POST", "/admin/accounts", { name: 7 }, 400, "bad-request"],
			["POST", `/admin/events/${"0".repeat(32)}/${"1".repeat(32)}/close`, {}, 404, "unknown-event"],
			["GET", "/nowhere", undefined, 404, "not-found"],
		];
		for (const [method, path, body, status, code] of cases) {
			const r = await adminCall(port, method, path, body);
			assert.is(r.status, status, `${method} ${path}`);
			assert.is(r.json().error, code, `${method} ${path}`);
		}
		const bad = await send(port, { method: "POST", path: "/admin/accounts", headers: { host: h.host, "content-type": "application/json" }, body: Buffer.from("{nope") });
		assert.is(bad.status, 400);
		assert.is(bad.json().error, "bad-json");
		const d = newDevice();
		h.importDevices(d);
		assert.is((await adminCall(port, "POST", `/admin/devices/${d.id}/window`, { window: 10 })).json().window, 10);
		assert.is((await adminCall(port, "POST", `/admin/devices/${d.id}/window`, { window: -1 })).status, 400);
		const status = (await adminCall(port, "GET", "/admin/status")).json();
		assert.equal(status, { time: 1763783100, schema: 1, devices: 1, openEvents: 0 });
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
		const ok = await adminCall(h.server.port, "GET", "/admin/status");
		assert.is(ok.status, 200);
		assert.not.ok(h.logs.some((l) => l.startsWith("internal error")), h.logs.join(" / "));
	} finally {
		await h.close();
	}
});

A.run();
