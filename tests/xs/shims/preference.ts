/**
 * Moddable `preference` as the ESP32 build implements it (modules/files/preference/esp32/modPreference.c over
 * ESP-IDF NVS), kept in memory. Same validation and the same error messages:
 * - domain (NVS namespace) and key are at most 15 characters (NVS_KEY_NAME_MAX_SIZE 16 with the NUL);
 * - booleans are stored as u8, integers as i32; a number that is not an i32 integer throws "float unsupported";
 * - strings at most 4000 bytes with the NUL (ESP-IDF NVS string limit), ArrayBuffers at most 4000 bytes (our
 *   reference/moddable.md); anything else (a Uint8Array, an object, null) throws "unsupported type";
 * - `get` of a missing domain or key returns undefined; ArrayBuffers come back as copies.
 */
import { preferences } from "./host";

type Value = boolean | number | string | ArrayBuffer;

const maxName = 15;
const maxValueBytes = 4000;

function utf8Length(text: string): number {
	let length = 0;
	for (const ch of text) {
		const c = ch.codePointAt(0)!;
		length += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
	}
	return length;
}

function copy(buffer: ArrayBuffer): ArrayBuffer {
	return buffer.slice(0);
}

export default class Preference {
	private constructor() {}

	static set(domain: string, key: string, value: Value): void {
		domain = String(domain);
		key = String(key);
		if (domain.length === 0 || domain.length > maxName) throw new Error("nvs_open fail");
		let stored: Value;
		switch (typeof value) {
			case "boolean":
				stored = value;
				break;
			case "number":
				if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new Error("float unsupported");
				stored = value | 0;
				break;
			case "string":
				if (utf8Length(value) + 1 > maxValueBytes) throw new Error("nvs set fail");
				stored = value;
				break;
			default:
				if (!(value instanceof ArrayBuffer)) throw new Error("unsupported type");
				if (value.byteLength > maxValueBytes) throw new Error("nvs set fail");
				stored = copy(value);
		}
		if (key.length === 0 || key.length > maxName) throw new Error("nvs set fail");
		let entries = preferences.get(domain);
		if (!entries) preferences.set(domain, (entries = new Map()));
		entries.set(key, stored);
	}

	static get(domain: string, key: string): Value | undefined {
		const entries = preferences.get(String(domain));
		if (!entries) return undefined;
		key = String(key);
		if (key.length === 0 || key.length > maxName) throw new Error("nvs get fail");
		const value = entries.get(key);
		return value instanceof ArrayBuffer ? copy(value) : value;
	}

	static delete(domain: string, key: string): void {
		const entries = preferences.get(String(domain));
		if (!entries) return;
		key = String(key);
		if (key.length === 0 || key.length > maxName) throw new Error("nvs erase fail");
		entries.delete(key);
	}

	static keys(domain: string): string[] {
		return [...(preferences.get(String(domain))?.keys() ?? [])];
	}
}
