import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const hardware = ["lilygo_t_sim7080g_s3", "lilygo_t_sim7000g"] as const;

interface Partition { name: string; type: string; subtype: string; offset: number; size: number; flags: string }

/** ESP-IDF partition table CSV, explicit offsets only (our tables give every offset). */
function readPartitions(board: string): Partition[] {
	const text = readFileSync(join(root, "boards", board, "sdkconfig", "partitions.csv"), "utf8");
	return text.split(/\r?\n/).filter((l) => l.trim() && !l.trim().startsWith("#")).map((line) => {
		const [name, type, subtype, offset, size, flags = ""] = line.split(",").map((s) => s.trim());
		assert.ok(offset, `${board}: ${name} has an explicit offset`);
		return { name: name!, type: type!, subtype: subtype!, offset: Number(offset), size: Number(size), flags };
	});
}

const flashBytes: Record<string, number> = { lilygo_t_sim7080g_s3: 4 << 20, lilygo_t_sim7000g: 4 << 20, sim: 4 << 20 };

const partitions = suite("boards/*/sdkconfig/partitions.csv (ESP-IDF partition tables)");

for (const board of [...hardware, "sim"]) {
	partitions(`${board}: data partitions 4 KiB aligned, app partitions 64 KiB aligned, after the table at 0x8000`, () => {
		for (const p of readPartitions(board)) {
			assert.ok(Number.isInteger(p.offset) && Number.isInteger(p.size) && p.size > 0, `${p.name}: numbers`);
			assert.ok(p.offset >= 0x9000, `${p.name} starts after the partition table (0x8000..0x9000)`);
			assert.is(p.offset % (p.type === "app" ? 0x10000 : 0x1000), 0, `${p.name} alignment`);
			assert.is(p.size % 0x1000, 0, `${p.name} size is a multiple of 4 KiB`);
		}
	});

	partitions(`${board}: no overlaps, everything inside the flash`, () => {
		const parts = readPartitions(board).sort((a, b) => a.offset - b.offset);
		for (let i = 1; i < parts.length; i++)
			assert.ok(parts[i - 1]!.offset + parts[i - 1]!.size <= parts[i]!.offset, `${parts[i - 1]!.name} overlaps ${parts[i]!.name}`);
		const last = parts[parts.length - 1]!;
		assert.ok(last.offset + last.size <= flashBytes[board]!, "fits the flash");
		assert.equal(new Set(parts.map((p) => p.name)).size, parts.length, "unique names");
	});

	partitions(`${board}: nvs where Preference and provisioning expect it (0x9000, 0x6000), not flash-encrypted`, () => {
		const nvs = readPartitions(board).find((p) => p.name === "nvs");
		assert.ok(nvs, "nvs present");
		assert.is(nvs!.subtype, "nvs");
		assert.is(nvs!.offset, 0x9000);
		assert.is(nvs!.size, 0x6000);
		// ESP-IDF: NVS partitions must not carry the encrypted flag; NVS encryption uses nvs_keys.
		assert.not.match(nvs!.flags, /encrypted/);
		assert.ok(readPartitions(board).some((p) => p.type === "app"), "an app partition");
	});
}

partitions("classic ESP32 board keeps NVS encryption keys in an encrypted 4 KiB nvs_keys partition", () => {
	const keys = readPartitions("lilygo_t_sim7000g").find((p) => p.subtype === "nvs_keys");
	assert.ok(keys);
	assert.is(keys!.size, 0x1000);
	assert.match(keys!.flags, /\bencrypted\b/);
});

partitions("provisioning reads the same NVS layout from the board tables", async () => {
	const { nvsLayout } = await import("../../../tools/provision/boards");
	for (const board of hardware) assert.equal(nvsLayout(board).nvs, { offset: 0x9000, size: 0x6000 });
	assert.is(nvsLayout("lilygo_t_sim7000g").nvsKeys?.encrypted, true);
});

partitions.run();

function sdkconfig(board: string, file: string): Map<string, string> {
	const map = new Map<string, string>();
	for (const line of readFileSync(join(root, "boards", board, "sdkconfig", file), "utf8").split(/\r?\n/)) {
		const m = /^(CONFIG_[A-Z0-9_]+)=(.*)$/.exec(line.trim());
		if (m) map.set(m[1]!, m[2]!);
	}
	return map;
}

const manifests = suite("boards/*/manifest.json (Moddable external targets)");

for (const board of hardware) {
	manifests(`${board}: build keys, creation, sdkconfig files present`, () => {
		const m = JSON.parse(readFileSync(join(root, "boards", board, "manifest.json"), "utf8"));
		assert.ok(["esp32", "esp32s3"].includes(m.build.ESP32_SUBCLASS));
		assert.is(m.build.SDKCONFIGPATH, "./sdkconfig");
		assert.is(m.build.PARTITIONS_FILE_FOR_TARGET, "./sdkconfig/partitions.csv");
		for (const key of ["chunk", "heap", "stack"]) assert.ok(m.creation[key], `creation.${key}`);
		// Pins live in board.ts only (no C reads MODDEF_* pins), so the manifest carries no pin defines.
		assert.is(m.defines, undefined, "no defines: each pin in one place (board.ts)");
		for (const f of ["partitions.csv", "sdkconfig.defaults", "sdkconfig.defaults.release"])
			assert.ok(existsSync(join(root, "boards", board, "sdkconfig", f)), f);
		assert.ok(existsSync(join(root, "boards", board, "host", "provider.ts")), "host/provider.ts");
		// mcconfig lower-cases the -p argument: the directory name must be lower case to be found
		assert.is(board, board.toLowerCase());
	});

	manifests(`${board}: custom partition table selected and release builds encrypt flash`, () => {
		const debug = sdkconfig(board, "sdkconfig.defaults");
		const release = sdkconfig(board, "sdkconfig.defaults.release");
		assert.is(debug.get("CONFIG_PARTITION_TABLE_CUSTOM"), "y");
		assert.is(release.get("CONFIG_PARTITION_TABLE_CUSTOM"), "y");
		assert.is(release.get("CONFIG_SECURE_FLASH_ENC_ENABLED"), "y");
		assert.is(release.get("CONFIG_SECURE_FLASH_ENCRYPTION_MODE_RELEASE"), "y");
	});
}

