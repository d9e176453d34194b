import Preference from "preference";
import { checkStoreDomain, checkStoreEntry, type Store, type StoredValue } from "hal/store";

/**
 * Store over Moddable's `Preference`: on ESP32 one NVS namespace (`domain`) on the default `nvs` partition, on the
 * desktop simulator a JSON file under `config.file.root`. Preference maps boolean->u8, integer->i32,
 * string->str, ArrayBuffer->blob and throws on floats (modules/files/preference/esp32/modPreference.c); the same
 * rules are checked here first so the simulator refuses what the device refuses.
 */
export default class PreferenceStore implements Store {
	readonly domain: string;

	constructor(domain: string) {
		checkStoreDomain(domain);
		this.domain = domain;
	}

	get(key: string): StoredValue | undefined {
		checkStoreEntry(key);
		return Preference.get(this.domain, key);
	}

	set(key: string, value: StoredValue): void {
		checkStoreEntry(key, value);
		Preference.set(this.domain, key, value);
	}

	delete(key: string): void {
		checkStoreEntry(key);
		Preference.delete(this.domain, key);
	}

	keys(): string[] {
		return Preference.keys(this.domain);
	}
}
