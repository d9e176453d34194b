/**
 * The modem emulator's shared machinery: power and PWRKEY, the UART (echo, line assembly, payload mode after a
 * prompt), the command queue, final result codes, registration, PDP, real loopback sockets (TCP and TLS), GNSS with
 * the LTE/GNSS radio sharing, network time, faults and the transcript. It names no command: the two dialects
 * (sim7080.ts, bg95.ts) bring their command tables (commandTable.ts) and URC formats, and the commands both
 * families share are in common.ts. The public face is emulator.ts.
 */
import net from "node:net";
import tls from "node:tls";
import { constants as cryptoConstants } from "node:crypto";
import type { Clock, TimerHandle } from "hal/clock";
import type { LatencyProfile } from "./profiles";
import type { TrackPoint, TrackPosition } from "./track";
import { positionAt } from "./track";
import type { Fault } from "./faults";
import { describeFault } from "./faults";
import type { Direction, TranscriptEntry } from "./transcript";
import { formatEntry, summarisePayload } from "./transcript";
import type { Command } from "./util";
import { latin1, parseCommand } from "./util";
import { commonCommands } from "./common";
import type { CommandTable } from "./commandTable";
import { lookup } from "./commandTable";
import { seededRandom } from "./prng";

export type DialectName = "sim7080" | "bg95";

export interface Dialect {
	readonly name: DialectName;
	/** Boot markers in order: the first when the AT port comes up, the rest spread over `bootMarkersMs`. */
	readonly bootMarkers: readonly string[];
	/** AT+CMEE after boot (SIMCom 0, Quectel 1). */
	readonly defaultCmee: 0 | 1 | 2;
	/** PWRKEY held low this long powers the module on / off (hardware design guides). */
	readonly pwrkeyOnMs: number;
	readonly pwrkeyOffMs: number;
	/** The line printed when the module powers down (AT command or PWRKEY). */
	readonly powerDownMarker: string;
	/** The boot marker after which the module takes every command (BG95 `APP RDY`); see CoreOptions.refuseBeforeReady. */
	readonly readyMarker?: string;
	/** The dialect's own commands (commandTable.ts), consulted before the shared 27.007/V.250 table (common.ts). */
	readonly commands: CommandTable;
	/** URCs. */
	socketData(core: Core, id: number): void;
	socketClosed(core: Core, id: number): void;
	pdpLost(core: Core): void;
	networkTime(core: Core): void;
	/**
	 * How GNSS shares the RF path with LTE right now (the manuals): "blocked" = no fix is computed at all (SIM7080G
	 * with a PDP context active), "idle" = GNSS progresses only while LTE is idle (RRC released), "free" = GNSS
	 * runs whatever LTE does (BG95 in GNSS priority).
	 */
	gnssAccess(core: Core): "blocked" | "idle" | "free";
}

export type SocketFailure = "dns" | "refused" | "connect" | "certExpired" | "certName" | "certUntrusted" | "tls";

export interface TlsSettings {
	/** PEM of the pinned CA; absent = the modem does not verify the server. */
	readonly ca?: string;
	/** Server name sent in the ClientHello; absent = no SNI. */
	readonly sni?: string;
	/** Name checked against the certificate (the host the firmware asked for). */
	readonly verifyName: string;
	/**
	 * TLS session cache slot when the modem's SSL context has resumption on (BG95 `AT+QSSLCFG="session_cache"`):
	 * the session of the last handshake on this slot is offered again (RFC 5077 ticket / RFC 5246 §7.4.1.2 session
	 * id). Absent: the modem neither asks for a ticket nor offers a session, every connection is a full handshake.
	 */
	readonly sessionCache?: string;
}

export interface Socket {
	readonly id: number;
	state: "opening" | "open" | "closed";
	rx: Uint8Array[];
	rxBytes: number;
	/** A data URC was sent and the buffer has not been drained since. */
	notified: boolean;
	raw?: net.Socket;
	stream?: net.Socket | tls.TLSSocket;
	/** Set when the firmware closed it (no closed URC then). */
	localClose: boolean;
	/** Wire bytes already added to the closed-socket totals. */
	accounted?: boolean;
	/** Dialect's socket family (BG95: "ssl" for AT+QSSL*, "tcp" for AT+QI*). */
	readonly tag: string;
	readonly generation: number;
}

export interface GnssState {
	on: boolean;
	/** Simulated ms of acquisition so far, counted only while the radio is free. */
	progressMs: number;
	targetMs: number;
	fixed: boolean;
	lastUpdate: number;
	/** Engine has run since this power-on (next start is hot). */
	startedBefore: boolean;
	lastFixAt?: number;
}

export interface CellIdentity {
	readonly mcc: number;
	readonly mnc: number;
	readonly tac: number;
	readonly cellId: number;
	readonly pci: number;
	readonly earfcn: number;
	readonly band: number;
}

export interface CoreOptions {
	readonly dialect: Dialect;
	readonly clock: Clock;
	readonly profile: LatencyProfile;
	readonly track?: readonly TrackPoint[];
	readonly hosts: Readonly<Record<string, string>>;
	readonly wallStart: number;
	readonly timezoneQuarters: number;
	readonly cell: CellIdentity;
	readonly pwrkeyActive: 0 | 1;
	readonly bootOnRails: boolean;
	/** pty mode has no PWRKEY line: bytes arriving while off boot the modem. */
	readonly wakeOnInput?: boolean;
	readonly transcript?: (line: string) => void;
	/**
	 * Strict by default, as the part is: output leaves in random chunks (1..`maxChunk` bytes, `jitterMs` apart at
	 * most, seeded), a reset cuts whatever is still on its way, and harmless URCs come between the echo and the
	 * result with probability `urcNoise`. `lenient` writes every reply in one piece with no noise (only for a test
	 * that inspects exact bytes).
	 */
	readonly lenient?: boolean;
	/**
	 * Between the first boot marker and the dialect's `readyMarker`, answer `ERROR` to every command but a bare `AT`:
	 * what Zephyr PR 57110 reports of a BG95 ("modem replies with RDY when it's not fully initialized and AT
	 * commands sent to the modem after this point would result in modem reply of ERROR"; Quectel's BG96 AT manual
	 * V2.5 §21.7 recommends commands after `APP RDY`). One second-hand report, so opt-in.
	 */
	readonly refuseBeforeReady?: boolean;
	readonly seed?: number;
	readonly maxChunk?: number;
	readonly jitterMs?: number;
	readonly urcNoise?: number;
}

