import type { Store } from "hal/store";
import { type Keystore, deviceIdKey, isDeviceId } from "hal/keystore";

// XS global that binds a host function by its C name (the TypeScript-friendly form of `function f() @ "xs_f"`).
declare function native(name: string): (...args: unknown[]) => unknown;

const hmacNative = native("xs_enigm_efuse_hmac") as (keyBlock: number, message: Uint8Array) => ArrayBuffer;
const statusNative = native("xs_enigm_efuse_key_status") as (keyBlock: number) => number;

/** Bits of `xs_enigm_efuse_key_status` (efuseKeystore.c). */
const PurposeHmacUp = 1;
const ReadProtected = 2;

export interface EfuseKeystoreOptions {
	/** Where tools/provision put the device id (Preference domain `enigm`, key `device_id`). */
	readonly store: Store;
	/**
	 * eFuse key block 0..5 (BLOCK_KEY0..5) burned with purpose HMAC_UP by `espefuse.py burn_key`. Defaults to the
	 * store's `efuse_block` when that is an integer: it must be provisioned as i32, because Moddable's Preference
	 * reads any u8 entry back as a boolean (modPreference.c: nvs_get_u8 -> xsmcSetBoolean).
	 */
	readonly keyBlock?: number;
	/** Refuse a key block whose read protection is not set (production builds). */
	readonly requireReadProtection?: boolean;
	/** A key block the device key must not use (the NVS encryption key, sdkconfig CONFIG_NVS_SEC_HMAC_EFUSE_KEY_ID). */
	readonly reservedKeyBlock?: number;
}

/**
 * ESP32-S3 (and other chips with the HMAC peripheral): the device key lives in an eFuse key block with purpose
 * HMAC_UP and read protection, so no software, ours included, can read it; `esp_hmac_calculate` (ESP-IDF v6.0
 * `esp_security`, "HMAC" API reference) MACs with it. The device id is not secret and comes from NVS.
 */
export default class EfuseKeystore implements Keystore {
	readonly deviceId: string;
	readonly readProtected: boolean;
	#keyBlock: number | undefined;

	constructor(options: EfuseKeystoreOptions) {
		const { store, requireReadProtection = false } = options ?? ({} as EfuseKeystoreOptions);
		if (!store) throw new TypeError("store required");
		const keyBlock = options.keyBlock ?? store.get("efuse_block");
		if (typeof keyBlock !== "number" || !Number.isInteger(keyBlock) || keyBlock < 0 || keyBlock > 5) throw new RangeError("invalid keyBlock");
		if (keyBlock === options.reservedKeyBlock) throw new RangeError("keyBlock reserved for NVS encryption");
		const id = store.get(deviceIdKey);
		if (!isDeviceId(id)) throw new RangeError("device not provisioned: invalid device_id");
		const status = statusNative(keyBlock);
		if (!(status & PurposeHmacUp)) throw new RangeError("eFuse key block has no HMAC_UP key");
		this.readProtected = (status & ReadProtected) !== 0;
		if (requireReadProtection && !this.readProtected) throw new RangeError("eFuse key block is not read-protected");
		this.deviceId = id;
		this.#keyBlock = keyBlock;
	}

	hmacSha256(message: Uint8Array): Uint8Array {
		if (this.#keyBlock === undefined) throw new Error("keystore closed");
		if (!(message instanceof Uint8Array)) throw new TypeError("message must be a Uint8Array");
		return new Uint8Array(hmacNative(this.#keyBlock, message));
	}

	close(): void {
		this.#keyBlock = undefined;
	}
}
