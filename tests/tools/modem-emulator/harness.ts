/** Test harness: an emulator on a manual clock, a host side that writes AT text and collects what comes back. */
import ManualClock from "hal/sim/manualClock";
import ModemEmulator from "../../../tools/sim/modem/emulator";
import type { EmulatorOptions } from "../../../tools/sim/modem/emulator";

export const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
export const text = (b: ArrayBuffer | Uint8Array | undefined): string => {
	if (!b) return "";
	let s = "";
	for (const x of b instanceof Uint8Array ? b : new Uint8Array(b)) s += String.fromCharCode(x);
	return s;
};

export interface Harness {
	clock: ManualClock;
	emu: ModemEmulator;
	/** Writes raw text to the modem. */
	write(s: string | Uint8Array): void;
	/** Returns and clears everything received so far. */
	take(): string;
	/** Writes `line\r`, advances `ms` (default 100) and returns what came back. */
	at(line: string, ms?: number): Promise<string>;
	/** Advances simulated time, letting real IO settle first. */
	advance(ms: number): Promise<void>;
	/** PWRKEY pulse of `ms` (default long enough), then waits until the last boot marker. */
	powerOn(): Promise<string>;
	close(): void;
}

export function harness(options: Partial<EmulatorOptions> & Pick<EmulatorOptions, "dialect">): Harness {
	const clock = new ManualClock(0);
	// These tests compare the modem's exact bytes: one piece per reply, no URC noise (lenient), unless a test asks
	// for the strict default itself (lenient: false). The drivers meet the strict emulator in drivers.test.ts.
	const emu = new ModemEmulator({ clock, lenient: true, ...options });
	let rx = "";
	const serial = emu.openSerial({ baud: 115200, onReadable() { rx += text(this.read()); } });
	const h: Harness = {
		clock, emu,
		write(s) { serial.write(typeof s === "string" ? bytes(s) : s); },
		take() { const r = rx; rx = ""; return r; },
		async advance(ms) {
			const end = clock.now() + ms;
			for (;;) {
				await emu.whenIoSettled();
				const next = clock.nextDeadline();
				if (next === undefined || next > end) break;
				await clock.advanceAsync(next - clock.now());
			}
			await emu.whenIoSettled();
			await clock.advanceAsync(end - clock.now());
		},
		async at(line, ms = 100) {
			h.write(line + "\r");
			await h.advance(ms);
			return h.take();
		},
		async powerOn() {
			const active = options.pwrkeyActive ?? 1;
			emu.pwrkey.write(active);
			await h.advance(emu.dialect === "sim7080" ? 1100 : 600);
			emu.pwrkey.write(active ? 0 : 1);
			await h.advance(emu.profile.bootMs + emu.profile.bootMarkersMs + 100);
			return h.take();
		},
		close() { serial.close(); emu.close(); },
	};
	return h;
}

import net from "node:net";
import tls from "node:tls";
import type { ServerCert } from "../../../tools/sim/devCerts";

export interface TestServer {
	port: number;
	/** Every connection's received bytes, as text. */
	received: string[];
	/** SNI names the TLS server saw. */
	servernames: (string | false)[];
	/** Closes every open connection from the server side. */
	dropAll(): void;
	close(): Promise<void>;
}

/**
 * A loopback server that answers each chunk it receives with `reply(text)` (default an HTTP 200 echoing the length).
 * With `cert`, it is a TLS 1.2/1.3 server with that certificate.
 */
