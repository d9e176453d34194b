/**
 * What every Uplink test needs before the modem: a manual clock and a store provisioned with a device id and key,
 * the keystore, nonce counter, wall clock and request signer over them (the device's own modules).
 */
import ManualClock from "hal/sim/manualClock";
import MemoryStore from "hal/sim/memoryStore";
import SoftKeystore from "hal/sim/softKeystore";
import Counter from "modules/counter";
import WallClock from "modules/wallClock";
import RequestSigner from "modules/protocol/requestSigner";

export function signingRig(deviceId: string, key: Uint8Array, existing?: MemoryStore) {
	const clock = new ManualClock();
	const store = existing ?? new MemoryStore("enigm");
	if (!existing) {
		store.set("device_id", deviceId);
		store.set("hmac_key", key.slice().buffer);
	}
	const keystore = new SoftKeystore({ store });
	const counter = new Counter({ store });
	const wallClock = new WallClock(clock);
	const signer = new RequestSigner({ keystore, counter, host: "platform.example", wallTime: () => wallClock.now() });
	return { clock, store, keystore, counter, wallClock, signer };
}
