/**
 * Quectel BG95/BG77 dialect (BG95&BG77 AT Commands Manual, TCP/IP, SSL, FILE and GNSS application notes;
 * hardware design for PWRKEY). Families: AT+QICSGP/QIACT/QIDEACT, AT+QSSLCFG/QSSLOPEN/QSSLSEND/QSSLRECV/
 * QSSLCLOSE with `+QSSLURC`, AT+QFUPL/QFDEL, AT+QLTS, AT+QENG="servingcell", AT+QGPS/QGPSLOC/QGPSEND/QGPSCFG,
 * AT+QPOWD. Shared 27.007 commands live in core.ts.
 */
import type { Core, Dialect, SocketFailure } from "./core";
import type { Command } from "./util";
import { fromLatin1, xor16 } from "./util";

interface SslContext { version: number; seclevel: number; cacert?: string; sni: boolean; sessionCache?: boolean; }
interface Vars { ssl?: Map<number, SslContext>; ctzr?: number; priority?: number; }

const vars = (core: Core): Vars => core.vars as Vars;
const ctxOf = (core: Core, i: number): SslContext => {
	const v = vars(core);
	v.ssl ??= new Map();
	let c = v.ssl.get(i);
	if (!c) { c = { version: 4, seclevel: 0, sni: false }; v.ssl.set(i, c); }
	return c;
};

// Quectel TCP/IP error codes (TCP/IP AT commands manual, summary of error codes): 565 DNS parse failed,
// 566 socket connect failed. The SSL manual gives no separate certificate codes: every TLS failure is 566 here.
const QSSLOPEN_ERR: Readonly<Record<SocketFailure, number>> = Object.freeze({
	dns: 565, refused: 566, connect: 566, certExpired: 566, certName: 566, certUntrusted: 566, tls: 566,
});

/** Plain TCP sockets (AT+QIOPEN connectID 0..11) live in the core's socket table at TCP_BASE + connectID. */
const TCP_BASE = 100;

const int = (s: string | undefined): number => (s !== undefined && /^-?\d+$/.test(s) ? Number(s) : NaN);
const ufs = (name: string): string => name.replace(/^UFS:/i, "");

