/**
 * Folds the modem emulator's AT transcript (tools/sim/modem/transcript.ts lines) into one readable line per
 * command family, for `npm start`'s live view:
 *
 *     modem: AT+CAOPEN -> +CAOPEN: 0,0 (TLS up)
 *     modem: AT+CSSLCFG/AT+CASSLCFG x6 -> OK (TLS settings: CA pinned, SNI)
 *     modem: AT+CGNSINF x6 -> +CGNSINF: 1,1,20261122080027.240,48.863400,2.326090,… (fix 48.86340, 2.32609)
 *     modem: RDY · +CFUN: 1 · +CPIN: READY · SMS Ready (booted)
 *
 * Consecutive exchanges of the same family are merged (configuration runs, GNSS polling); a group is printed when
 * another family starts, when a result code arrives for a command family that answers late (the BG95's
 * +QSSLOPEN, the SIM7080's +APP PDP), or when the modem has been quiet for `idleMs` of simulated time (`tick`).
 * Payloads are already redacted by the transcript (lengths and the first line only); nothing here adds bytes.
 */

export interface AtSummaryOptions {
	/** Receives each summary line and the simulated time (ms) of its first exchange. */
	readonly emit: (line: string, at: number) => void;
	/** A group quiet for this long (simulated ms) is printed by `tick`; default 3000. */
	readonly idleMs?: number;
}

interface Exchange {
	readonly t: number;
	readonly command: string;
	readonly name: string;
	readonly info: string[];
	payload?: string;
	final?: string;
}

interface Group {
	readonly t: number;
	readonly family: string;
	readonly names: string[];
	count: number;
	last: Exchange;
	late?: string;
	lastAt: number;
}

const LINE = /^\[\s*(-?\d+) ms\] (->|<-|==|!!) (.*)$/;
const FINAL = /^(OK|ERROR|SEND OK|SEND FAIL|NO CARRIER|\+CME ERROR: .*|\+CMS ERROR: .*)$/;

/** Commands whose replies belong together in one line. */
const FAMILY: Readonly<Record<string, string>> = Object.freeze({
	CFSINIT: "CFS", CFSWFILE: "CFS", CFSTERM: "CFS",
	CSSLCFG: "TLSCFG", CASSLCFG: "TLSCFG", QSSLCFG: "TLSCFG",
});

/** Families whose consecutive exchanges fold into one line (configuration runs, polling). */
const MERGE: ReadonlySet<string> = new Set(["CFS", "TLSCFG", "CGNSINF", "QGPSLOC", "CEREG", "CSQ", "AT"]);

/** Result codes that arrive after the command's OK (or instead of it), by family. */
const LATE: Readonly<Record<string, RegExp>> = Object.freeze({
	QSSLOPEN: /^\+QSSLOPEN: /,
	CNACT: /^\+APP PDP: /,
	QIACT: /^\+QIACT: /,
	CPOWD: /^(NORMAL POWER DOWN|POWERED DOWN)/,
	QPOWD: /^(NORMAL POWER DOWN|POWERED DOWN)/,
});

/** Unsolicited lines that only repeat what an exchange line already says. */
const QUIET_URC = /^(\+CADATAIND: |\+QSSLURC: "recv"|\+QIURC: "recv"|> \(prompt\)$|DOWNLOAD$|CONNECT$)/;

const REG: Readonly<Record<string, string>> = Object.freeze({
	"0": "not registered", "1": "registered, home network", "2": "searching", "3": "registration denied", "4": "unknown", "5": "registered, roaming",
});

