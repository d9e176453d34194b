/**
 * Runs the firmware built for the Moddable desktop simulator (`mcconfig -d -m -p lin -t build -o <out>`) end to end
 * on one machine, and checks what happened:
 *
 *   node --import tsx tools/sim/moddableSim.ts --mc <out>/bin/lin/mc/debug/<app>/mc.so
 *        [--presses 3] [--timeout 120] [--hold] [--dialect sim7080|bg95] [--profile good|poor|roaming]
 *        [--track tools/sim/tracks/walk.gpx] [--interval 5] [--points 1] [--dir .cache/moddable-sim]
 *
 * 1. provisions a `sim` device with tools/provision and writes its identity (NVS namespace `enigm`) as Moddable's
 *    lin `Preference` file, `<file.root>modpreferences.json`, and the development CA to `platformCaFile`;
 * 2. starts the reference platform (TLS on loopback, `platformPort` of the build) with the device imported, claimed
 *    by an account with two contacts;
 * 3. starts the modem emulator on a pty linked at the build's `modemDevice`, resolving `platformHost` to 127.0.0.1;
 *    or, with `--modem-device <path>` (issue 9.5), no emulator: the build's `modemDevice` is linked to that serial
 *    device (a real SIM7080G/BG95 on a USB-serial adapter, or an emulator on a pty), put in raw mode with stty, and
 *    `--modem-power <cmd>` runs `<cmd> on|off` when the firmware asks to switch the modem (the sim board sends "O"
 *    or "F" on the button link where a board would pulse PWRKEY);
 * 4. listens on 127.0.0.1:`buttonPort` for the sim board's button link (boards/sim/host/provider.ts connects to it
 *    at start-up and reads one byte per edge, "P" press, "R" release);
 * 5. launches `mcsim <mc.so>` under its own Xvfb display (or `$DISPLAY` with `--display`), with `timeout`, and echoes
 *    the firmware's trace() output (mcsim's stdout);
 * 6. presses the button N times (default 3) once the firmware is connected, then waits for the traces
 *    `sos: dormant -> active.activating (triplePress)` … `active.streaming` and for the platform to hold the open
 *    event with location points. Exit 0 when every check passed, 1 when one failed, 2 on bad arguments or a
 *    missing prerequisite (MODDABLE, mcsim, Xvfb, the build).
 *
 * The paths and ports come from the build itself: `<out>/tmp/lin/mc/debug/<app>/mc.config.js`, the module mcconfig
 * generated from the manifest's `config` and any `name=value` overrides.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve, sep } from "node:path";
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import { firmwareShare, parseTranscriptLine, type Entry, type FirmwareShare } from "../bench/stages";

// ------------------------------------------------------------------------------------------------ arguments

export interface SimArgs {
	readonly mc: string;
	readonly presses: number;
	readonly timeoutS: number;
	readonly hold: boolean;
	readonly dialect: "sim7080" | "bg95";
	readonly profile: string;
	readonly track?: string;
	readonly interval: number;
	readonly points: number;
	readonly dir: string;
	/** Use the display in $DISPLAY instead of starting Xvfb. */
	readonly display: boolean;
	/** Press timing (ms): how long each press is held, and the release time between presses. */
	readonly pressMs: number;
	readonly gapMs: number;
	/** Close the event from the platform (as the user) after the points and wait for the device's dormancy. */
	readonly close: boolean;
	/**
	 * Do not start mcsim: the world waits for a simulator started elsewhere, typically by `mcconfig -d -m -p lin`,
	 * which also starts xsbug (the traces then go to xsbug's console, so only the platform's view is checked).
	 */
	readonly noLaunch: boolean;
	/** A modem on this serial device instead of the emulator. */
	readonly modemDevice?: string;
	/** `<cmd> on|off` when the firmware switches the external modem. */
	readonly modemPower?: string;
	readonly modemBaud: number;
}

export const usage = `usage: node --import tsx tools/sim/moddableSim.ts --mc <out>/bin/lin/mc/debug/<app>/mc.so
  [--presses N] (default 3; 0 = none, press from another terminal: printf P | nc ... or use --hold)
  [--timeout S] (default 120: mcsim is killed after S seconds) [--hold] (keep running until Ctrl-C after the checks)
  [--dialect sim7080|bg95] [--profile good|poor|roaming] [--track file.gpx|csv] [--interval S] (platform reporting
  interval, default 5) [--points N] (location points the platform must hold, default 1)
  [--dir D] (work directory, default .cache/moddable-sim) [--display] (use $DISPLAY, no Xvfb)
  [--press-ms MS] (default 150) [--gap-ms MS] (default 250)
  [--no-close] (leave the event open; default: the user closes it from the platform once the points arrived, and
  the device must go back to dormancy and deep sleep)
  [--no-launch] (start the world only and wait for a simulator launched by  mcconfig -d -m -p lin  with xsbug;
  only the platform's view is checked, the traces are in xsbug)
  [--modem-device PATH] (a modem on this serial device instead of the emulator: linked at the build's modemDevice)
  [--modem-baud N] (default 115200) [--modem-power CMD] (runs "CMD on" / "CMD off" where the firmware would pulse
  PWRKEY; without it the modem must already be on)`;