export const bg95: Dialect = Object.freeze({
	name: "bg95" as const,
	// Power-on URCs: RDY when the UART is up, then SIM and SMS init, APP RDY when the module is fully ready.
	bootMarkers: Object.freeze(["RDY", "+CFUN: 1", "+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE", "APP RDY"]),
	// Quectel modules answer +CME ERROR: <n> by default (AT+CMEE default 1).
	defaultCmee: 1 as const,
	// BG95 hardware design: PWRKEY low >= 500 ms powers on; 650-1500 ms powers off.
	pwrkeyOnMs: 500,
	pwrkeyOffMs: 650,
	powerDownMarker: "POWERED DOWN",

	handle(core: Core, cmd: Command): boolean {
		const a = cmd.args;
		switch (cmd.name) {
			case "ATI": core.line("Quectel"); core.line("BG95-M3"); core.line("Revision: BG95M3LAR02A03"); core.ok(); return true;
			case "+CGMR": core.line("BG95M3LAR02A03"); core.ok(); return true;
			case "+QCFG": case "+QURCCFG": case "+QSCLK": case "+QIDNSCFG":
				if (cmd.type === "set" && a.length > 1 || cmd.type === "exec") { core.ok(); return true; }
				core.line(`${cmd.name}: ${cmd.args.map((x) => `"${x}"`).join(",")}`); core.ok(); return true;
			case "+CTZR":
				if (cmd.type === "read") { core.line(`+CTZR: ${vars(core).ctzr ?? 0}`); core.ok(); return true; }
				if (cmd.type !== "set" || !["0", "1", "2", "3"].includes(a[0] ?? "")) { core.error(50); return true; }
				vars(core).ctzr = int(a[0]); core.ok(); return true;
			case "+QICSGP": // AT+QICSGP=<contextID>[,<context_type>,<APN>[,<username>,<password>[,<authentication>]]]
				if (cmd.type !== "set" || int(a[0]) !== 1) { core.error(50); return true; }
				if (a.length === 1) { core.line(`+QICSGP: 1,"${core.apn}","","",0`); core.ok(); return true; }
				core.apn = a[2] ?? "";
				core.ok();
				return true;
			case "+QIACT":
				if (cmd.type === "read") {
					if (core.pdpActive) core.line(`+QIACT: 1,1,1,"${core.pdpIp}"`);
					core.ok();
					return true;
				}
				if (cmd.type !== "set" || int(a[0]) !== 1) { core.error(50); return true; }
				if (core.pdpActive) { core.error(3); return true; }
				// Synchronous: OK (or ERROR) only when the context is up, up to 150 s (AT manual, max response time).
				core.hold();
				core.markRadio(core.profile.pdpMs);
				core.after(core.registered ? core.profile.pdpMs : Math.min(core.profile.pdpMs * 3, 150_000), () => {
					if (core.registered) { core.activatePdp(); core.ok(); } else core.error(3);
					core.release();
				});
				return true;
			case "+QIDEACT":
				if (cmd.type !== "set" || int(a[0]) !== 1) { core.error(50); return true; }
				core.hold();
				for (const s of [...core.sockets.values()]) core.closeSocket(s.id, false);
				core.after(300, () => { core.pdpActive = false; core.ok(); core.release(); });
				return true;
			case "+QSSLCFG": return qsslcfg(core, cmd);
			case "+QFUPL": { // AT+QFUPL=<filename>[,<file_size>[,<timeout>[,<ackmode>]]] -> CONNECT, bytes, +QFUPL: <size>,<checksum>
				const name = ufs(a[0] ?? "");
				const size = int(a[1]);
				if (cmd.type !== "set" || name === "" || !(size >= 1 && size <= 102_400)) { core.error(50); return true; }
				if (core.files.has(name)) { core.error(407); return true; }
				core.hold();
				core.line("CONNECT");
				core.expectPayload(size, (bytes) => {
					core.files.set(name, bytes);
					core.after(core.profile.commandMs, () => {
						core.line(`+QFUPL: ${bytes.length},${xor16(bytes).toString(16)}`);
						core.ok();
						core.release();
					});
				});
				return true;
			}
			case "+QFDEL": {
				const name = ufs(a[0] ?? "");
				if (name === "*") { core.files.clear(); core.ok(); return true; }
				if (!core.files.delete(name)) { core.error(405); return true; }
				core.ok();
				return true;
			}
			case "+QSSLOPEN": return qsslopen(core, cmd);
			case "+QIOPEN": { // AT+QIOPEN=<contextID>,<connectID>,"TCP",<remote>,<port>[,<local_port>[,<access_mode>]] -> OK, +QIOPEN: <id>,<err>
				const id = int(a[1]);
				const host = a[3] ?? "";
				const port = int(a[4]);
				if (cmd.type !== "set" || int(a[0]) !== 1 || !(id >= 0 && id <= 11) || (a[2] ?? "").toUpperCase() !== "TCP" || host === "" || !(port > 0 && port < 65536)) { core.error(50); return true; }
				if (!core.pdpActive || core.sockets.has(TCP_BASE + id)) { core.error(3); return true; }
				core.ok();
				core.openSocket(TCP_BASE + id, host, port, undefined, (failure) => core.urc(`+QIOPEN: ${id},${failure ? QSSLOPEN_ERR[failure] : 0}`), "tcp");
				return true;
			}
			case "+QISEND": { // AT+QISEND=<connectID>,<send_length> -> "> ", bytes, SEND OK
				const id = int(a[0]);
				const len = int(a[1]);
				if (cmd.type !== "set" || !(len >= 1 && len <= 1460)) { core.error(50); return true; }
				const s = core.sockets.get(TCP_BASE + id);
				if (!s || s.state !== "open") { core.error(3); return true; }
				core.hold();
				core.raw("\r\n> ", "> (prompt)");
				core.expectPayload(len, (bytes) => {
					const ok = core.writeSocket(TCP_BASE + id, bytes);
					core.after(core.profile.sendMs, () => { core.line(ok ? "SEND OK" : "SEND FAIL"); core.release(); });
				});
				return true;
			}
			case "+QIRD": { // AT+QIRD=<connectID>,<read_length> -> +QIRD: <read_actual_length>\r\n<data>
				const id = int(a[0]);
				const len = int(a[1]);
				if (cmd.type !== "set" || !(len >= 1 && len <= 1500)) { core.error(50); return true; }
				const data = core.readSocket(TCP_BASE + id, len);
				if (data === undefined) { core.error(3); return true; }
				if (data.length === 0) core.line("+QIRD: 0");
				else core.lineWithData(`+QIRD: ${data.length}`, data, "\r\n");
				core.ok();
				return true;
			}
			case "+QICLOSE":
				if (cmd.type !== "set" || !core.closeSocket(TCP_BASE + int(a[0]), false)) { core.error(3); return true; }
				core.ok();
				return true;
			case "+QSSLSEND": { // AT+QSSLSEND=<clientID>,<send_length> -> "> ", bytes, SEND OK
				const id = int(a[0]);
				const len = int(a[1]);
				if (cmd.type !== "set" || !(len >= 1 && len <= 1460)) { core.error(50); return true; }
				const s = core.sockets.get(id);
				if (!s || s.state !== "open") { core.error(3); return true; }
				core.hold();
				core.raw("\r\n> ", "> (prompt)");
				core.expectPayload(len, (bytes) => {
					const ok = core.writeSocket(id, bytes);
					core.after(core.profile.sendMs, () => { core.line(ok ? "SEND OK" : "SEND FAIL"); core.release(); });
				});
				return true;
			}
			case "+QSSLRECV": { // AT+QSSLRECV=<clientID>,<read_length> -> +QSSLRECV: <have_read_length>\r\n<data>
				const id = int(a[0]);
				const len = int(a[1]);
				if (cmd.type !== "set" || !(len >= 1 && len <= 1500)) { core.error(50); return true; }
				const data = core.readSocket(id, len);
				if (data === undefined) { core.error(3); return true; }
				if (data.length === 0) core.line("+QSSLRECV: 0");
				else core.lineWithData(`+QSSLRECV: ${data.length}`, data, "\r\n");
				core.ok();
				return true;
			}
			case "+QSSLCLOSE":
				if (cmd.type !== "set" || !core.closeSocket(int(a[0]), false)) { core.error(3); return true; }
				core.ok();
				return true;
			case "+QSSLSTATE":
				for (const s of core.sockets.values()) if (s.state === "open" && s.id < TCP_BASE) core.line(`+QSSLSTATE: ${s.id},"SSLClient","",0,0,2,1,${s.id},0,"usbmodem"`);
				core.ok();
				return true;
			case "+QLTS": { // AT+QLTS=<mode>: 2 = local time. +QLTS: "yyyy/MM/dd,hh:mm:ss±zz,dst"
				if (cmd.type !== "set" && cmd.type !== "exec") { core.error(50); return true; }
				if (core.nitzAt === undefined) { core.line('+QLTS: ""'); core.ok(); return true; }
				const mode = cmd.type === "exec" ? 0 : int(a[0]);
				const q = core.opts.timezoneQuarters;
				const t = new Date(core.wallNow() + (mode === 1 ? 0 : q * 15 * 60_000));
				const p = (n: number) => String(n).padStart(2, "0");
				const tz = `${q < 0 ? "-" : "+"}${p(Math.abs(q))}`;
				core.line(`+QLTS: "${t.getUTCFullYear()}/${p(t.getUTCMonth() + 1)}/${p(t.getUTCDate())},${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())}${tz},0"`);
				core.ok();
				return true;
			}
			case "+QENG": {
				if (cmd.type !== "set" || (a[0] ?? "").toLowerCase() !== "servingcell") { core.error(50); return true; }
				if (!core.registered) { core.line('+QENG: "servingcell","SEARCH"'); core.ok(); return true; }
				const c = core.opts.cell;
				const p = core.profile;
				// +QENG: "servingcell",<state>,"eMTC",<is_tdd>,<MCC>,<MNC>,<cellID>,<PCID>,<earfcn>,<freq_band_ind>,
				//        <ul_bandwidth>,<dl_bandwidth>,<TAC>,<RSRP>,<RSRQ>,<RSSI>,<SINR>,<srxlev>
				const state = core.clock.now() < core.radioBusyUntil ? "CONNECT" : "NOCONN";
				core.line(`+QENG: "servingcell","${state}","eMTC","FDD",${String(c.mcc).padStart(3, "0")},${String(c.mnc).padStart(2, "0")},${c.cellId.toString(16).toUpperCase()},${c.pci},${c.earfcn},${c.band},3,3,${c.tac.toString(16).toUpperCase()},${p.rsrp},${p.rsrq},${p.rsrp + 20},${p.sinr},40`);
				core.ok();
				return true;
			}
			case "+QGPSCFG": // "priority",<0 GNSS|1 WWAN>: stored only, the radio-sharing model is the same either way
				if (cmd.type === "set" && (a[0] ?? "").toLowerCase() === "priority" && a[1] !== undefined) vars(core).priority = int(a[1]);
				core.ok();
				return true;
			case "+QGPS":
				if (cmd.type === "read") { core.line(`+QGPS: ${core.gnss.on ? 1 : 0}`); core.ok(); return true; }
				if (cmd.type !== "set" || a[0] !== "1") { core.error(50); return true; }
				if (core.gnss.on) { core.error(504); return true; }
				core.gnssStart();
				core.ok();
				return true;
			case "+QGPSEND":
				if (!core.gnss.on) { core.error(505); return true; }
				core.gnssStop();
				core.ok();
				return true;
			case "+QGPSLOC": { // AT+QGPSLOC=2: +QGPSLOC: <UTC>,<lat>,<lon>,<HDOP>,<alt>,<fix>,<COG>,<spkm>,<spkn>,<date>,<nsat>
				if (cmd.type !== "set" || a[0] !== "2") { core.error(50); return true; }
				if (!core.gnss.on) { core.error(505); return true; }
				const f = core.gnssFix();
				if (!f) { core.error(516); return true; }
				const t = new Date(f.utc);
				const p = (n: number, w = 2) => String(n).padStart(w, "0");
				const utc = `${p(t.getUTCHours())}${p(t.getUTCMinutes())}${p(t.getUTCSeconds())}.${p(t.getUTCMilliseconds(), 3)}`;
				const date = `${p(t.getUTCDate())}${p(t.getUTCMonth() + 1)}${p(t.getUTCFullYear() % 100)}`;
				const cog = `${p(Math.floor(f.course), 3)}.${p(Math.round((f.course % 1) * 60) % 60)}`;
				core.line(`+QGPSLOC: ${utc},${f.lat.toFixed(5)},${f.lon.toFixed(5)},${f.hdop.toFixed(1)},${f.alt.toFixed(1)},3,${cog},${(f.speed * 3.6).toFixed(1)},${(f.speed * 1.943844).toFixed(1)},${date},${p(f.satsUsed)}`);
				core.ok();
				return true;
			}
			case "+QPOWD": // AT+QPOWD[=<n>]: OK, then POWERED DOWN
				if (cmd.type === "set" && !["0", "1"].includes(a[0] ?? "")) { core.error(50); return true; }
				core.ok();
				core.hold();
				core.after(300, () => { core.line("POWERED DOWN"); core.log("==", "power off (AT+QPOWD)"); core.powerOff(); });
				return true;
		}
		return false;
	},

	socketData(core: Core, id: number): void {
		if (id >= TCP_BASE) core.urc(`+QIURC: "recv",${id - TCP_BASE}`); else core.urc(`+QSSLURC: "recv",${id}`);
	},
	socketClosed(core: Core, id: number): void {
		if (id >= TCP_BASE) core.urc(`+QIURC: "closed",${id - TCP_BASE}`); else core.urc(`+QSSLURC: "closed",${id}`);
	},
	pdpLost(core: Core): void { core.urc('+QIURC: "pdpdeact",1'); },

	/** NITZ: `+CTZE` (AT+CTZR=2) or `+CTZV` (AT+CTZR=1); AT+QLTS answers from now on either way. */
	networkTime(core: Core): void {
		const mode = vars(core).ctzr ?? 0;
		const q = core.opts.timezoneQuarters;
		const tz = `${q < 0 ? "-" : "+"}${String(Math.abs(q)).padStart(2, "0")}`;
		if (mode === 1) core.urc(`+CTZV: "${tz}"`);
		if (mode === 2) {
			const t = new Date(core.wallNow());
			const p = (n: number) => String(n).padStart(2, "0");
			core.urc(`+CTZE: "${tz}",0,"${t.getUTCFullYear()}/${p(t.getUTCMonth() + 1)}/${p(t.getUTCDate())},${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())}"`);
		}
	},
});

