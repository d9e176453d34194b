/**
 * SIMCom SIM7080G dialect (SIM7070_SIM7080_SIM7090 Series AT Command Manual; hardware design for PWRKEY).
 * Command families: CN (AT+CNCFG, AT+CNACT), CA (AT+CAOPEN/CASEND/CARECV/CACLOSE/CASTATE, AT+CASSLCFG),
 * SSL (AT+CSSLCFG), FS (AT+CFSINIT/CFSWFILE/CFSTERM/CFSDFILE/CFSGFIS), GNSS (AT+CGNSPWR/CGNSINF), AT+CPSI?,
 * AT+CPOWD, as a command table (commandTable.ts). Shared 27.007 commands (CEREG, CFUN, CMEE, CCLK...) live in
 * common.ts.
 */
import type { Core, Dialect, SocketFailure } from "./core";
import type { Command } from "./util";
import { answer, commandTable } from "./commandTable";
import { fromLatin1 } from "./util";

interface SslContext { version: number; sni?: string; }
interface CaConfig { ssl: boolean; crindex: number; cacert?: string; }

interface Vars {
	fsInit?: boolean;
	ssl?: Map<number, SslContext>;
	ca?: Map<number, CaConfig>;
	converted?: Set<string>;
}

const vars = (core: Core): Vars => core.vars as Vars;
const sslCtx = (core: Core, i: number): SslContext => {
	const v = vars(core);
	v.ssl ??= new Map();
	let c = v.ssl.get(i);
	if (!c) { c = { version: 4 }; v.ssl.set(i, c); }
	return c;
};
const caCfg = (core: Core, cid: number): CaConfig => {
	const v = vars(core);
	v.ca ??= new Map();
	let c = v.ca.get(cid);
	if (!c) { c = { ssl: false, crindex: 0 }; v.ca.set(cid, c); }
	return c;
};

// SIM7080 AT manual, AT+CAOPEN <result>: 0 success, 20 DNS failure, 24-26 certificate errors, 27 connect failed
// (shared/reference/modem-at.md). Untrusted CA -> 26 (the emulator's choice among the certificate codes).
const CAOPEN_RESULT: Readonly<Record<SocketFailure, number>> = Object.freeze({
	dns: 20, refused: 27, connect: 27, certExpired: 24, certName: 25, certUntrusted: 26, tls: 27,
});

const int = (s: string | undefined): number => (s !== undefined && /^-?\d+$/.test(s) ? Number(s) : NaN);

