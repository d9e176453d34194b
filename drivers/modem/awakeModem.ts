import type { LightSleep } from "hal/power";
import type { Fix, ServingCell } from "drivers/gnss/fix";
import type { Modem, ModemEvent, ModemFamily, ModemResult, ModemState, NetworkTime, PowerOnOptions, Registration, TlsOpenOptions } from "drivers/modem/modem";

/**
 * A Modem that keeps the chip out of automatic light sleep for each operation, from its first command to its last
 * awaited reply or URC (a PDP activation's `+APP PDP: 0,ACTIVE` arrives about a second after its OK), and from a
 * request sent on a socket until its reply has been read (`+CADATAIND` / `+QIURC: "recv"` tell the reply is
 * there): a byte that arrives while the chip light-sleeps is lost (hal/power LightSleep). Between operations (GNSS
 * poll intervals, the wait for the next window, an idle socket) nothing is held and the chip light-sleeps; a URC
 * landing then (a +CEREG change, a network PDP drop, a peer closing the idle socket) is lost: with no UART wake-up
 * source the chip receives nothing while asleep, and with one the characters that wake it are lost anyway (ESP-IDF
 * v6.0 docs/en/api-reference/system/sleep_modes.rst, "UART Wakeup (Light-sleep Only)"). The next operation then
 * meets the state (+CME ERROR: 3 or +CAOPEN 21 on an open with the context gone, ERROR, a timeout) and the driver
 * asks the modem (ModemBase.confirmData(): AT+CNACT? / AT+QIACT?) instead of relying on the URC.
 * The simulated world loses those bytes the same way (tools/sim/lightSleepUart, WorldOptions.lightSleep "strict").
 */
export default class AwakeModem implements Modem {
	readonly #modem: Modem;
	readonly #lock: Pick<LightSleep, "hold" | "release">;
	/** Sockets with a request sent and its reply not read yet: one hold each. */
	readonly #awaitingReply = new Set<number>();
	#listener: ((event: ModemEvent) => void) | undefined;

	constructor(modem: Modem, lock: Pick<LightSleep, "hold" | "release">) {
		if (!modem || typeof modem.powerOn !== "function") throw new RangeError("invalid modem");
		if (!lock || typeof lock.hold !== "function" || typeof lock.release !== "function") throw new RangeError("invalid lock");
		this.#modem = modem;
		this.#lock = lock;
		this.#listener = modem.onEvent;
		modem.onEvent = (event) => {
			if (event.type === "reset") this.#replyDone();
			else if (event.type === "socketClosed") this.#replyDone(event.socket);
			this.#listener?.(event);
		};
	}

	get family(): ModemFamily { return this.#modem.family; }
	get state(): ModemState { return this.#modem.state; }
	get onEvent(): ((event: ModemEvent) => void) | undefined { return this.#listener; }
	set onEvent(listener: ((event: ModemEvent) => void) | undefined) { this.#listener = listener; }

	powerOn(options?: PowerOnOptions): Promise<ModemResult<void>> { return this.#held(() => this.#modem.powerOn(options)); }
	abandonPowerOn(): void { this.#modem.abandonPowerOn(); }
	configure(): Promise<ModemResult<void>> { return this.#held(() => this.#modem.configure()); }
	attach(options: { readonly apn: string; readonly timeoutMs?: number }): Promise<ModemResult<Registration>> { return this.#held(() => this.#modem.attach(options)); }
	networkTime(): Promise<ModemResult<NetworkTime>> { return this.#held(() => this.#modem.networkTime()); }
	servingCell(): Promise<ModemResult<ServingCell>> { return this.#held(() => this.#modem.servingCell()); }
	uploadCa(name: string, pem: Uint8Array): Promise<ModemResult<void>> { return this.#held(() => this.#modem.uploadCa(name, pem)); }
	open(options: TlsOpenOptions): Promise<ModemResult<number>> { return this.#held(() => this.#modem.open(options)); }
	async send(socket: number, data: Uint8Array): Promise<ModemResult<number>> {
		// Held before the first byte goes out: the reply can follow the send's OK at once.
		this.#expectReply(socket);
		const r = await this.#held(() => this.#modem.send(socket, data));
		if (!r.ok) this.#replyDone(socket);
		return r;
	}
	async receive(socket: number, max: number): Promise<ModemResult<Uint8Array>> {
		const r = await this.#held(() => this.#modem.receive(socket, max));
		if (!r.ok || r.value.length > 0) this.#replyDone(socket);
		return r;
	}
	async closeSocket(socket: number): Promise<ModemResult<void>> {
		this.#replyDone(socket);
		return this.#held(() => this.#modem.closeSocket(socket));
	}
	gnssOn(): Promise<ModemResult<void>> { return this.#held(() => this.#modem.gnssOn()); }
	gnssRead(): Promise<ModemResult<Fix>> { return this.#held(() => this.#modem.gnssRead()); }
	gnssOff(): Promise<ModemResult<void>> { return this.#held(() => this.#modem.gnssOff()); }
	powerDown(): Promise<ModemResult<"clean" | "hard">> {
		this.#replyDone();
		return this.#held(() => this.#modem.powerDown());
	}
	close(): void {
		this.#replyDone();
		this.#modem.close();
	}

	#expectReply(socket: number): void {
		if (this.#awaitingReply.has(socket)) return;
		this.#awaitingReply.add(socket);
		this.#lock.hold();
	}

	/** Ends the reply hold of `socket`, or of every socket. */
	#replyDone(socket?: number): void {
		for (const s of [...this.#awaitingReply]) {
			if (socket !== undefined && s !== socket) continue;
			this.#awaitingReply.delete(s);
			this.#lock.release();
		}
	}

	async #held<T>(operation: () => Promise<T>): Promise<T> {
		this.#lock.hold();
		try {
			return await operation();
		} finally {
			this.#lock.release();
		}
	}
}