function qsslcfg(core: Core, cmd: Command): boolean {
	const a = cmd.args;
	if (cmd.type !== "set") { core.error(50); return true; }
	const key = (a[0] ?? "").toLowerCase();
	const ctx = int(a[1]);
	if (!(ctx >= 0 && ctx <= 5)) { core.error(50); return true; }
	const c = ctxOf(core, ctx);
	const value = a[2];
	if (value === undefined) { // query form: AT+QSSLCFG="<key>",<ctx>
		const shown = key === "sslversion" ? c.version : key === "seclevel" ? c.seclevel : key === "sni" ? (c.sni ? 1 : 0) : key === "cacert" ? `"${c.cacert ?? ""}"`
			: key === "session_cache" ? (c.sessionCache ? 1 : 0) : undefined;
		if (shown === undefined) { core.error(50); return true; }
		core.line(`+QSSLCFG: "${key}",${ctx},${shown}`);
		core.ok();
		return true;
	}
	if (key === "sslversion") c.version = int(value);
	else if (key === "seclevel") c.seclevel = int(value);
	else if (key === "cacert") c.cacert = ufs(value);
	else if (key === "sni") c.sni = value === "1";
	// AT+QSSLCFG="session_cache",<SSL_ctxID>[,<session_cache_enable>]: 0 disabled (default), 1 enabled: the context
	// resumes the previous SSL session on the next QSSLOPEN (Quectel BG95&BG77 SSL Application Note, AT+QSSLCFG).
	else if (key === "session_cache") {
		if (value !== "0" && value !== "1") { core.error(50); return true; }
		c.sessionCache = value === "1";
	}
	else if (!["ciphersuite", "ignorelocaltime", "negotiatetime", "clientcert", "clientkey", "checkhost"].includes(key)) { core.error(50); return true; }
	core.ok();
	return true;
}