const commands = commandTable({
	ATI: { other: (core) => { core.line("SIM7080 R1951.01"); core.ok(); } },
	"+CGMR": { other: (core) => { core.line("+CGMR: 1951B17SIM7080"); core.ok(); } },
	"+CNCFG": { // AT+CNCFG=<pdpidx>,<ip_type>[,<APN>[,<user>,<pwd>[,<auth>]]]
		read: (core) => { core.line(`+CNCFG: 0,1,"${core.apn}","","",0`); core.ok(); },
		set: (core, cmd) => {
			if (int(cmd.args[0]) !== 0) { core.error(50); return; }
			core.apn = cmd.args[2] ?? "";
			core.ok();
		},
		other: answer.badParameters,
	},
	"+CNACT": { read: cnactRead, set: cnactSet, other: answer.badParameters },
	"+CSSLCFG": { set: csslcfg, other: answer.badParameters },
	"+CASSLCFG": { // AT+CASSLCFG=<cid>,"SSL"|"CRINDEX"|"CACERT",<value>
		set: (core, cmd) => {
			const a = cmd.args;
			const cid = int(a[0]);
			const key = (a[1] ?? "").toLowerCase();
			if (!(cid >= 0 && cid <= 12) || a[2] === undefined) { core.error(50); return; }
			const c = caCfg(core, cid);
			if (key === "ssl") c.ssl = a[2] === "1";
			else if (key === "crindex") c.crindex = int(a[2]);
			else if (key === "cacert") c.cacert = a[2];
			else if (key !== "protocol" && key !== "certhostcheck" && key !== "clientcert") { core.error(50); return; }
			core.ok();
		},
		other: answer.badParameters,
	},
	"+CFSINIT": {
		other: (core) => {
			if (vars(core).fsInit) { core.error(3); return; }
			vars(core).fsInit = true;
			core.ok();
		},
	},
	"+CFSTERM": { other: (core) => { vars(core).fsInit = false; core.ok(); } },
	"+CFSWFILE": { // AT+CFSWFILE=<index>,<filename>,<mode>,<filesize>,<inputtime> -> DOWNLOAD, bytes, OK
		set: (core, cmd) => {
			const a = cmd.args;
			const size = int(a[3]);
			const name = a[1] ?? "";
			if (!vars(core).fsInit || name === "" || !(size >= 1 && size <= 10240) || !["0", "1"].includes(a[2] ?? "")) { core.error(50); return; }
			const append = a[2] === "1";
			core.hold();
			core.line("DOWNLOAD");
			core.expectPayload(size, (bytes) => {
				const old = append ? core.files.get(name) : undefined;
				const merged = old ? concat(old, bytes) : bytes;
				core.files.set(name, merged);
				vars(core).converted?.delete(name);
				core.after(core.profile.commandMs, () => { core.ok(); core.release(); });
			});
		},
		other: answer.badParameters,
	},
	"+CFSDFILE": {
		other: (core, cmd) => {
			if (!vars(core).fsInit || !core.files.delete(cmd.args[1] ?? "")) { core.error(50); return; }
			core.ok();
		},
	},
	"+CFSGFIS": {
		other: (core, cmd) => {
			const f = core.files.get(cmd.args[1] ?? "");
			if (!vars(core).fsInit || !f) { core.error(50); return; }
			core.line(`+CFSGFIS: ${f.length}`);
			core.ok();
		},
	},
	"+CAOPEN": { set: caopen, other: answer.badParameters },
	"+CASEND": { // AT+CASEND=<cid>,<datalen>[,<inputtime>] -> "> ", bytes, OK
		set: (core, cmd) => {
			const cid = int(cmd.args[0]);
			const len = int(cmd.args[1]);
			const s = core.sockets.get(cid);
			if (!(len >= 1 && len <= 1460)) { core.error(50); return; }
			if (!s || s.state !== "open") { core.error(3); return; }
			core.hold();
			core.raw("\r\n> ", "> (prompt)");
			core.expectPayload(len, (bytes) => {
				const ok = core.writeSocket(cid, bytes);
				core.after(core.profile.sendMs, () => { if (ok) core.ok(); else core.error(3); core.release(); });
			});
		},
		other: answer.badParameters,
	},
	"+CARECV": { // AT+CARECV=<cid>,<readlen> -> +CARECV: <recvlen>,<data>
		set: (core, cmd) => {
			const cid = int(cmd.args[0]);
			const len = int(cmd.args[1]);
			if (!(len >= 1 && len <= 1460)) { core.error(50); return; }
			const data = core.readSocket(cid, len);
			if (data === undefined) { core.error(3); return; }
			if (data.length === 0) core.line("+CARECV: 0");
			else core.lineWithData(`+CARECV: ${data.length}`, data, ",");
			core.ok();
		},
		other: answer.badParameters,
	},
	"+CACLOSE": {
		other: (core, cmd) => {
			if (!core.closeSocket(int(cmd.args[0]), false)) { core.error(3); return; }
			core.ok();
		},
	},
	"+CASTATE": {
		read: (core) => {
			for (const s of core.sockets.values()) if (s.state !== "opening") core.line(`+CASTATE: ${s.id},${s.state === "open" ? 1 : 0}`);
			core.ok();
		},
		other: answer.badParameters,
	},
	"+CPSI": {
		read: (core) => {
			if (!core.registered) { core.line("+CPSI: NO SERVICE,Online"); core.ok(); return; }
			const c = core.opts.cell;
			const p = core.profile;
			// +CPSI: <System Mode>,<Operation Mode>,<MCC>-<MNC>,<TAC>,<SCellID>,<PCellID>,<Frequency Band>,
			//        <earfcn>,<dlbw>,<ulbw>,<RSRQ>,<RSRP>,<RSSI>,<RSSNR>
			core.line(`+CPSI: LTE CAT-M1,Online,${String(c.mcc).padStart(3, "0")}-${String(c.mnc).padStart(2, "0")},0x${c.tac.toString(16).toUpperCase().padStart(4, "0")},${c.cellId},${c.pci},EUTRAN-BAND${c.band},${c.earfcn},5,5,${p.rsrq},${p.rsrp},${p.rsrp + 20},${p.sinr}`);
			core.ok();
		},
		other: answer.badParameters,
	},
	"+CGNSPWR": {
		read: (core) => { core.line(`+CGNSPWR: ${core.gnss.on ? 1 : 0}`); core.ok(); },
		set: (core, cmd) => {
			const on = cmd.args[0];
			if (on !== "0" && on !== "1") { core.error(50); return; }
			if (on === "1" && !core.gnss.on) core.gnssStart();
			if (on === "0" && core.gnss.on) core.gnssStop();
			core.ok();
		},
		other: answer.badParameters,
	},
	"+CGNSINF": { other: (core) => { core.line(`+CGNSINF: ${cgnsinf(core)}`); core.ok(); } },
	"+CPOWD": { // AT+CPOWD=1 normal power down: the marker, then nothing answers
		set: (core, cmd) => {
			const mode = cmd.args[0];
			if (mode !== "0" && mode !== "1") { core.error(50); return; }
			if (mode === "1") core.line("NORMAL POWER DOWN");
			core.log("==", "power off (AT+CPOWD)");
			core.powerOff();
		},
		other: answer.badParameters,
	},
});

