/**
 * The device identity and its signing key. The key never leaves the implementation: on the ESP32-S3 it sits in an
 * eFuse key block (purpose HMAC_UP, read-protected) and the HMAC peripheral computes the MAC; on the classic ESP32
 * it is an NVS blob (flash + NVS encryption in production) MAC'd natively with PSA Crypto; in the simulator it
 * comes from the simulated store. docs/protocol.md §1 fixes names and formats.
 *
 * Synchronous on purpose: `esp_hmac_calculate` and `psa_mac_compute` both return within microseconds, and a
 * synchronous MAC keeps signing a plain function call.
 */
export interface Keystore {
	/** 128 random bits as 32 lowercase hex characters: the RFC 9421 `keyid`; never IMEI, ICCID or a MAC address. */
	readonly deviceId: string;
	/** HMAC-SHA256 (RFC 2104) of `message` under the device key; 32 bytes. Throws if the key is unavailable. */
	hmacSha256(message: Uint8Array): Uint8Array;
	/** Releases native resources and wipes any key copy; later calls throw. */
	close(): void;
}

/** NVS names shared with tools/provision (docs/protocol.md §1). */
export const keystoreDomain = "enigm";
export const deviceIdKey = "device_id";
export const hmacKeyKey = "hmac_key";
export const keyLength = 32;

const deviceIdPattern = /^[0-9a-f]{32}$/;

export function isDeviceId(value: unknown): value is string {
	return typeof value === "string" && deviceIdPattern.test(value);
}
