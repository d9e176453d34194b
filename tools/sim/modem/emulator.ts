/**
 * Modem emulator: a stateful SIMCom SIM7080G or Quectel BG95/BG77 behind an ECMA-419-shaped serial port, for
 * tests, scenarios, benchmarks and the Moddable desktop simulator (over a pty, see pty.ts). Node only (tools/).
 *
 * Public API
 * ----------
 *   const emu = new ModemEmulator({
 *     dialect: "sim7080" | "bg95",
 *     clock,                       // hal/clock Clock: hal/sim/manualClock in tests, realClock() for the pty
 *     profile?: "good" | "poor" | "roaming" | LatencyProfile,   // profiles.ts, default "good"
 *     track?: TrackPoint[],        // track.ts parseTrack(); default: one fixed point
 *     hosts?: { "api.enigm.test": "127.0.0.1" },  // name -> loopback address (no real DNS, ever)
 *     faults?: Fault[],            // faults.ts; also emu.inject(fault) at any time
 *     transcript?: (line) => void, // each transcript line as it happens (see transcript.ts); fileTranscript(path)
 *     wallStart?: number,          // UTC ms the network announces at clock time 0 (default 2026-11-22T08:00:00Z)
 *     timezoneQuarters?: number,   // local offset announced by NITZ, quarter hours (default +4 = UTC+1)
 *     cell?: Partial<CellIdentity>,// serving cell (default test PLMN 001-01)
 *     pwrkeyActive?: 0 | 1,        // GPIO level that presses PWRKEY (LilyGO boards: 1 through a transistor; default 1)
 *     railsOn?: boolean,           // supply present at start (default true; false = PMU board before rails.on())
 *     bootOnRails?: boolean,       // boot as soon as the rails come on, without PWRKEY (default false)
 *     poweredOn?: boolean,         // start booting at once, as if PWRKEY had been pulsed (default false)
 *     wakeOnInput?: boolean,       // pty mode (no PWRKEY line): UART bytes while off boot the modem (default false)
 *     seed?: number,               // strict by default: output in random chunks (1..maxChunk bytes, default 64) with
 *     maxChunk?, jitterMs?,        // up to jitterMs (default 2) between them, a reset cuts what is still queued,
 *     urcNoise?: number,           // harmless +CEREG re-reports between echo and result (probability, default 0.05)
 *     lenient?: boolean,           // one piece per reply, no noise: only for a test that checks exact bytes
 *   });
 *
 *   emu.Serial                     // ECMA-419 Serial class bound to this modem: new emu.Serial({ baud, onReadable })
 *   emu.openSerial(options)        // the same, as a function; read(count?) -> ArrayBuffer | undefined, write(), close()
 *   emu.pwrkey                     // DigitalOutput: write(0|1), read(), close(); held active >= 1 s (SIM7080) /
 *                                  // 0.5 s (BG95) powers on, >= 1.2 s / 0.65 s powers off
 *   emu.rails                      // { on(), off() } for the PMU board (drivers/modem/modem ModemRails shape)
 *   emu.attachPort(sink)           // raw byte port (the pty bridge): sink(bytes) gets modem output; returns {write, close}
 *   emu.inject(fault)              // arm a fault now (or at its atMs / afterCommands trigger)
 *   emu.power                      // "off" | "booting" | "on"
 *   emu.registration               // +CEREG <stat> now
 *   emu.gnssOn / emu.hasFix        // GNSS engine state
 *   emu.radioBusyUntil             // clock time until which LTE holds the radio (RRC connected plus tail)
 *   emu.transcript                 // formatted transcript lines so far
 *   emu.stats                      // commands, bytes each way on the UART, payload bytes, bytes on the TCP wire
 *   emu.pendingIo / whenIoSettled()// real socket work in flight (connect, TLS handshake, writes): await it before
 *                                  // advancing a manual clock past a socket's due time, for deterministic runs
 *   emu.close()                    // sockets, timers, ports released
 *
 * Time: every latency is simulated through the injected clock. Sockets are real (node:net / node:tls on
 * loopback), so their results are reported at max(simulated due time, real completion). Data a server sends
 * arrives when the real socket delivers it, stamped with the clock's time then.
 *
 * Radio sharing (both dialects, shared/reference/modem-at.md): LTE activity (attach, PDP activation, socket
 * open/send/receive) keeps the radio busy for the profile's RRC tail; meanwhile the GNSS engine makes no progress
 * and loses any fix (re-acquired with the hot TTFF once the radio is free). Data commands themselves never fail
 * because GNSS is on. BG95 AT+QGPSCFG="priority" is accepted and stored, with the same model.
 */
