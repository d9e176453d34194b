/*
 * Hardware random numbers (ESP-IDF "Random Number Generation"): esp_fill_random() is a CSPRNG source when the RF
 * subsystem is on or the bootloader's entropy source is still enabled; the firmware draws event identifiers only
 * after the modem link is up or at boot, and never uses Math.random.
 */
#include "xsmc.h"
#include "xsHost.h"

#include "esp_random.h"

/* fill(bytes: Uint8Array | ArrayBuffer): fills in place */
void xs_enigm_entropy_fill(xsMachine *the)
{
	void *data;
	xsUnsignedValue length;

	if (xsmcArgc < 1)
		xsRangeError("missing buffer");
	xsmcGetBufferWritable(xsArg(0), &data, &length);
	if (length)
		esp_fill_random(data, length);
}
