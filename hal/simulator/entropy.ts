import type { Entropy } from "hal/entropy";

const fillNative = native("xs_enigm_sim_entropy_fill") as (bytes: Uint8Array) => void;

/** hal/simulator/entropy.c: the host's getentropy(3). */
export default class HostEntropy implements Entropy {
	fill(bytes: Uint8Array): Uint8Array {
		if (!(bytes instanceof Uint8Array)) throw new TypeError("invalid bytes");
		fillNative(bytes);
		return bytes;
	}
}
