/**
 * What provisioning needs to know about each board: the chip (for esptool/espefuse), where the device key lives,
 * and the NVS partitions from the board's partition table (boards/<board>/sdkconfig/partitions.csv).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export type KeyStore = "nvs" | "efuse";

export interface BoardInfo {
	/** esptool/espefuse `--chip` value; "sim" boards are never flashed. */
	readonly chip: "esp32" | "esp32s3" | "sim";
	/** "efuse": ESP32-S3 HMAC peripheral key block (HMAC_UP); "nvs": key as an NVS blob (classic ESP32, simulator). */
	readonly keyStore: KeyStore;
}

export const boards: Readonly<Record<string, BoardInfo>> = Object.freeze({
	lilygo_t_sim7080g_s3: Object.freeze({ chip: "esp32s3", keyStore: "efuse" }),
	lilygo_t_sim7000g: Object.freeze({ chip: "esp32", keyStore: "nvs" }),
	sim: Object.freeze({ chip: "sim", keyStore: "nvs" }),
});

export function isBoard(name: string): boolean {
	return Object.prototype.hasOwnProperty.call(boards, name);
}

/** Values stored in NVS `key_store` (i32). */
export const KeyStoreCode = Object.freeze({ nvs: 1, efuse: 2 });

export interface PartitionEntry {
	name: string;
	type: string;
	subtype: string;
	offset: number;
	size: number;
	flags: string;
}

export interface NvsLayout {
	nvs: { offset: number; size: number };
	nvsKeys?: { offset: number; size: number; encrypted: boolean };
	/** Where the layout came from: a partitions.csv path, or "default". */
	source: string;
}

/** Moddable's default ESP32 table: `nvs` at 0x9000, 0x6000 bytes (moddable.md). */
export const defaultNvsLayout: NvsLayout = Object.freeze({ nvs: Object.freeze({ offset: 0x9000, size: 0x6000 }), source: "default" });

function parseSize(text: string, line: number): number {
	const m = /^(0x[0-9a-f]+|\d+)([km]?)$/i.exec(text.trim());
	if (!m) throw new RangeError(`partitions.csv line ${line}: bad number "${text}"`);
	const n = Number(m[1]);
	const unit = m[2]!.toLowerCase();
	return unit === "k" ? n * 1024 : unit === "m" ? n * 1024 * 1024 : n;
}

/**
 * Parses an ESP-IDF partition table CSV (Name, Type, SubType, Offset, Size, Flags). Empty offsets are placed as
 * gen_esp32part.py does: after the table at 0x9000, data partitions 4 KB aligned, app partitions 64 KB aligned.
 */
export function parsePartitionsCsv(text: string): PartitionEntry[] {
	const out: PartitionEntry[] = [];
	let next = 0x9000;
	text.split(/\r?\n/).forEach((raw, i) => {
		const line = raw.trim();
		if (line === "" || line.startsWith("#")) return;
		const f = line.split(",").map((s) => s.trim());
		if (f.length < 5) throw new RangeError(`partitions.csv line ${i + 1}: expected at least 5 fields`);
		const [name, type, subtype, offsetText, sizeText] = f as [string, string, string, string, string];
		const align = type === "app" || type === "0" ? 0x10000 : 0x1000;
		const offset = offsetText === "" ? Math.ceil(next / align) * align : parseSize(offsetText, i + 1);
		const size = parseSize(sizeText, i + 1);
		out.push({ name, type, subtype, offset, size, flags: f[5] ?? "" });
		next = offset + size;
	});
	return out;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export function partitionsCsvPath(board: string, root = repoRoot): string {
	return join(root, "boards", board, "sdkconfig", "partitions.csv");
}

/** The NVS layout of a board from its partitions.csv, or Moddable's default when the board has none. */
export function nvsLayout(board: string, root = repoRoot): NvsLayout {
	const file = partitionsCsvPath(board, root);
	if (!existsSync(file)) return defaultNvsLayout;
	const parts = parsePartitionsCsv(readFileSync(file, "utf8"));
	const nvs = parts.find((p) => p.name === "nvs" && p.subtype === "nvs");
	if (!nvs) throw new RangeError(`${file}: no "nvs" partition`);
	const keys = parts.find((p) => p.subtype === "nvs_keys");
	const layout: NvsLayout = { nvs: { offset: nvs.offset, size: nvs.size }, source: file };
	if (keys) layout.nvsKeys = { offset: keys.offset, size: keys.size, encrypted: /\bencrypted\b/.test(keys.flags) };
	return layout;
}
