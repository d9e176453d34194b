import type { Keystore } from "hal/keystore";
import type { Store } from "hal/store";
import EfuseKeystore from "hal/esp32/efuseKeystore";

/**
 * `hal/deviceKeystore` on ESP32-S3 boards: the key sits in an eFuse key block with purpose HMAC_UP, burned by
 * `espefuse.py burn_key` at the factory (read-protected by espefuse for HMAC purposes); the block number is the
 * provisioned i32 `efuse_block` (never 4: that block holds the NVS encryption key). A key block that is not read-protected is refused: software must never see the key.
 */
export function openDeviceKeystore(store: Store): Keystore {
	return new EfuseKeystore({ store, requireReadProtection: true, reservedKeyBlock: nvsEncryptionKeyBlock });
}

/**
 * eFuse key id of the NVS encryption HMAC key: CONFIG_NVS_SEC_HMAC_EFUSE_KEY_ID in
 * boards/lilygo_t_sim7080g_s3/sdkconfig/sdkconfig.defaults.release (BLOCK_KEY4); the device key must be elsewhere.
 */
export const nvsEncryptionKeyBlock = 4;
