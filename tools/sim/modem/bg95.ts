/**
 * Quectel BG95/BG77 dialect (BG95&BG77 AT Commands Manual, TCP/IP, SSL, FILE and GNSS application notes;
 * hardware design for PWRKEY). Families: AT+QICSGP/QIACT/QIDEACT, AT+QSSLCFG/QSSLOPEN/QSSLSEND/QSSLRECV/
 * QSSLCLOSE with `+QSSLURC`, AT+QFUPL/QFDEL, AT+QLTS, AT+QENG="servingcell", AT+QGPS/QGPSLOC/QGPSEND/QGPSCFG,
 * AT+QPOWD, as a command table (commandTable.ts). Shared 27.007 commands live in common.ts.
 */
import type { Core, Dialect, SocketFailure } from "./core";
import type { Command } from "./util";
import type { CommandHandler } from "./commandTable";
import { answer, commandTable } from "./commandTable";
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

/** AT+QSSLSEND / AT+QISEND=<id>,<send_length> -> "> ", bytes, SEND OK (socket `base` + id in the core's table). */
const promptedSend = (base: number): CommandHandler => (core, cmd) => {
	const id = int(cmd.args[0]);
	const len = int(cmd.args[1]);
	if (!(len >= 1 && len <= 1460)) { core.error(50); return; }
	const s = core.sockets.get(base + id);
	if (!s || s.state !== "open") { core.error(3); return; }
	core.hold();
	core.raw("\r\n> ", "> (prompt)");
	core.expectPayload(len, (bytes) => {
		const ok = core.writeSocket(base + id, bytes);
		core.after(core.profile.sendMs, () => { core.line(ok ? "SEND OK" : "SEND FAIL"); core.release(); });
	});
};

/** AT+QSSLRECV / AT+QIRD=<id>,<read_length> -> +QSSLRECV: <n>\r\n<data> (counted read on its own line). */
const countedRead = (base: number, prefix: string): CommandHandler => (core, cmd) => {
	const id = int(cmd.args[0]);
	const len = int(cmd.args[1]);
	if (!(len >= 1 && len <= 1500)) { core.error(50); return; }
	const data = core.readSocket(base + id, len);
	if (data === undefined) { core.error(3); return; }
	if (data.length === 0) core.line(`${prefix}: 0`);
	else core.lineWithData(`${prefix}: ${data.length}`, data, "\r\n");
	core.ok();
};

