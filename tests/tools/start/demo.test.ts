/**
 * Issue 12 part 7: the demo logins `npm start` prints work, each for its own view only.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import World from "../../../tools/sim/world";
import { ensureDevCa } from "../../../tools/platform/devCa";
import { webClient } from "../platform/helpers";
import { testTempDir } from "../tempDir";

const S = suite("npm start demo logins");

S("the printed holder and Command logins log in, each to its own view", async () => {
	const caDir = testTempDir("enigm-demo-ca-");
	const world = await World.create({ demoLogins: true, caDir });
	const ca = ensureDevCa(caDir).ca;
	try {
		assert.ok(world.demo);
		const port = world.platform.port;
		const holder = webClient(port, ca);
		assert.is((await holder.call("POST", "/api/login", world.demo.holder)).status, 200);
		const devices = (await holder.call("GET", "/api/devices")).json() as unknown as { device_id: string }[];
		assert.equal(devices.map((d) => d.device_id), [world.deviceId]);
		assert.is((await holder.call("GET", "/command/api/devices")).status, 403);
		const command = webClient(port, ca);
		assert.is((await command.call("POST", "/api/command/login", world.demo.command)).status, 200);
		assert.is((await command.call("GET", "/command/api/devices")).status, 200);
		assert.is((await command.call("GET", "/api/devices")).status, 403);
		// Production scrypt cost for the demo account.
		assert.match(world.platform.platform.store.accountByUsername("ada")!.password_hash!, /^scrypt\$32768\$8\$3\$/);
	} finally {
		await world.close();
	}
});

S.run();
