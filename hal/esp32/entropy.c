/*
 * True random bytes for event identifiers and every nonce (docs/protocol.md). ESP-IDF v6.0 esp_random.h: "If Wi-Fi
 * or Bluetooth are enabled, this function returns true random numbers. In other situations, if true random numbers
 * are required then consult the ESP-IDF Programming Guide 'Random Number Generation'"; that guide and
 * bootloader_random.h (components/bootloader_support/include): bootloader_random_enable() "Enable[s] an entropy
 * source for RNG if RF subsystem is disabled ... Can also be called from app code, if true random numbers are
 * required without initialized RF subsystem". This firmware never starts Wi-Fi or Bluetooth (the LTE modem is a
 * separate chip), so each fill is bracketed by bootloader_random_enable()/bootloader_random_disable().
 * The same header warns that it is "not safe to use if any other subsystem is accessing the RF subsystem or the ADC
 * at the same time": the firmware uses neither (battery through the AXP2101 over I2C, no analog input), and the
 * fill runs to completion on the XS thread, so nothing else starts either meanwhile.
 */
#include "xsmc.h"
#include "xsHost.h"

#include "esp_random.h"
#include "bootloader_random.h"	/* $(IDF_PATH)/components/bootloader_support/include: on Moddable's INC_DIRS (tools/mcconfig/make.esp32.mk) */

/* fill(bytes: Uint8Array | ArrayBuffer): fills in place with true random bytes */
void xs_enigm_entropy_fill(xsMachine *the)
{
	void *data;
	xsUnsignedValue length;

	if (xsmcArgc < 1)
		xsRangeError("missing buffer");
	xsmcGetBufferWritable(xsArg(0), &data, &length);
	if (!length)
		return;
	bootloader_random_enable();
	esp_fill_random(data, length);
	bootloader_random_disable();
}
