import type { Clock } from "hal/clock";
import type { Entropy } from "hal/entropy";
import type { Store, StoredValue } from "hal/store";
import type { Target } from "hal/targetTypes";
import SoftKeystore from "hal/sim/softKeystore";
import MemoryStore from "hal/sim/memoryStore";
import SimPower, { type SimPowerOptions } from "hal/sim/power";
import SimIndicator from "hal/sim/indicator";

export interface SimTargetOptions {
	clock: Clock;
	/** Random bytes. Defaults to the host's Web Crypto (`globalThis.crypto.getRandomValues`, Node >= 19). */
	entropy?: Entropy;
	/** One map per NVS namespace; pass the same map to a new target to model a reboot with NVS intact. */
	nvs?: Map<string, Map<string, StoredValue>>;
	power?: SimPowerOptions;
	onIndicator?: ConstructorParameters<typeof SimIndicator>[0];
}

/**
 * The platform services of hal/targetTypes for Node runs of the firmware (npm start, scenarios, tests): the same
 * Target the device gets from hal/esp32/target and the Moddable simulator from hal/simulator/target, built from
 * the in-memory simulations.
 */
export function createSimTarget(options: SimTargetOptions): Target & {
	readonly power: SimPower;
	readonly indicator: SimIndicator;
	readonly nvs: Map<string, Map<string, StoredValue>>;
} {
	const { clock } = options ?? ({} as SimTargetOptions);
	if (!clock || typeof clock.set !== "function") throw new RangeError("invalid clock");
	const nvs = options.nvs ?? new Map<string, Map<string, StoredValue>>();
	const entropy = options.entropy ?? hostEntropy();
	return Object.freeze({
		clock,
		nvs,
		store: (domain: string) => new MemoryStore(domain, nvs),
		power: new SimPower(options.power),
		entropy,
		indicator: new SimIndicator(options.onIndicator),
		keystore: (store: Store) => new SoftKeystore({ store }),
	});
}

function hostEntropy(): Entropy {
	const crypto = (globalThis as { crypto?: { getRandomValues?: (bytes: Uint8Array) => Uint8Array } }).crypto;
	const getRandomValues = crypto?.getRandomValues?.bind(crypto);
	if (!getRandomValues) throw new RangeError("no host CSPRNG: pass options.entropy");
	return {
		fill(bytes: Uint8Array): Uint8Array {
			// Web Crypto fills at most 65536 bytes per call.
			for (let offset = 0; offset < bytes.length; offset += 65536) getRandomValues(bytes.subarray(offset, offset + 65536));
			return bytes;
		},
	};
}
