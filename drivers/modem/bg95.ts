/**
 * Quectel BG95 / BG77 behind the Modem interface.
 *
 * Sources, cited by command name: Quectel BG95&BG77 AT Commands Manual (AT+QLTS, AT+QENG, AT+QPOWD, AT+CFUN),
 * BG95&BG77 TCP/IP Application Note (AT+QICSGP, AT+QIACT: up to 150 s), BG95&BG77 SSL Application Note
 * (AT+QSSLCFG, AT+QSSLOPEN, AT+QSSLSEND, AT+QSSLRECV, AT+QSSLCLOSE, +QSSLURC), BG95&BG77 FILE Application Note
 * (AT+QFUPL, AT+QFDEL), BG95&BG77 GNSS Application Note (AT+QGPS, AT+QGPSLOC, AT+QGPSEND; CME 516 "not fixed
 * now", 504 "session is ongoing", 505 "session not active"). Power timing from the BG95 Hardware Design
 * (PWRKEY low 500-1000 ms to turn on, 650-1500 ms to turn off).
 */
import type { Fix, ServingCell } from "drivers/gnss/fix";
import { parseQgpsloc, qgpslocCmeError } from "drivers/gnss/qgpsloc";
import ModemBase, { type FamilyProfile, type TimingOptions } from "drivers/modem/modemBase";
import type { ModemOptions, ModemResult, NetworkTime, TlsOpenOptions } from "drivers/modem/modem";
import { fail, ok } from "drivers/modem/modem";
import { parseNetworkClock, parseQengServingCell, splitFields } from "drivers/modem/parse";

export interface Bg95Options extends ModemOptions, TimingOptions {
	/** SSL context used for every socket (0..5). Default 1. */
	readonly sslContext?: number;
}

const PROFILE: FamilyProfile = Object.freeze({
	family: "bg95",
	pwrKeyOnMs: 750,
	pwrKeyOffMs: 1000,
	bootTimeoutMs: 20_000,
	markerTimeoutMs: 10_000,
	readyMarker: "APP RDY",
	bootMarkers: Object.freeze(["RDY", "APP RDY"]),
	// `RDY`: the AT port is up; `APP RDY`: the module's application side is. Registration does not wait for it; the
	// file, TCP/IP context and SSL commands do (appReady()), as no Quectel document we found lists which commands
	// work before it.
	readyGatesApplication: true,
	// The BG95 AT manual asks the host to wait for the final result code, not for a pause after it (the 20 ms guard
	// is Telit's and u-blox's, drivers/modem/at.ts): the next command goes at once.
	guardMs: 0,
	powerDownCommand: "AT+QPOWD=1",
	powerDownMarker: "POWERED DOWN",
	powerDownTimeoutMs: 10_000,
	offSettleMs: 2000,
	socket: Object.freeze({
		// AT+QSSLSEND <send_length> max 1460; AT+QSSLRECV <read_length> max 1500.
		maxSend: 1460,
		maxReceive: 1500,
		// AT+QSSLSEND=<clientID>,<send_length> -> `>` -> bytes -> SEND OK | SEND FAIL | ERROR.
		send: (socket: number, length: number) => ({
			text: `AT+QSSLSEND=${socket},${length}`,
			options: { timeoutMs: 30_000, final: (line: string) => (line === "SEND OK" ? "ok" as const : line === "SEND FAIL" ? "error" as const : undefined) },
		}),
		// AT+QSSLRECV=<clientID>,<read_length> -> `+QSSLRECV: <have_read_length>` CR LF <data> ... OK.
		receive: (socket: number, length: number) => ({ text: `AT+QSSLRECV=${socket},${length}`, options: { counted: { prefix: "+QSSLRECV: ", inline: false }, timeoutMs: 10_000 } }),
		// AT+QSSLCLOSE=<clientID>[,<timeout s>]
		close: (socket: number) => ({ text: `AT+QSSLCLOSE=${socket},10`, options: { timeoutMs: 15_000 } }),
	}),
});

/** AT+QSSLOPEN <clientID> range 0..11. */
const MAX_SOCKETS = 12;
/** Quectel file errors (FILE Application Note, summary of error codes): 407 file already exists. */
const FILE_EXISTS = 407;
/** GNSS Application Note error codes. */
const GNSS_SESSION_ONGOING = 504;
const GNSS_SESSION_NOT_ACTIVE = 505;