export function parseArgs(argv: readonly string[]): { ok: true; args: SimArgs } | { ok: false; error: string } {
	let mc: string | undefined;
	const a = {
		presses: 3, timeoutS: 120, hold: false, dialect: "sim7080" as "sim7080" | "bg95", profile: "good",
		track: undefined as string | undefined, interval: 5, points: 1, dir: join(".cache", "moddable-sim"), display: false,
		pressMs: 150, gapMs: 250, close: true, noLaunch: false,
		modemDevice: undefined as string | undefined, modemPower: undefined as string | undefined, modemBaud: 115200,
	};
	const int = (flag: string, v: string | undefined, min: number, max: number): number | string => {
		if (v === undefined || !/^\d+$/.test(v)) return `${flag} needs an integer`;
		const n = Number(v);
		return n < min || n > max ? `${flag} must be ${min}..${max}` : n;
	};
	for (let i = 0; i < argv.length; i++) {
		const flag = argv[i]!;
		const next = (): string | undefined => argv[++i];
		let n: number | string;
		switch (flag) {
			case "--mc": { const v = next(); if (!v) return { ok: false, error: "--mc needs the path of mc.so" }; mc = v; break; }
			case "--presses": n = int(flag, next(), 0, 10); if (typeof n === "string") return { ok: false, error: n }; a.presses = n; break;
			case "--timeout": n = int(flag, next(), 5, 3600); if (typeof n === "string") return { ok: false, error: n }; a.timeoutS = n; break;
			case "--interval": n = int(flag, next(), 1, 3600); if (typeof n === "string") return { ok: false, error: n }; a.interval = n; break;
			case "--points": n = int(flag, next(), 0, 1000); if (typeof n === "string") return { ok: false, error: n }; a.points = n; break;
			case "--press-ms": n = int(flag, next(), 10, 5000); if (typeof n === "string") return { ok: false, error: n }; a.pressMs = n; break;
			case "--gap-ms": n = int(flag, next(), 10, 5000); if (typeof n === "string") return { ok: false, error: n }; a.gapMs = n; break;
			case "--hold": a.hold = true; break;
			case "--no-close": a.close = false; break;
			case "--no-launch": a.noLaunch = true; break;
			case "--display": a.display = true; break;
			case "--dialect": { const v = next(); if (v !== "sim7080" && v !== "bg95") return { ok: false, error: "--dialect must be sim7080 or bg95" }; a.dialect = v; break; }
			case "--profile": { const v = next(); if (!v) return { ok: false, error: "--profile needs a name" }; a.profile = v; break; }
			case "--track": { const v = next(); if (!v) return { ok: false, error: "--track needs a file" }; a.track = v; break; }
			case "--dir": { const v = next(); if (!v) return { ok: false, error: "--dir needs a directory" }; a.dir = v; break; }
			case "--modem-device": { const v = next(); if (!v) return { ok: false, error: "--modem-device needs a serial device path" }; a.modemDevice = v; break; }
			case "--modem-power": { const v = next(); if (!v || !v.trim()) return { ok: false, error: "--modem-power needs a command" }; a.modemPower = v; break; }
			case "--modem-baud": { const v = Number(next()); if (![9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600].includes(v)) return { ok: false, error: "--modem-baud must be a standard rate (9600 … 921600)" }; a.modemBaud = v; break; }
			case "-h": case "--help": return { ok: false, error: usage };
			default: return { ok: false, error: `unknown argument ${flag}\n${usage}` };
		}
	}
	if (!mc) return { ok: false, error: `--mc is required\n${usage}` };
	if (a.modemPower !== undefined && a.modemDevice === undefined) return { ok: false, error: "--modem-power needs --modem-device" };
	if (!mc.endsWith(".so") && !mc.endsWith(".dylib") && !mc.endsWith(".dll")) return { ok: false, error: `--mc must name the built mc.so (got ${mc})` };
	const { track, ...rest } = a;
	return { ok: true, args: { mc, ...rest, ...(track ? { track } : {}) } };
}

// ------------------------------------------------------------------------------------------------ the build's config

/** The `config` values of a simulator build that this tool needs (manifest.json `platforms.lin.config`). */
export interface BuildConfig {
	readonly fileRoot: string;
	readonly modemDevice: string;
	readonly buttonPort: number;
	readonly platformHost: string;
	readonly platformPort: number;
	readonly platformCaFile: string;
	/** The modem family the firmware's driver speaks (boards/sim/host/provider `config.modem`). */
	readonly modem: string;
}

/**
 * mcconfig writes the manifest's `config` as the module `mc.config.js`:
 *   export default Object.freeze({ "file": { "root": "/tmp/x/" }, "buttonPort": 7807, ... }, true);
 * in `<out>/tmp/<platform>/mc/<debug|release>/<app>/`, the mirror of `<out>/bin/<platform>/mc/…/<app>/mc.so`.
 */
export function configPathFor(mcPath: string): string {
	const parts = resolve(mcPath).split(sep);
	const bin = parts.lastIndexOf("bin");
	if (bin < 0 || parts.length - bin < 5) throw new RangeError(`cannot locate the build directory of ${mcPath} (expected <out>/bin/lin/mc/debug/<app>/mc.so)`);
	parts[bin] = "tmp";
	parts[parts.length - 1] = "mc.config.js";
	return parts.join(sep);
}

/** Parses mc.config.js (an object literal of JSON values with trailing commas) without evaluating it. */
export function parseMcConfig(text: string): Record<string, unknown> {
	const start = text.indexOf("Object.freeze(");
	const end = text.lastIndexOf(", true)");
	if (start < 0 || end < start) throw new SyntaxError("mc.config.js: no `export default Object.freeze({...}, true)`");
	let body = text.slice(start + "Object.freeze(".length, end);
	body = body.replace(/,(\s*[}\]])/g, "$1");
	const value: unknown = JSON.parse(body);
	if (!value || typeof value !== "object" || Array.isArray(value)) throw new SyntaxError("mc.config.js: the config is not an object");
	return value as Record<string, unknown>;
}