export { seededRandom } from "./prng";

type PortSink = (bytes: Uint8Array) => void;

const CME_TEXT: Readonly<Record<number, string>> = Object.freeze({
	3: "operation not allowed", 4: "operation not supported", 10: "SIM not inserted", 30: "no network service",
	50: "incorrect parameters", 100: "unknown", 407: "file already exists", 405: "file not found",
	504: "Session is ongoing", 505: "Session not active", 516: "Not fixed now",
});

/** In the output queue: arm the fault waiting for its reply byte here (Fault `atByte`). */
const FAULT_MARK = new Uint8Array(0);

const fixedPoint: readonly TrackPoint[] = Object.freeze([Object.freeze({ offsetMs: 0, lat: 48.85837, lon: 2.29448, alt: 35 })]);

export class Core {
	readonly opts: CoreOptions;
	readonly dialect: Dialect;
	readonly clock: Clock;
	readonly profile: LatencyProfile;
	readonly entries: TranscriptEntry[] = [];
	readonly startClock: number;

	// Power
	power: "off" | "booting" | "on" = "off";
	/** The dialect's readyMarker has gone out since the last boot (true for a module found already on). */
	#readyOut = true;
	supply = true;
	generation = 0;
	#pwrLevel: 0 | 1;
	#pwrPressedAt: number | undefined;
	#pwrTimer: TimerHandle | undefined;

	// Modem state (lost on reset)
	echo = true;
	cmee: 0 | 1 | 2 = 0;
	cfun = 1;
	/**
	 * The SIM is ready (`+CPIN: READY` went out, TS 27.007 8.3): from then on a module left in full functionality can
	 * attach, i.e. transmit. Before it, its search is receive-only.
	 */
	simReady = false;
	ceregMode = 0;
	regStat = 0;
	nitzAt: number | undefined;
	nitzUrcs = true;
	pdpActive = false;
	pdpIp = "0.0.0.0";
	apn = "";
	readonly sockets = new Map<number, Socket>();
	readonly gnss: GnssState = { on: false, progressMs: 0, targetMs: 0, fixed: false, lastUpdate: 0, startedBefore: false };
	radioBusyUntil = 0;
	/** Dialect-private state, reset at each boot. */
	vars: Record<string, unknown> = {};
	/** Files in the module's flash survive resets (SIM7080 customer directory, Quectel UFS). */
	readonly files = new Map<string, Uint8Array>();

	// UART
	#ports = new Set<PortSink>();
	#line = "";
	#payload: { need: number; got: Uint8Array[]; have: number; done: (bytes: Uint8Array) => void } | undefined;
	#queue: string[] = [];
	#processing: TimerHandle | undefined;
	#held = false;
	#modemTimers = new Set<TimerHandle>();

	// Faults
	commandCount = 0;
	#pendingFaults: Fault[] = [];
	#armed: { fault: Fault; left: number }[] = [];
	/** Faults keyed to a command (Fault `onCommand`), waiting for it; then one waiting for byte `atByte` of its output. */
	#onCommand: Fault[] = [];
	#byteWatch: { fault: Fault; left: number } | undefined;
	#markedFault: Fault | undefined;
	#faultTimers = new Set<TimerHandle>();
	deniedUntil = -1;
	lossUntil = -1;
	noFixUntil = -1;

	// Real IO
	#pendingIo = 0;
	#ioWaiters: (() => void)[] = [];
	#closed = false;
	readonly stats = { commands: 0, bytesToModem: 0, bytesFromModem: 0, payloadSent: 0, payloadReceived: 0, wireSent: 0, wireReceived: 0, tlsHandshakes: 0, tlsResumed: 0 };
	/** Last TLS session per cache slot (TlsSettings.sessionCache); lost with the modem's power (RAM). */
	readonly #tlsSessions = new Map<string, Buffer>();

	readonly random: () => number;
	#txq: Uint8Array[] = [];
	#draining = false;
	/** Bytes accepted for output and bytes handed to the ports, since creation: positions in the output stream. */
	#queued = 0;
	#emitted = 0;

	constructor(opts: CoreOptions) {
		this.opts = opts;
		this.random = seededRandom(opts.seed ?? 1);
		this.dialect = opts.dialect;
		this.clock = opts.clock;
		this.profile = opts.profile;
		this.startClock = opts.clock.now();
		this.#pwrLevel = opts.pwrkeyActive === 1 ? 0 : 1;
		this.cmee = opts.dialect.defaultCmee;
	}

	// ---------------------------------------------------------------- transcript

	log(dir: Direction, text: string): void {
		const entry = { t: this.clock.now(), dir, text };
		this.entries.push(entry);
		try { this.opts.transcript?.(formatEntry(entry)); } catch { /* a failing sink never breaks the modem */ }
	}

	// ---------------------------------------------------------------- timers

