/*
 * Enigm Key: device key from NVS, HMAC-SHA256 through PSA Crypto (classic ESP32).
 * ESP-IDF v6.0 ships Mbed TLS 4.0 / TF-PSA-Crypto 1.0: the legacy mbedtls_md_hmac_* calls are private there, so
 * the key is imported as a volatile PSA key (usage SIGN_MESSAGE, algorithm HMAC(SHA-256)) and used through
 * psa_mac_compute. On ESP32 the PSA SHA-256 driver uses the hardware SHA accelerator.
 * NVS names (docs/protocol.md section 1): namespace "enigm", "device_id" (string, 32 hex), "hmac_key" (blob, 32 bytes).
 */
#include "xsmc.h"
#include "xsHost.h"

#include <string.h>
#include "nvs_flash/include/nvs.h"  /* Moddable puts $(IDF_PATH)/components on the path (as modPreference.c does) */
#include "psa/crypto.h"

#define kKeyLength (32)
#define kDeviceIdLength (32)
#define kMaxMessage (4096)

static const mbedtls_svc_key_id_t kNoKey = MBEDTLS_SVC_KEY_ID_INIT;
static mbedtls_svc_key_id_t gKey = MBEDTLS_SVC_KEY_ID_INIT;
static uint8_t gOpen = 0;

static void secureZero(void *p, size_t n)
{
	volatile uint8_t *v = (volatile uint8_t *)p;
	while (n--) *v++ = 0;
}

/* (namespace: string) -> device id string; imports the key. Throws when not provisioned. */
void xs_enigm_nvs_keystore_open(xsMachine *the)
{
	char namespace[16];
	char deviceId[kDeviceIdLength + 1];
	uint8_t key[kKeyLength];
	size_t length;
	nvs_handle_t handle;
	esp_err_t err;
	psa_status_t status;
	psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;

	if (xsmcArgc != 1 || xsmcTypeOf(xsArg(0)) != xsStringType)
		xsTypeError("expected (namespace)");
	if (gOpen)
		xsUnknownError("keystore already open");
	xsmcToStringBuffer(xsArg(0), namespace, sizeof(namespace)); /* throws if longer than 15 */

	err = nvs_open(namespace, NVS_READONLY, &handle);
	if (err != ESP_OK)
		xsUnknownError("device not provisioned");

	length = sizeof(deviceId);
	err = nvs_get_str(handle, "device_id", deviceId, &length);
	if ((err != ESP_OK) || (length != kDeviceIdLength + 1)) {
		nvs_close(handle);
		xsUnknownError("device not provisioned: device_id");
	}

	length = sizeof(key);
	err = nvs_get_blob(handle, "hmac_key", key, &length);
	nvs_close(handle);
	if ((err != ESP_OK) || (length != kKeyLength)) {
		secureZero(key, sizeof(key));
		xsUnknownError("device not provisioned: hmac_key");
	}

	status = psa_crypto_init(); /* ESP-IDF already ran it at startup; a second call is a no-op */
	if (status == PSA_SUCCESS) {
		psa_set_key_type(&attributes, PSA_KEY_TYPE_HMAC);
		psa_set_key_bits(&attributes, kKeyLength * 8);
		psa_set_key_usage_flags(&attributes, PSA_KEY_USAGE_SIGN_MESSAGE);
		psa_set_key_algorithm(&attributes, PSA_ALG_HMAC(PSA_ALG_SHA_256));
		psa_set_key_lifetime(&attributes, PSA_KEY_LIFETIME_VOLATILE);
		status = psa_import_key(&attributes, key, kKeyLength, &gKey);
	}
	secureZero(key, sizeof(key));
	psa_reset_key_attributes(&attributes);
	if (status != PSA_SUCCESS)
		xsUnknownError("key import failed");

	gOpen = 1;
	deviceId[kDeviceIdLength] = 0;
	xsmcSetString(xsResult, deviceId);
}

/* (message: ArrayBuffer | TypedArray) -> ArrayBuffer(32) */
void xs_enigm_nvs_keystore_hmac(xsMachine *the)
{
	void *message;
	xsUnsignedValue length;
	uint8_t mac[32];
	size_t macLength = 0;
	psa_status_t status;

	if (!gOpen)
		xsUnknownError("keystore closed");
	if (xsmcArgc != 1 || xsmcTypeOf(xsArg(0)) != xsReferenceType)
		xsTypeError("expected (message)");
	xsmcGetBufferReadable(xsArg(0), &message, &length); /* throws if not a buffer */
	if (length > kMaxMessage)
		xsRangeError("message too long");

	/* No XS call between getting the pointer and using it: the buffer cannot move meanwhile. */
	status = psa_mac_compute(gKey, PSA_ALG_HMAC(PSA_ALG_SHA_256), (const uint8_t *)message, length, mac, sizeof(mac), &macLength);
	if ((status != PSA_SUCCESS) || (macLength != sizeof(mac))) {
		secureZero(mac, sizeof(mac));
		xsUnknownError("HMAC failed");
	}
	xsmcSetArrayBuffer(xsResult, mac, sizeof(mac));
	secureZero(mac, sizeof(mac));
}

/* () -> undefined; destroys the volatile key (PSA wipes its key slot). */
void xs_enigm_nvs_keystore_close(xsMachine *the)
{
	if (gOpen) {
		psa_destroy_key(gKey);
		gKey = kNoKey;
		gOpen = 0;
	}
}