export const sim7080: Dialect = Object.freeze({
	name: "sim7080" as const,
	// Power-on URCs as the SIM7000/SIM7080 family prints them; `SMS Ready` is the last one (allow 30 s).
	bootMarkers: Object.freeze(["RDY", "+CFUN: 1", "+CPIN: READY", "SMS Ready"]),
	defaultCmee: 0 as const,
	// SIM7080G hardware design: PWRKEY low >= 1 s powers on, >= 1.2 s powers off.
	pwrkeyOnMs: 1000,
	pwrkeyOffMs: 1200,
	powerDownMarker: "NORMAL POWER DOWN",

	commands,

	socketData(core: Core, id: number): void { core.urc(`+CADATAIND: ${id}`); },
	socketClosed(core: Core, id: number): void { core.urc(`+CASTATE: ${id},0`); },
	pdpLost(core: Core): void { core.urc("+APP PDP: 0,DEACTIVE"); },
	// SIM7080 Series GNSS Application Note / shared/reference/modem-at.md: "GNSS and LTE cannot run at the same
	// time": no fix while a PDP context is active; with the context down, GNSS still waits for RRC to go idle.
	gnssAccess(core: Core) { return core.pdpActive ? "blocked" as const : "idle" as const; },

	/**
	 * NITZ as the SIM7000/SIM7080 family prints it with AT+CLTS=1: `+CTZV`, `*PSUTTZ` (with its odd quoting,
	 * `*PSUTTZ: yy/MM/dd,hh:mm:ss","+zz",dst`, as seen from real SIM7000-family modules) and `DST:`.
	 */
	networkTime(core: Core): void {
		if (!core.nitzUrcs) return;
		const q = core.opts.timezoneQuarters;
		const tz = `${q < 0 ? "-" : "+"}${String(Math.abs(q)).padStart(2, "0")}`;
		const utc = new Date(core.wallNow());
		const p = (n: number) => String(n).padStart(2, "0");
		const utcText = `${p(utc.getUTCFullYear() % 100)}/${p(utc.getUTCMonth() + 1)}/${p(utc.getUTCDate())},${p(utc.getUTCHours())}:${p(utc.getUTCMinutes())}:${p(utc.getUTCSeconds())}`;
		core.urc(`+CTZV: ${tz},0`);
		core.urc(`*PSUTTZ: ${utcText}","${tz}",0`);
		core.urc("DST: 0");
	},
});

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
	const out = new Uint8Array(a.length + b.length);
	out.set(a, 0);
	out.set(b, a.length);
	return out;
}

function cnactRead(core: Core): void {
	// +CNACT: <pdpidx>,<statusx>,<addressx> for each of the four contexts
	core.line(`+CNACT: 0,${core.pdpActive ? 1 : 0},"${core.pdpActive ? core.pdpIp : "0.0.0.0"}"`);
	for (let i = 1; i < 4; i++) core.line(`+CNACT: ${i},0,"0.0.0.0"`);
	core.ok();
}

/** AT+CNACT=<pdpidx>,<action>: OK at once, `+APP PDP: 0,ACTIVE|DEACTIVE` when done. */
function cnactSet(core: Core, cmd: Command): void {
	const [idx, action] = cmd.args;
	if (idx !== "0" || !["0", "1", "2"].includes(action ?? "")) { core.error(50); return; }
	if (action === "0") {
		if (!core.pdpActive) { core.error(3); return; }
		core.ok();
		for (const s of [...core.sockets.values()]) core.closeSocket(s.id, false);
		core.after(200, () => { core.setPdp(false); core.urc("+APP PDP: 0,DEACTIVE"); });
		return;
	}
	if (core.pdpActive || !core.registered) { core.error(3); return; }
	core.ok();
	core.markRadio(core.profile.pdpMs);
	core.after(core.profile.pdpMs, () => {
		if (!core.registered) { core.urc("+APP PDP: 0,DEACTIVE"); return; }
		core.activatePdp();
		core.urc("+APP PDP: 0,ACTIVE");
	});
}

