/**
 * SIMCom SIM7080G (and SIM7000G through options) behind the Modem interface.
 *
 * Commands and replies from the SIM7080 Series AT Command Manual (SIMCom, V1.0x) — cited by command name, as the
 * section numbers differ between manual revisions — and its companion notes (SIM7080 Series TCP/IP Application
 * Note, SSL Application Note, File System Application Note, GNSS Application Note). Power timing from the SIM7080G
 * Hardware Design (PWRKEY low > 1 s to power on, > 1.2 s to power off).
 */
import type { Fix, ServingCell } from "drivers/gnss/fix";
import { parseCgnsinf } from "drivers/gnss/cgnsinf";
import ModemBase, { type FamilyProfile, type TimingOptions } from "drivers/modem/modemBase";
import type { ModemOptions, ModemResult, NetworkTime, TlsOpenOptions } from "drivers/modem/modem";
import { fail, ok } from "drivers/modem/modem";
import { parseCpsi, parseNetworkClock, parsePsuttz, splitFields } from "drivers/modem/parse";

export interface Sim7080Options extends ModemOptions, TimingOptions {
	/** "sim7000": SIM7000G differences (PDP via AT+CNACT=1 and `+APP PDP: ACTIVE`, no context index). */
	readonly variant?: "sim7080" | "sim7000";
	/** Seconds the modem waits for the CA file bytes after DOWNLOAD (AT+CFSWFILE <timeout> is in ms). */
	readonly uploadTimeoutMs?: number;
}

const PROFILE: FamilyProfile = Object.freeze({
	family: "sim7080",
	pwrKeyOnMs: 1200,
	pwrKeyOffMs: 1500,
	bootTimeoutMs: 30_000,
	markerTimeoutMs: 10_000,
	readyMarker: "SMS Ready",
	bootMarkers: Object.freeze(["RDY", "SMS Ready"]),
	// `SMS Ready` reports the SMS service; we found no SIMCom document that makes the TCP/IP, SSL or file system
	// commands (their application notes) wait for it, so nothing here does. The AT port is up at `RDY`.
	readyGatesApplication: false,
	// The SIM7080 AT manual asks the host to wait for the final result code, not for a pause after it (the 20 ms
	// guard is Telit's and u-blox's, drivers/modem/at.ts): the next command goes at once.
	guardMs: 0,
	powerDownCommand: "AT+CPOWD=1",
	powerDownMarker: "NORMAL POWER DOWN",
	powerDownTimeoutMs: 10_000,
	offSettleMs: 2000,
	socket: Object.freeze({
		// AT+CASEND <datalen> and AT+CARECV <readlen> upper bound (1460 bytes per call).
		maxSend: 1460,
		maxReceive: 1460,
		// AT+CASEND=<cid>,<datalen> -> `>` -> <datalen> bytes -> OK.
		send: (socket: number, length: number) => ({ text: `AT+CASEND=${socket},${length}`, options: { timeoutMs: 30_000 } }),
		// AT+CARECV=<cid>,<readlen> -> `+CARECV: <recvlen>,<data>` (raw bytes, may hold CR/LF) OK; `+CARECV: 0` empty.
		receive: (socket: number, length: number) => ({ text: `AT+CARECV=${socket},${length}`, options: { counted: { prefix: "+CARECV: ", inline: true }, timeoutMs: 10_000 } }),
		close: (socket: number) => ({ text: `AT+CACLOSE=${socket}`, options: { timeoutMs: 10_000 } }),
	}),
});

/** AT+CAOPEN <cid> range 0..12; the driver uses as many as it needs from 0. */
const MAX_SOCKETS = 13;
/** AT+CFSWFILE <size> upper bound. */
const MAX_FILE = 10240;

export default class Sim7080 extends ModemBase {
	#variant: "sim7080" | "sim7000";
	/** The PDP context was taken down for a GNSS window and comes back when GNSS stops. */
	#pdpDown: (() => void) | undefined;
	#cancelPdp: (() => void) | undefined;
	#uploadTimeoutMs: number;
	#apn = "";
	#gnss = false;