const commands = commandTable({
	ATI: { other: (core) => { core.line("Quectel"); core.line("BG95-M3"); core.line("Revision: BG95M3LAR02A03"); core.ok(); } },
	"+CGMR": { other: (core) => { core.line("BG95M3LAR02A03"); core.ok(); } },
	...Object.fromEntries(["+QCFG", "+QURCCFG", "+QSCLK", "+QIDNSCFG"].map((name) => [name, {
		other: (core: Core, cmd: Command) => {
			if (cmd.type === "set" && cmd.args.length > 1 || cmd.type === "exec") { core.ok(); return; }
			core.line(`${cmd.name}: ${cmd.args.map((x) => `"${x}"`).join(",")}`);
			core.ok();
		},
	}])),
	"+CTZR": {
		read: (core) => { core.line(`+CTZR: ${vars(core).ctzr ?? 0}`); core.ok(); },
		set: (core, cmd) => {
			if (!["0", "1", "2", "3"].includes(cmd.args[0] ?? "")) { core.error(50); return; }
			vars(core).ctzr = int(cmd.args[0]);
			core.ok();
		},
		other: answer.badParameters,
	},
	"+QICSGP": { // AT+QICSGP=<contextID>[,<context_type>,<APN>[,<username>,<password>[,<authentication>]]]
		set: (core, cmd) => {
			const a = cmd.args;
			if (int(a[0]) !== 1) { core.error(50); return; }
			if (a.length === 1) { core.line(`+QICSGP: 1,"${core.apn}","","",0`); core.ok(); return; }
			core.apn = a[2] ?? "";
			core.ok();
		},
		other: answer.badParameters,
	},
	"+QIACT": {
		read: (core) => {
			if (core.pdpActive) core.line(`+QIACT: 1,1,1,"${core.pdpIp}"`);
			core.ok();
		},
		set: (core, cmd) => {
			if (int(cmd.args[0]) !== 1) { core.error(50); return; }
			if (core.pdpActive) { core.error(3); return; }
			// Synchronous: OK (or ERROR) only when the context is up, up to 150 s (AT manual, max response time).
			core.hold();
			core.markRadio(core.profile.pdpMs);
			core.after(core.registered ? core.profile.pdpMs : Math.min(core.profile.pdpMs * 3, 150_000), () => {
				if (core.registered) { core.activatePdp(); core.ok(); } else core.error(3);
				core.release();
			});
		},
		other: answer.badParameters,
	},
	"+QIDEACT": {
		set: (core, cmd) => {
			if (int(cmd.args[0]) !== 1) { core.error(50); return; }
			core.hold();
			for (const s of [...core.sockets.values()]) core.closeSocket(s.id, false);
			core.after(300, () => { core.setPdp(false); core.ok(); core.release(); });
		},
		other: answer.badParameters,
	},
	"+QSSLCFG": { set: qsslcfg, other: answer.badParameters },
	"+QFUPL": { // AT+QFUPL=<filename>[,<file_size>[,<timeout>[,<ackmode>]]] -> CONNECT, bytes, +QFUPL: <size>,<checksum>
		set: (core, cmd) => {
			const name = ufs(cmd.args[0] ?? "");
			const size = int(cmd.args[1]);
			if (name === "" || !(size >= 1 && size <= 102_400)) { core.error(50); return; }
			if (core.files.has(name)) { core.error(407); return; }
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
		},
		other: answer.badParameters,
	},
	"+QFDEL": {
		other: (core, cmd) => {
			const name = ufs(cmd.args[0] ?? "");
			if (name === "*") { core.files.clear(); core.ok(); return; }
			if (!core.files.delete(name)) { core.error(405); return; }
			core.ok();
		},
	},
	"+QSSLOPEN": { set: qsslopen, other: answer.badParameters },
	"+QIOPEN": { // AT+QIOPEN=<contextID>,<connectID>,"TCP",<remote>,<port>[,<local_port>[,<access_mode>]] -> OK, +QIOPEN: <id>,<err>
		set: (core, cmd) => {
			const a = cmd.args;
			const id = int(a[1]);
			const host = a[3] ?? "";
			const port = int(a[4]);
			if (int(a[0]) !== 1 || !(id >= 0 && id <= 11) || (a[2] ?? "").toUpperCase() !== "TCP" || host === "" || !(port > 0 && port < 65536)) { core.error(50); return; }
			if (!core.pdpActive || core.sockets.has(TCP_BASE + id)) { core.error(3); return; }
			core.ok();
			core.openSocket(TCP_BASE + id, host, port, undefined, (failure) => core.urc(`+QIOPEN: ${id},${failure ? QSSLOPEN_ERR[failure] : 0}`), "tcp");
		},
		other: answer.badParameters,
	},
	"+QISEND": { set: promptedSend(TCP_BASE), other: answer.badParameters },
	"+QIRD": { set: countedRead(TCP_BASE, "+QIRD"), other: answer.badParameters },
	"+QICLOSE": {
		set: (core, cmd) => {
			if (!core.closeSocket(TCP_BASE + int(cmd.args[0]), false)) { core.error(3); return; }
			core.ok();
		},
		other: answer.notAllowed,
	},
	"+QSSLSEND": { set: promptedSend(0), other: answer.badParameters },
	"+QSSLRECV": { set: countedRead(0, "+QSSLRECV"), other: answer.badParameters },
	"+QSSLCLOSE": {
		set: (core, cmd) => {
			if (!core.closeSocket(int(cmd.args[0]), false)) { core.error(3); return; }
			core.ok();
		},
		other: answer.notAllowed,
	},
	"+QSSLSTATE": {
		other: (core) => {
			for (const s of core.sockets.values()) if (s.state === "open" && s.id < TCP_BASE) core.line(`+QSSLSTATE: ${s.id},"SSLClient","",0,0,2,1,${s.id},0,"usbmodem"`);
			core.ok();
		},
	},
	"+QLTS": { set: qlts, exec: qlts, other: answer.badParameters },
	"+QENG": {
		set: (core, cmd) => {
			if ((cmd.args[0] ?? "").toLowerCase() !== "servingcell") { core.error(50); return; }
			if (!core.registered) { core.line('+QENG: "servingcell","SEARCH"'); core.ok(); return; }
			const c = core.opts.cell;
			const p = core.profile;
			// +QENG: "servingcell",<state>,"eMTC",<is_tdd>,<MCC>,<MNC>,<cellID>,<PCID>,<earfcn>,<freq_band_ind>,
			//        <ul_bandwidth>,<dl_bandwidth>,<TAC>,<RSRP>,<RSRQ>,<RSSI>,<SINR>,<srxlev>
			const state = core.clock.now() < core.radioBusyUntil ? "CONNECT" : "NOCONN";
			core.line(`+QENG: "servingcell","${state}","eMTC","FDD",${String(c.mcc).padStart(3, "0")},${String(c.mnc).padStart(2, "0")},${c.cellId.toString(16).toUpperCase()},${c.pci},${c.earfcn},${c.band},3,3,${c.tac.toString(16).toUpperCase()},${p.rsrp},${p.rsrq},${p.rsrp + 20},${p.sinr},40`);
			core.ok();
		},
		other: answer.badParameters,
	},
	"+QGPSCFG": { // "priority",<0 GNSS|1 WWAN>[,<save>] (GNSS Application Note); other keys accepted
		set: (core, cmd) => {
			const a = cmd.args;
			if ((a[0] ?? "").toLowerCase() === "priority") {
				if (a[1] === undefined) { core.line(`+QGPSCFG: "priority",${vars(core).priority ?? 1}`); core.ok(); return; }
				if (a[1] !== "0" && a[1] !== "1") { core.error(50); return; }
				core.updateGnss();
				vars(core).priority = int(a[1]);
			}
			core.ok();
		},
		other: answer.ok,
	},
	"+QGPS": {
		read: (core) => { core.line(`+QGPS: ${core.gnss.on ? 1 : 0}`); core.ok(); },
		set: (core, cmd) => {
			if (cmd.args[0] !== "1") { core.error(50); return; }
			if (core.gnss.on) { core.error(504); return; }
			core.gnssStart();
			core.ok();
		},
		other: answer.badParameters,
	},
	"+QGPSEND": {
		other: (core) => {
			if (!core.gnss.on) { core.error(505); return; }
			core.gnssStop();
			core.ok();
		},
	},
	"+QGPSLOC": { set: qgpsloc, other: answer.badParameters },
	"+QPOWD": { // AT+QPOWD[=<n>]: OK, then POWERED DOWN
		other: (core, cmd) => {
			if (cmd.type === "set" && !["0", "1"].includes(cmd.args[0] ?? "")) { core.error(50); return; }
			core.ok();
			core.hold();
			core.after(300, () => { core.line("POWERED DOWN"); core.log("==", "power off (AT+QPOWD)"); core.powerOff(); });
		},
	},
});

