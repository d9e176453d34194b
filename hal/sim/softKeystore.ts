import type { Store } from "hal/store";
import { type Keystore, deviceIdKey, hmacKeyKey, isDeviceId, keyLength } from "hal/keystore";
import { HmacSha256 } from "modules/protocol/sha256";

/**
 * Keystore for the simulator and tests: device id and key read from the (simulated) store under the names
 * tools/provision writes (`device_id` string, `hmac_key` 32-byte blob, docs/protocol.md §1), HMAC in TypeScript.
 * The key bytes are copied into the HMAC key schedule and the copy read from the store is wiped at once.
 */
export default class SoftKeystore implements Keystore {
	readonly deviceId: string;
	#hmac: HmacSha256 | undefined;

	constructor(options: { store: Store }) {
		const store = options?.store;
		if (!store) throw new TypeError("store required");
		const id = store.get(deviceIdKey);
		if (!isDeviceId(id)) throw new RangeError("device not provisioned: invalid device_id");
		const blob = store.get(hmacKeyKey);
		if (!(blob instanceof ArrayBuffer) || blob.byteLength !== keyLength) throw new RangeError("device not provisioned: invalid hmac_key");
		const key = new Uint8Array(blob);
		this.deviceId = id;
		this.#hmac = new HmacSha256(key);
		key.fill(0);
	}

	hmacSha256(message: Uint8Array): Uint8Array {
		if (!this.#hmac) throw new Error("keystore closed");
		if (!(message instanceof Uint8Array)) throw new TypeError("message must be a Uint8Array");
		return this.#hmac.mac(message);
	}

	close(): void {
		this.#hmac?.close();
		this.#hmac = undefined;
	}
}
