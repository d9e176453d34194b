/**
 * The one modem interface: SIMCom SIM7080G/SIM7000G (drivers/modem/sim7080) and Quectel BG95/BG77
 * (drivers/modem/bg95) both implement it, and the SOS runner, the radio scheduler and the host simulator use only
 * this. Nothing here throws at runtime: every operation resolves to a `ModemResult` (CONVENTIONS.md 6, 8).
 *
 * Lifecycle: powerOn() -> configure() -> attach() -> open()/send()/receive()/closeSocket() and gnssOn()/gnssRead()/
 * gnssOff() (GNSS and LTE share one radio on both families: the driver stops GNSS before data and the caller
 * schedules windows) -> powerDown(). An unexpected boot marker mid-session emits `{ type: "reset" }`, the state
 * drops to "booted", every socket is gone; the owner re-runs configure() and attach() to recover.
 *
 * Wiring (main.ts / boards), T-SIM7080G-S3 with its AXP2101:
 *
 *     const pmu = new Axp2101({ i2c: { io: device.io.I2C, data: 15, clock: 7 }, batteryNtc: false });
 *     const modem: Modem = new Sim7080({                                                   // drivers/modem/sim7080
 *         serial: { io: device.io.Serial, port: 1, receive: 4, transmit: 5, baud: 115_200 },
 *         pwrKey: { io: device.io.Digital, pin: 41 }, rails: pmu.modemRails(), clock, onEvent });
 *
 * A board without a PMU (T-SIM7000G) passes no `rails`: new Sim7080({ variant: "sim7000", ... }).
 */
import type { Fix, ServingCell } from "drivers/gnss/fix";
import type { Clock } from "hal/clock";
import type { DigitalClass, DigitalOutput, Serial, SerialClass, SerialOptions } from "drivers/io";

export type ModemFamily = "sim7080" | "sim7000" | "bg95";

export type ModemState =
	| "off"          // rails off or modem powered down
	| "booting"      // PWRKEY pulsed, waiting for AT and the boot markers
	| "booted"       // answering AT, not configured (also after an unexpected reset)
	| "ready"        // echo off, numeric errors, full functionality
	| "attaching"    // registering and activating the PDP context
	| "attached"     // registered with an active PDP context: sockets may open
	| "poweringDown"
	| "failed";      // stopped answering and a hard power cycle did not help; powerOn() may be retried

/** Why an operation failed. `step` names the AT command or phase, for the log (never contains secrets). */
export type ModemError =
	| { readonly kind: "timeout"; readonly step: string }                      // no final result in time
	| { readonly kind: "error"; readonly step: string; readonly code?: number } // ERROR / +CME ERROR / +CMS ERROR
	| { readonly kind: "state"; readonly step: string; readonly state: ModemState } // called in the wrong state
	| { readonly kind: "denied" }                                               // +CEREG stat 3: registration denied
	| { readonly kind: "noService" }                                            // not registered before the timeout
	| { readonly kind: "socket"; readonly step: string; readonly code: number } // +CAOPEN/+QSSLOPEN result != 0
	| { readonly kind: "closed"; readonly socket: number }                      // the peer or network closed it
	| { readonly kind: "noFix" }                                                // GNSS on but no position yet
	| { readonly kind: "parse"; readonly step: string; readonly reason: string } // reply not understood
	| { readonly kind: "reset" }                                                // the modem rebooted during the call
	| { readonly kind: "closedDriver" };                                        // close() was called

export type ModemResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ModemError };

/** 3GPP TS 27.007 10.1.22 +CEREG <stat>, reduced to what callers act on. */
export type Registration = {
	readonly roaming: boolean;
	readonly tac?: number;
	readonly cellId?: number;
	/** +CEREG <AcT>: 7 E-UTRAN (LTE-M), 9 E-UTRAN NB-S1. */
	readonly act?: number;
};

/** Network time (NITZ via the modem): UTC and the local offset the network announced. */
export type NetworkTime = {
	/** Milliseconds since the Unix epoch, UTC. */
	readonly utc: number;
	/** Local offset from UTC in minutes (quarter hours on the air), informational only. */
	readonly offsetMinutes: number;
};

export type TlsOpenOptions = {
	readonly host: string;
	readonly port: number;
	/** Name of a CA file previously stored with uploadCa(); the TLS session trusts only it. */
	readonly ca: string;
	/** Server name for SNI; defaults to `host`. */
	readonly sni?: string;
	readonly timeoutMs?: number;
};

export type ModemEvent =
	| { readonly type: "state"; readonly from: ModemState; readonly to: ModemState }
	| { readonly type: "reset" }                                              // unexpected boot marker mid-session
	| { readonly type: "data"; readonly socket: number }                      // bytes waiting: call receive()
	| { readonly type: "socketClosed"; readonly socket: number }              // peer/network closed the socket
	| { readonly type: "registration"; readonly stat: number }                // +CEREG URC <stat>
	| { readonly type: "pdp"; readonly active: boolean }                      // PDP context (de)activated by the network
	| { readonly type: "time"; readonly time: NetworkTime };                  // *PSUTTZ / +CTZV / +QLTS seen

export interface PowerOnOptions {
	/**
	 * The caller knows the module is off (the device woke from deep sleep, which it entered only after powering the
	 * modem down): skip the "is it already on?" AT probe and pulse PWRKEY at once. Without it the driver asks first,
	 * because a PWRKEY pulse would switch OFF a module an ESP32 reset left running.
	 */
	readonly knownOff?: boolean;
	/**
	 * Boot with the RF off: the first command once the AT port answers is AT+CFUN=4 (3GPP TS 27.007 8.2, SIM7080
	 * AT manual AT+CFUN, BG95 AT manual AT+CFUN: <fun> 4 disables both the transmit and receive RF circuits and keeps
	 * the SIM powered), before the module can finish the cell search it starts in its default full functionality.
	 * configure() turns the RF on (AT+CFUN=1). The SOS module boots the modem this way during the activation
	 * gesture, so that a false start never reaches the air. A function is asked when the AT port answers: false
	 * then (the gesture was recognised while the module booted) skips AT+CFUN=4, and the module's own search in
	 * its default full functionality runs on while configure() and attach() follow at once.
	 */
	readonly radioOff?: boolean | (() => boolean);
}

