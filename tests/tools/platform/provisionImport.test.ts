/**
 * The factory flow end to end: tools/provision's CLI generates a batch (NVS images + platform-import.jsonl), the
 * platform imports the records, and a device using the identity read back from its own NVS image (as the firmware
 * would) is accepted; a device of the batch not imported is unknown.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseNvsImage } from "../../../tools/provision/nvs";
import { checkResponse, harness, send, signRequest, tempDir, type Device } from "./helpers";
import { readKeyFile } from "../../../tools/platform/keys";

const PROVISION = join(process.cwd(), "tools", "provision", "cli.ts");
const EVENT = "9d2e41f07ab35c6680e1d4f2a7c9b053";

function provision(args: string[]): string {
	return execFileSync(process.execPath, ["--import", "tsx", PROVISION, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** The identity as the device reads it: NVS namespace `enigm`, `device_id` string, `hmac_key` blob (protocol §1). */
function deviceFromImage(file: string, serial: string): Device {
	const parsed = parseNvsImage(new Uint8Array(readFileSync(file)));
	const get = (k: string) => parsed.entries.find((e) => e.namespace === "enigm" && e.key === k)?.value;
	const id = get("device_id");
	const key = get("hmac_key");
	assert.type(id, "string");
	assert.instance(key, Uint8Array);
	return { id: id as string, key: Buffer.from(key as Uint8Array), serial, board: "sim" };
}

const F = suite("platform ⇐ tools/provision");

F("a provisioned batch imports, and its devices sign requests the platform accepts", async () => {
	const dir = tempDir();
	const keyFile = join(dir, "platform.key");
	provision(["platform-key", "--out", keyFile]);
	const out = join(dir, "batch");
	provision(["generate", "--board", "sim", "--out", out, "--count", "3", "--prefix", "ENK-T", "--platform-key", keyFile]);
	const records = readFileSync(join(out, "platform-import.jsonl"), "utf8").trim().split("\n");
	assert.is(records.length, 3);
	const serials = records.map((l) => (JSON.parse(l) as { serial: string }).serial);

	const h = await harness({ importKey: readKeyFile(keyFile) });
	try {
		const summary = h.server.platform.importRecords(records.slice(0, 2).join("\n"));
		assert.equal(summary, { imported: 2, unchanged: 0, failed: [] });
		assert.equal(h.server.platform.importRecords(records.join("\n")), { imported: 1, unchanged: 2, failed: [] });

		const d = deviceFromImage(join(out, "devices", serials[0]!, "nvs.bin"), serials[0]!);
		assert.is(h.server.platform.store.device(d.id)!.serial, serials[0]);
		const req = signRequest({ device: d, nonce: 1, path: "/v1/events", body: JSON.stringify({ event: EVENT, reason: "button" }), host: h.host });
		const reply = await send(h.server.port, req);
		assert.is(reply.status, 200);
		assert.is(checkResponse(reply, req, d), "ok");
	} finally {
		await h.close();
	}
});

F.run();
