/*
 * Host CSPRNG for the Moddable desktop simulator: getentropy(3) (glibc >= 2.25, macOS >= 10.12), at most 256 bytes
 * per call. Moddable's own `rng` module (modules/crypt/etc/rng.c) is RC4 seeded from c_rand(), not a CSPRNG.
 * Windows: rand_s(), which the CRT documents as built on RtlGenRandom, the system CSPRNG.
 */
#if defined(_WIN32)
#define _CRT_RAND_S
#include <stdlib.h>
#endif
#include "xsmc.h"

#include <stddef.h>
#include <stdint.h>
#if !defined(_WIN32)
#include <unistd.h>
#endif
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
#if defined(_WIN32)
		for (size_t i = 0; i < n; i += sizeof(unsigned int)) {
			unsigned int word;
			if (rand_s(&word))
				xsUnknownError("rand_s failed");
			for (size_t j = 0; j < sizeof(word) && i + j < n; j++)
				bytes[i + j] = (uint8_t)(word >> (8 * j));
		}
#else
		if (getentropy(bytes, n))
			xsUnknownError("getentropy failed");
#endif
		bytes += n;
		length -= n;
	}
}
