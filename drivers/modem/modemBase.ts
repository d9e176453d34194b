/**
 * What both modem families share: the AT engine, PWRKEY and rails, power-on with boot markers, the state and its
 * events, reset detection, +CEREG registration, and clean/hard power-down. The family classes
 * (drivers/modem/sim7080, drivers/modem/bg95) supply their commands through the abstract methods.
 */
import AtEngine, { type AtCommandOptions, type AtResult } from "drivers/modem/at";
import type { DigitalOutput } from "drivers/io";
import type { Clock } from "hal/clock";
import type { Fix, ServingCell } from "drivers/gnss/fix";
import type {
	Modem, ModemError, ModemEvent, ModemFamily, ModemOptions, ModemPowerSwitch, ModemRails, ModemResult, ModemState, NetworkTime, PowerOnOptions,
	Registration, TlsOpenOptions,
} from "drivers/modem/modem";
import { fail, ok } from "drivers/modem/modem";
import { isCeregUrc, parseCereg, type CeregInfo } from "drivers/modem/parse";

export interface FamilyProfile {
	readonly family: ModemFamily;
	/** PWRKEY active time to power on / off, ms (hardware design guides). */
	readonly pwrKeyOnMs: number;
	readonly pwrKeyOffMs: number;
	/** From the PWRKEY release until AT must answer. */
	readonly bootTimeoutMs: number;
	/** How long an application command (see readyGatesApplication) waits for the last boot marker at most. */
	readonly markerTimeoutMs: number;
	/** The last boot marker ("SMS Ready", "APP RDY"). */
	readonly readyMarker: string;
	/**
	 * Whether the family's application commands (file system, TCP/IP context, SSL) wait for `readyMarker`. The AT
	 * port, echo, error format, functionality and registration never do: they go as soon as the port answers.
	 */
	readonly readyGatesApplication: boolean;
	/** Silence after a final result code before the next command, unless ModemOptions.guardMs says otherwise. */
	readonly guardMs: number;
	/** Every boot marker; one mid-session means the modem reset. */
	readonly bootMarkers: readonly string[];
	readonly powerDownCommand: string;
	readonly powerDownMarker: string;
	readonly powerDownTimeoutMs: number;
	/** After the power-down marker or a PWRKEY power-off pulse, how long until the module is off (then rails drop). */
	readonly offSettleMs: number;
	/** The family's socket data commands (its TCP/IP or SSL application note). */
	readonly socket: SocketCommands;
}

/** One AT command line with its options. */
export interface AtRequest {
	readonly text: string;
	readonly options: AtCommandOptions;
}

/** How a family sends, reads and closes on an open socket; the shared loop in ModemBase drives them. */
export interface SocketCommands {
	/** Largest payload one send command takes, and the largest read one receive command asks for. */
	readonly maxSend: number;
	readonly maxReceive: number;
	/** Prompted send of `length` bytes (the engine writes the payload after the `> ` prompt). */
	send(socket: number, length: number): AtRequest;
	/** Counted read of at most `length` bytes. */
	receive(socket: number, length: number): AtRequest;
	close(socket: number): AtRequest;
}

export interface TimingOptions {
	/**
	 * Fallback poll period for AT+CEREG? while registering. Registration is driven by the +CEREG URC (AT+CEREG=2);
	 * the poll only covers a URC that never comes. Default 10 000.
	 */
	readonly registrationPollMs?: number;
	/** Registration timeout when attach() gives none. Default 180 s (LTE-M in poor coverage takes minutes). */
	readonly registrationTimeoutMs?: number;
}

const ACTIVE: readonly ModemState[] = Object.freeze(["ready", "attaching", "attached"] as ModemState[]);
/**
 * Boot: the first boot marker (`RDY`) says the AT port is up, and the driver answers it at once. A module set to
 * autobaud prints no `RDY` (it cannot know the host's rate), so an `AT` probe goes out whenever no marker came for
 * this long; the probe's own timeout is short because a booting module ignores it.
 */
const BOOT_PROBE_EVERY_MS = 1000;
const BOOT_PROBE_TIMEOUT_MS = 300;

export default abstract class ModemBase implements Modem {
	protected readonly at: AtEngine;
	protected readonly clock: Clock;
	protected readonly profile: FamilyProfile;
	onEvent: ((event: ModemEvent) => void) | undefined;