manifests("the ESP32-S3 board builds with ESP-IDF power management and tickless idle (automatic light sleep, hal/esp32/power.c)", () => {
	for (const file of ["sdkconfig.defaults", "sdkconfig.defaults.release"]) {
		const c = sdkconfig("lilygo_t_sim7080g_s3", file);
		assert.is(c.get("CONFIG_PM_ENABLE"), "y", file);
		assert.is(c.get("CONFIG_FREERTOS_USE_TICKLESS_IDLE"), "y", file);
	}
});

manifests("the board whose key lives in NVS (classic ESP32) encrypts NVS in release builds", async () => {
	const { boards } = await import("../../../tools/provision/boards");
	for (const board of hardware) {
		const release = sdkconfig(board, "sdkconfig.defaults.release");
		if (boards[board]!.keyStore === "nvs") {
			assert.is(release.get("CONFIG_NVS_ENCRYPTION"), "y", board);
			assert.is(release.get("CONFIG_NVS_SEC_KEY_PROTECT_USING_FLASH_ENC"), "y", board);
		}
	}
	assert.is(boards.lilygo_t_sim7000g!.keyStore, "nvs");
});

manifests("the ESP32-S3 encrypts NVS in release with the HMAC scheme on BLOCK_KEY4, not the device key's block", async () => {
	const release = sdkconfig("lilygo_t_sim7080g_s3", "sdkconfig.defaults.release");
	assert.is(release.get("CONFIG_NVS_ENCRYPTION"), "y");
	assert.is(release.get("CONFIG_NVS_SEC_KEY_PROTECT_USING_HMAC"), "y");
	assert.is(release.get("CONFIG_NVS_SEC_HMAC_EFUSE_KEY_ID"), "4");
	const { DEFAULT_EFUSE_BLOCK } = await import("../../../tools/provision/batch");
	assert.is.not(DEFAULT_EFUSE_BLOCK, 4, "device key block differs from the NVS encryption key block");
	// hal/esp32 modules bind natives at load, so read the constant from the source.
	const source = readFileSync(join(root, "hal", "esp32", "efuseDeviceKeystore.ts"), "utf8");
	assert.is(/nvsEncryptionKeyBlock = (\d)/.exec(source)?.[1], "4", "the firmware refuses a device key on the NVS key block");
	assert.not.ok(readPartitions("lilygo_t_sim7080g_s3").some((p) => p.subtype === "nvs_keys"), "HMAC scheme: no nvs_keys partition");
});

manifests.run();

const rootManifest = suite("manifest.json covers every firmware TypeScript file");

function tsFiles(dir: string): string[] {
	const out: string[] = [];
	for (const name of readdirSync(join(root, dir))) {
		const path = join(dir, name);
		if (statSync(join(root, path)).isDirectory()) out.push(...tsFiles(path));
		else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(path);
	}
	return out;
}

rootManifest("every firmware folder of modules/, drivers/, hal/ has a manifest entry (mcconfig wildcards do not recurse)", () => {
	const m = JSON.parse(readFileSync(join(root, "manifest.json"), "utf8"));
	const sources = new Set<string>();
	const collect = (modules: Record<string, string | string[]>) => {
		for (const value of Object.values(modules ?? {})) for (const v of [value].flat()) sources.add(v);
	};
	collect(m.modules);
	for (const platform of Object.values(m.platforms as Record<string, { modules?: Record<string, string | string[]> }>)) collect(platform.modules ?? {});
	// Chip-specific modules are listed by the board manifests, relative to boards/<board>/.
	for (const board of hardware) {
		const bm = JSON.parse(readFileSync(join(root, "boards", board, "manifest.json"), "utf8"));
		for (const value of Object.values((bm.modules ?? {}) as Record<string, string | string[]>))
			for (const v of [value].flat()) sources.add("./" + relative(root, join(root, "boards", board, v)));
	}
	const covered = (file: string) => {
		const noExt = "./" + file.replace(/\.ts$/, "");
		const folderGlob = "./" + dirname(file) + "/*";
		return sources.has(noExt) || sources.has(folderGlob);
	};
	// hal/sim/ holds the test doubles: only what a target runs ships (the desktop simulator maps its softKeystore).
	const missing = ["modules", "drivers", "hal"].flatMap(tsFiles).map((f) => relative(root, join(root, f)))
		.filter((f) => !f.startsWith("hal/sim/") && !covered(f));
	assert.equal(missing, [], "add these folders to manifest.json modules");
});

rootManifest("module names equal paths without extension, so imports by path resolve in mcconfig builds", () => {
	const m = JSON.parse(readFileSync(join(root, "manifest.json"), "utf8"));
	for (const [name, value] of Object.entries(m.modules as Record<string, string | string[]>)) {
		if (!name.endsWith("/*")) continue;
		assert.is([value].flat()[0], "./" + name, name);
	}
	assert.is(m.platforms.esp32.modules["hal/target"], "./hal/esp32/target");
	assert.is(m.platforms.lin.modules["hal/target"], "./hal/simulator/target");
	assert.is(m.platforms.lin.modules["embedded:provider/builtin"], "./boards/sim/host/provider");
});

rootManifest.run();
