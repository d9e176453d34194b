import type { LightSleep } from "hal/power";
import type { Fix, ServingCell } from "drivers/gnss/fix";
import type { Modem, ModemEvent, ModemFamily, ModemResult, ModemState, NetworkTime, PowerOnOptions, Registration, TlsOpenOptions } from "drivers/modem/modem";

/**
 * A Modem that keeps the chip out of automatic light sleep for each operation, from its first command to its last
 * awaited reply or URC (a PDP activation's `+APP PDP: 0,ACTIVE` arrives about a second after its OK): a byte that
 * arrives while the chip light-sleeps wakes it but is lost, with a few after it (hal/power LightSleep). Between
 * operations (GNSS poll intervals, the wait for the next window, the idle socket) nothing is held and the chip
 * light-sleeps; a URC landing then (a +CEREG change, a network PDP drop) may lose its first characters and is not
 * recognised: the next operation meets the state (ERROR, +CAOPEN 21, a timeout) and the driver's recovery handles
 * it, as for any lost line.
 */
export default class AwakeModem implements Modem {
	readonly #modem: Modem;
	readonly #lock: Pick<LightSleep, "hold" | "release">;

	constructor(modem: Modem, lock: Pick<LightSleep, "hold" | "release">) {
		if (!modem || typeof modem.powerOn !== "function") throw new RangeError("invalid modem");
		if (!lock || typeof lock.hold !== "function" || typeof lock.release !== "function") throw new RangeError("invalid lock");
		this.#modem = modem;
		this.#lock = lock;
	}

	get family(): ModemFamily { return this.#modem.family; }
	get state(): ModemState { return this.#modem.state; }
	get onEvent(): ((event: ModemEvent) => void) | undefined { return this.#modem.onEvent; }
	set onEvent(listener: ((event: ModemEvent) => void) | undefined) { this.#modem.onEvent = listener; }

	powerOn(options?: PowerOnOptions): Promise<ModemResult<void>> { return this.#held(() => this.#modem.powerOn(options)); }
	configure(): Promise<ModemResult<void>> { return this.#held(() => this.#modem.configure()); }
	attach(options: { readonly apn: string; readonly timeoutMs?: number }): Promise<ModemResult<Registration>> { return this.#held(() => this.#modem.attach(options)); }
	networkTime(): Promise<ModemResult<NetworkTime>> { return this.#held(() => this.#modem.networkTime()); }
	servingCell(): Promise<ModemResult<ServingCell>> { return this.#held(() => this.#modem.servingCell()); }
	uploadCa(name: string, pem: Uint8Array): Promise<ModemResult<void>> { return this.#held(() => this.#modem.uploadCa(name, pem)); }
	open(options: TlsOpenOptions): Promise<ModemResult<number>> { return this.#held(() => this.#modem.open(options)); }
	send(socket: number, data: Uint8Array): Promise<ModemResult<number>> { return this.#held(() => this.#modem.send(socket, data)); }
	receive(socket: number, max: number): Promise<ModemResult<Uint8Array>> { return this.#held(() => this.#modem.receive(socket, max)); }
	closeSocket(socket: number): Promise<ModemResult<void>> { return this.#held(() => this.#modem.closeSocket(socket)); }
	gnssOn(): Promise<ModemResult<void>> { return this.#held(() => this.#modem.gnssOn()); }
	gnssRead(): Promise<ModemResult<Fix>> { return this.#held(() => this.#modem.gnssRead()); }
	gnssOff(): Promise<ModemResult<void>> { return this.#held(() => this.#modem.gnssOff()); }
	powerDown(): Promise<ModemResult<"clean" | "hard">> { return this.#held(() => this.#modem.powerDown()); }
	close(): void { this.#modem.close(); }

	async #held<T>(operation: () => Promise<T>): Promise<T> {
		this.#lock.hold();
		try {
			return await operation();
		} finally {
			this.#lock.release();
		}
	}
}