import ByteQueue from "../byteQueue";
import type { Clock } from "hal/clock";
import type { DigitalOutput, Serial, SerialClass, SerialOptions, IOBuffer } from "drivers/io";
import { Core } from "./core";
import type { CellIdentity, DialectName } from "./core";
import { sim7080 } from "./sim7080";
import { bg95 } from "./bg95";
import type { LatencyProfile } from "./profiles";
import { profileNamed } from "./profiles";
import type { TrackPoint } from "./track";
import type { Fault } from "./faults";
import { formatEntry } from "./transcript";

export type { Fault } from "./faults";
export type { LatencyProfile } from "./profiles";
export type { TrackPoint } from "./track";
export type { CellIdentity, DialectName } from "./core";
export { fileTranscript } from "./transcript";
export { parseTrack, formatTrackErrors } from "./track";
export { parseFaults } from "./faults";
export { profiles } from "./profiles";

export interface EmulatorOptions {
	readonly dialect: DialectName;
	readonly clock: Clock;
	readonly profile?: string | LatencyProfile;
	readonly track?: readonly TrackPoint[];
	readonly hosts?: Readonly<Record<string, string>>;
	readonly faults?: readonly Fault[];
	readonly transcript?: (line: string) => void;
	readonly wallStart?: number;
	readonly timezoneQuarters?: number;
	readonly cell?: Partial<CellIdentity>;
	readonly pwrkeyActive?: 0 | 1;
	readonly railsOn?: boolean;
	readonly bootOnRails?: boolean;
	readonly poweredOn?: boolean;
	readonly wakeOnInput?: boolean;
	/** Strict by default (chunked, jittered output, URC noise, seeded by `seed`); see CoreOptions. */
	readonly lenient?: boolean;
	/** BG95: ERROR to every command but `AT` until `APP RDY` (CoreOptions.refuseBeforeReady). */
	readonly refuseBeforeReady?: boolean;
	readonly seed?: number;
	readonly maxChunk?: number;
	readonly jitterMs?: number;
	readonly urcNoise?: number;
}

export const DEFAULT_WALL_START = Date.UTC(2026, 10, 22, 8, 0, 0);

const DEFAULT_CELL: CellIdentity = Object.freeze({ mcc: 1, mnc: 1, tac: 0x1a2b, cellId: 0x01a2d101, pci: 316, earfcn: 6300, band: 20 });

const BAUDS = Object.freeze([9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600]);

export default class ModemEmulator {
	#core: Core;
	#pwrkey: DigitalOutput;

