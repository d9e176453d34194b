/*
 * Host CSPRNG for the Moddable desktop simulator: getentropy(3) (glibc >= 2.25, macOS >= 10.12), at most 256 bytes
 * per call. Moddable's own `rng` module (modules/crypt/etc/rng.c) is RC4 seeded from c_rand(), not a CSPRNG.
 * Windows is not covered: it fails to compile there, on purpose, rather than fall back to something weaker.
 */
#include "xsmc.h"

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#if defined(__APPLE__)
#include <sys/random.h>
#endif

void xs_enigm_sim_entropy_fill(xsMachine *the)
{
	void *data;
	xsUnsignedValue length;
	uint8_t *bytes;

	if (xsmcArgc < 1)
		xsRangeError("missing buffer");
	xsmcGetBufferWritable(xsArg(0), &data, &length);
	bytes = data;
	while (length) {
		size_t n = (length > 256) ? 256 : length;
		if (getentropy(bytes, n))
			xsUnknownError("getentropy failed");
		bytes += n;
		length -= n;
	}
}