function commandName(command: string): string {
	const m = /^AT([+*#$&][A-Z0-9]+|[A-Z]\d*)?/i.exec(command);
	const name = (m?.[1] ?? "").toUpperCase();
	return name.replace(/^[+*#$&]/, "") || (command.toUpperCase() === "AT" ? "AT" : command.slice(0, 12).toUpperCase());
}

function display(command: string): string {
	const name = commandName(command);
	if (name === "AT") return "AT";
	if (/^[A-Z]\d*$/.test(name) && !command.slice(2).startsWith("+")) return `AT${name}`;
	return `AT${command.slice(2, 3)}${name}`;
}

function short(text: string, max = 64): string {
	return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

/** `<651 bytes "POST /v1/events HTTP/1.1…">` -> `651 bytes: POST /v1/events`. */
function payloadWords(payload: string | undefined): string {
	const m = payload ? /<(\d+) bytes(?: "([^"]*)")?>/.exec(payload) : null;
	if (!m) return "";
	const first = (m[2] ?? "").replace(/…$/, "").replace(/ HTTP\/1\.1$/, "");
	return `${m[1]} bytes${first ? `: ${first}` : ""}`;
}

function fixWords(lat: string | undefined, lon: string | undefined, sats?: string): string {
	return `fix ${Number(lat).toFixed(5)}, ${Number(lon).toFixed(5)}${sats ? `, ${Number(sats)} satellites` : ""}`;
}

/** What an exchange means, in a few words, or "" when the reply says it well enough. */
function meaning(x: Exchange, late: string | undefined): string {
	const info = x.info[0] ?? "";
	const failed = x.final !== undefined && x.final !== "OK" && x.final !== "SEND OK" && !LATE[x.name]?.test(x.final);
	const name = x.name;
	const cmd = x.command.toUpperCase();
	if (x.final === undefined) return "";
	if (name === "QGPSLOC" && x.final === "+CME ERROR: 516") return "no fix yet";
	if (failed) return "failed";
	switch (name) {
		case "AT": return "modem answers";
		case "E0": return "echo off";
		case "CMEE": return "numeric error codes";
		case "CFUN": return cmd.includes("?") ? "" : "radio on";
		case "CLTS": case "CTZR": return "network time reports on";
		case "CNCFG": case "QICSGP": return "APN set";
		case "CEREG": {
			const m = /^\+CEREG: (?:\d,)?(\d)/.exec(info);
			return m ? (REG[m[1]!] ?? "") : "registration reports on";
		}
		case "CNACT": case "QIACT": {
			if (late && /DEACTIVE/.test(late)) return "data connection failed";
			return cmd.includes("?") ? "" : "PDP context up";
		}
		case "CCLK": case "QLTS": return "network time";
		case "CFSINIT": case "CFSWFILE": case "CFSTERM": case "QFUPL": return "CA certificate uploaded";
		case "CSSLCFG": case "CASSLCFG": case "QSSLCFG": return "TLS settings: CA pinned, SNI";
		case "CAOPEN": case "QSSLOPEN": {
			const m = /^\+(?:CAOPEN|QSSLOPEN): \d+,(-?\d+)/.exec(name === "CAOPEN" ? info : (late ?? info));
			if (!m) return name === "QSSLOPEN" ? "opening" : "";
			return m[1] === "0" ? "TLS up" : `TLS failed, result ${m[1]}`;
		}
		case "CPSI": case "QENG": return "serving cell";
		case "CSQ": return "signal quality";
		case "CASEND": case "QSSLSEND": return `sent ${payloadWords(x.payload)}`;
		case "CARECV": case "QSSLRECV": {
			const m = /^\+(?:CARECV|QSSLRECV): (\d+)/.exec(info);
			if (m && m[1] === "0") return "nothing to read";
			const words = payloadWords(info.slice(info.indexOf("<")));
			return words ? `received ${words}` : "";
		}
		case "CACLOSE": case "QSSLCLOSE": return "socket closed";
		case "CGNSPWR": return cmd.endsWith("=1") ? "GNSS on" : cmd.endsWith("=0") ? "GNSS off" : "";
		case "QGPS": return cmd.endsWith("=1") ? "GNSS on" : "";
		case "QGPSEND": return "GNSS off";
		case "CGNSINF": {
			const f = info.replace(/^\+CGNSINF: /, "").split(",");
			return f[1] === "1" ? fixWords(f[3], f[4], f[15]) : f[0] === "1" ? "no fix yet" : "GNSS off";
		}
		case "QGPSLOC": {
			const f = info.replace(/^\+QGPSLOC: /, "").split(",");
			return fixWords(f[1], f[2], f[10]);
		}
		case "CPOWD": case "QPOWD": return "power down";
		default: return "";
	}
}

function urcMeaning(line: string): string {
	if (/^(SMS Ready|APP RDY)$/.test(line)) return "booted";
	if (/^(\+CTZV|\*PSUTTZ|\+CTZE|DST)/.test(line)) return "network time";
	if (/^\+APP PDP: \d+,ACTIVE/.test(line)) return "data connection up";
	if (/^\+APP PDP: \d+,DEACTIVE/.test(line)) return "data connection lost";
	if (/^\+CASTATE: \d+,0/.test(line) || /^\+QSSLURC: "closed"/.test(line) || /^\+QIURC: "closed"/.test(line)) return "socket closed by the network";
	if (/^\+QIURC: "pdpdeact"/.test(line)) return "data connection lost";
	if (/^(NORMAL POWER DOWN|POWERED DOWN)$/.test(line)) return "powered down";
	const reg = /^\+CEREG: (\d)/.exec(line);
	if (reg) return REG[reg[1]!] ?? "";
	return "";
}

export default class AtSummary {
	#emit: AtSummaryOptions["emit"];
	#idleMs: number;
	#current: Exchange | undefined;
	#group: Group | undefined;
	#urcs: { t: number; lines: string[]; lastAt: number } | undefined;
	#now = 0;

	constructor(options: AtSummaryOptions) {
		if (!options || typeof options.emit !== "function") throw new RangeError("invalid emit");
		const idle = options.idleMs ?? 3000;
		if (!Number.isFinite(idle) || idle < 0) throw new RangeError("invalid idleMs");
		this.#emit = options.emit;
		this.#idleMs = idle;
	}

	/** One formatted transcript line (`[   1234 ms] -> AT+CAOPEN=…`). Lines in any other shape are ignored. */
	push(line: string): void {
		const m = LINE.exec(line);
		if (!m) return;
		const t = Number(m[1]);
		const dir = m[2]!;
		const text = m[3]!;
		this.#now = Math.max(this.#now, t);
		if (dir === "->") this.#host(t, text);
		else if (dir === "<-") this.#modem(t, text);
		else if (dir === "!!") {
			this.flush();
			this.#emit(`modem: !! ${text}`, t);
		} else if (!/bytes ignored/.test(text)) {
			this.flush();
			this.#emit(`modem: ${text}`, t);
		}
	}

	/** Prints whatever has been quiet for `idleMs` (call it as simulated time passes). */
	tick(now: number): void {
		this.#now = Math.max(this.#now, now);
		if (this.#urcs && now - this.#urcs.lastAt >= this.#idleMs) this.#flushUrcs();
		if (this.#group && !this.#current && now - this.#group.lastAt >= this.#idleMs) this.#flushGroup();
	}

	/** Prints everything pending, including a command still waiting for its answer. */
	flush(): void {
		this.#flushUrcs();
		if (this.#current) this.#complete(this.#current);
		this.#current = undefined;
		this.#flushGroup();
	}

	#host(t: number, text: string): void {
		if (text.startsWith("<")) {
			if (this.#current) this.#current.payload = text;
			return;
		}
		this.#flushUrcs();
		if (this.#current) this.#complete(this.#current); // no answer before the next command: a timeout
		const name = commandName(text);
		this.#current = { t, command: text, name, info: [] };
		const family = FAMILY[name] ?? name;
		if (this.#group && this.#group.family !== family) this.#flushGroup();
	}

	#modem(t: number, text: string): void {
		const x = this.#current;
		if (x) {
			if (FINAL.test(text) || LATE[x.name]?.test(text)) {
				x.final = text;
				this.#current = undefined;
				this.#complete(x);
				if (this.#group) this.#group.lastAt = t;
				return;
			}
			if (text.startsWith(`+${x.name}:`) || text.startsWith(`*${x.name}:`)) {
				x.info.push(text);
				return;
			}
		}
		if (QUIET_URC.test(text)) return;
		const g = this.#group;
		if (g && !g.late && LATE[g.last.name]?.test(text)) {
			g.late = text;
			g.lastAt = t;
			this.#flushGroup();
			return;
		}
		if (!this.#urcs) this.#urcs = { t, lines: [], lastAt: t };
		this.#urcs.lines.push(text);
		this.#urcs.lastAt = t;
	}

	#complete(x: Exchange): void {
		const family = FAMILY[x.name] ?? x.name;
		const g = this.#group;
		const name = display(x.command);
		if (g && g.family === family) {
			g.count++;
			g.last = x;
			if (!g.names.includes(name)) g.names.push(name);
			g.lastAt = Math.max(g.lastAt, x.t);
		} else {
			if (g) this.#flushGroup();
			this.#group = { t: x.t, family, names: [name], count: 1, last: x, lastAt: x.t };
		}
		// A timeout reads best on its own line; families that do not repeat print at once, in time order with the
		// device's lines, unless their result code is still to come.
		if (x.final === undefined || (!MERGE.has(family) && !LATE[x.name])) this.#flushGroup();
	}

	#flushGroup(): void {
		const g = this.#group;
		if (!g) return;
		this.#group = undefined;
		const x = g.last;
		const reply = x.final === undefined ? "(no answer)" : g.late ?? (x.final === "OK" || x.final === "SEND OK" ? (x.info[0] ?? x.final) : x.final);
		const why = meaning(x, g.late);
		const head = `${g.names.join("/")}${g.count > 1 ? ` x${g.count}` : ""}`;
		this.#emit(`modem: ${head} -> ${short(reply.replace(/<(\d+) bytes[^>]*>/, "<$1 bytes>"))}${why ? ` (${why})` : ""}`, g.t);
	}

	#flushUrcs(): void {
		const u = this.#urcs;
		if (!u) return;
		this.#urcs = undefined;
		const words = [...new Set(u.lines.map(urcMeaning).filter((w) => w))];
		this.#emit(`modem: ${short(u.lines.join(" · "), 96)}${words.length ? ` (${words.join(", ")})` : ""}`, u.t);
	}
}