export default class Bg95 extends ModemBase {
	#ctx: number;
	#gnss = false;

	constructor(options: Bg95Options) {
		const ctx = options?.sslContext ?? 1;
		if (!(Number.isInteger(ctx) && ctx >= 0 && ctx <= 5)) throw new RangeError("invalid sslContext");
		super(options, PROFILE);
		this.#ctx = ctx;
		// SSL Application Note, +QSSLURC: "recv",<clientID> (buffer access mode) and "closed",<clientID>.
		this.at.on("+QSSLURC:", (line) => {
			const [kind, id] = splitFields(line.slice(9));
			const socket = Number(id);
			if (!this.sockets.has(socket)) return;
			if (kind === "recv") this.emit({ type: "data", socket });
			else if (kind === "closed") {
				this.sockets.delete(socket);
				this.emit({ type: "socketClosed", socket });
			}
		});
		// TCP/IP Application Note, +QIURC: "pdpdeact",<contextID>: the network deactivated the context.
		this.at.on("+QIURC:", (line) => {
			const [kind] = splitFields(line.slice(7));
			if (kind !== "pdpdeact") return;
			this.dropSockets();
			this.pdpLost();
		});
	}

	protected async configureFamily(): Promise<ModemResult<void>> {
		// TS 27.007 8.41 AT+CTZR=2: time zone and UTC reporting (+CTZE), so AT+QLTS has a value to return.
		const r = await this.run("AT+CTZR=2");
		return r.ok ? ok(undefined) : r;
	}

	protected async setApn(apn: string): Promise<ModemResult<void>> {
		await this.appReady();
		// AT+QICSGP=<contextID>,<context_type 1 = IPv4>,"<APN>"
		const r = await this.run(`AT+QICSGP=1,1,"${apn}"`);
		return r.ok ? ok(undefined) : r;
	}

	protected async activatePdp(): Promise<ModemResult<void>> {
		// AT+QIACT=1, maximum response time 150 s. Already active answers ERROR: AT+QIACT? says.
		const r = await this.run("AT+QIACT=1", { timeoutMs: 150_000 });
		if (!r.ok) {
			const q = await this.run("AT+QIACT?");
			if (q.ok && q.value.lines.some((l) => /^\+QIACT: 1,1,/.test(l))) return ok(undefined);
			return r;
		}
		this.emit({ type: "pdp", active: true });
		return ok(undefined);
	}

	protected async dataActive(): Promise<boolean> {
		// AT+QIACT?: `+QIACT: <contextID>,<context_state>,<context_type>,<IP>` per active context.
		const q = await this.at.command("AT+QIACT?", { timeoutMs: 3000 });
		if (q.status !== "ok") return true;
		return q.lines.some((l) => /^\+QIACT: 1,1,/.test(l));
	}

	protected forgetSession(): void {
		this.sockets.clear();
		this.#gnss = false;
	}

	async networkTime(): Promise<ModemResult<NetworkTime>> {
		// AT+QLTS=2: latest network time converted to local time, `+QLTS: "yyyy/MM/dd,hh:mm:ss±zz,dst"`;
		// `+QLTS: ""` until the network sent it.
		return this.queryLine({ command: "AT+QLTS=2", step: "AT+QLTS", prefix: "+QLTS:", missing: "no network time yet" },
			(line) => parseNetworkClock(line.slice(6).trim()), "ready", "attaching", "attached");
	}

	async servingCell(): Promise<ModemResult<ServingCell>> {
		return this.queryLine({ command: `AT+QENG="servingcell"`, step: "AT+QENG", prefix: "+QENG:", missing: "no LTE serving cell" },
			parseQengServingCell, "ready", "attaching", "attached");
	}

