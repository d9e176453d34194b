import { type Keystore, isDeviceId, keystoreDomain } from "hal/keystore";

// XS global that binds a host function by its C name (the TypeScript-friendly form of `function f() @ "xs_f"`).
declare function native(name: string): (...args: unknown[]) => unknown;

const openNative = native("xs_enigm_nvs_keystore_open") as (namespace: string) => string;
const hmacNative = native("xs_enigm_nvs_keystore_hmac") as (message: Uint8Array) => ArrayBuffer;
const closeNative = native("xs_enigm_nvs_keystore_close") as () => void;

let opened = false;

/**
 * Classic ESP32 (no HMAC peripheral): the key is the NVS blob `enigm/hmac_key` (protected by flash encryption and
 * NVS encryption in production). nvsKeystore.c reads it natively, imports it into PSA Crypto as a volatile
 * HMAC-SHA256 key, wipes its copy, and MACs with `psa_mac_compute` (Mbed TLS 4 / TF-PSA-Crypto in ESP-IDF v6.0,
 * where `mbedtls_md_hmac_*` are private). The key never reaches JavaScript. One instance at a time.
 */
export default class NvsKeystore implements Keystore {
	readonly deviceId: string;
	#open = false;

	constructor(options: { namespace?: string } = {}) {
		const namespace = options?.namespace ?? keystoreDomain;
		if (typeof namespace !== "string" || namespace.length < 1 || namespace.length > 15) throw new RangeError("invalid namespace");
		if (opened) throw new Error("keystore already open");
		const id = openNative(namespace); // throws if not provisioned
		if (!isDeviceId(id)) {
			closeNative();
			throw new RangeError("device not provisioned: invalid device_id");
		}
		opened = true;
		this.#open = true;
		this.deviceId = id;
	}

	hmacSha256(message: Uint8Array): Uint8Array {
		if (!this.#open) throw new Error("keystore closed");
		if (!(message instanceof Uint8Array)) throw new TypeError("message must be a Uint8Array");
		return new Uint8Array(hmacNative(message));
	}

	close(): void {
		if (!this.#open) return;
		closeNative();
		this.#open = false;
		opened = false;
	}
}