	#state: ModemState = "off";
	#pwrKey: DigitalOutput | undefined;
	#ownsPwrKey = false;
	#active: 0 | 1;
	#switch: ModemPowerSwitch | undefined;
	#rails: ModemRails | undefined;
	#log: ((line: string) => void) | undefined;
	#markersSeen: string[] = [];
	#pollMs: number;
	#registrationTimeoutMs: number;
	#wake: (() => void) | undefined;
	/** The newest +CEREG URC since attach() last looked (TS 27.007 10.1.22, n=2). */
	#ceregUrc: CeregInfo | undefined;
	#closed = false;

	protected constructor(options: ModemOptions & TimingOptions, profile: FamilyProfile) {
		if (!options) throw new TypeError("options required");
		if (!options.clock) throw new TypeError("clock required");
		if (!options.pwrKey && !options.powerSwitch) throw new TypeError("pwrKey required");
		if (options.powerSwitch && (typeof options.powerSwitch.on !== "function" || typeof options.powerSwitch.off !== "function"))
			throw new TypeError("invalid powerSwitch");
		if (options.pwrKeyActive !== undefined && options.pwrKeyActive !== 0 && options.pwrKeyActive !== 1)
			throw new RangeError("invalid pwrKeyActive");
		this.clock = options.clock;
		this.profile = profile;
		this.onEvent = options.onEvent;
		this.#log = options.log;
		this.#rails = options.rails;
		this.#active = options.pwrKeyActive ?? 1;
		this.#pollMs = options.registrationPollMs ?? 10_000;
		this.#registrationTimeoutMs = options.registrationTimeoutMs ?? 180_000;
		this.#switch = options.powerSwitch;
		const key = options.pwrKey as { io?: unknown; pin?: number | string } | undefined;
		if (this.#switch || !key) {
			// No PWRKEY under our control: the switch stands in for the pulses.
		} else if (typeof key.io === "function") {
			const spec = options.pwrKey as { io: new (o: object) => DigitalOutput; pin: number | string };
			const Io = spec.io as unknown as { new (o: object): DigitalOutput; Output: unknown };
			this.#pwrKey = new Io({ pin: spec.pin, mode: Io.Output });
			this.#ownsPwrKey = true;
		} else this.#pwrKey = options.pwrKey as DigitalOutput;
		this.#pwrKey?.write(this.#idle());
		this.at = new AtEngine({
			serial: options.serial,
			clock: options.clock,
			guardMs: options.guardMs ?? profile.guardMs,
			log: options.log,
			onUnsolicited: (line) => this.#log?.("? " + line),
			// The first boot line: a reset inside a counted read must not be taken for payload.
			breakLines: [profile.bootMarkers[0]],
		});
		for (const marker of profile.bootMarkers) this.at.on((line) => line === marker, (line) => this.#onBootMarker(line));
		this.at.on(isCeregUrc, (line) => {
			const info = parseCereg(line, "urc");
			if (!info) return false;
			this.#ceregUrc = info;
			this.emit({ type: "registration", stat: info.stat });
			this.#wake?.();
		});
	}

	get family(): ModemFamily {
		return this.profile.family;
	}

	get state(): ModemState {
		return this.#state;
	}

	// ---- family hooks -------------------------------------------------------------------------------------

	/** Family commands after ATE0/CMEE/CFUN (network time URCs, data format). */
	protected abstract configureFamily(): Promise<ModemResult<void>>;
	/** APN before registration. */
	protected abstract setApn(apn: string): Promise<ModemResult<void>>;
	/** PDP activation after registration. */
	protected abstract activatePdp(): Promise<ModemResult<void>>;
	/** Forget sockets and GNSS after a reset or power-down. */
	protected abstract forgetSession(): void;
	/** Whether the PDP context is active, by query (after a failed command); true when the query itself fails. */
	protected abstract dataActive(): Promise<boolean>;

	abstract networkTime(): Promise<ModemResult<NetworkTime>>;
	abstract servingCell(): Promise<ModemResult<ServingCell>>;
	abstract uploadCa(name: string, pem: Uint8Array): Promise<ModemResult<void>>;
	abstract open(options: TlsOpenOptions): Promise<ModemResult<number>>;
	abstract gnssOn(): Promise<ModemResult<void>>;
	abstract gnssRead(): Promise<ModemResult<Fix>>;
	abstract gnssOff(): Promise<ModemResult<void>>;

	// ---- lifecycle ----------------------------------------------------------------------------------------

	async powerOn(options: PowerOnOptions = {}): Promise<ModemResult<void>> {
		if (this.#closed) return fail({ kind: "closedDriver" });
		if (this.#state !== "off" && this.#state !== "failed")
			return fail({ kind: "state", step: "powerOn", state: this.#state });
		this.#setState("booting");
		this.#markersSeen = [];
		this.#powerOnAbandoned = false;
		const railsOn = this.#rails?.on();
		if (railsOn && !railsOn.ok) {
			this.#setState("failed");
			return railsOn;
		}
		// A module left on (the ESP32 reset, the modem did not) would be switched OFF by a PWRKEY pulse: ask first.
		// With rails that were off, nothing can answer; one short probe costs 300 ms.
		if (!options.knownOff && (await this.#probe(this.#rails ? 1 : 2, this.#rails ? 300 : 500))) return this.#quiet(options);
		for (let attempt = 0; attempt < 2; attempt++) {
			if (attempt > 0) {
				// PWRKEY toggles power. The first pulse switched a silent module on, so a second "on" pulse would switch
				// it off: cycle it instead (off pulse, let it settle, on pulse). The module is then believed on, and a
				// later powerDown()'s power-off pulse switches it off.
				await this.#pulse(this.profile.pwrKeyOffMs, "off");
				await this.delay(this.profile.offSettleMs);
			}
			await this.#pulse(this.profile.pwrKeyOnMs, "on");
			const answered = await this.#awaitPort(this.clock.now() + this.profile.bootTimeoutMs);
			if (answered === "closed") return fail({ kind: "closedDriver" });
			if (answered) {
				// Commands go as soon as the port answers: the later boot markers (SIM, SMS, application) do not gate
				// AT+CFUN or registration; application commands wait for the last one where the family says so
				// (appReady()).
				if (radioOffWanted(options) && !(await this.#radioOff(options))) return this.#failedBoot();
				return this.#booted();
			}
		}
		this.#setState("failed");
		return fail({ kind: "timeout", step: "boot" });
	}

	abandonPowerOn(): void {
		if (this.#state !== "booting" || this.#powerOnAbandoned) return;
		this.#powerOnAbandoned = true;
		this.#log?.("power-on abandoned: a refused command is not waited for");
		for (const wake of this.#readyWaiters.slice()) wake();
	}

	/** abandonPowerOn() was called during the power-on in flight. */
	#powerOnAbandoned = false;

	async configure(): Promise<ModemResult<void>> {
		if (this.#state !== "booted" && !ACTIVE.includes(this.#state))
			return fail({ kind: "state", step: "configure", state: this.#state });
		// V.250 6.2.4 echo off; TS 27.007 9.1 numeric +CME errors; TS 27.007 8.2 full functionality.
		for (const cmd of ["ATE0", "AT+CMEE=1"]) {
			const r = await this.run(cmd);
			if (!r.ok) return r;
		}
		const cfun = await this.run("AT+CFUN=1", { timeoutMs: 10_000 });
		if (!cfun.ok) return cfun;
		const family = await this.configureFamily();
		if (!family.ok) return family;
		if (this.#state === "booted") this.#setState("ready");
		return ok(undefined);
	}

	async attach(options: { readonly apn: string; readonly timeoutMs?: number }): Promise<ModemResult<Registration>> {
		if (this.#state !== "ready" && this.#state !== "attached")
			return fail({ kind: "state", step: "attach", state: this.#state });
		if (typeof options?.apn !== "string" || /["\r\n]/.test(options.apn)) return fail({ kind: "parse", step: "attach", reason: "invalid apn" });
		this.#setState("attaching");
		const result = await this.#attach(options.apn, options.timeoutMs ?? this.#registrationTimeoutMs);
		if ((this.#state as ModemState) === "attaching") this.#setState(result.ok ? "attached" : "ready");
		return result;
	}

	async #attach(apn: string, timeoutMs: number): Promise<ModemResult<Registration>> {
		const deadline = this.clock.now() + timeoutMs;
		const apnResult = await this.setApn(apn);
		if (!apnResult.ok) return apnResult;
		// TS 27.007 10.1.22: n=2 reports every <stat> change as a URC, with <tac>,<ci>,<AcT> once registered. The
		// wait below wakes on that URC; the read command asks once now, and again only when no URC came for a whole
		// poll period (a fallback, never the pace).
		const enable = await this.run("AT+CEREG=2");
		if (!enable.ok) return enable;
		this.#ceregUrc = undefined;
		let read = await this.#readCereg();
		if (!read.ok) return read;
		// A URC that arrived while the read was in flight is newer than the read's answer.
		let info = this.#takeCeregUrc() ?? read.value;
		while (info.stat !== 1 && info.stat !== 5) {
			if (info.stat === 3) return fail({ kind: "denied" });
			const left = deadline - this.clock.now();
			if (left <= 0) return fail({ kind: "noService" });
			if (!this.#ceregUrc) await this.#sleepOrWake(Math.min(this.#pollMs, left));
			if ((this.#state as ModemState) !== "attaching") return fail({ kind: "reset" });
			const urc = this.#takeCeregUrc();
			if (urc) info = urc;
			else if (this.clock.now() < deadline) {
				read = await this.#readCereg();
				if (!read.ok) return read;
				info = this.#takeCeregUrc() ?? read.value;
			}
		}
		const reg: { roaming: boolean; tac?: number; cellId?: number; act?: number } = { roaming: info.stat === 5 };
		if (info.tac !== undefined) reg.tac = info.tac;
		if (info.cellId !== undefined) reg.cellId = info.cellId;
		if (info.act !== undefined) reg.act = info.act;
		const pdp = await this.activatePdp();
		if (!pdp.ok) return pdp;
		return ok(reg);
	}

	/** AT+CEREG? -> `+CEREG: <n>,<stat>[,[<tac>],[<ci>],[<AcT>]]` (TS 27.007 10.1.22). */
	async #readCereg(): Promise<ModemResult<CeregInfo>> {
		const r = await this.run("AT+CEREG?");
		if (!r.ok) return r;
		const line = r.value.lines.find((l) => l.startsWith("+CEREG:"));
		const info = line ? parseCereg(line, "read") : undefined;
		return info ? ok(info) : fail({ kind: "parse", step: "AT+CEREG?", reason: "no +CEREG line" });
	}

	#takeCeregUrc(): CeregInfo | undefined {
		const info = this.#ceregUrc;
		this.#ceregUrc = undefined;
		return info;
	}

	async powerDown(): Promise<ModemResult<"clean" | "hard">> {
		if (this.#closed) return fail({ kind: "closedDriver" });
		if (this.#state === "off") return ok("clean");
		this.#setState("poweringDown");
		const answer = await this.#powerDownByCommand();
		const how: "clean" | "hard" = answer === "done" ? "clean" : "hard";
		if (answer !== "done") {
			this.#log?.(`! modem did not power down cleanly (${answer === "refused" ? "command refused" : "no answer"}): PWRKEY power-off pulse`);
			this.at.abort();
			await this.#pulse(this.profile.pwrKeyOffMs, "off");
			// A module that refused the command answered: it was on, and the pulse switched it off. Only a silent one
			// may have been off already, and switched on by the pulse. The refused one still takes its shutdown time
			// after the pulse: without rails to cut, give it that before anything powers it on again (an AT probe
			// answered while it shuts down would pass for a module left on).
			if (answer === "silent" && !this.#rails && (this.#pwrKey || this.#switch)) await this.#confirmOffAfterPulse();
			else if (answer === "refused" && !this.#rails) await this.delay(this.profile.offSettleMs);
		}
		// The power-down marker comes before the module has finished shutting down: let it, then drop the rails.
		if (this.#rails) await this.delay(this.profile.offSettleMs);
		const railsOff = this.#rails?.off();
		if (railsOff && !railsOff.ok) this.#log?.("! rails off failed");
		this.forgetSession();
		this.#setState("off");
		return ok(how);
	}

	/**
	 * PWRKEY toggles the module's power: the same low pulse switches it on when off and off when on (SIM7080G HD
	 * "Power on/off" and BG95 HD "Turn on/Turn off" sections; see the pulse widths in each family's profile). A module
	 * that did not answer the power-down command may have been off already (a supply dip, or it shut itself down
	 * with a line we did not see): the power-off pulse has then switched it ON, and a module boots with full
	 * functionality by default, its radio on while the device believes it dormant. With rails the supply is cut
	 * next anyway; without, watch it for a boot time: a module that comes up answers the power-down command now.
	 * One that stays silent is off (or hung beyond what a pulse can do; only rails could tell).
	 */
	async #confirmOffAfterPulse(): Promise<void> {
		this.#markersSeen = [];
		const cameUp = await this.#awaitPort(this.clock.now() + this.profile.bootTimeoutMs);
		if (cameUp !== true) return;
		this.#log?.("! the power-off pulse switched a silent module on: powering it down by command");
		if ((await this.#powerDownByCommand()) === "done") return;
		// It answered AT a moment ago, so it is on and booted: this pulse switches it off.
		this.at.abort();
		await this.#pulse(this.profile.pwrKeyOffMs, "off");
	}

	/** "done": powered down by command; "refused": the module answered ERROR (so it is on); "silent": no answer. */
	async #powerDownByCommand(): Promise<"done" | "refused" | "silent"> {
		// SIM7080 AT+CPOWD=1 answers `NORMAL POWER DOWN` alone; BG95 AT+QPOWD=1 answers OK, then `POWERED DOWN`.
		const marker = this.profile.powerDownMarker;
		const isMarker = (line: string) => (line === marker ? "ok" as const : undefined);
		const r = await this.at.command(this.profile.powerDownCommand, { timeoutMs: this.profile.powerDownTimeoutMs, final: isMarker, after: isMarker });
		return r.status === "ok" ? "done" : r.status === "error" ? "refused" : "silent";
	}

	/** Releases the engine (and the serial port), the PWRKEY pin if the driver opened it, and timers. */
	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#wake?.();
		this.at.close();
		if (this.#ownsPwrKey) this.#pwrKey?.close();
		this.#pwrKey = undefined;
	}

	// ---- helpers for the families -------------------------------------------------------------------------

	/** Socket ids this driver has open; a family removes an id when the modem reports it closed. */
	protected readonly sockets = new Set<number>();

	/**
	 * Runs a query command allowed in `states`, finds its `prefix` line and parses it; a missing or unparsable line
	 * is a parse error with `missing` as the reason.
	 */
	protected async queryLine<T>(
		query: { readonly command: string; readonly step: string; readonly prefix: string; readonly missing: string },
		parse: (line: string) => T | undefined,
		...states: ModemState[]
	): Promise<ModemResult<T>> {
		const bad = this.requireState(query.step, ...states);
		if (bad) return fail(bad);
		const r = await this.run(query.command);
		if (!r.ok) return r;
		const line = r.value.lines.find((l) => l.startsWith(query.prefix));
		const value = line ? parse(line) : undefined;
		return value !== undefined ? ok(value) : fail({ kind: "parse", step: query.step, reason: query.missing });
	}

	/** The bearer is gone: every socket with it; tell the owner about each. */
	protected dropSockets(): void {
		const gone = [...this.sockets];
		this.sockets.clear();
		for (const socket of gone) this.emit({ type: "socketClosed", socket });
	}

	async send(socket: number, data: Uint8Array): Promise<ModemResult<number>> {
		if (!this.sockets.has(socket)) return fail({ kind: "closed", socket });
		const commands = this.profile.socket;
		let sent = 0;
		while (sent < data.length) {
			const chunk = data.subarray(sent, Math.min(data.length, sent + commands.maxSend));
			const { text, options } = commands.send(socket, chunk.length);
			const r = await this.run(text, { ...options, payload: chunk });
			if (!r.ok) return this.sockets.has(socket) ? r : fail({ kind: "closed", socket });
			sent += chunk.length;
		}
		return ok(sent);
	}

	async receive(socket: number, max: number): Promise<ModemResult<Uint8Array>> {
		if (!this.sockets.has(socket)) return fail({ kind: "closed", socket });
		const commands = this.profile.socket;
		const { text, options } = commands.receive(socket, Math.max(1, Math.min(commands.maxReceive, max | 0)));
		const r = await this.run(text, options);
		if (!r.ok) return r;
		return ok(r.value.data ?? new Uint8Array(0));
	}

	async closeSocket(socket: number): Promise<ModemResult<void>> {
		if (!this.sockets.has(socket)) return ok(undefined);
		this.sockets.delete(socket);
		const { text, options } = this.profile.socket.close(socket);
		const r = await this.run(text, options);
		return r.ok ? ok(undefined) : r;
	}

	protected emit(event: ModemEvent): void {
		try {
			this.onEvent?.(event);
		} catch {
			// A listener's failure is not the modem's: never let it break the parser (CONVENTIONS.md 8).
		}
	}

	protected log(line: string): void {
		this.#log?.(line);
	}

	/**
	 * Runs a command and maps its status to a result. `stillWanted`: for a command that may be sent again after the
	 * ready marker (below), whether it is still wanted then; if not, its first answer stands.
	 */
	protected async run(text: string, options?: AtCommandOptions, stillWanted?: () => boolean): Promise<ModemResult<AtResult>> {
		if (this.#closed) return fail({ kind: "closedDriver" });
		let r = await this.at.command(text, options);
		const step = stepName(text);
		const wanted = () => !(this.#state === "booting" && this.#powerOnAbandoned) && (stillWanted?.() ?? true);
		if (r.status === "error" && r.code === undefined && this.profile.readyGatesApplication &&
			this.#markersSeen.indexOf(this.profile.readyMarker) < 0 && wanted()) {
			// A BG95 answers ERROR between RDY and APP RDY (Zephyr PR 57110; Quectel's BG96 AT manual V2.5 §21.7: send
			// commands after APP RDY): wait for the marker (markerTimeoutMs at most), then ask once more.
			this.#log?.(`${step}: ERROR before ${this.profile.readyMarker}: once more after it`);
			await this.appReady();
			if (this.#closed) return fail({ kind: "closedDriver" });
			// Seen, or waited for as long as the family allows (its line lost, say in light sleep): do not wait again.
			if (this.#markersSeen.indexOf(this.profile.readyMarker) < 0 && !this.#powerOnAbandoned) this.#markersSeen.push(this.profile.readyMarker);
			if (wanted()) r = await this.at.command(text, options);
		}
		if (r.status !== "aborted" && ACTIVE.includes(this.#state)) {
			if (r.echoed && text !== "ATE0") {
				// Echo is on after every boot (V.250 6.2.4 default E1) and off since configure(): the modem rebooted.
				this.#resetDetected("echo is back on");
				return fail({ kind: "reset" });
			}
			// A timeout, or a bare ERROR after AT+CMEE=1 (numeric codes are the command's own answer): check the state.
			if (r.status === "timeout" || (r.status === "error" && r.code === undefined)) await this.#check(r.status === "timeout");
		}
		switch (r.status) {
			case "ok":
				return ok(r);
			case "error":
				return fail(r.code === undefined ? { kind: "error", step } : { kind: "error", step, code: r.code });
			case "timeout":
				return fail({ kind: "timeout", step });
			default:
				return fail(this.#closed ? { kind: "closedDriver" } : { kind: "reset" });
		}
	}

	protected requireState(step: string, ...states: ModemState[]): ModemError | undefined {
		return states.includes(this.#state) ? undefined : { kind: "state", step, state: this.#state };
	}

	/**
	 * Reactivates the PDP context from "ready" while the module is still registered (after a GNSS window); the
	 * state goes back to "attached" on success and stays "ready" otherwise.
	 */
	protected async resumeData(): Promise<ModemResult<void>> {
		if (this.#state !== "ready") return fail({ kind: "state", step: "resumeData", state: this.#state });
		this.#setState("attaching");
		const r = await this.activatePdp();
		if ((this.#state as ModemState) === "attaching") this.#setState(r.ok ? "attached" : "ready");
		return r;
	}

	/**
	 * After a failed socket open in "attached": is the data context still up? The network's deactivation URC may
	 * never have reached us: the ESP32 loses every byte that arrives while it light-sleeps between operations
	 * (hal/power LightSleep; ESP-IDF "Sleep Modes", UART Wakeup), and a numeric +CME ERROR skips run()'s own check.
	 * Without this, each later open fails the same way while the driver still believes it is attached.
	 */
	protected async confirmData(): Promise<void> {
		if (this.#state !== "attached" || this.#closed) return;
		if (await this.dataActive()) return;
		if ((this.#state as ModemState) !== "attached") return;
		this.#log?.("! PDP context gone");
		this.dropSockets();
		this.pdpLost();
	}

	/** Drops to "ready" when the network deactivates the PDP context. */
	protected pdpLost(): void {
		if (this.#state === "attached") this.#setState("ready");
		this.emit({ type: "pdp", active: false });
	}

	protected delay(ms: number): Promise<void> {
		return new Promise((resolve) => this.clock.set(resolve, ms));
	}

	// ---- internals ----------------------------------------------------------------------------------------

	#idle(): 0 | 1 {
		return this.#active === 1 ? 0 : 1;
	}

	/** A PWRKEY pulse of `ms` that switches the module `to` on or off; with a power switch, the switch instead. */
	async #pulse(ms: number, to: "on" | "off"): Promise<void> {
		if (this.#switch) {
			this.#log?.("power switch " + to);
			await this.#switch[to]();
			return;
		}
		this.#pwrKey?.write(this.#active);
		await this.delay(ms);
		this.#pwrKey?.write(this.#idle());
	}

	/**
	 * After the power-on pulse: resolves true once the module answers `AT`, reacting to its first boot marker at
	 * once and probing only when none came for BOOT_PROBE_EVERY_MS; false at `deadline`; "closed" if the driver was
	 * closed meanwhile.
	 */
	async #awaitPort(deadline: number): Promise<boolean | "closed"> {
		const first = this.profile.bootMarkers[0];
		while (this.clock.now() < deadline && !this.#closed) {
			const seen = this.#markersSeen.indexOf(first) >= 0 ||
				(await this.at.waitFor((line) => line === first, Math.min(BOOT_PROBE_EVERY_MS, deadline - this.clock.now()))) !== undefined;
			if (this.#closed) break;
			// A probe sent before the port was up is lost: if RDY arrives meanwhile, end the probe there and answer RDY.
			let cut = false;
			const stop = seen ? undefined : this.at.on((line) => line === first, () => {
				cut = true;
				this.at.abort();
				return false;
			});
			const r = await this.at.command("AT", { timeoutMs: seen ? 1000 : BOOT_PROBE_TIMEOUT_MS });
			stop?.();
			if (r.status === "ok") return true;
			if (cut) continue;
			if (r.status === "aborted") return "closed";
			// ERROR from a module still starting up: give it a moment rather than hammering it.
			if (r.status === "error") await this.delay(500);
		}
		return this.#closed ? "closed" : false;
	}

	/**
	 * For families whose application commands need the last boot marker (FamilyProfile.readyGatesApplication):
	 * resolves once it has been seen since the module's last `RDY`, or after markerTimeoutMs (then the command
	 * goes anyway and the module's answer tells).
	 */
	protected appReady(): Promise<void> {
		if (!this.profile.readyGatesApplication || this.#markersSeen.indexOf(this.profile.readyMarker) >= 0) return Promise.resolve();
		return new Promise((resolve) => {
			const done = () => {
				this.clock.clear(timer);
				const i = this.#readyWaiters.indexOf(done);
				if (i >= 0) this.#readyWaiters.splice(i, 1);
				resolve();
			};
			const timer = this.clock.set(done, this.profile.markerTimeoutMs);
			this.#readyWaiters.push(done);
		});
	}

	#readyWaiters: Array<() => void> = [];

	async #probe(tries: number, timeoutMs: number): Promise<boolean> {
		for (let i = 0; i < tries; i++) {
			const r = await this.at.command("AT", { timeoutMs });
			if (r.status === "ok") return true;
		}
		return false;
	}

	/** PowerOnOptions.radioOff: flight mode (AT+CFUN=4) as the first command. */
	async #radioOff(options: PowerOnOptions): Promise<boolean> {
		// A gesture recognised while a refused AT+CFUN=4 waits for the ready marker wants the RF after all: the
		// module's own default (+CFUN: 1) stands.
		const wanted = () => radioOffWanted(options);
		return (await this.run("AT+CFUN=4", { timeoutMs: 10_000 }, wanted)).ok || !wanted();
	}

	async #quiet(options: PowerOnOptions): Promise<ModemResult<void>> {
		// Already running when asked: its boot markers went out long ago.
		this.#markersSeen = [...this.profile.bootMarkers];
		if (radioOffWanted(options) && !(await this.#radioOff(options))) return this.#failedBoot();
		return this.#booted();
	}

	#failedBoot(): ModemResult<void> {
		this.#powerOnAbandoned = false;
		this.#setState("failed");
		return fail({ kind: "error", step: "AT+CFUN" });
	}

	#booted(): ModemResult<void> {
		// An abandoned power-on that still ends booted (the gesture completed meanwhile) is an ordinary boot now.
		this.#powerOnAbandoned = false;
		this.#setState("booted");
		return ok(undefined);
	}

	#onBootMarker(line: string): boolean | void {
		// RDY starts a boot: the markers seen before belong to the previous one.
		if (line === this.profile.bootMarkers[0]) this.#markersSeen = [];
		this.#markersSeen.push(line);
		if (line === this.profile.readyMarker) for (const wake of this.#readyWaiters.slice()) wake();
		// Expected during boot: let it reach powerOn()'s wait for the port (or the AT probe in flight).
		if (!ACTIVE.includes(this.#state)) return false;
		// The first boot line (`RDY`) comes only after a (re)boot. The later ones (`SMS Ready`, `APP RDY`) can come
		// seconds after RDY, in the middle of configure or attach, when AT already answered: not a reset by
		// themselves. A reset whose RDY was lost shows by the echo of the next command (see run()).
		if (line !== this.profile.bootMarkers[0]) {
			this.#log?.("late boot line " + line);
			return;
		}
		this.#resetDetected("boot line " + line);
	}

	/**
	 * After a failed command in a configured state: is the modem still the one we configured, and is the data
	 * context still up? `AT` echoed = it rebooted; no answer at all = it is rebooting or hung (failed: the owner
	 * powers it on again, which probes first); the family checks the PDP context.
	 */
	async #check(timedOut: boolean): Promise<void> {
		if (this.#checking || this.#closed) return;
		this.#checking = true;
		try {
			let answered = false;
			for (let i = 0; i < (timedOut ? 3 : 1) && !answered; i++) {
				const r = await this.at.command("AT", { timeoutMs: 1000 });
				if (r.status === "aborted" || !ACTIVE.includes(this.#state)) return;
				if (r.echoed) {
					this.#resetDetected("echo is back on");
					return;
				}
				answered = r.status === "ok";
			}
			if (!answered) {
				this.#log?.("! modem does not answer: failed");
				this.at.abort();
				this.forgetSession();
				this.dropSockets();
				this.#setState("failed");
				this.#wake?.();
				this.emit({ type: "reset" });
				return;
			}
			if (this.#state === "attached" && !(await this.dataActive())) {
				this.#log?.("! PDP context gone");
				this.dropSockets();
				this.pdpLost();
			}
		} finally {
			this.#checking = false;
		}
	}

	#checking = false;

	#resetDetected(why: string): void {
		this.#log?.("! " + why + ": modem reset");
		this.at.abort();
		this.forgetSession();
		this.#setState("booted");
		this.#wake?.();
		this.emit({ type: "reset" });
	}

	#sleepOrWake(ms: number): Promise<void> {
		return new Promise((resolve) => {
			const timer = this.clock.set(() => done(), ms);
			const done = () => {
				this.clock.clear(timer);
				this.#wake = undefined;
				resolve();
			};
			this.#wake = done;
		});
	}

	#setState(to: ModemState): void {
		const from = this.#state;
		if (from === to) return;
		this.#state = to;
		this.#log?.("modem " + from + " -> " + to);
		this.emit({ type: "state", from, to });
	}
}

function radioOffWanted(options: PowerOnOptions): boolean {
	return typeof options.radioOff === "function" ? options.radioOff() : options.radioOff === true;
}

/** The command name for error reports: "AT+CAOPEN" from `AT+CAOPEN=0,0,"TCP",...` (no arguments, no secrets). */
export function stepName(text: string): string {
	const m = /^AT[+*#$%^&]?[A-Za-z0-9]*\??/.exec(text);
	return m ? m[0] : "AT";
}