	constructor(options: EmulatorOptions) {
		if (!options || (options.dialect !== "sim7080" && options.dialect !== "bg95")) throw new RangeError("invalid dialect");
		if (!options.clock || typeof options.clock.set !== "function") throw new RangeError("invalid clock");
		const profile = typeof options.profile === "object" ? options.profile : profileNamed(options.profile ?? "good", options.dialect);
		const tz = options.timezoneQuarters ?? 4;
		if (!Number.isInteger(tz) || tz < -48 || tz > 56) throw new RangeError("invalid timezoneQuarters");
		const hosts: Record<string, string> = {};
		for (const [k, v] of Object.entries(options.hosts ?? {})) hosts[k.toLowerCase()] = v;
		this.#core = new Core({
			dialect: options.dialect === "sim7080" ? sim7080 : bg95,
			clock: options.clock,
			profile,
			...(options.track ? { track: options.track } : {}),
			hosts,
			wallStart: options.wallStart ?? DEFAULT_WALL_START,
			timezoneQuarters: tz,
			cell: { ...DEFAULT_CELL, ...options.cell },
			pwrkeyActive: options.pwrkeyActive ?? 1,
			bootOnRails: options.bootOnRails ?? false,
			wakeOnInput: options.wakeOnInput ?? false,
			...(options.lenient !== undefined ? { lenient: options.lenient } : {}),
			...(options.refuseBeforeReady !== undefined ? { refuseBeforeReady: options.refuseBeforeReady } : {}),
			...(options.seed !== undefined ? { seed: options.seed } : {}),
			...(options.maxChunk !== undefined ? { maxChunk: options.maxChunk } : {}),
			...(options.jitterMs !== undefined ? { jitterMs: options.jitterMs } : {}),
			...(options.urcNoise !== undefined ? { urcNoise: options.urcNoise } : {}),
			...(options.transcript ? { transcript: options.transcript } : {}),
		});
		const core = this.#core;
		if (options.railsOn === false) core.supply = false;
		this.#pwrkey = Object.freeze({
			write(value: 0 | 1) { core.pwrkeyWrite(value); },
			read(): 0 | 1 { return core.pwrkeyLevel; },
			close() { /* the pin stays where it was, like a released GPIO */ },
		});
		for (const f of options.faults ?? []) core.addFault(f);
		if (options.poweredOn) { core.log("==", "power on (started powered)"); core.boot(); }
	}

	get dialect(): DialectName { return this.#core.dialect.name; }
	get profile(): LatencyProfile { return this.#core.profile; }
	get power(): "off" | "booting" | "on" { return this.#core.power; }
	get registration(): number { return this.#core.regStat; }
	/** `+CPIN: READY` went out since the last boot: a module in full functionality may attach (transmit). */
	get simReady(): boolean { return this.#core.simReady; }
	get pdpActive(): boolean { return this.#core.pdpActive; }
	get gnssOn(): boolean { return this.#core.gnss.on; }
	/** Clock time until which LTE keeps the radio busy (RRC connected: attach, data, the inactivity tail). */
	get radioBusyUntil(): number { return this.#core.radioBusyUntil; }
	get hasFix(): boolean { this.#core.updateGnss(); return this.#core.gnss.on && this.#core.gnss.fixed; }
	get openSockets(): number[] { return [...this.#core.sockets.values()].filter((s) => s.state === "open").map((s) => s.id); }
	get transcript(): string[] { return this.#core.entries.map(formatEntry); }
	get stats(): Readonly<Core["stats"]> { return this.#core.statsNow(); }
	get pendingIo(): number { return this.#core.pendingIo; }
	/** Local TCP ports of this modem's real sockets: a server tells the modem's connections from other clients by them. */
	get localPorts(): number[] {
		return [...this.#core.sockets.values()].map((s) => s.raw?.localPort).filter((p): p is number => p !== undefined);
	}
	whenIoSettled(): Promise<void> { return this.#core.whenIoSettled(); }

	get pwrkey(): DigitalOutput { return this.#pwrkey; }

	get rails(): { on(): void; off(): void } {
		const core = this.#core;
		return { on: () => core.railsOn(), off: () => core.railsOff() };
	}

	inject(fault: Fault): void { this.#core.addFault(fault); }

	/** Writes a note into the transcript (scenario steps, test markers). */
	note(text: string): void { this.#core.log("==", text); }

	attachPort(sink: (bytes: Uint8Array) => void): { write(bytes: Uint8Array): void; close(): void } {
		return this.#core.attachPort(sink);
	}

	/** An ECMA-419 Serial (9.4) on this modem's UART. The baud is checked, not simulated. */
	openSerial(options: SerialOptions): Serial {
		if (!options || !BAUDS.includes(options.baud)) throw new RangeError("invalid baud");
		if (options.format !== undefined && options.format !== "buffer") throw new RangeError("invalid format");
		const queue = new ByteQueue();
		let open = true;
		let serial: Serial;
		const port = this.#core.attachPort((bytes) => {
			if (!open) return;
			queue.push(bytes);
			try { options.onReadable?.call(serial, queue.available); } catch { /* the driver's exception is its own */ }
		});
		serial = {
			read(count?: number): ArrayBuffer | undefined {
				if (!open) throw new Error("closed");
				return queue.read(count);
			},
			write(data: IOBuffer): void {
				if (!open) throw new Error("closed");
				const bytes = data instanceof Uint8Array ? data.slice() : new Uint8Array(data.slice(0));
				port.write(bytes);
			},
			close(): void {
				if (!open) return;
				open = false;
				port.close();
				queue.clear();
			},
		};
		return serial;
	}

	/** The ECMA-419 Serial class bound to this modem, for a board's `{ io: emu.Serial, baud }`. */
	get Serial(): SerialClass {
		const emu = this;
		return class EmulatedSerial {
			constructor(options: SerialOptions) { return emu.openSerial(options) as unknown as EmulatedSerial; }
		} as unknown as SerialClass;
	}

	close(): void { this.#core.close(); }
}