	constructor(options: Sim7080Options) {
		const variant = options?.variant ?? "sim7080";
		if (variant !== "sim7080" && variant !== "sim7000") throw new RangeError("invalid variant");
		super(options, variant === "sim7000" ? Object.freeze({ ...PROFILE, family: "sim7000" as const }) : PROFILE);
		this.#variant = variant;
		this.#uploadTimeoutMs = options.uploadTimeoutMs ?? 10_000;
		// AT+CAOPEN: `+CADATAIND: <cid>` data waiting; `+CASTATE: <cid>,<state>` state 0 = closed by the peer.
		this.at.on("+CADATAIND:", (line) => {
			const cid = Number(line.slice(11).trim());
			if (this.sockets.has(cid)) this.emit({ type: "data", socket: cid });
		});
		this.at.on("+CASTATE:", (line) => {
			const [cid, state] = splitFields(line.slice(9)).map(Number);
			if (state === 0 && this.sockets.delete(cid)) this.emit({ type: "socketClosed", socket: cid });
		});
		// AT+CNACT: `+APP PDP: <pdpidx>,DEACTIVE` when the network drops the context.
		this.at.on("+APP PDP:", (line) => {
			if (!/DEACTIVE/.test(line)) return false;
			this.dropSockets();
			this.pdpLost();
			this.#pdpDown?.();
		});
		// AT+CLTS=1 network time URCs: `*PSUTTZ: ...` (UTC and offset, see parsePsuttz), `+CTZV: ±zz,dst`, `DST: d`.
		this.at.on("*PSUTTZ:", (line) => {
			const time = parsePsuttz(line);
			if (time) this.emit({ type: "time", time });
		});
		this.at.on("+CTZV:", () => undefined);
		this.at.on("DST:", () => undefined);
	}

	protected async configureFamily(): Promise<ModemResult<void>> {
		// AT+CLTS=1: get local time stamp from the network and report *PSUTTZ (SIM7080 manual, AT+CLTS).
		const r = await this.run("AT+CLTS=1");
		return r.ok ? ok(undefined) : r;
	}

	protected async setApn(apn: string): Promise<ModemResult<void>> {
		// SIM7080: AT+CNCFG=<pdpidx>,<ip_type 1 = IP>,"<APN>". SIM7000: the PDP context (TS 27.007 10.1.1
		// AT+CGDCONT) and the APN again in AT+CNACT=1,"<APN>" (SIM7000 Series AT Command Manual, AT+CNACT).
		this.#apn = apn;
		const cmd = this.#variant === "sim7000" ? `AT+CGDCONT=1,"IP","${apn}"` : `AT+CNCFG=0,1,"${apn}"`;
		const r = await this.run(cmd);
		return r.ok ? ok(undefined) : r;
	}