	/** A timer that dies with the current power cycle (reset, power-down, rails off). */
	after(ms: number, fn: () => void): TimerHandle {
		const gen = this.generation;
		const handle: TimerHandle = this.clock.set(() => {
			this.#modemTimers.delete(handle);
			if (gen === this.generation && !this.#closed) fn();
		}, Math.max(0, ms));
		this.#modemTimers.add(handle);
		return handle;
	}

	cancel(handle: TimerHandle | undefined): void {
		if (!handle) return;
		this.clock.clear(handle);
		this.#modemTimers.delete(handle);
	}

	#clearModemTimers(): void {
		for (const h of this.#modemTimers) this.clock.clear(h);
		this.#modemTimers.clear();
		this.#processing = undefined;
	}

	// ---------------------------------------------------------------- output

	attachPort(sink: PortSink): { write(bytes: Uint8Array): void; close(): void } {
		this.#ports.add(sink);
		return {
			write: (bytes) => this.input(bytes),
			close: () => { this.#ports.delete(sink); },
		};
	}

	#out(bytes: Uint8Array): void {
		if (this.power !== "on" || bytes.length === 0) return;
		this.stats.bytesFromModem += bytes.length;
		const watch = this.#byteWatch;
		if (watch && bytes.length >= watch.left) {
			// The fault fires once the output up to its byte has left the UART, not when it was queued.
			this.#byteWatch = undefined;
			const head = bytes.subarray(0, watch.left), tail = bytes.subarray(watch.left);
			this.stats.bytesFromModem -= bytes.length;
			this.#out(head);
			if (this.opts.lenient) this.#fire(watch.fault);
			else { this.#markedFault = watch.fault; this.#txq.push(FAULT_MARK); }
			this.#out(tail);
			return;
		}
		if (watch) watch.left -= bytes.length;
		this.#queued += bytes.length;
		if (this.opts.lenient) {
			this.#emit(bytes);
			return;
		}
		this.#txq.push(bytes);
		if (!this.#draining) {
			this.#draining = true;
			this.after(0, () => this.#drain());
		}
	}

	#emit(bytes: Uint8Array): void {
		const cut = this.#cut;
		if (cut?.at === -1) return; // cut: nothing more leaves before the reboot
		if (cut?.at !== undefined && this.#emitted + bytes.length >= cut.at) {
			const head = bytes.subarray(0, cut.at - this.#emitted);
			this.#emitted += head.length;
			this.#cutNow();
			if (head.length > 0) for (const sink of [...this.#ports]) sink(head);
			return;
		}
		this.#emitted += bytes.length;
		for (const sink of [...this.#ports]) sink(bytes);
	}

	/**
	 * The `resetInOutput` fault fires: nothing more leaves the UART and the host's bytes are ignored (the module is
	 * rebooting); the boot itself starts on the next clock turn, so a command handler that is still running (in
	 * lenient mode the cut can land inside its own output) finishes against a dead UART, and the reboot's teardown
	 * then drops whatever it left behind (timers, payload mode, held queue).
	 */
	#cutNow(): void {
		if (!this.#cut) return;
		this.#cut.at = -1;
		this.log("!!", `fault: reset at byte ${this.#cut.fault.offset} of the output${this.#cut.fault.command ? ` of ${this.#cut.fault.command}` : ""}`);
		this.power = "booting";
		this.#faultAfter(0, () => { this.#cut = undefined; this.boot(); });
	}

	/** One random chunk of what waits, then the next after a random gap (a UART with a busy firmware behind it). */
	#drain(): void {
		const first = this.#txq[0];
		if (!first) { this.#draining = false; return; }
		if (first !== FAULT_MARK) {
			const max = this.opts.maxChunk ?? 64;
			const n = Math.min(first.length, 1 + Math.floor(this.random() * max));
			if (n === first.length) this.#txq.shift(); else this.#txq[0] = first.subarray(n);
			this.#emit(first.subarray(0, n));
		}
		// A fault waiting for the byte just sent fires now, before the host can answer it (Fault `atByte`).
		if (this.#txq[0] === FAULT_MARK) {
			this.#txq.shift();
			const fault = this.#markedFault;
			this.#markedFault = undefined;
			if (fault) this.#fire(fault);
			if (this.power !== "on" || !this.#draining) return;
		}
		if (this.#txq.length === 0) { this.#draining = false; return; }
		this.after(Math.floor(this.random() * ((this.opts.jitterMs ?? 2) + 1)), () => this.#drain());
	}

	/** Everything still queued, at once (the module finishes printing before it powers down). */
	#flushOut(): void {
		const all = this.#txq.splice(0);
		this.#draining = false;
		for (const b of all) if (b !== FAULT_MARK) this.#emit(b);
	}

	/** One response line, framed `\r\n<text>\r\n` (V1 verbose result codes, ITU-T V.250 5.7.1). */
	line(text: string): void {
		this.log("<-", text);
		this.#out(latin1(`\r\n${text}\r\n`));
	}

	/** A line whose tail is raw payload: `+CARECV: 5,<bytes>`. */
	lineWithData(head: string, data: Uint8Array, separator = ""): void {
		this.log("<-", head + (separator.includes("\n") ? " " : separator) + summarisePayload(data));
		this.stats.payloadReceived += data.length;
		const h = latin1(`\r\n${head}${separator}`);
		const out = new Uint8Array(h.length + data.length + 2);
		out.set(h, 0);
		out.set(data, h.length);
		out.set([13, 10], h.length + data.length);
		this.#out(out);
	}

	raw(text: string, logText?: string): void {
		this.log("<-", logText ?? JSON.stringify(text));
		this.#out(latin1(text));
	}

	ok(): void { this.line("OK"); }

	/** ERROR, or +CME ERROR: <code> / its text per AT+CMEE (3GPP TS 27.007 9.1). */
	error(code = 100): void {
		if (this.cmee === 0) this.line("ERROR");
		else if (this.cmee === 1) this.line(`+CME ERROR: ${code}`);
		else this.line(`+CME ERROR: ${CME_TEXT[code] ?? "unknown"}`);
	}

	/** URCs are dropped while the host is in payload mode and wait for it to end; here they go out directly. */
	urc(text: string): void { this.line(text); }

	// ---------------------------------------------------------------- input

	input(bytes: Uint8Array): void {
		if (this.#closed) return;
		this.stats.bytesToModem += bytes.length;
		if (this.power !== "on") {
			if (this.power === "off" && this.supply && this.opts.wakeOnInput) { this.log("==", "power on (UART activity stands in for PWRKEY)"); this.boot(); }
			this.log("==", `${bytes.length} bytes ignored (modem ${this.power})`);
			return;
		}
		let i = 0;
		while (i < bytes.length) {
			if (this.#payload) {
				const p = this.#payload;
				const take = Math.min(p.need - p.have, bytes.length - i);
				p.got.push(bytes.slice(i, i + take));
				p.have += take;
				i += take;
				if (p.have === p.need) {
					this.#payload = undefined;
					const all = new Uint8Array(p.need);
					let o = 0;
					for (const c of p.got) { all.set(c, o); o += c.length; }
					this.log("->", summarisePayload(all));
					p.done(all);
				}
				continue;
			}
			const b = bytes[i++]!;
			if (this.echo) this.#echo(b);
			if (b === 13) {
				const text = this.#line;
				this.#line = "";
				if (text.trim() !== "") this.#enqueue(text);
			} else if (b === 10) {
				// ignored: S3 (CR) ends a command line (ITU-T V.250 5.2.1)
			} else if (b === 8) {
				this.#line = this.#line.slice(0, -1);
			} else {
				this.#line += String.fromCharCode(b);
			}
		}
	}

	#echoBuf: number[] = [];
	/** Echo goes out on the next clock turn, never inside the host's write() (real UARTs answer later too). */
	#echo(b: number): void {
		if (this.#echoBuf.push(b) > 1) return;
		this.after(0, () => this.#out(Uint8Array.from(this.#echoBuf.splice(0))));
	}

	#enqueue(text: string): void {
		this.log("->", text);
		this.#queue.push(text);
		this.#pump();
	}

	#pump(): void {
		if (this.#held || this.#processing || this.#queue.length === 0) return;
		this.#processing = this.after(this.profile.commandMs, () => {
			this.#processing = undefined;
			const text = this.#queue.shift();
			if (text !== undefined) this.#execute(text);
			this.#pump();
		});
	}

	/** The command's final result comes later (QIACT, CFSWFILE): queue further commands until release(). */
	hold(): void { this.#held = true; }
	release(): void { this.#held = false; this.#pump(); }

	/** After a prompt: the next `count` bytes from the host are payload. */
	expectPayload(count: number, done: (bytes: Uint8Array) => void): void {
		this.#payload = { need: count, got: [], have: 0, done };
		if (count === 0) { this.#payload = undefined; done(new Uint8Array(0)); }
	}

	#execute(text: string): void {
		this.stats.commands++;
		this.commandCount++;
		// A harmless URC between the echo and the result: a cell reselection re-reports +CEREG (TS 27.007 10.1.22,
		// n=2 reports a TAC/CI change even when <stat> is unchanged).
		if (!this.opts.lenient && this.ceregMode > 0 && this.registered && this.random() < (this.opts.urcNoise ?? 0.05))
			this.urc(`+CEREG: ${this.ceregBody(false)}`);
		try {
			this.#dispatch(text);
		} catch (e) {
			// An emulator bug must not take the test or the simulator down: say so and answer like a confused modem.
			this.log("==", `emulator error on ${JSON.stringify(text)}: ${(e as Error).message}`);
			this.#held = false;
			this.line("ERROR");
		} finally {
			this.#armPendingByCount();
		}
	}

	#dispatch(text: string): void {
		const cmd = parseCommand(text);
		if (!cmd) { this.line("ERROR"); return; }
		if (this.opts.refuseBeforeReady && !this.#readyOut && cmd.line.toUpperCase() !== "AT") {
			this.log("!!", `${cmd.line} refused before ${this.dialect.readyMarker}`);
			this.line("ERROR");
			return;
		}
		const keyed = this.#onCommand.find((f) => cmd.line.toUpperCase().startsWith(f.onCommand!.toUpperCase()));
		if (keyed) {
			this.#onCommand.splice(this.#onCommand.indexOf(keyed), 1);
			if (keyed.atByte) { this.log("!!", `fault waiting for byte ${keyed.atByte} of the reply to ${cmd.line}: ${describeFault(keyed)}`); this.#byteWatch = { fault: keyed, left: keyed.atByte }; }
			else this.#fire(keyed);
			if (this.power !== "on") return; // reset by it: the command is lost with the rest
		}
		const fault = this.#takeCommandFault(cmd);
		if (fault) {
			if (fault.kind === "timeout") { this.log("!!", `fault: timeout, no reply to ${cmd.line}`); return; }
			if (fault.kind === "cme") { this.log("!!", `fault: +CME ERROR ${fault.code} for ${cmd.line}`); this.error(fault.code); return; }
		}
		const cut = this.#cut;
		// The reply starts here: everything queued so far (its echo, a noise URC) is before it.
		if (cut && cut.at === undefined && cut.fault.command !== undefined && cmd.line.toUpperCase().startsWith(cut.fault.command.toUpperCase()))
			cut.at = this.#queued + cut.fault.offset;
		const handler = lookup([this.dialect.commands, commonCommands], cmd);
		if (handler) handler(this, cmd);
		else this.line("ERROR"); // V.250 5.7.1: a command the module does not know
	}

	get plmn(): string {
		const c = this.opts.cell;
		return `${String(c.mcc).padStart(3, "0")}${String(c.mnc).padStart(2, "0")}`;
	}

	// ---------------------------------------------------------------- power

	get pwrkeyLevel(): 0 | 1 { return this.#pwrLevel; }

	pwrkeyWrite(value: 0 | 1): void {
		const level: 0 | 1 = value ? 1 : 0;
		if (level === this.#pwrLevel) return;
		this.#pwrLevel = level;
		const pressed = level === this.opts.pwrkeyActive;
		if (pressed) {
			this.#pwrPressedAt = this.clock.now();
			if (!this.supply) return;
			const wasOff = this.power === "off";
			const need = wasOff ? this.dialect.pwrkeyOnMs : this.dialect.pwrkeyOffMs;
			this.#pwrTimer = this.clock.set(() => {
				this.#pwrTimer = undefined;
				if (this.#closed || !this.supply) return;
				if (wasOff && this.power === "off") { this.log("==", `power on (PWRKEY low ${need} ms)`); this.boot(); }
				else if (!wasOff && this.power !== "off") {
					this.log("==", `power off (PWRKEY low ${need} ms)`);
					this.line(this.dialect.powerDownMarker);
					this.powerOff();
				}
			}, need);
		} else {
			if (this.#pwrTimer) { this.clock.clear(this.#pwrTimer); this.#pwrTimer = undefined; }
			const held = this.#pwrPressedAt === undefined ? 0 : this.clock.now() - this.#pwrPressedAt;
			this.#pwrPressedAt = undefined;
			if (held > 0 && held < Math.min(this.dialect.pwrkeyOnMs, this.dialect.pwrkeyOffMs))
				this.log("==", `PWRKEY pulse of ${held} ms too short, ignored`);
		}
	}

	railsOn(): void {
		if (this.supply) return;
		this.supply = true;
		this.log("==", "rails on");
		if (this.opts.bootOnRails) this.boot();
	}

	railsOff(): void {
		if (!this.supply) return;
		this.supply = false;
		this.log("==", "rails off");
		if (this.power !== "off") this.powerOff();
	}

	/** Starts a boot: the AT port answers after bootMs, the boot markers follow. Everything volatile is lost. */
	boot(): void {
		this.#teardown();
		this.power = "booting";
		this.#readyOut = this.dialect.readyMarker === undefined;
		this.after(this.profile.bootMs, () => {
			this.power = "on";
			const markers = this.dialect.bootMarkers;
			const step = markers.length > 1 ? this.profile.bootMarkersMs / (markers.length - 1) : 0;
			// RDY at once; the others spread over the profile's span, `SMS Ready` / `APP RDY` seconds later, with
			// some jitter (seeded).
			markers.forEach((m, i) => {
				const emit = () => {
					this.urc(m);
					if (m === this.dialect.readyMarker) this.#readyOut = true;
					if (m === "+CPIN: READY") this.simReady = true;
				};
				if (i === 0) emit();
				else this.after(Math.round(step * i + (this.opts.lenient ? 0 : this.random() * step * 0.3)), emit);
			});
			if (this.cfun === 1) this.startRegistration();
		});
	}

	powerOff(): void {
		if (this.power === "on") this.#flushOut();
		this.#teardown();
		this.power = "off";
	}

	#teardown(): void {
		this.generation++;
		this.#tlsSessions.clear(); // RAM: a power cycle or reset forgets the cached sessions
		this.#clearModemTimers();
		for (const s of this.sockets.values()) this.#destroy(s);
		this.sockets.clear();
		this.#line = "";
		this.#echoBuf = [];
		// A reset cuts the UART: what had not left yet is lost.
		this.#txq = [];
		this.#draining = false;
		this.#emitted = this.#queued; // the dropped bytes never leave
		if (this.#byteWatch || this.#markedFault) this.log("!!", "fault waiting for a reply byte cancelled by the reset");
		this.#byteWatch = this.#markedFault = undefined;
		this.#payload = undefined;
		this.#queue = [];
		this.#held = false;
		this.echo = true;
		this.cmee = this.dialect.defaultCmee;
		this.cfun = 1;
		this.simReady = false;
		this.ceregMode = 0;
		this.regStat = 0;
		this.nitzAt = undefined;
		this.nitzUrcs = true;
		this.pdpActive = false;
		this.radioBusyUntil = 0;
		this.vars = {};
		this.gnss.on = false;
		this.gnss.fixed = false;
		this.gnss.startedBefore = false;
	}

	/** PDP context up or down (the dialects' activation and deactivation commands); GNSS progress is sampled first. */
	setPdp(active: boolean): void {
		this.updateGnss();
		this.pdpActive = active;
	}

	/** AT+CFUN=<fun>[,<rst>] (TS 27.007 8.2). */
	setCfun(fun: number, rst: number): boolean {
		if (![0, 1, 4].includes(fun) || ![0, 1].includes(rst)) { this.error(50); return true; }
		if (rst === 1) {
			this.ok();
			this.log("==", "reset (AT+CFUN with reset)");
			this.after(50, () => this.boot());
			return true;
		}
		this.ok();
		if (fun === this.cfun) return true;
		this.cfun = fun;
		if (fun === 1) this.startRegistration();
		else {
			this.deregister(0);
			// Radio off: nothing holds the RF path any more, GNSS runs freely.
			this.updateGnss();
			this.radioBusyUntil = Math.min(this.radioBusyUntil, this.clock.now());
		}
		return true;
	}

	// ---------------------------------------------------------------- registration and PDP

	get registered(): boolean { return this.regStat === 1 || this.regStat === 5; }

	/** +CEREG <stat>[,<tac>,<ci>,<AcT>] body (3GPP TS 27.007 10.1.22); `withMode` = read form. */
	ceregBody(read: boolean): string {
		const c = this.opts.cell;
		const loc = this.ceregMode === 2 && this.registered ? `,"${c.tac.toString(16).toUpperCase().padStart(4, "0")}","${c.cellId.toString(16).toUpperCase().padStart(8, "0")}",7` : "";
		return read ? `${this.regStat}${loc}` : `${this.regStat}${loc}`;
	}

	setRegStat(stat: number): void {
		if (stat === this.regStat) return;
		this.regStat = stat;
		if (this.ceregMode > 0) this.urc(`+CEREG: ${this.ceregBody(false)}`);
	}

	startRegistration(): void {
		if (this.cfun !== 1 || this.power !== "on") return;
		const now = this.clock.now();
		if (now < this.lossUntil) { this.setRegStat(2); return; }
		this.setRegStat(2);
		this.markRadio(this.profile.attachMs);
		this.after(this.profile.attachMs, () => {
			if (this.cfun !== 1) return;
			const t = this.clock.now();
			if (t < this.lossUntil) return;
			if (t < this.deniedUntil) { this.setRegStat(3); return; }
			this.setRegStat(this.profile.registeredStat);
			if (this.nitzAt === undefined) this.after(this.profile.nitzMs, () => {
				if (!this.registered) return;
				this.nitzAt = this.clock.now();
				this.dialect.networkTime(this);
			});
		});
	}

	/** Network gone or CFUN 0/4: sockets closed (with URCs), PDP lost, registration `stat`. */
	deregister(stat: number): void {
		for (const s of [...this.sockets.values()]) this.closeSocket(s.id, true);
		if (this.pdpActive) { this.setPdp(false); this.dialect.pdpLost(this); }
		this.setRegStat(stat);
	}

	activatePdp(): void {
		this.setPdp(true);
		this.pdpIp = `10.64.${(this.generation * 7) % 250}.${10 + (this.commandCount % 200)}`;
		this.markRadio(0);
	}

	// ---------------------------------------------------------------- time

	/** UTC milliseconds now, as the network knows it. */
	wallNow(): number { return this.opts.wallStart + (this.clock.now() - this.startClock); }

	/** AT+CCLK? "yy/MM/dd,hh:mm:ss±zz": local time and quarter hours; 1980-01-06 + uptime before NITZ. */
	cclk(): string {
		const known = this.nitzAt !== undefined;
		const utc = known ? this.wallNow() : Date.UTC(1980, 0, 6) + (this.clock.now() - this.startClock);
		const q = known ? this.opts.timezoneQuarters : 0;
		const t = new Date(utc + q * 15 * 60_000);
		const p = (n: number) => String(n).padStart(2, "0");
		return `${p(t.getUTCFullYear() % 100)}/${p(t.getUTCMonth() + 1)}/${p(t.getUTCDate())},${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())}${q < 0 ? "-" : "+"}${p(Math.abs(q))}`;
	}

	// ---------------------------------------------------------------- radio sharing and GNSS

	/**
	 * LTE activity keeps the radio busy (RRC connected) for `extraMs` plus the profile's inactivity tail. GNSS and
	 * LTE share one RF path on SIM7080G and BG95/BG77 (shared/reference/modem-at.md): while the radio is busy the
	 * GNSS engine makes no progress, and a fix it had is lost and must be re-acquired hot.
	 */
	markRadio(extraMs: number): void {
		this.updateGnss();
		const until = this.clock.now() + extraMs + this.profile.rrcTailMs;
		if (this.gnss.on && this.gnss.fixed && this.dialect.gnssAccess(this) !== "free") {
			this.gnss.fixed = false;
			this.gnss.progressMs = 0;
			this.gnss.targetMs = this.profile.ttffHotMs;
			this.log("==", "GNSS fix lost: LTE is using the radio");
		}
		if (until > this.radioBusyUntil) this.radioBusyUntil = until;
	}

	gnssStart(): void {
		this.updateGnss();
		this.gnss.on = true;
		this.gnss.fixed = false;
		this.gnss.progressMs = 0;
		const hot = this.gnss.startedBefore && this.gnss.lastFixAt !== undefined && this.clock.now() - this.gnss.lastFixAt < 2 * 3600_000;
		this.gnss.targetMs = hot ? this.profile.ttffHotMs : this.profile.ttffFirstMs;
		this.gnss.startedBefore = true;
		this.gnss.lastUpdate = this.clock.now();
	}

	gnssStop(): void {
		this.updateGnss();
		this.gnss.on = false;
		this.gnss.fixed = false;
	}

	updateGnss(): void {
		const g = this.gnss;
		const now = this.clock.now();
		if (!g.on) { g.lastUpdate = now; return; }
		if (now < this.noFixUntil) { g.fixed = false; g.progressMs = 0; g.lastUpdate = now; return; }
		// Called before every change of the radio state, so the access seen now held since lastUpdate.
		const access = this.cfun === 1 ? this.dialect.gnssAccess(this) : "free";
		if (access === "blocked") {
			if (g.fixed) this.log("==", "GNSS fix lost: LTE data context active");
			g.fixed = false;
			g.progressMs = 0;
			g.lastUpdate = now;
			return;
		}
		const from = Math.max(g.lastUpdate, access === "idle" ? this.radioBusyUntil : 0, this.noFixUntil);
		if (now > from) g.progressMs += now - from;
		g.lastUpdate = now;
		if (!g.fixed && g.progressMs >= g.targetMs) { g.fixed = true; g.lastFixAt = now; }
		if (g.fixed) g.lastFixAt = now;
	}

	/** The current fix, or undefined while the engine is off or has none. */
	gnssFix(): (TrackPosition & { utc: number; hdop: number; satsUsed: number; satsInView: number }) | undefined {
		this.updateGnss();
		if (!this.gnss.on || !this.gnss.fixed) return undefined;
		const points = this.opts.track && this.opts.track.length > 0 ? this.opts.track : fixedPoint;
		const pos = positionAt(points, this.clock.now() - this.startClock);
		const hdop = pos.accuracy !== undefined ? Math.max(0.5, pos.accuracy / 5) : this.profile.hdop;
		return { ...pos, utc: this.wallNow(), hdop, satsUsed: this.profile.satsUsed, satsInView: this.profile.satsInView };
	}

	// ---------------------------------------------------------------- sockets (real, on loopback)

	get pendingIo(): number { return this.#pendingIo; }

	/** Counters, with the TCP wire bytes (TLS handshakes and records included) read from the sockets now. */
	statsNow(): Core["stats"] {
		const wire = this.#wire();
		return { ...this.stats, wireSent: wire.sent, wireReceived: wire.received };
	}

	whenIoSettled(): Promise<void> {
		if (this.#pendingIo === 0) return Promise.resolve();
		return new Promise((resolve) => this.#ioWaiters.push(resolve));
	}

	#ioStart(): void { this.#pendingIo++; }
	#ioEnd(): void {
		this.#pendingIo = Math.max(0, this.#pendingIo - 1);
		if (this.#pendingIo === 0) for (const w of this.#ioWaiters.splice(0)) w();
	}

	/** Maps a host name to a loopback address: IP literals, `localhost`, and the `hosts` table; anything else fails DNS. */
	resolve(host: string): string | undefined {
		const mapped = this.opts.hosts[host.toLowerCase()] ?? (host.toLowerCase() === "localhost" ? "127.0.0.1" : net.isIP(host) ? host : undefined);
		if (mapped === undefined) return undefined;
		return mapped;
	}

	/**
	 * Opens a real TCP (and TLS) connection. `done` runs in simulated time no earlier than the profile's radio
	 * latency after the request, and no earlier than the real loopback connection finished.
	 */
	openSocket(id: number, host: string, port: number, tlsSettings: TlsSettings | undefined, done: (failure: SocketFailure | undefined) => void, tag = ""): void {
		const sock: Socket = { id, state: "opening", rx: [], rxBytes: 0, notified: false, localClose: false, generation: this.generation, tag };
		this.sockets.set(id, sock);
		this.markRadio(0);
		const due = this.clock.now() + this.profile.connectMs + (tlsSettings ? this.profile.tlsMs : 0);
		const ip = this.resolve(host);
		let finished = false;
		const finish = (failure: SocketFailure | undefined): void => {
			if (finished) return;
			finished = true;
			this.#ioEnd();
			if (sock.generation !== this.generation || this.#closed) { this.#destroy(sock); return; }
			const report = (): void => {
				if (this.sockets.get(id) !== sock) { this.#destroy(sock); return; }
				if (failure) { this.#destroy(sock); this.sockets.delete(id); done(failure); return; }
				sock.state = "open";
				done(undefined);
				if (sock.rxBytes > 0) this.#notifyData(sock);
				if (sock.stream?.destroyed || sock.stream?.readableEnded) this.#remoteClosed(sock);
			};
			const wait = due - this.clock.now();
			if (wait > 0) this.after(wait, report); else report();
		};
		this.#ioStart();
		if (ip === undefined || !(ip.startsWith("127.") || ip === "::1")) {
			queueMicrotask(() => finish(ip === undefined ? "dns" : "connect"));
			return;
		}
		const raw = net.connect({ host: ip, port });
		sock.raw = raw;
		raw.on("error", (e: NodeJS.ErrnoException) => finish(e.code === "ECONNREFUSED" ? "refused" : "connect"));
		const onReady = (stream: net.Socket | tls.TLSSocket): void => {
			sock.stream = stream;
			stream.on("data", (chunk: Buffer) => this.#onData(sock, new Uint8Array(chunk)));
			stream.on("close", () => this.#remoteClosed(sock));
			stream.on("end", () => this.#remoteClosed(sock));
			finish(undefined);
		};
		raw.once("connect", () => {
			if (!tlsSettings) { onReady(raw); return; }
			const cached = tlsSettings.sessionCache !== undefined ? this.#tlsSessions.get(tlsSettings.sessionCache) : undefined;
			const secure = tls.connect({
				socket: raw,
				// Without a session cache the modem sends no SessionTicket extension (RFC 5077 §3.2), so the server
				// issues no ticket it could never use.
				...(tlsSettings.sessionCache === undefined ? { secureOptions: cryptoConstants.SSL_OP_NO_TICKET } : {}),
				...(cached ? { session: cached } : {}),
				...(tlsSettings.sni && !net.isIP(tlsSettings.sni) ? { servername: tlsSettings.sni } : {}),
				// Both modem families stop at TLS 1.2 (SIM7080 AT+CSSLCFG "sslversion" 3, Quectel "sslversion" 3).
				maxVersion: "TLSv1.2",
				...(tlsSettings.ca ? { ca: [tlsSettings.ca], rejectUnauthorized: true, checkServerIdentity: (_: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(tlsSettings.verifyName, cert) } : { rejectUnauthorized: false }),
			});
			secure.on("error", (e: NodeJS.ErrnoException) => {
				const code = e.code ?? "";
				finish(code === "CERT_HAS_EXPIRED" ? "certExpired"
					: code === "ERR_TLS_CERT_ALTNAME_INVALID" ? "certName"
					: /CERT|SIGNATURE|ISSUER|SELF_SIGNED|VERIFY/.test(code) ? "certUntrusted" : "tls");
				if (sock.state === "open") this.#remoteClosed(sock);
			});
			if (tlsSettings.sessionCache !== undefined) {
				const slot = tlsSettings.sessionCache;
				secure.on("session", (session: Buffer) => { if (sock.generation === this.generation) this.#tlsSessions.set(slot, session); });
			}
			secure.once("secureConnect", () => {
				this.stats.tlsHandshakes++;
				if (secure.isSessionReused()) this.stats.tlsResumed++;
				onReady(secure);
			});
		});
	}

	#onData(sock: Socket, chunk: Uint8Array): void {
		if (sock.generation !== this.generation || sock.state === "closed") return;
		sock.rx.push(chunk);
		sock.rxBytes += chunk.length;
		this.stats.wireReceived = this.#wire().received;
		if (sock.state === "open") {
			this.markRadio(0);
			this.#notifyData(sock);
		}
	}

	#notifyData(sock: Socket): void {
		if (sock.notified || sock.rxBytes === 0 || this.power !== "on") return;
		sock.notified = true;
		this.dialect.socketData(this, sock.id);
	}

	#remoteClosed(sock: Socket): void {
		if (sock.state !== "open" || sock.localClose || sock.generation !== this.generation) return;
		sock.state = "closed";
		this.dialect.socketClosed(this, sock.id);
	}

	/** Takes up to `max` buffered bytes; re-arms the data URC once the buffer is empty. */
	readSocket(id: number, max: number): Uint8Array | undefined {
		const sock = this.sockets.get(id);
		if (!sock) return undefined;
		const n = Math.min(max, sock.rxBytes);
		const out = new Uint8Array(n);
		let o = 0;
		while (o < n) {
			const c = sock.rx[0]!;
			const take = Math.min(c.length, n - o);
			out.set(c.subarray(0, take), o);
			o += take;
			if (take === c.length) sock.rx.shift(); else sock.rx[0] = c.subarray(take);
		}
		sock.rxBytes -= n;
		if (sock.rxBytes === 0) {
			sock.notified = false;
			if (sock.state === "closed") this.sockets.delete(id);
		}
		return out;
	}

	writeSocket(id: number, data: Uint8Array): boolean {
		const sock = this.sockets.get(id);
		if (!sock || sock.state !== "open" || !sock.stream || sock.stream.destroyed) return false;
		this.markRadio(this.profile.sendMs);
		this.stats.payloadSent += data.length;
		this.#ioStart();
		sock.stream.write(data, () => { this.stats.wireSent = this.#wire().sent; this.#ioEnd(); });
		return true;
	}

	/** Closes a socket; `notify` sends the dialect's closed URC (network side), otherwise it is the firmware's close. */
	closeSocket(id: number, notify: boolean): boolean {
		const sock = this.sockets.get(id);
		if (!sock) return false;
		const wasOpen = sock.state === "open";
		sock.localClose = !notify;
		sock.state = "closed";
		this.#destroy(sock);
		if (!notify || sock.rxBytes === 0) this.sockets.delete(id);
		if (notify && wasOpen) this.dialect.socketClosed(this, id);
		return true;
	}

	#destroy(sock: Socket): void {
		if (sock.raw && !sock.accounted) {
			sock.accounted = true;
			this.#closedWire.sent += sock.raw.bytesWritten ?? 0;
			this.#closedWire.received += sock.raw.bytesRead ?? 0;
			this.stats.wireSent = this.#closedWire.sent + this.#liveWire().sent;
			this.stats.wireReceived = this.#closedWire.received + this.#liveWire().received;
		}
		sock.localClose = true;
		sock.stream?.destroy();
		sock.raw?.destroy();
	}

	#closedWire = { sent: 0, received: 0 };
	#liveWire(): { sent: number; received: number } {
		let sent = 0, received = 0;
		for (const s of this.sockets.values()) if (!s.accounted) { sent += s.raw?.bytesWritten ?? 0; received += s.raw?.bytesRead ?? 0; }
		return { sent, received };
	}
	/** Bytes on the TCP wire so far (TLS records included), closed sockets plus open ones. */
	#wire(): { sent: number; received: number } {
		const live = this.#liveWire();
		return { sent: this.#closedWire.sent + live.sent, received: this.#closedWire.received + live.received };
	}

	// ---------------------------------------------------------------- faults

	addFault(fault: Fault): void {
		if (fault.atMs !== undefined) {
			const handle: TimerHandle = this.clock.set(() => { this.#faultTimers.delete(handle); if (!this.#closed) this.#arm(fault); }, Math.max(0, fault.atMs - this.clock.now()));
			this.#faultTimers.add(handle);
		} else if (fault.afterCommands !== undefined && fault.afterCommands > this.commandCount) {
			this.#pendingFaults.push(fault);
		} else {
			this.#arm(fault);
		}
	}

	#armPendingByCount(): void {
		const due = this.#pendingFaults.filter((f) => (f.afterCommands ?? 0) <= this.commandCount);
		if (due.length === 0) return;
		this.#pendingFaults = this.#pendingFaults.filter((f) => !due.includes(f));
		for (const f of due) this.#arm(f);
	}

	#arm(fault: Fault): void {
		if (fault.onCommand === undefined) { this.#fire(fault); return; }
		this.log("!!", `fault waiting for ${fault.onCommand}: ${describeFault(fault)}`);
		this.#onCommand.push(fault);
	}

	#fire(fault: Fault): void {
		const now = this.clock.now();
		switch (fault.kind) {
			case "timeout": case "cme": case "tlsFailure":
				this.log("!!", `fault armed: ${describeFault(fault)}`);
				this.#armed.push({ fault, left: fault.count ?? 1 });
				return;
			case "reset":
				this.log("!!", "fault: unexpected reset");
				if (this.power !== "off") this.boot();
				return;
			case "resetInOutput":
				this.log("!!", `fault armed: ${describeFault(fault)}`);
				// Without a command: counted from the next byte to leave the UART.
				this.#cut = { fault, at: fault.command === undefined ? this.#emitted + fault.offset : undefined };
				return;
			case "registrationDenied":
				this.log("!!", `fault: ${describeFault(fault)}`);
				this.deniedUntil = fault.durationMs !== undefined ? now + fault.durationMs : Infinity;
				if (this.power === "on" && this.cfun === 1 && this.regStat !== 0) this.deregister(3);
				if (fault.durationMs !== undefined) this.#faultAfter(fault.durationMs, () => {
					if (this.power === "on" && this.regStat === 3) this.startRegistration();
				});
				return;
			case "networkLoss":
				this.log("!!", `fault: ${describeFault(fault)}`);
				this.lossUntil = fault.durationMs !== undefined ? now + fault.durationMs : Infinity;
				if (this.power === "on" && this.cfun === 1) this.deregister(2);
				if (fault.durationMs !== undefined) this.#faultAfter(fault.durationMs, () => {
					if (this.power === "on" && this.cfun === 1 && !this.registered) this.startRegistration();
				});
				return;
			case "pdpLoss":
				// The network deactivates the context: its sockets go first, then the dialect's URC (SIM7080
				// `+APP PDP: 0,DEACTIVE`, BG95 `+QIURC: "pdpdeact",1`); the module stays registered.
				this.log("!!", "fault: PDP context deactivated by the network");
				if (this.power !== "on" || !this.pdpActive) return;
				for (const s of [...this.sockets.values()]) this.closeSocket(s.id, true);
				this.setPdp(false);
				this.dialect.pdpLost(this);
				return;
			case "socketClosed":
				this.log("!!", "fault: the peer closed the socket(s)");
				if (this.power !== "on") return;
				for (const s of [...this.sockets.values()]) if (s.state === "open") this.closeSocket(s.id, true);
				return;
			case "noGnssFix":
				this.log("!!", `fault: ${describeFault(fault)}`);
				this.updateGnss();
				this.noFixUntil = fault.durationMs !== undefined ? now + fault.durationMs : Infinity;
				this.gnss.fixed = false;
				this.gnss.progressMs = 0;
				return;
		}
	}

	#faultAfter(ms: number, fn: () => void): void {
		const handle: TimerHandle = this.clock.set(() => { this.#faultTimers.delete(handle); if (!this.#closed) fn(); }, ms);
		this.#faultTimers.add(handle);
	}

	/**
	 * An armed `resetInOutput`: `at` is the position in the output stream (counted like #queued / #emitted) where
	 * the reset falls; undefined = waiting for its command; -1 = fired, the reboot is on its way.
	 */
	#cut: { fault: Extract<Fault, { kind: "resetInOutput" }>; at: number | undefined } | undefined;

	#takeCommandFault(cmd: Command): Fault | undefined {
		for (const entry of this.#armed) {
			const f = entry.fault;
			if (f.kind !== "timeout" && f.kind !== "cme") continue;
			if (f.command && !cmd.line.toUpperCase().startsWith(f.command.toUpperCase())) continue;
			if (--entry.left <= 0) this.#armed.splice(this.#armed.indexOf(entry), 1);
			return f;
		}
		return undefined;
	}

	/** An armed TLS failure for the open being handled: its code (or the dialect default). */
	takeTlsFault(): { code?: number } | undefined {
		const entry = this.#armed.find((e) => e.fault.kind === "tlsFailure");
		if (!entry) return undefined;
		if (--entry.left <= 0) this.#armed.splice(this.#armed.indexOf(entry), 1);
		const f = entry.fault as Extract<Fault, { kind: "tlsFailure" }>;
		this.log("!!", `fault: TLS failure${f.code !== undefined ? ` (code ${f.code})` : ""}`);
		return f.code !== undefined ? { code: f.code } : {};
	}

	// ---------------------------------------------------------------- lifecycle

	close(): void {
		if (this.#closed) return;
		this.#teardown();
		this.power = "off";
		this.#closed = true;
		for (const h of this.#faultTimers) this.clock.clear(h);
		this.#faultTimers.clear();
		if (this.#pwrTimer) this.clock.clear(this.#pwrTimer);
		this.#ports.clear();
		for (const w of this.#ioWaiters.splice(0)) w();
	}
}
