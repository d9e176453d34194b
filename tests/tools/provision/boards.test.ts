import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { boards, nvsLayout, parsePartitionsCsv, partitionsCsvPath } from "../../../tools/provision/boards";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const layout = suite("provisioning layout against the boards' partitions.csv");

layout("every provisioning board exists under boards/ with a partitions.csv", () => {
	for (const name of Object.keys(boards)) assert.ok(existsSync(partitionsCsvPath(name, repo)), name);
});

layout("every board's nvs partition is at 0x9000, 0x6000 bytes: the image size and the flash address used", () => {
	for (const name of Object.keys(boards)) {
		const l = nvsLayout(name, repo);
		assert.equal(l.nvs, { offset: 0x9000, size: 0x6000 }, name);
		assert.is(l.source, partitionsCsvPath(name, repo));
	}
});

layout("the classic-ESP32 board has an encrypted nvs_keys partition (for --nvs-keys); the S3 board has none", () => {
	assert.equal(nvsLayout("lilygo_t_sim7000g", repo).nvsKeys, { offset: 0x3f0000, size: 0x1000, encrypted: true });
	assert.is(nvsLayout("lilygo_t_sim7080g_s3", repo).nvsKeys, undefined);
});

layout("partition CSV parsing: sizes with K/M, empty offsets placed like gen_esp32part.py", () => {
	const parts = parsePartitionsCsv("# c\nnvs, data, nvs, , 24K,\nphy_init, data, phy, , 4K,\nfactory, app, factory, , 1M,\nkeys, data, nvs_keys, , 0x1000, encrypted\n");
	assert.equal(parts.map((p) => [p.name, p.offset, p.size]), [
		["nvs", 0x9000, 0x6000], ["phy_init", 0xf000, 0x1000], ["factory", 0x10000, 0x100000], ["keys", 0x110000, 0x1000],
	]);
	assert.is(parts[3]!.flags, "encrypted");
	assert.throws(() => parsePartitionsCsv("nvs, data, nvs, 0x9000\n"), /at least 5 fields/);
	assert.throws(() => parsePartitionsCsv("nvs, data, nvs, 0x9000, lots\n"), /bad number/);
});

layout.run();