	protected async activatePdp(): Promise<ModemResult<void>> {
		// AT+CNACT=0,1 -> OK, then `+APP PDP: 0,ACTIVE` (allow 60 s). SIM7000: AT+CNACT=1,"<apn>" -> `+APP PDP: ACTIVE`.
		const sim7000 = this.#variant === "sim7000";
		// The waiter is armed before the command (the URC may arrive in the same chunk as OK) and removed when the
		// command fails: a stale waiter would swallow the `+APP PDP` of the next session on this engine.
		let stop = (): void => {};
		const active = new Promise<string | undefined>((resolve) => {
			const remove = this.at.on((line) => (sim7000 ? line === "+APP PDP: ACTIVE" : /^\+APP PDP: 0,ACTIVE$/.test(line)), (line) => {
				stop();
				resolve(line);
			});
			const timer = this.clock.set(() => {
				stop();
				resolve(undefined);
			}, 60_000);
			stop = () => {
				remove();
				this.clock.clear(timer);
				this.#cancelPdp = undefined;
			};
			// A reset while waiting: no `+APP PDP` will come (forgetSession() ends the wait at once).
			this.#cancelPdp = () => {
				stop();
				resolve(undefined);
			};
		});
		const r = await this.run(sim7000 ? `AT+CNACT=1,"${this.#apn}"` : "AT+CNACT=0,1", { timeoutMs: 60_000 });
		if (!r.ok) {
			stop();
			// Already active answers ERROR on some firmware; the query tells. SIM7080: `+CNACT: <pdpidx>,<statusx>,
			// <address>` per context (context 1 inactive is `+CNACT: 1,0,…`); SIM7000: `+CNACT: <status>,<address>`.
			const q = await this.run("AT+CNACT?");
			const up = sim7000 ? /^\+CNACT: 1,/ : /^\+CNACT: 0,1,/;
			if (q.ok && q.value.lines.some((l) => up.test(l))) return ok(undefined);
			return r;
		}
		if ((await active) === undefined) return fail(this.state === "attaching" ? { kind: "timeout", step: "+APP PDP" } : { kind: "reset" });
		this.emit({ type: "pdp", active: true });
		return ok(undefined);
	}

	protected async dataActive(): Promise<boolean> {
		// AT+CNACT?: `+CNACT: <pdpidx>,<statusx>,<address>` (SIM7000: `+CNACT: <status>,<address>`).
		const q = await this.at.command("AT+CNACT?", { timeoutMs: 3000 });
		if (q.status !== "ok") return true;
		const up = this.#variant === "sim7000" ? /^\+CNACT: 1,/ : /^\+CNACT: 0,1,/;
		return q.lines.some((l) => up.test(l));
	}

	protected forgetSession(): void {
		this.sockets.clear();
		this.#gnss = false;
		this.#cancelPdp?.();
		this.#pdpDown?.();
	}

	async networkTime(): Promise<ModemResult<NetworkTime>> {
		// 3GPP TS 27.007 8.15: +CCLK: "yy/MM/dd,hh:mm:ss±zz".
		return this.queryLine({ command: "AT+CCLK?", step: "AT+CCLK?", prefix: "+CCLK:", missing: "clock not set by the network" },
			(line) => parseNetworkClock(line.slice(6).trim()), "booted", "ready", "attaching", "attached");
	}

	async servingCell(): Promise<ModemResult<ServingCell>> {
		return this.queryLine({ command: "AT+CPSI?", step: "AT+CPSI?", prefix: "+CPSI:", missing: "no LTE serving cell" },
			parseCpsi, "ready", "attaching", "attached");
	}

	async uploadCa(name: string, pem: Uint8Array): Promise<ModemResult<void>> {
		const bad = this.requireState("uploadCa", "ready", "attaching", "attached");
		if (bad) return fail(bad);
		if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) return fail({ kind: "parse", step: "uploadCa", reason: "invalid name" });
		if (pem.length === 0 || pem.length > MAX_FILE) return fail({ kind: "parse", step: "uploadCa", reason: "invalid size" });
		// File System Application Note: AT+CFSINIT, AT+CFSWFILE=<index 3 = /customer/>,"<name>",<mode 0 = overwrite>,
		// <size>,<timeout ms> -> DOWNLOAD -> bytes -> OK, AT+CFSTERM. Then AT+CSSLCFG="convert",2,"<name>" turns the
		// PEM into the modem's CA store (SSL Application Note; type 2 = root CA).
		const init = await this.run("AT+CFSINIT");
		if (!init.ok) {
			await this.run("AT+CFSTERM");
			const again = await this.run("AT+CFSINIT");
			if (!again.ok) return again;
		}
		const write = await this.run(`AT+CFSWFILE=3,"${name}",0,${pem.length},${this.#uploadTimeoutMs}`, {
			prompt: "DOWNLOAD",
			payload: pem,
			timeoutMs: this.#uploadTimeoutMs + 5000,
		});
		await this.run("AT+CFSTERM");
		if (!write.ok) return write;
		const convert = await this.run(`AT+CSSLCFG="convert",2,"${name}"`);
		return convert.ok ? ok(undefined) : convert;
	}

	async open(options: TlsOpenOptions): Promise<ModemResult<number>> {
		const bad = this.requireState("AT+CAOPEN", "attached");
		if (bad) return fail(bad);
		if (!options || !/^[A-Za-z0-9.-]{1,253}$/.test(options.host) || !(options.port > 0 && options.port < 65536) || (options.port | 0) !== options.port)
			return fail({ kind: "parse", step: "AT+CAOPEN", reason: "invalid host or port" });
		const sni = options.sni ?? options.host;
		if (!/^[A-Za-z0-9.-]{1,253}$/.test(sni) || !/^[A-Za-z0-9_.-]{1,64}$/.test(options.ca))
			return fail({ kind: "parse", step: "AT+CAOPEN", reason: "invalid sni or ca" });
		// GNSS and LTE share the RF path (modem-at.md): stop GNSS before data.
		if (this.#gnss) {
			const off = await this.gnssOff();
			if (!off.ok) return off;
		}
		let cid = 0;
		while (this.sockets.has(cid)) cid++;
		if (cid >= MAX_SOCKETS) return fail({ kind: "error", step: "AT+CAOPEN" });
		// SSL Application Note: TLS 1.2 (sslversion 3) on SSL context 0 and SNI; then on connection <cid>: SSL on,
		// bound to context 0 (CRINDEX: enabling "SSL" alone does not bind the context on every firmware), and the
		// converted CA file. The string keys are lower case: TinyGSM's SIM7080 driver notes that "sslversion" only
		// works in lower case although the manual prints it in capitals.
		const setup = [
			`AT+CSSLCFG="sslversion",0,3`,
			`AT+CSSLCFG="sni",0,"${sni}"`,
			`AT+CASSLCFG=${cid},"SSL",1`,
			`AT+CASSLCFG=${cid},"CRINDEX",0`,
			`AT+CASSLCFG=${cid},"CACERT","${options.ca}"`,
		];
		for (const cmd of setup) {
			const r = await this.run(cmd);
			if (!r.ok) return r;
		}
		// AT+CAOPEN=<cid>,<pdp_index>,<conn_type>,<server>,<port> -> `+CAOPEN: <cid>,<result>` OK; result 0 success.
		const openCmd = () => this.run(`AT+CAOPEN=${cid},0,"TCP","${options.host}",${options.port}`, { timeoutMs: options.timeoutMs ?? 60_000 });
		let r = await openCmd();
		if (!r.ok && r.error.kind === "error" && this.state === "attached") {
			// The cid may still be held by a connection whose close failed (a timed-out AT+CACLOSE): release it and
			// try once more, or every later open fails the same way.
			await this.run(`AT+CACLOSE=${cid}`, { timeoutMs: 10_000 });
			r = await openCmd();
		}
		if (!r.ok) {
			// Refused outright with the context gone (its URC lost in light sleep): re-attach next time.
			if (r.error.kind === "error") await this.confirmData();
			return r;
		}
		const line = r.value.lines.find((l) => l.startsWith("+CAOPEN:"));
		if (!line) return fail({ kind: "parse", step: "AT+CAOPEN", reason: "no +CAOPEN line" });
		const [id, result] = splitFields(line.slice(8)).map(Number);
		if (id !== cid || !Number.isInteger(result)) return fail({ kind: "parse", step: "AT+CAOPEN", reason: line });
		if (result !== 0) {
			// 21: network not active (the context went down without a URC we saw, e.g. around a reset).
			if (result === 21) {
				this.dropSockets();
				this.pdpLost();
			}
			return fail({ kind: "socket", step: "AT+CAOPEN", code: result });
		}
		this.sockets.add(cid);
		return ok(cid);
	}

	/**
	 * GNSS and LTE share one RF path on the SIM7070/SIM7080/SIM7090 and SIM7000 (SIM7080 Series GNSS Application
	 * Note: GNSS runs only while the LTE side is idle; shared/reference/modem-at.md "GNSS and LTE cannot run at the
	 * same time"; LilyGO T-SIM7080G #60/#173: GNSS started with a PDP context active never reports a fix). So an
	 * active PDP context is deactivated first (AT+CNACT=0,0, `+APP PDP: 0,DEACTIVE`; SIM7000 AT+CNACT=0) and the
	 * module stays registered (CFUN=1): LTE is back as soon as GNSS is off, and the context returns with the next
	 * attach() (state "ready"), when there is data to send. Re-activating it after every GNSS window kept the radio
	 * RRC-connected for the activation and its inactivity tail even when no data followed (issue 13: 142 s connected
	 * per 10-minute event against 44 s on the BG95).
	 */
	async gnssOn(): Promise<ModemResult<void>> {
		const bad = this.requireState("AT+CGNSPWR=1", "booted", "ready", "attaching", "attached");
		if (bad) return fail(bad);
		if (this.state === "attached") {
			const down = await this.#deactivatePdp();
			if (!down.ok) return down;
		}
		// GNSS Application Note: AT+CGNSPWR=1 powers the engine.
		const r = await this.run("AT+CGNSPWR=1", { timeoutMs: 5000 });
		if (!r.ok) return r;
		this.#gnss = true;
		return ok(undefined);
	}

	async #deactivatePdp(): Promise<ModemResult<void>> {
		const sim7000 = this.#variant === "sim7000";
		const gone = new Promise<boolean>((resolve) => {
			const timer = this.clock.set(() => done(false), 10_000);
			const done = (v: boolean) => {
				this.clock.clear(timer);
				this.#pdpDown = undefined;
				resolve(v);
			};
			this.#pdpDown = () => done(true);
		});
		// AT+CNACT=<pdpidx>,0 -> OK, then `+APP PDP: <pdpidx>,DEACTIVE` (SIM7000: AT+CNACT=0 -> `+APP PDP: DEACTIVE`).
		const r = await this.run(sim7000 ? "AT+CNACT=0" : "AT+CNACT=0,0", { timeoutMs: 10_000 });
		if (!r.ok) {
			this.#pdpDown?.();
			// Already inactive answers ERROR: the query tells (see activatePdp).
			const q = await this.run("AT+CNACT?");
			const up = sim7000 ? /^\+CNACT: 1,/ : /^\+CNACT: 0,1,/;
			if (q.ok && !q.value.lines.some((l) => up.test(l))) {
				this.dropSockets();
				this.pdpLost();
				return ok(undefined);
			}
			return r;
		}
		if (!(await gone) && this.state === "attached") {
			// No URC within 10 s: trust the OK (the context is down once CNACT answered).
			this.dropSockets();
			this.pdpLost();
		}
		return ok(undefined);
	}

	async gnssRead(): Promise<ModemResult<Fix>> {
		if (!this.#gnss) return fail({ kind: "state", step: "AT+CGNSINF", state: this.state });
		const r = await this.run("AT+CGNSINF");
		if (!r.ok) return r;
		const line = r.value.lines.find((l) => l.startsWith("+CGNSINF:"));
		if (!line) return fail({ kind: "parse", step: "AT+CGNSINF", reason: "no +CGNSINF line" });
		const parsed = parseCgnsinf(line);
		if (parsed.ok) return ok(parsed.fix);
		if (parsed.reason === "no-fix" || parsed.reason === "gnss-off") return fail({ kind: "noFix" });
		return fail({ kind: "parse", step: "AT+CGNSINF", reason: parsed.reason });
	}

	async gnssOff(): Promise<ModemResult<void>> {
		const r = await this.run("AT+CGNSPWR=0", { timeoutMs: 5000 });
		if (!r.ok) return r;
		this.#gnss = false;
		return ok(undefined);
	}
}