function qsslopen(core: Core, cmd: Command): boolean {
	// AT+QSSLOPEN=<pdpctxID>,<sslctxID>,<clientID>,<serveraddr>,<server_port>[,<access_mode>]
	const a = cmd.args;
	const ctx = int(a[1]);
	const id = int(a[2]);
	const host = a[3] ?? "";
	const port = int(a[4]);
	if (cmd.type !== "set" || int(a[0]) !== 1 || !(ctx >= 0 && ctx <= 5) || !(id >= 0 && id <= 11) || host === "" || !(port > 0 && port < 65536)) { core.error(50); return true; }
	if (!core.pdpActive) { core.error(3); return true; }
	if (core.sockets.has(id)) { core.error(3); return true; }
	const c = ctxOf(core, ctx);
	core.ok();
	const report = (err: number): void => core.urc(`+QSSLOPEN: ${id},${err}`);
	const fault = core.takeTlsFault();
	let caPem: string | undefined;
	let loadFailure = false;
	if (c.seclevel >= 1) {
		const file = c.cacert !== undefined ? core.files.get(c.cacert) : undefined;
		if (!file) loadFailure = true; else caPem = fromLatin1(file);
	}
	if (fault || loadFailure) {
		core.after(core.profile.connectMs + core.profile.tlsMs, () => report(fault?.code ?? 566));
		return true;
	}
	core.openSocket(id, host, port, { verifyName: host, ...(caPem !== undefined ? { ca: caPem } : {}), ...(c.sni ? { sni: host } : {}), ...(c.sessionCache ? { sessionCache: `${ctx}|${host}:${port}` } : {}) },
		(failure) => report(failure ? QSSLOPEN_ERR[failure] : 0));
	return true;
}