export interface Modem {
	readonly family: ModemFamily;
	readonly state: ModemState;

	/** Rails on (if a PMU board supplies them), PWRKEY pulse, AT answered at `RDY` (probes without it). -> "booted". */
	powerOn(options?: PowerOnOptions): Promise<ModemResult<void>>;
	/**
	 * The power-on in flight is no longer wanted (a false start). A command the module refused before its ready
	 * marker (BG95: AT+CFUN=4 before `APP RDY`, seconds in which its default full functionality may attach) is not
	 * waited for and sent again: powerOn() settles at once, so that powerDown() can switch the module off now (by
	 * command, else by the PWRKEY power-off pulse, which needs no AT). No effect when no power-on is in flight.
	 */
	abandonPowerOn(): void;
	/** Echo off, numeric +CME errors, full functionality, network-time URCs on. -> "ready". */
	configure(): Promise<ModemResult<void>>;
	/** APN, registration (+CEREG, with a timeout), PDP activation. -> "attached". */
	attach(options: { readonly apn: string; readonly timeoutMs?: number }): Promise<ModemResult<Registration>>;
	/** The network's time (AT+CCLK? / AT+QLTS=2); fails if the network never sent it. */
	networkTime(): Promise<ModemResult<NetworkTime>>;
	/** Identity of the serving cell for a coarse location (AT+CPSI? / AT+QENG="servingcell"). */
	servingCell(): Promise<ModemResult<ServingCell>>;

	/** Stores a PEM CA certificate in the modem under `name` (file system upload and, where needed, conversion). */
	uploadCa(name: string, pem: Uint8Array): Promise<ModemResult<void>>;
	/** Opens a TLS socket with the CA pinned and SNI set. Resolves to the socket id. */
	open(options: TlsOpenOptions): Promise<ModemResult<number>>;
	/** Sends all of `data` (after the `>` prompt). Resolves to the number of bytes accepted. */
	send(socket: number, data: Uint8Array): Promise<ModemResult<number>>;
	/** Reads up to `max` waiting bytes; an empty array means nothing is waiting. */
	receive(socket: number, max: number): Promise<ModemResult<Uint8Array>>;
	closeSocket(socket: number): Promise<ModemResult<void>>;

	/** Powers the GNSS engine (closes nothing, but LTE data stalls while it runs on these modems). */
	gnssOn(): Promise<ModemResult<void>>;
	/** One position; `{ kind: "noFix" }` until the receiver has one. */
	gnssRead(): Promise<ModemResult<Fix>>;
	gnssOff(): Promise<ModemResult<void>>;

	/** Clean power-down; if the modem does not answer, a hard cycle via PWRKEY; then rails off. -> "off". */
	powerDown(): Promise<ModemResult<"clean" | "hard">>;

	/** Listener for events (also settable through options.onEvent). */
	onEvent: ((event: ModemEvent) => void) | undefined;

	/** Releases the serial port, pins and timers. Pending operations resolve with `closedDriver`. */
	close(): void;
}

/** Power rails for the modem on a PMU board (drivers/pmu/axp2101 `rails`); absent on GPIO-only boards. */
export interface ModemRails {
	on(): ModemResult<void> | void;
	off(): ModemResult<void> | void;
}

/**
 * Switches a modem that has no PWRKEY line under the driver's control (an external modem on a host serial port):
 * the driver calls `on()` / `off()` exactly where it would pulse PWRKEY to switch the module on or off, and waits
 * for the returned promise. A module that answers `AT` is taken as on without calling anything.
 */
export interface ModemPowerSwitch {
	on(): Promise<void> | void;
	off(): Promise<void> | void;
}

/** Serial port as the ECMA-419 IO class pattern (CONVENTIONS.md 2): the driver constructs it with its onReadable. */
export type SerialSpec = { readonly io: SerialClass } & Omit<SerialOptions, "onReadable" | "onWritable" | "format">;
/** PWRKEY output: an instance already opened as output, or the Digital class and its pin. */
export type PwrKeySpec = DigitalOutput | { readonly io: DigitalClass; readonly pin: number | string };

/** Options both drivers take; family-specific ones extend it. */
export interface ModemOptions {
	readonly serial: SerialSpec;
	/** Required unless `powerSwitch` is given. */
	readonly pwrKey?: PwrKeySpec;
	/** Instead of PWRKEY pulses (see ModemPowerSwitch). */
	readonly powerSwitch?: ModemPowerSwitch;
	/** Level that presses PWRKEY at the module (LilyGO boards drive it through a transistor: 1). Default 1. */
	readonly pwrKeyActive?: 0 | 1;
	readonly rails?: ModemRails;
	readonly clock: Clock;
	readonly onEvent?: (event: ModemEvent) => void;
	/** Transcript sink for debugging (no payload bytes are logged, only lengths). */
	readonly log?: (line: string) => void;
	/** Milliseconds of silence after a final result code before the next command (u-blox asks 20 ms); default: the
	 * family's (none for the SIM7080 and BG95, whose manuals ask for none). */
	readonly guardMs?: number;
}

export type { Serial };

export function ok<T>(value: T): ModemResult<T> {
	return { ok: true, value };
}

export function fail<T = never>(error: ModemError): ModemResult<T> {
	return { ok: false, error };
}