	async uploadCa(name: string, pem: Uint8Array): Promise<ModemResult<void>> {
		const bad = this.requireState("uploadCa", "ready", "attaching", "attached");
		if (bad) return fail(bad);
		if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) return fail({ kind: "parse", step: "uploadCa", reason: "invalid name" });
		if (pem.length === 0 || pem.length > 65536) return fail({ kind: "parse", step: "uploadCa", reason: "invalid size" });
		await this.appReady();
		// AT+QFUPL="<name>",<size>,<timeout s> -> CONNECT -> bytes -> `+QFUPL: <upload_size>,<checksum>` OK.
		const upload = () =>
			this.run(`AT+QFUPL="${name}",${pem.length},60`, { prompt: "CONNECT", payload: pem, timeoutMs: 65_000 });
		let r = await upload();
		if (!r.ok && r.error.kind === "error" && r.error.code === FILE_EXISTS) {
			const del = await this.run(`AT+QFDEL="${name}"`);
			if (!del.ok) return del;
			r = await upload();
		}
		if (!r.ok) return r;
		const line = r.value.lines.find((l) => l.startsWith("+QFUPL:"));
		const size = line ? Number(splitFields(line.slice(7))[0]) : NaN;
		if (size !== pem.length) return fail({ kind: "parse", step: "AT+QFUPL", reason: "size mismatch" });
		return ok(undefined);
	}

	async open(options: TlsOpenOptions): Promise<ModemResult<number>> {
		const bad = this.requireState("AT+QSSLOPEN", "attached");
		if (bad) return fail(bad);
		if (!options || !/^[A-Za-z0-9.-]{1,253}$/.test(options.host) || !(options.port > 0 && options.port < 65536) || (options.port | 0) !== options.port)
			return fail({ kind: "parse", step: "AT+QSSLOPEN", reason: "invalid host or port" });
		if (!/^[A-Za-z0-9_.-]{1,64}$/.test(options.ca)) return fail({ kind: "parse", step: "AT+QSSLOPEN", reason: "invalid ca" });
		// The BG95 sends the host given to AT+QSSLOPEN as SNI; it has no separate server-name parameter.
		if (options.sni !== undefined && options.sni !== options.host)
			return fail({ kind: "parse", step: "AT+QSSLOPEN", reason: "sni must equal host on BG95" });
		await this.appReady();
		if (this.#gnss) {
			const off = await this.gnssOff();
			if (!off.ok) return off;
		}
		let id = 0;
		while (this.sockets.has(id)) id++;
		if (id >= MAX_SOCKETS) return fail({ kind: "error", step: "AT+QSSLOPEN" });
		const c = this.#ctx;
		// sslversion 3 = TLS 1.2; seclevel 1 = verify the server with the CA; sni 1 = send the server name.
		const setup = [
			`AT+QSSLCFG="sslversion",${c},3`,
			`AT+QSSLCFG="seclevel",${c},1`,
			`AT+QSSLCFG="cacert",${c},"${options.ca}"`,
			`AT+QSSLCFG="sni",${c},1`,
			// Resume the previous session on the next open (abbreviated handshake, RFC 5246 §7.3): the socket closes
			// for every GNSS window, so each send window would otherwise pay a full handshake.
			`AT+QSSLCFG="session_cache",${c},1`,
		];
		for (const cmd of setup) {
			const r = await this.run(cmd);
			if (!r.ok) return r;
		}
		// AT+QSSLOPEN=<pdpctxID>,<sslctxID>,<clientID>,"<server>",<port>,<access_mode 0 = buffer> -> OK, then
		// `+QSSLOPEN: <clientID>,<err>` (err 0 success); maximum response time 150 s.
		const openCmd = () => this.run(`AT+QSSLOPEN=1,${c},${id},"${options.host}",${options.port},0`, {
			timeoutMs: options.timeoutMs ?? 150_000,
			after: (line) => (line.startsWith("+QSSLOPEN:") ? "ok" : undefined),
		});
		let r = await openCmd();
		if (!r.ok && r.error.kind === "error" && this.state === "attached") {
			// The slot may still be held by a connection whose close failed (a timed-out AT+QSSLCLOSE): release it
			// and try once more, or every later open fails the same way.
			await this.run(`AT+QSSLCLOSE=${id},10`, { timeoutMs: 15_000 });
			r = await openCmd();
		}
		if (!r.ok) {
			// Refused with the context gone (+CME ERROR: 3 when its "pdpdeact" URC was lost): re-attach next time.
			if (r.error.kind === "error") await this.confirmData();
			return r;
		}
		const line = r.value.lines.find((l) => l.startsWith("+QSSLOPEN:"));
		if (!line) return fail({ kind: "parse", step: "AT+QSSLOPEN", reason: "no +QSSLOPEN line" });
		const [got, err] = splitFields(line.slice(10)).map(Number);
		if (got !== id || !Number.isInteger(err)) return fail({ kind: "parse", step: "AT+QSSLOPEN", reason: line });
		if (err !== 0) {
			// The client slot stays allocated after a failed open (SSL Application Note): release it.
			await this.run(`AT+QSSLCLOSE=${id},10`, { timeoutMs: 15_000 });
			await this.confirmData();
			return fail({ kind: "socket", step: "AT+QSSLOPEN", code: err });
		}
		this.sockets.add(id);
		return ok(id);
	}

	/**
	 * GNSS and WWAN share the RF path on the BG95/BG77 (BG95&BG77&BG600L Series GNSS Application Note V1.3,
	 * AT+QGPSCFG="priority"): in WWAN priority (the default) GNSS only runs while WWAN is idle, in GNSS priority
	 * WWAN is held back while GNSS runs. An emergency fix cannot wait for WWAN to go idle: GNSS priority (0) for the
	 * window, WWAN priority (1) back in gnssOff(). Firmware without the setting answers ERROR: then GNSS works when
	 * WWAN is idle (the uplink closes its socket before every GNSS window).
	 */
	async gnssOn(): Promise<ModemResult<void>> {
		const bad = this.requireState("AT+QGPS", "booted", "ready", "attaching", "attached");
		if (bad) return fail(bad);
		const priority = await this.run(`AT+QGPSCFG="priority",0`);
		if (!priority.ok && priority.error.kind !== "error") return priority;
		// AT+QGPS=1 turns GNSS on; 504 "session is ongoing" means it already is.
		const r = await this.run("AT+QGPS=1");
		if (!r.ok && !(r.error.kind === "error" && r.error.code === GNSS_SESSION_ONGOING)) return r;
		this.#gnss = true;
		return ok(undefined);
	}

	async gnssRead(): Promise<ModemResult<Fix>> {
		if (!this.#gnss) return fail({ kind: "state", step: "AT+QGPSLOC", state: this.state });
		// AT+QGPSLOC=2: latitude/longitude in decimal degrees; +CME ERROR: 516 until a fix.
		const r = await this.at.command("AT+QGPSLOC=2");
		if (r.status === "error" && r.code !== undefined) {
			const mapped = qgpslocCmeError(r.code);
			if (!mapped.ok && (mapped.reason === "no-fix" || mapped.reason === "gnss-off")) return fail({ kind: "noFix" });
			return fail({ kind: "error", step: "AT+QGPSLOC", code: r.code });
		}
		if (r.status === "timeout") return fail({ kind: "timeout", step: "AT+QGPSLOC" });
		if (r.status === "error") return fail({ kind: "error", step: "AT+QGPSLOC" });
		if (r.status === "aborted") return fail({ kind: "reset" });
		const line = r.lines.find((l) => l.startsWith("+QGPSLOC:"));
		if (!line) return fail({ kind: "parse", step: "AT+QGPSLOC", reason: "no +QGPSLOC line" });
		const parsed = parseQgpsloc(line);
		if (parsed.ok) return ok(parsed.fix);
		if (parsed.reason === "no-fix" || parsed.reason === "gnss-off") return fail({ kind: "noFix" });
		return fail({ kind: "parse", step: "AT+QGPSLOC", reason: parsed.reason });
	}

	async gnssOff(): Promise<ModemResult<void>> {
		// AT+QGPSEND; 505 "session not active" means it already is off.
		const r = await this.run("AT+QGPSEND");
		if (!r.ok && !(r.error.kind === "error" && r.error.code === GNSS_SESSION_NOT_ACTIVE)) return r;
		this.#gnss = false;
		// WWAN priority again before any data (GNSS Application Note, AT+QGPSCFG="priority").
		const priority = await this.run(`AT+QGPSCFG="priority",1`);
		if (!priority.ok && priority.error.kind !== "error") return priority;
		return ok(undefined);
	}
}