/** AT+QLTS=<mode>: 2 = local time. +QLTS: "yyyy/MM/dd,hh:mm:ss±zz,dst" */
function qlts(core: Core, cmd: Command): void {
	if (core.nitzAt === undefined) { core.line('+QLTS: ""'); core.ok(); return; }
	const mode = cmd.type === "exec" ? 0 : int(cmd.args[0]);
	const q = core.opts.timezoneQuarters;
	const t = new Date(core.wallNow() + (mode === 1 ? 0 : q * 15 * 60_000));
	const p = (n: number) => String(n).padStart(2, "0");
	const tz = `${q < 0 ? "-" : "+"}${p(Math.abs(q))}`;
	core.line(`+QLTS: "${t.getUTCFullYear()}/${p(t.getUTCMonth() + 1)}/${p(t.getUTCDate())},${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())}${tz},0"`);
	core.ok();
}

/** AT+QGPSLOC=2: +QGPSLOC: <UTC>,<lat>,<lon>,<HDOP>,<alt>,<fix>,<COG>,<spkm>,<spkn>,<date>,<nsat> */
function qgpsloc(core: Core, cmd: Command): void {
	if (cmd.args[0] !== "2") { core.error(50); return; }
	if (!core.gnss.on) { core.error(505); return; }
	const f = core.gnssFix();
	if (!f) { core.error(516); return; }
	const t = new Date(f.utc);
	const p = (n: number, w = 2) => String(n).padStart(w, "0");
	const utc = `${p(t.getUTCHours())}${p(t.getUTCMinutes())}${p(t.getUTCSeconds())}.${p(t.getUTCMilliseconds(), 3)}`;
	const date = `${p(t.getUTCDate())}${p(t.getUTCMonth() + 1)}${p(t.getUTCFullYear() % 100)}`;
	const cog = `${p(Math.floor(f.course), 3)}.${p(Math.round((f.course % 1) * 60) % 60)}`;
	core.line(`+QGPSLOC: ${utc},${f.lat.toFixed(5)},${f.lon.toFixed(5)},${f.hdop.toFixed(1)},${f.alt.toFixed(1)},3,${cog},${(f.speed * 3.6).toFixed(1)},${(f.speed * 1.943844).toFixed(1)},${date},${p(f.satsUsed)}`);
	core.ok();
}

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
	readyMarker: "APP RDY",

	commands,

	socketData(core: Core, id: number): void {
		if (id >= TCP_BASE) core.urc(`+QIURC: "recv",${id - TCP_BASE}`); else core.urc(`+QSSLURC: "recv",${id}`);
	},
	socketClosed(core: Core, id: number): void {
		if (id >= TCP_BASE) core.urc(`+QIURC: "closed",${id - TCP_BASE}`); else core.urc(`+QSSLURC: "closed",${id}`);
	},
	pdpLost(core: Core): void { core.urc('+QIURC: "pdpdeact",1'); },
	// GNSS Application Note, AT+QGPSCFG="priority": WWAN priority (1, the default) lets GNSS run only while WWAN
	// is idle; GNSS priority (0) lets it run whatever WWAN does.
	gnssAccess(core: Core) { return vars(core).priority === 0 ? "free" as const : "idle" as const; },

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