export function buildConfig(config: Record<string, unknown>): BuildConfig {
	const file = config.file as { root?: unknown } | undefined;
	const fileRoot = typeof file?.root === "string" ? file.root : "/tmp/";
	const str = (k: string, d: string) => (typeof config[k] === "string" && config[k] !== "" ? (config[k] as string) : d);
	const port = (k: string, d: number) => {
		const v = config[k] === undefined ? d : Number(config[k]);
		if (!Number.isInteger(v) || v < 1 || v > 65535) throw new RangeError(`invalid ${k} in the build's config: ${String(config[k])}`);
		return v;
	};
	return {
		fileRoot: fileRoot.endsWith("/") ? fileRoot : fileRoot + "/",
		modemDevice: str("modemDevice", "/tmp/enigm-modem"),
		buttonPort: port("buttonPort", 7807),
		platformHost: str("platformHost", "platform.enigm.invalid").toLowerCase(),
		platformPort: port("platformPort", 443),
		platformCaFile: str("platformCaFile", ""),
		modem: str("modem", "sim7080"),
	};
}

// ------------------------------------------------------------------------------------------------ Preference file

/** One entry of the device's NVS image (tools/provision/nvs parseNvsImage). */
export interface NvsEntryLike {
	readonly namespace: string;
	readonly key: string;
	readonly type: string;
	readonly value: unknown;
}

export type PreferenceValue = number | boolean | string | { buffer: string };

/**
 * The device's NVS namespace as Moddable's lin `Preference` stores it (modules/files/preference/lin/preference.js):
 * one JSON object per domain; an ArrayBuffer is written as `{buffer: new Uint8Array(value).toString()}` (comma-
 * separated decimal bytes) and read back with `Uint8Array.from(buffer.split(",")).buffer`; i32 and strings as they
 * are; u8 as a boolean (what modPreference.c returns for a u8 on the device).
 */
export function preferenceDomain(entries: readonly NvsEntryLike[], domain: string): Record<string, PreferenceValue> {
	const out: Record<string, PreferenceValue> = {};
	for (const e of entries) {
		if (e.namespace !== domain) continue;
		if (e.key.length === 0 || e.key.length > 15) throw new RangeError(`invalid Preference key ${JSON.stringify(e.key)}`);
		if (e.type === "blob" || e.type === "blob_data") {
			if (!(e.value instanceof Uint8Array)) throw new RangeError(`invalid blob ${e.key}`);
			out[e.key] = { buffer: Array.prototype.join.call(e.value, ",") };
		} else if (e.type === "string" && typeof e.value === "string") out[e.key] = e.value;
		else if (e.type === "u8" && typeof e.value === "number") out[e.key] = e.value !== 0;
		else if (e.type === "i32" && typeof e.value === "number") out[e.key] = e.value;
		else throw new RangeError(`Preference cannot read NVS type ${e.type} (${e.key})`);
	}
	if (typeof out.device_id !== "string") throw new RangeError(`no device_id in NVS namespace ${domain}`);
	if (typeof out.hmac_key !== "object") throw new RangeError(`no hmac_key in NVS namespace ${domain} (a board that keeps the key in eFuse cannot run in the simulator)`);
	return out;
}

/** Writes `<fileRoot>modpreferences.json` with only the device's domain (a fresh NVS), mode 0600: it holds the key. */
export function writePreferenceFile(fileRoot: string, domain: string, values: Record<string, PreferenceValue>): string {
	mkdirSync(fileRoot, { recursive: true, mode: 0o700 });
	const path = join(fileRoot, "modpreferences.json");
	writeFileSync(path, JSON.stringify({ [domain]: values }), { mode: 0o600 });
	chmodSync(path, 0o600);
	return path;
}

// ------------------------------------------------------------------------------------------------ button link

/** Edges of N presses as the sim board reads them: "P" at each press, "R" at each release, times from the start. */
export function pressScript(presses: number, pressMs: number, gapMs: number): { atMs: number; byte: "P" | "R" }[] {
	if (!Number.isInteger(presses) || presses < 0) throw new RangeError("invalid presses");
	if (!(pressMs > 0) || !(gapMs > 0)) throw new RangeError("invalid press timing");
	const out: { atMs: number; byte: "P" | "R" }[] = [];
	for (let i = 0; i < presses; i++) {
		const t = i * (pressMs + gapMs);
		out.push({ atMs: t, byte: "P" }, { atMs: t + pressMs, byte: "R" });
	}
	return out;
}

/**
 * The listener the sim board's host provider connects to (a TCP client to 127.0.0.1:<buttonPort>). Holds the one
 * connection; `press` sends the edges with real-time gaps. A newer connection (the simulator restarted) replaces
 * the old one.
 */
export class ButtonServer {
	readonly #server: Server;
	#socket: Socket | undefined;
	#waiters: ((s: Socket) => void)[] = [];
	#timers = new Set<NodeJS.Timeout>();
	/** The firmware asks to switch the modem (boards/sim/host/provider: "O" on, "F" off, where PWRKEY would pulse). */
	onPower: ((to: "on" | "off") => void) | undefined;

