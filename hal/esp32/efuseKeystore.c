/*
 * Enigm Key: HMAC-SHA256 with the eFuse key (ESP32-S3 HMAC peripheral, upstream mode).
 * ESP-IDF v6.0: esp_hmac.h is in components/esp_security/include (it pulls in esp_hal_security); the manifest adds
 * both include paths. Classic ESP32 has no HMAC peripheral: this file is only listed for esp32s3-class targets.
 * The key never leaves the peripheral; nothing here sees it.
 */
#include "xsmc.h"
#include "xsHost.h"

#include <string.h>
#include "esp_err.h"
#include "esp_efuse.h"
#include "esp_hmac.h"

#define kMaxMessage (4096)

static void secureZero(void *p, size_t n)
{
	volatile uint8_t *v = (volatile uint8_t *)p;
	while (n--) *v++ = 0;
}

static hmac_key_id_t keyBlockArg(xsMachine *the, int index)
{
	int block;
	if (xsmcTypeOf(xsArg(index)) != xsIntegerType && xsmcTypeOf(xsArg(index)) != xsNumberType)
		xsTypeError("keyBlock must be a number");
	block = xsmcToInteger(xsArg(index));
	if ((block < 0) || (block >= (int)HMAC_KEY_MAX))
		xsRangeError("invalid keyBlock");
	return (hmac_key_id_t)block;
}

/* (keyBlock, message: ArrayBuffer | TypedArray) -> ArrayBuffer(32) */
void xs_enigm_efuse_hmac(xsMachine *the)
{
	hmac_key_id_t key;
	void *message;
	xsUnsignedValue length;
	uint8_t mac[32];
	esp_err_t err;

	if (xsmcArgc != 2)
		xsTypeError("expected (keyBlock, message)");
	key = keyBlockArg(the, 0);
	if (xsmcTypeOf(xsArg(1)) != xsReferenceType)
		xsTypeError("message must be a buffer");
	xsmcGetBufferReadable(xsArg(1), &message, &length); /* throws if not a buffer */
	if (length > kMaxMessage)
		xsRangeError("message too long");

	/* No XS call between getting the pointer and using it: the buffer cannot move meanwhile. */
	err = esp_hmac_calculate(key, message, length, mac);
	if (err != ESP_OK) {
		secureZero(mac, sizeof(mac));
		xsUnknownError("HMAC failed");
	}
	xsmcSetArrayBuffer(xsResult, mac, sizeof(mac));
	secureZero(mac, sizeof(mac));
}

/* (keyBlock) -> bit 0: purpose is HMAC_UP, bit 1: read-protected */
void xs_enigm_efuse_key_status(xsMachine *the)
{
	hmac_key_id_t key;
	esp_efuse_block_t block;
	int status = 0;

	if (xsmcArgc != 1)
		xsTypeError("expected (keyBlock)");
	key = keyBlockArg(the, 0);
	block = (esp_efuse_block_t)(EFUSE_BLK_KEY0 + (int)key);
	if (esp_efuse_get_key_purpose(block) == ESP_EFUSE_KEY_PURPOSE_HMAC_UP)
		status |= 1;
	if (esp_efuse_get_key_dis_read(block))
		status |= 2;
	xsmcSetInteger(xsResult, status);
}