export async function startServer(options: { cert?: ServerCert; reply?: (received: string) => string | undefined } = {}): Promise<TestServer> {
	const sockets = new Set<net.Socket>();
	const received: string[] = [];
	const servernames: (string | false)[] = [];
	const reply = options.reply ?? ((t) => `HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n${String(t.length).padStart(2, "0").slice(-2)}`);
	const onConn = (s: net.Socket): void => {
		sockets.add(s);
		const index = received.push("") - 1;
		if (s instanceof tls.TLSSocket) servernames.push((s as tls.TLSSocket & { servername?: string | false }).servername ?? false);
		s.on("data", (d: Buffer) => {
			received[index] += d.toString("latin1");
			const r = reply(d.toString("latin1"));
			if (r !== undefined) s.write(r);
		});
		s.on("error", () => undefined);
		s.on("close", () => sockets.delete(s));
	};
	const server: net.Server = options.cert ? tls.createServer({ cert: options.cert.cert, key: options.cert.key }, onConn) : net.createServer(onConn);
	server.on("tlsClientError", () => undefined);
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const port = (server.address() as net.AddressInfo).port;
	return {
		port, received, servernames,
		dropAll() { for (const s of sockets) s.destroy(); },
		close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
	};
}

/** Waits (real time, bounded) until `predicate` holds, letting sockets deliver; for data a real server sends. */
export async function until(predicate: () => boolean, limitMs = 3000): Promise<void> {
	const end = Date.now() + limitMs;
	while (!predicate()) {
		if (Date.now() > end) throw new Error("condition not met in time");
		await new Promise((r) => setTimeout(r, 5));
	}
}

/** Power on, echo off, numeric errors, +CEREG=2, wait for registration, activate the PDP context. */
export async function attached(h: Harness): Promise<void> {
	await h.powerOn();
	await h.at("ATE0");
	await h.at("AT+CMEE=1");
	await h.at("AT+CEREG=2");
	await h.advance(h.emu.profile.attachMs + h.emu.profile.nitzMs + 100);
	if (h.emu.dialect === "sim7080") {
		await h.at('AT+CNCFG=0,1,"iot.test"');
		await h.at("AT+CNACT=0,1", h.emu.profile.pdpMs + 100);
	} else {
		await h.at('AT+QICSGP=1,1,"iot.test","","",1');
		await h.at("AT+QIACT=1", h.emu.profile.pdpMs + 100);
	}
	h.take();
	if (!h.emu.pdpActive) throw new Error("PDP context not active");
}

/** Uploads `pem` as the CA and configures TLS with it pinned and SNI set (SIM7080: ctx 0 / cid 0; BG95: ctx 1). */
export async function configureTls(h: Harness, pem: string, sni = "api.enigm.test"): Promise<void> {
	if (h.emu.dialect === "sim7080") {
		await h.at("AT+CFSINIT");
		h.write(`AT+CFSWFILE=3,"ca.pem",0,${pem.length},10000\r`);
		await h.advance(50);
		h.write(pem);
		await h.advance(50);
		await h.at("AT+CFSTERM");
		for (const c of ['AT+CSSLCFG="convert",2,"ca.pem"', 'AT+CSSLCFG="sslversion",0,3', `AT+CSSLCFG="sni",0,"${sni}"`, 'AT+CASSLCFG=0,"crindex",0', 'AT+CASSLCFG=0,"ssl",1', 'AT+CASSLCFG=0,"cacert","ca.pem"']) await h.at(c);
	} else {
		h.write(`AT+QFUPL="UFS:ca.pem",${pem.length},100\r`);
		await h.advance(50);
		h.write(pem);
		await h.advance(50);
		for (const c of ['AT+QSSLCFG="sslversion",1,3', 'AT+QSSLCFG="seclevel",1,1', 'AT+QSSLCFG="cacert",1,"UFS:ca.pem"', 'AT+QSSLCFG="sni",1,1']) await h.at(c);
	}
	h.take();
}

/** Opens socket 0 to `host:port`; returns the modem's reply text (OK and the open result). */
export async function openSocket(h: Harness, host: string, port: number): Promise<string> {
	const p = h.emu.profile;
	if (h.emu.dialect === "sim7080") return h.at(`AT+CAOPEN=0,0,"TCP","${host}",${port}`, p.connectMs + p.tlsMs + 200);
	return h.at(`AT+QSSLOPEN=1,1,0,"${host}",${port},0`, p.connectMs + p.tlsMs + 200);
}