	private constructor(server: Server) {
		this.#server = server;
		server.on("connection", (socket) => {
			socket.setNoDelay(true);
			socket.on("error", () => {});
			socket.on("data", (chunk: Buffer) => {
				for (const byte of chunk) {
					if (byte === 0x4f) this.onPower?.("on");
					else if (byte === 0x46) this.onPower?.("off");
				}
			});
			socket.on("close", () => { if (this.#socket === socket) this.#socket = undefined; });
			this.#socket?.destroy();
			this.#socket = socket;
			for (const w of this.#waiters.splice(0)) w(socket);
		});
	}

	static listen(port: number): Promise<ButtonServer> {
		if (!Number.isInteger(port) || port < 0 || port > 65535) return Promise.reject(new RangeError("invalid button port"));
		const server = createServer();
		return new Promise((resolve, reject) => {
			server.once("error", (e: NodeJS.ErrnoException) => reject(e.code === "EADDRINUSE" ? new Error(`button port 127.0.0.1:${port} is in use (another simulator run?)`) : e));
			server.listen(port, "127.0.0.1", () => resolve(new ButtonServer(server)));
		});
	}

	get port(): number { return (this.#server.address() as { port: number }).port; }
	get connected(): boolean { return this.#socket !== undefined; }

	/** Resolves with the firmware's connection (at once when it is already there). */
	connection(): Promise<Socket> {
		if (this.#socket) return Promise.resolve(this.#socket);
		return new Promise((resolve) => this.#waiters.push(resolve));
	}

	/** Sends raw edge bytes ("P"/"R"). */
	send(bytes: string): void {
		if (!/^[PR]*$/.test(bytes)) throw new RangeError("button edges are P or R");
		if (!this.#socket) throw new Error("the simulator is not connected to the button link");
		this.#socket.write(bytes);
	}

	/** Presses `presses` times with the given timing; resolves after the last release was written. */
	press(presses: number, pressMs = 150, gapMs = 250): Promise<void> {
		const script = pressScript(presses, pressMs, gapMs);
		return new Promise((resolve, reject) => {
			if (script.length === 0) { resolve(); return; }
			for (const [i, step] of script.entries()) {
				const t = setTimeout(() => {
					this.#timers.delete(t);
					try { this.send(step.byte); } catch (e) { reject(e); return; }
					if (i === script.length - 1) resolve();
				}, step.atMs);
				this.#timers.add(t);
			}
		});
	}

	close(): Promise<void> {
		for (const t of this.#timers) clearTimeout(t);
		this.#timers.clear();
		this.#socket?.destroy();
		this.#socket = undefined;
		return new Promise((resolve) => this.#server.close(() => resolve()));
	}
}

// ------------------------------------------------------------------------------------------------ traces

/** Splits a stream into lines and lets callers wait for a line matching a pattern (seen before or later). */
export class LineWatcher {
	readonly lines: string[] = [];
	#partial = "";
	#waiters: { re: RegExp; from: number; resolve: (line: string) => void }[] = [];

	push(chunk: string): string[] {
		const text = this.#partial + chunk;
		const parts = text.split(/\r?\n/);
		this.#partial = parts.pop() ?? "";
		for (const line of parts) {
			this.lines.push(line);
			for (const w of [...this.#waiters]) {
				if (w.re.test(line)) {
					this.#waiters.splice(this.#waiters.indexOf(w), 1);
					w.resolve(line);
				}
			}
		}
		return parts;
	}

	/** The first line matching `re` (among the lines seen since index `from`, or the next one to come). */
	waitFor(re: RegExp, from = 0): Promise<string> {
		const seen = this.lines.slice(from).find((l) => re.test(l));
		if (seen !== undefined) return Promise.resolve(seen);
		return new Promise((resolve) => this.#waiters.push({ re, from, resolve }));
	}
}

/** The transitions a triple press from dormancy must produce, in order (modules/sos/runner logs `from -> to (event)`). */
export const expectedTraces: readonly { name: string; re: RegExp }[] = Object.freeze([
	{ name: "triple press recognised", re: /^button: triple press$/ },
	{ name: "dormant -> active.activating", re: /^sos: dormant -> active\.activating \(triplePress\)/ },
	{ name: "-> active.alerting", re: /^sos: active\.activating -> active\.alerting / },
	{ name: "-> active.streaming", re: /^sos: active\.alerting -> active\.streaming / },
]);

/**
 * Debug builds print `instruments key: <names>` once and `instruments: <values>` every second (xsbug's
 * instruments panel: modInstrumentation.c). Returns the peak of each named column over the given lines.
 */
export function instrumentPeaks(lines: readonly string[]): Record<string, number> {
	let names: string[] | undefined;
	const peaks: Record<string, number> = {};
	for (const line of lines) {
		if (line.startsWith("instruments key: ")) names = line.slice("instruments key: ".length).split(",");
		else if (line.startsWith("instruments: ") && names) {
			const values = line.slice("instruments: ".length).split(",").map(Number);
			names.forEach((name, i) => {
				const v = values[i];
				if (v !== undefined && Number.isFinite(v)) peaks[name] = Math.max(peaks[name] ?? 0, v);
			});
		}
	}
	return peaks;
}

// ------------------------------------------------------------------------------------------------ prerequisites

export interface Tools {
	readonly moddable: string;
	readonly mcsim: string;
	readonly xvfb?: string;
	readonly timeout: string;
	/** coreutils stdbuf: mcsim's stdout is a pipe here, block-buffered unless stdbuf makes it line-buffered. */
	readonly stdbuf: string;
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
	for (const dir of (env.PATH ?? "").split(delimiter)) {
		if (!dir) continue;
		const p = join(dir, name);
		try { if (statSync(p).isFile()) return p; } catch { /* not here */ }
	}
	return undefined;
}

/** Finds MODDABLE, mcsim, Xvfb and timeout; the errors say what to install or set. */
export function findTools(env: NodeJS.ProcessEnv, useDisplay: boolean): { ok: true; tools: Tools } | { ok: false; errors: string[] } {
	const errors: string[] = [];
	const moddable = env.MODDABLE;
	let mcsim: string | undefined;
	if (!moddable) errors.push("MODDABLE is not set: export MODDABLE=<the Moddable SDK checkout> (see docs/qa-moddable-simulator.md)");
	else if (!existsSync(moddable)) errors.push(`MODDABLE=${moddable} does not exist`);
	else {
		const built = join(moddable, "build", "bin", "lin", "release", "mcsim");
		mcsim = existsSync(built) ? built : onPath("mcsim", env);
		if (!mcsim) errors.push(`mcsim not found at ${built}: build the SDK's Linux tools (make in $MODDABLE/build/makefiles/lin)`);
	}
	const xvfb = useDisplay ? undefined : onPath("Xvfb", env);
	if (useDisplay && !env.DISPLAY) errors.push("--display given but DISPLAY is not set");
	if (!useDisplay && !xvfb) errors.push("Xvfb not found on PATH: apt-get install xvfb (mcsim needs an X display), or pass --display to use $DISPLAY");
	const timeout = onPath("timeout", env);
	if (!timeout) errors.push("timeout (coreutils) not found on PATH");
	const stdbuf = onPath("stdbuf", env);
	if (!stdbuf) errors.push("stdbuf (coreutils) not found on PATH");
	if (errors.length > 0 || !moddable || !mcsim || !timeout || !stdbuf) return { ok: false, errors };
	return { ok: true, tools: { moddable, mcsim, timeout, stdbuf, ...(xvfb ? { xvfb } : {}) } };
}

// ------------------------------------------------------------------------------------------------ the run

export interface RunResult {
	readonly ok: boolean;
	readonly checks: readonly { name: string; ok: boolean; detail: string }[];
	readonly traces: readonly string[];
	readonly dashboard: string;
	/** The bench's latency figures for this run, in wall time (absent when no alert was acknowledged). */
	readonly latency?: AlertLatency;
}

/** Third press -> accepted alert in the real simulator, wall time, split like the bench (tools/bench/stages). */
export interface AlertLatency {
	/** Third press (its "P" written to the button link) to the firmware's alertAcknowledged trace, ms. */
	readonly thirdPressToAlertMs: number;
	/** The firmware's own share (recogniser, probe, host gaps in the AT transcript), ms. */
	readonly firmwareAddedMs: FirmwareShare;
	/** The same without the recogniser: the figure issue 11 bounds at 100 ms. */
	readonly firmwareBesidesRecogniserMs: number;
}

/**
 * The latency figures from the wall-clock times of a run: the third press, the firmware's `button: triple press`
 * and `alertAcknowledged` traces (times on the emulator's clock, when the lines arrived) and the AT transcript.
 */
export function alertLatency(thirdPressAt: number, triggerAt: number, ackAt: number, entries: readonly Entry[]): AlertLatency {
	const share = firmwareShare(entries, triggerAt, ackAt, thirdPressAt);
	return { thirdPressToAlertMs: ackAt - thirdPressAt, firmwareAddedMs: share, firmwareBesidesRecogniserMs: share.total - share.recogniser };
}

/** Starts Xvfb on a free display number (it writes the number to a pipe when ready: -displayfd). */
function startXvfb(xvfb: string): Promise<{ display: string; proc: ChildProcess }> {
	return new Promise((resolve, reject) => {
		const proc = spawn(xvfb, ["-displayfd", "3", "-screen", "0", "1024x768x24", "-nolisten", "tcp"], { stdio: ["ignore", "ignore", "pipe", "pipe"] });
		let out = "";
		let err = "";
		const timer = setTimeout(() => { proc.kill(); reject(new Error(`Xvfb did not start in 10 s: ${err.trim()}`)); }, 10_000);
		proc.stderr!.on("data", (c: Buffer) => { err += c.toString(); });
		(proc.stdio[3] as NodeJS.ReadableStream).on("data", (c: Buffer) => {
			out += c.toString();
			const m = /^(\d+)\n/.exec(out);
			if (m) { clearTimeout(timer); resolve({ display: `:${m[1]}`, proc }); }
		});
		proc.once("exit", (code) => { clearTimeout(timer); reject(new Error(`Xvfb exited (${code}): ${err.trim()}`)); });
	});
}

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
	new Promise((resolve, reject) => {
		const t = setTimeout(() => reject(new Error(`timed out after ${Math.round(ms / 1000)} s waiting for ${what}`)), ms);
		p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e); });
	});

export async function run(args: SimArgs, tools: Tools | undefined, out: (line: string) => void): Promise<RunResult> {
	// Firmware-independent modules are loaded here so `--help` and the unit tests stay light.
	const { ensureDevCa } = await import("../platform/devCa");
	const { startPlatformServer, systemClock } = await import("../platform/server");
	const { LogNotifier } = await import("../platform/notifier");
	const { generateBatch, IMPORT_FILE } = await import("../provision/batch");
	const { parseNvsImage } = await import("../provision/nvs");
	const { default: ModemEmulator, parseTrack, formatTrackErrors, profiles, fileTranscript } = await import("./modem/emulator");
	const { realClock } = await import("./modem/realClock");
	const { startPty } = await import("./modem/pty");

	const mcPath = resolve(args.mc);
	if (!existsSync(mcPath)) throw new UsageError(`${mcPath} does not exist: build it first with\n  mkdir -p <out> && mcconfig -d -m -p lin -t build -o <out>   (-o needs an existing directory)`);
	const cfgPath = configPathFor(mcPath);
	if (!existsSync(cfgPath)) throw new UsageError(`${cfgPath} not found: --mc must point into an mcconfig output directory`);
	const cfg = buildConfig(parseMcConfig(readFileSync(cfgPath, "utf8")));
	if (!cfg.platformCaFile) throw new UsageError("the build has no platformCaFile in its config: rebuild from this repository's manifest.json");
	if (cfg.modem !== args.dialect)
		throw new UsageError(`the build's firmware drives a ${cfg.modem} but --dialect is ${args.dialect}: rebuild with  mcconfig -d -m -p lin -t build -o <out> modem=${args.dialect}  (or pass --dialect ${cfg.modem})`);
	if (!profiles[args.profile]) throw new UsageError(`--profile must be one of ${Object.keys(profiles).join(", ")}`);
	let track;
	if (args.track) {
		const text = readFileSync(args.track, "utf8");
		const t = parseTrack(text, args.track.toLowerCase().endsWith(".gpx") ? "gpx" : "csv");
		if (!t.ok) throw new UsageError(formatTrackErrors(args.track, t.errors));
		track = t.points;
	}

	const cleanups: (() => unknown)[] = [];
	// One wall clock for the emulator's transcript and the trace times, so the latency split lines up.
	const clock = realClock();
	const atEntries: Entry[] = [];
	const traceAt = new Map<string, number>();
	let latency: AlertLatency | undefined;
	const checks: { name: string; ok: boolean; detail: string }[] = [];
	const check = (name: string, ok: boolean, detail: string) => {
		checks.push({ name, ok, detail });
		out(`${ok ? "PASS" : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
	};
	const traces = new LineWatcher();
	let dashboard = "";
	try {
		// 1. A provisioned device, its identity as the simulator's Preference file, the CA where the build reads it.
		const runDir = resolve(args.dir, `run-${new Date().toISOString().replace(/[:.]/g, "-")}`);
		mkdirSync(runDir, { recursive: true, mode: 0o700 });
		const platformKey = new Uint8Array(randomBytes(32));
		const batch = join(runDir, "batch");
		await generateBatch({ out: batch, board: "sim", count: 1, prefix: "SIM", platformKey, log: () => {} });
		const image = parseNvsImage(new Uint8Array(readFileSync(join(batch, "devices", "SIM-1", "nvs.bin"))));
		const prefs = preferenceDomain(image.entries as readonly NvsEntryLike[], "enigm");
		const deviceId = prefs.device_id as string;
		const prefFile = writePreferenceFile(cfg.fileRoot, "enigm", prefs);
		// The NVS image holds the key in clear; the Preference file is now the simulated device's only copy.
		rmSync(join(batch, "devices"), { recursive: true, force: true });
		out(`device ${deviceId.slice(0, 8)}… provisioned (tools/provision, board sim); Preference file ${prefFile}`);
		const ca = ensureDevCa(resolve(".cache", "devca"));
		mkdirSync(dirname(cfg.platformCaFile), { recursive: true });
		copyFileSync(ca.caPath, cfg.platformCaFile);
		out(`platform CA ${ca.caPath} -> ${cfg.platformCaFile}`);

		// 2. The platform on the build's port, the device imported and claimed with two contacts.
		const platform = await startPlatformServer({
			db: join(runDir, "platform.sqlite"),
			storageKey: randomBytes(32),
			importKey: Buffer.from(platformKey),
			tls: ca,
			port: cfg.platformPort,
			clock: systemClock,
			interval: args.interval,
			notifier: new LogNotifier((line) => out(`[notify] ${line}`)),
			log: (line) => out(`[platform] ${line}`),
		}).catch((e: NodeJS.ErrnoException) => {
			throw e.code === "EADDRINUSE" ? new UsageError(`platform port 127.0.0.1:${cfg.platformPort} is in use (another platform running?)`) : e;
		});
		cleanups.push(() => platform.close());
		platformKey.fill(0);
		const summary = platform.platform.importRecords(readFileSync(join(batch, IMPORT_FILE), "utf8"));
		if (summary.imported !== 1) throw new Error(`platform import failed: ${JSON.stringify(summary.failed)}`);
		const account = platform.platform.createAccount("QA Tester");
		platform.platform.claim(account, platform.platform.issueClaimCode(deviceId).code);
		platform.platform.addContact(account, { name: "Grace", channel: "sms", address: "+41790000001" });
		platform.platform.addContact(account, { name: "Alan", channel: "email", address: "alan@example.org" });
		dashboard = `${platform.url}/dashboard`;
		out(`platform ${platform.url} (device imported, claimed, 2 contacts); dashboard: ${dashboard}`);

		// 3. The modem emulator on a pty at the build's modemDevice, or the external modem linked there.
		let power: ((to: "on" | "off") => void) | undefined;
		const toFile = fileTranscript(join(runDir, "modem-transcript.txt"));
		if (args.modemDevice !== undefined) {
			const { configureLine } = await import("./external/hostSerial");
			const { powerSwitch } = await import("./external/powerCommand");
			const { tapExternalModem } = await import("./external/modemTap");
			const device = resolve(args.modemDevice);
			const line = configureLine(device, args.modemBaud);
			if (!line.ok) throw new UsageError(line.error);
			const link = resolve(cfg.modemDevice);
			const sw = powerSwitch({ ...(args.modemPower !== undefined ? { command: args.modemPower } : {}), log: (l) => out(l) });
			let note: ((text: string) => void) | undefined;
			power = (to) => { note?.(`power switch ${to}`); void sw[to](); };
			let via: string;
			if (link === device) via = "opened by the firmware directly (no tap: the firmware's share is not measured)";
			else {
				let existing: ReturnType<typeof lstatSync> | undefined;
				try { existing = lstatSync(link); } catch { existing = undefined; }
				if (existing && !existing.isSymbolicLink()) throw new UsageError(`${link} (the build's modemDevice) exists and is not a symlink: rebuild with modemDevice=${device}`);
				mkdirSync(dirname(link), { recursive: true });
				// The firmware opens a pty at the build's modemDevice; every byte is relayed to and from the device and
				// seen by a tap that writes the AT transcript the latency split needs (the emulator's own is not here).
				const tap = await tapExternalModem(device, link, clock, (l) => {
					toFile(l);
					const p = parseTranscriptLine(l);
					if (p) atEntries.push({ ...p, wireSent: 0, wireReceived: 0, payloadSent: 0, payloadReceived: 0 });
				});
				cleanups.push(() => tap.close());
				note = (text) => tap.note(text);
				via = `relayed through the pty ${tap.pty} (AT transcript ${join(runDir, "modem-transcript.txt")})`;
			}
			out(`external modem ${device} (${args.dialect} dialect, ${args.modemBaud} baud) at ${link}, ${via}; power ${args.modemPower !== undefined ? `"${args.modemPower} on|off"` : "not switched (the modem must be on)"}; the modem resolves ${cfg.platformHost} itself`);
		} else {
			// Off until the firmware switches it on ("O" on the button link, below), as a dormant device's modem is:
			// neither powered at start nor woken by the firmware's `AT` probe.
			const emulator = new ModemEmulator({
				dialect: args.dialect, clock, profile: args.profile,
				hosts: { [cfg.platformHost]: "127.0.0.1" }, wallStart: Date.now(),
				transcript: (line: string) => {
					toFile(line);
					const p = parseTranscriptLine(line);
					if (p) atEntries.push({ ...p, wireSent: 0, wireReceived: 0, payloadSent: 0, payloadReceived: 0 });
				},
				...(track ? { track } : {}),
			});
			cleanups.push(() => emulator.close());
			const bridge = await startPty(emulator, { link: cfg.modemDevice });
			cleanups.push(() => bridge.close());
			out(`modem emulator (${args.dialect}, ${args.profile}) ${bridge.path} -> ${bridge.device} via ${bridge.helper}; ${cfg.platformHost} -> 127.0.0.1; AT transcript ${join(runDir, "modem-transcript.txt")}`);
			// The board's switch presses the emulator's PWRKEY as a relay would (SIM7080 HD: >= 1 s on, >= 1.2 s off).
			power = (to) => {
				if ((to === "on") !== (emulator.power === "off")) return;
				emulator.pwrkey.write(1);
				setTimeout(() => emulator.pwrkey.write(0), to === "on" ? 1200 : 1600);
			};
		}

		// 4. The button link.
		const button = await ButtonServer.listen(cfg.buttonPort).catch((e: Error) => { throw new UsageError(e.message); });
		cleanups.push(() => button.close());
		button.onPower = (to) => {
			out(`firmware switches the modem ${to}`);
			power?.(to);
		};
		out(`button link listening on 127.0.0.1:${cfg.buttonPort}`);

		// 5. mcsim under Xvfb, or a simulator launched by the user (mcconfig with xsbug).
		let simExit: number | null | undefined;
		let exited: Promise<void>;
		if (tools && !args.noLaunch) {
			let display = process.env.DISPLAY ?? "";
			if (tools.xvfb && !args.display) {
				const x = await startXvfb(tools.xvfb);
				display = x.display;
				cleanups.push(() => { x.proc.kill("SIGTERM"); });
				out(`Xvfb on ${display}`);
			}
			mkdirSync(join(homedir(), ".config", "tech.moddable.mcsim"), { recursive: true });
			const sim = spawn(tools.timeout, ["--signal=TERM", "--kill-after=5", String(args.timeoutS), tools.stdbuf, "-oL", "-eL", tools.mcsim, mcPath], {
				stdio: ["ignore", "pipe", "pipe"],
				env: { ...process.env, DISPLAY: display },
			});
			exited = new Promise<void>((resolve) => sim.once("exit", (code) => { simExit = code; resolve(); }));
			cleanups.push(async () => { if (simExit === undefined) { sim.kill("SIGTERM"); await exited; } });
			sim.stdout!.setEncoding("utf8");
			// Debug builds print an `instruments:` line every second (heap, sockets, timers): not echoed.
			sim.stdout!.on("data", (c: string) => {
				for (const l of traces.push(c)) {
					if (/^button: triple press$/.test(l) && !traceAt.has("trigger")) traceAt.set("trigger", clock.now());
					if (/-> active\.streaming \(alertAcknowledged\)/.test(l) && !traceAt.has("ack")) traceAt.set("ack", clock.now());
					if (!l.startsWith("instruments")) out(`[device] ${l}`);
				}
			});
			sim.stderr!.setEncoding("utf8");
			sim.stderr!.on("data", (c: string) => { for (const l of c.split(/\r?\n/)) if (l.trim()) out(`[mcsim] ${l}`); });
			out(`mcsim ${mcPath} (timeout ${args.timeoutS} s)`);
		} else {
			exited = new Promise<void>(() => {});
			out(`waiting ${args.timeoutS} s for a simulator: run  mcconfig -d -m -p lin  (with the same config) in another terminal; its traces go to xsbug`);
		}
		const launched = tools !== undefined && !args.noLaunch;

		const deadline = Date.now() + args.timeoutS * 1000;
		const left = () => Math.max(1, deadline - Date.now());
		const failed = exited.then(() => { throw new Error(`mcsim exited (${simExit}) before the checks finished`); });
		const race = <T>(p: Promise<T>, what: string) => Promise.race([within(p, left(), what), failed]);
		try {
			if (launched) check("firmware booted", true, await race(traces.waitFor(/^boot: /), "the firmware's boot trace"));
			await race(button.connection(), "the firmware to connect to the button link");
			check("button link connected", true, `127.0.0.1:${cfg.buttonPort}`);
			if (args.presses > 0) {
				out(`pressing ${args.presses}× (${args.pressMs} ms down, ${args.gapMs} ms up)`);
				const pressedAt = clock.now();
				await button.press(args.presses, args.pressMs, args.gapMs);
				if (launched) for (const t of expectedTraces) check(t.name, true, await race(traces.waitFor(t.re), t.name));
				const trigger = traceAt.get("trigger"), ack = traceAt.get("ack");
				if (args.presses >= 3 && trigger !== undefined && ack !== undefined) {
					latency = alertLatency(pressedAt + 2 * (args.pressMs + args.gapMs), trigger, ack, atEntries);
					const f = latency.firmwareAddedMs;
					out(`latency (wall time): third press -> accepted alert ${(latency.thirdPressToAlertMs / 1000).toFixed(2)} s; firmware ${f.total} ms = recogniser ${f.recogniser} + probe ${f.probeBeforePowerOn} + host gaps ${f.hostGaps} (${f.gaps} gaps); besides the recogniser ${latency.firmwareBesidesRecogniserMs} ms`);
				}
				const event = await race(pollFor(() => platform.platform.store.events(deviceId).find((e) => e.state === "open")), "the platform to open the event");
				check("platform: event open", true, `event ${event.event_id.slice(0, 8)}… reason ${event.reason ?? "?"}`);
				if (args.points > 0) {
					const n = await race(pollFor(() => { const c = pointCount(platform.platform.store, deviceId); return c >= args.points ? c : undefined; }), `${args.points} location point(s) on the platform`);
					check("platform: location points", true, `${n} point(s) stored`);
				}
				const notified = platform.platform.store.notifications(event.id);
				check("platform: contacts notified", notified.length > 0, `${notified.length} notification(s)`);
				if (args.close) {
					const from = traces.lines.length;
					out("the user closes the event from the platform (as the dashboard's close button does)");
					platform.platform.closeByUser(deviceId, event.event_id, "qa");
					if (launched) {
						check("device: back to dormant", true, await race(traces.waitFor(/^sos: \S+ -> dormant \(/, from), "the device to return to dormancy"));
						check("device: deep sleep", true, await race(traces.waitFor(/^power: deep sleep/, from), "the device to enter deep sleep"));
					}
					const closed = platform.platform.store.event(deviceId, event.event_id);
					check("platform: event closed", closed?.state === "closed", `closed_by ${closed?.closed_by ?? "?"}`);
				}
			}
		} catch (e) {
			check("end to end", false, (e as Error).message);
		}
		const peaks = instrumentPeaks(traces.lines);
		if (peaks["Stack used"] !== undefined) {
			// A txSlot is 32 bytes on a 64-bit host (16 on the ESP32); manifest `creation.stack` counts slots.
			const used = Math.ceil((peaks["Stack used"] ?? 0) / 32);
			out(`XS peaks (debug instruments, sampled each second): stack ${peaks["Stack used"]} bytes = ${used} slots, chunks ${peaks["Chunk used"]} bytes, slots ${peaks["Slot used"]} bytes`);
			const boards = boardStackSlots(resolve("boards"));
			const tight = boards.filter((b) => used > b.stack);
			if (tight.length > 0) out(`WARN the XS stack peak (${used} slots) exceeds creation.stack of ${tight.map((b) => `${b.board} (${b.stack})`).join(", ")}: that board would abort with "stack overflow"`);
		}
		if (args.hold && simExit === undefined) {
			out(`holding until Ctrl-C or the mcsim timeout: dashboard ${dashboard}` + (process.stdin.isTTY ? "; Enter or space = one button press, q = quit" : ""));
			await hold(button, exited, args.pressMs);
		}
		return { ok: checks.length > 0 && checks.every((c) => c.ok), checks, traces: traces.lines, dashboard, ...(latency ? { latency } : {}) };
	} finally {
		for (const c of cleanups.reverse()) {
			try { await c(); } catch { /* best effort */ }
		}
	}
}

/** `creation.stack` (XS stack slots) of each hardware board's manifest (boards/<board>/manifest.json), sim excluded. */
export function boardStackSlots(boardsDir: string): { board: string; stack: number }[] {
	const out: { board: string; stack: number }[] = [];
	let names: string[];
	try { names = readdirSync(boardsDir); } catch { return out; }
	for (const board of names.sort()) {
		if (board === "sim") continue;
		try {
			const manifest = JSON.parse(readFileSync(join(boardsDir, board, "manifest.json"), "utf8")) as { creation?: { stack?: unknown } };
			const stack = manifest.creation?.stack;
			if (typeof stack === "number") out.push({ board, stack });
		} catch { /* not a board directory */ }
	}
	return out;
}

/** Keeps the world up; on a terminal, Enter/space presses the button once and q or Ctrl-C ends the hold. */
function hold(button: ButtonServer, exited: Promise<void>, pressMs: number): Promise<void> {
	return new Promise((resolve) => {
		const stdin = process.stdin;
		const done = () => {
			if (stdin.isTTY) { stdin.setRawMode(false); stdin.pause(); stdin.off("data", onKey); }
			process.off("SIGINT", done);
			process.off("SIGTERM", done);
			resolve();
		};
		const onKey = (key: Buffer) => {
			const k = key.toString();
			if (k === "q" || k === "\u0003") done();
			else if (k === "\r" || k === "\n" || k === " ") button.press(1, pressMs, 1).catch(() => process.stdout.write("button link not connected\n"));
		};
		if (stdin.isTTY) { stdin.setRawMode(true); stdin.resume(); stdin.on("data", onKey); }
		process.once("SIGINT", done);
		process.once("SIGTERM", done);
		void exited.then(done);
	});
}

function pointCount(store: { events(deviceId: string): { id: number }[]; pointCount(event: number): number }, deviceId: string): number {
	let n = 0;
	for (const e of store.events(deviceId)) n += store.pointCount(e.id);
	return n;
}

function pollFor<T>(probe: () => T | undefined, everyMs = 250): Promise<T> {
	return new Promise((resolve) => {
		const tick = () => {
			const v = probe();
			if (v !== undefined && v !== null) resolve(v);
			else setTimeout(tick, everyMs).unref();
		};
		tick();
	});
}

export class UsageError extends Error {}

async function main(): Promise<number> {
	const parsed = parseArgs(process.argv.slice(2));
	if (!parsed.ok) { process.stderr.write(`${parsed.error}\n`); return 2; }
	let tools: Tools | undefined;
	if (!parsed.args.noLaunch) {
		const found = findTools(process.env, parsed.args.display);
		if (!found.ok) { process.stderr.write(found.errors.map((e) => `moddableSim: ${e}\n`).join("")); return 2; }
		tools = found.tools;
	}
	try {
		const result = await run(parsed.args, tools, (line) => process.stdout.write(line + "\n"));
		const failed = result.checks.filter((c) => !c.ok);
		process.stdout.write(`${result.checks.length - failed.length} passed, ${failed.length} failed\n`);
		return result.ok ? 0 : 1;
	} catch (e) {
		if (e instanceof UsageError) { process.stderr.write(`moddableSim: ${e.message}\n`); return 2; }
		throw e;
	}
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
	main().then((code) => process.exit(code), (e: unknown) => { process.stderr.write(`moddableSim: ${(e as Error).stack ?? String(e)}\n`); process.exit(1); });
}