function csslcfg(core: Core, cmd: Command): void {
	const a = cmd.args;
	const key = (a[0] ?? "").toLowerCase();
	if (key === "convert") { // AT+CSSLCFG="CONVERT",<ssltype>,<cname>[,<keyname>]: 2 = CA certificate
		const name = a[2] ?? "";
		const file = core.files.get(name);
		if (a[1] !== "2" || !file || !/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(fromLatin1(file))) { core.error(50); return; }
		const v = vars(core);
		v.converted ??= new Set();
		v.converted.add(name);
		core.ok();
		return;
	}
	const ctx = int(a[1]);
	if (!(ctx >= 0 && ctx <= 5) || a[2] === undefined) { core.error(50); return; }
	const c = sslCtx(core, ctx);
	if (key === "sslversion") c.version = int(a[2]);
	else if (key === "sni") c.sni = a[2];
	else if (!["ciphersuite", "ignorertctime", "protocol", "ctxindex", "cacert", "clientcert", "negotiatetime"].includes(key)) { core.error(50); return; }
	core.ok();
}

function caopen(core: Core, cmd: Command): void {
	// AT+CAOPEN=<cid>,<pdp_index>,<conn_type>,<server>,<port>[,<recv_mode>]
	const a = cmd.args;
	const cid = int(a[0]);
	const port = int(a[4]);
	const host = a[3] ?? "";
	if (!(cid >= 0 && cid <= 12) || (a[2] ?? "").toUpperCase() !== "TCP" || host === "" || !(port > 0 && port < 65536)) { core.error(50); return; }
	if (core.sockets.has(cid)) { core.error(3); return; }
	// <result> 21: network not active (no PDP context: after a PDP loss or a reset).
	if (!core.pdpActive) { core.line(`+CAOPEN: ${cid},21`); core.ok(); return; }
	const ca = caCfg(core, cid);
	let settings: { ca?: string; sni?: string; verifyName: string } | undefined;
	let loadFailure = false;
	if (ca.ssl) {
		const ctx = sslCtx(core, ca.crindex);
		settings = { verifyName: host, ...(ctx.sni !== undefined ? { sni: ctx.sni } : {}) };
		if (ca.cacert !== undefined) {
			const file = core.files.get(ca.cacert);
			if (!file || !vars(core).converted?.has(ca.cacert)) loadFailure = true;
			else settings = { ...settings, ca: fromLatin1(file) };
		}
	}
	core.hold();
	const fault = ca.ssl ? core.takeTlsFault() : undefined;
	const reply = (result: number): void => {
		core.line(`+CAOPEN: ${cid},${result}`);
		core.ok();
		core.release();
	};
	if (fault || loadFailure) {
		core.after(core.profile.connectMs + core.profile.tlsMs, () => reply(fault?.code ?? 26));
		return;
	}
	core.openSocket(cid, host, port, settings, (failure) => reply(failure ? CAOPEN_RESULT[failure] : 0));
}

/**
 * AT+CGNSINF, 21 fields (SIM7080 AT manual, GNSS chapter): run, fix, UTC yyyyMMddhhmmss.sss, lat, lon, MSL
 * altitude, speed over ground (km/h), course, fix mode, reserved1, HDOP, PDOP, VDOP, reserved2, GNSS satellites
 * in view, GNSS satellites used, GLONASS used, reserved3, C/N0 max, HPA, VPA.
 */
function cgnsinf(core: Core): string {
	if (!core.gnss.on) return "0" + ",".repeat(20);
	const f = core.gnssFix();
	if (!f) return "1,0" + ",".repeat(19);
	const t = new Date(f.utc);
	const p = (n: number, w = 2) => String(n).padStart(w, "0");
	const utc = `${t.getUTCFullYear()}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}${p(t.getUTCHours())}${p(t.getUTCMinutes())}${p(t.getUTCSeconds())}.${p(t.getUTCMilliseconds(), 3)}`;
	const hpa = (f.hdop * 5).toFixed(1);
	return [1, 1, utc, f.lat.toFixed(6), f.lon.toFixed(6), f.alt.toFixed(3), (f.speed * 3.6).toFixed(2), f.course.toFixed(1),
		1, "", f.hdop.toFixed(1), (f.hdop * 1.3).toFixed(1), (f.hdop * 0.9).toFixed(1), "", f.satsInView, f.satsUsed, "", "", 38, hpa, (f.hdop * 7).toFixed(1)].join(",");
}