function qsslcfg(core: Core, cmd: Command): void {
	const a = cmd.args;
	const key = (a[0] ?? "").toLowerCase();
	const ctx = int(a[1]);
	if (!(ctx >= 0 && ctx <= 5)) { core.error(50); return; }
	const c = ctxOf(core, ctx);
	const value = a[2];
	if (value === undefined) { // query form: AT+QSSLCFG="<key>",<ctx>
		const shown = key === "sslversion" ? c.version : key === "seclevel" ? c.seclevel : key === "sni" ? (c.sni ? 1 : 0) : key === "cacert" ? `"${c.cacert ?? ""}"`
			: key === "session_cache" ? (c.sessionCache ? 1 : 0) : undefined;
		if (shown === undefined) { core.error(50); return; }
		core.line(`+QSSLCFG: "${key}",${ctx},${shown}`);
		core.ok();
		return;
	}
	if (key === "sslversion") c.version = int(value);
	else if (key === "seclevel") c.seclevel = int(value);
	else if (key === "cacert") c.cacert = ufs(value);
	else if (key === "sni") c.sni = value === "1";
	// AT+QSSLCFG="session_cache",<SSL_ctxID>[,<session_cache_enable>]: 0 disabled (default), 1 enabled: the context
	// resumes the previous SSL session on the next QSSLOPEN (Quectel BG95&BG77 SSL Application Note, AT+QSSLCFG).
	else if (key === "session_cache") {
		if (value !== "0" && value !== "1") { core.error(50); return; }
		c.sessionCache = value === "1";
	}
	else if (!["ciphersuite", "ignorelocaltime", "negotiatetime", "clientcert", "clientkey", "checkhost"].includes(key)) { core.error(50); return; }
	core.ok();
}

function qsslopen(core: Core, cmd: Command): void {
	// AT+QSSLOPEN=<pdpctxID>,<sslctxID>,<clientID>,<serveraddr>,<server_port>[,<access_mode>]
	const a = cmd.args;
	const ctx = int(a[1]);
	const id = int(a[2]);
	const host = a[3] ?? "";
	const port = int(a[4]);
	if (int(a[0]) !== 1 || !(ctx >= 0 && ctx <= 5) || !(id >= 0 && id <= 11) || host === "" || !(port > 0 && port < 65536)) { core.error(50); return; }
	if (!core.pdpActive) { core.error(3); return; }
	if (core.sockets.has(id)) { core.error(3); return; }
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
		return;
	}
	core.openSocket(id, host, port, { verifyName: host, ...(caPem !== undefined ? { ca: caPem } : {}), ...(c.sni ? { sni: host } : {}), ...(c.sessionCache ? { sessionCache: `${ctx}|${host}:${port}` } : {}) },
		(failure) => report(failure ? QSSLOPEN_ERR[failure] : 0));
}
