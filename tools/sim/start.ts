/**
 * `npm start`: the whole Enigm world on one machine, live in the terminal (issue 5, part 1).
 *
 *   TSX_TSCONFIG_PATH=tsconfig.tools.json node --import tsx tools/sim/start.ts [options]
 *
 * Starts a World (tools/sim/world.ts): the reference platform (SQLite, TLS on loopback with the development CA),
 * a device provisioned by tools/provision and imported into it, the modem emulator with a GNSS track, and the real
 * firmware (main.ts) on the `sim` board. Prints the dashboard URL first, then, as they happen: device state
 * changes, the AT exchanges in summary (one line per command family), the alert accepted by the platform, the
 * contacts notified, location points arriving at the platform, the event closing and the device going back to
 * deep sleep.
 *
 * The button: in a terminal, space or Enter is one press (three quick presses raise an alert), `c` closes the
 * open event as the user would in the app, `q` or Ctrl-C quits. With `--scripted`, or when stdin is not a
 * terminal, a deliberate triple press runs by itself.
 *
 * Time: the modem's boot, attach and GNSS windows take minutes of real time, so by default simulated time runs
 * `--speed` times faster than the wall clock (the manual clock advanced in slices paced against it). While the
 * device sleeps waiting for a person at the keyboard, time runs at 1x so the presses keep their rhythm.
 * `--time real` runs everything on the wall clock.
 *
 * An external modem (issue 9.5): `--modem-device <path>` runs the same firmware against a modem on a serial device
 * of this host (a SIM7080G or BG95 on a USB-serial adapter, or an emulator on a pty) instead of the emulator, on the
 * wall clock. The adapter has no PWRKEY: a module that answers `AT` is taken as on and is powered down by AT command
 * (AT+CPOWD=1 / AT+QPOWD=1); `--modem-power <cmd>` runs `<cmd> on` / `<cmd> off` where the firmware would pulse
 * PWRKEY. `--report <file>` writes a JSON summary, and the exit code is then 0 only if the alert was accepted, at
 * least one location point was delivered and the device ended dormant.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import World, { deliberateTriple, type LogSource } from "./world";
import AtSummary from "./atSummary";
import { formatTrackErrors, parseTrack, type TrackPoint } from "./modem/track";
import { parseFaults, type Fault } from "./modem/faults";
import { profiles } from "./modem/profiles";
import EventLedger, { MonotonicStamp, type EventRecord } from "./eventLedger";
import { bauds } from "./external/hostSerial";

const here = dirname(fileURLToPath(import.meta.url));

export interface StartArgs {
	dialect: "sim7080" | "bg95";
	profile: string;
	track: string;
	/** Seconds after the alert is accepted at which the user closes the event from the platform; 0 = never. */
	closeAfterS: number;
	scripted: boolean;
	exitWhenDormant: boolean;
	speed: number;
	time: "simulated" | "real";
	at: "summary" | "full" | "off";
	caDir: string;
	faults?: string;
	/** With --exit-when-dormant: give up (exit 1) after this many simulated seconds. */
	limitS: number;
	/** Scripted mode: this many events one after another (a new triple press once the device sleeps again). */
	events: number;
	/** A modem on this serial device instead of the emulator (real time). */
	modemDevice?: string;
	/** `<cmd> on` / `<cmd> off` instead of PWRKEY pulses (external modem). */
	modemPower?: string;
	modemBaud: number;
	/** External modem: the platform's address as the modem reaches it, the platform's loopback port, the APN. */
	platformHost?: string;
	platformPort?: number;
	apn?: string;
	/** Write the JSON summary here when the run ends. */
	report?: string;
	help: boolean;
}

export const usage = `Usage: npm start -- [options]

  --dialect sim7080|bg95     modem family the emulator speaks (default sim7080)
  --profile good|poor|roaming latency profile of the network (default good)
  --track <file.gpx|csv>     GNSS track (default tools/sim/tracks/walk.gpx)
  --close-after <s>          the user closes the event from the platform <s> seconds after the alert is
                             accepted (default 180; 0 = never: close it with "c" or from the dashboard)
  --scripted                 a scripted triple press instead of the keyboard (automatic when stdin is not a TTY)
  --exit-when-dormant        exit 0 once the event is closed and the device is back in deep sleep
  --speed <n>                simulated time runs n times faster than real time (default 20)
  --time real                run on the wall clock instead (slow: the modem and GNSS take minutes)
  --at summary|full|off      AT exchanges: one line per command family (default), every line, or none
  --faults <file.json>       inject modem faults (tools/sim/modem/faults.ts format)
  --ca-dir <dir>             development CA directory (default .cache/devca)
  --limit <s>                with --exit-when-dormant, fail after this many simulated seconds (default close-after + 1800)
  --events <n>               scripted: n events one after another (default 1)
  --report <file>            write a JSON summary of the event(s) when the run ends; the exit code is then 0 only if
                             every alert was accepted, at least one location point was delivered per event and the
                             device ended dormant

External modem (instead of the emulator; wall-clock time for the device, the platform and the network):
  --modem-device <path>      the modem's serial device: /dev/ttyUSB0 (SIM7080G or BG95 on a USB-serial adapter),
                             /dev/pts/N (an emulator on a pty); --dialect names its AT dialect
  --modem-baud <n>           line rate (default 115200)
  --modem-power <cmd>        runs "<cmd> on" / "<cmd> off" (through /bin/sh) where the firmware would pulse PWRKEY;
                             without it the modem must already be on (it is taken as on when it answers AT)
  --apn <apn>                the SIM's APN (default iot.enigm.test, which only the emulator knows)
  --platform-host <h[:port]> the platform's address as the modem reaches it, provisioned into the device (default
                             localhost:<port>: only a modem on this machine's loopback, e.g. an emulator, reaches it)
  --platform-port <n>        the loopback port the platform listens on (default any free port)

Keys: space or Enter = one button press (press three times quickly to raise an alert), c = close the event as
the user, q or Ctrl-C = quit.`;

export function parseStartArgs(argv: readonly string[]): { ok: true; args: StartArgs } | { ok: false; error: string } {
	const args: StartArgs = {
		dialect: "sim7080", profile: "good", track: join(here, "tracks", "walk.gpx"), closeAfterS: 180, scripted: false,
		exitWhenDormant: false, speed: 20, time: "simulated", at: "summary", caDir: resolve(".cache", "devca"), limitS: -1, events: 1,
		modemBaud: 115200, help: false,
	};
	for (let i = 0; i < argv.length; i++) {
		const flag = argv[i]!;
		const value = (): string | undefined => argv[++i];
		const number = (name: string, min: number): number | string => {
			const v = value();
			const n = Number(v);
			return v === undefined || v.trim() === "" || !Number.isFinite(n) || n < min ? `${name} needs a number >= ${min}` : n;
		};
		switch (flag) {
			case "--dialect": { const v = value(); if (v !== "sim7080" && v !== "bg95") return { ok: false, error: "--dialect must be sim7080 or bg95" }; args.dialect = v; break; }
			case "--profile": { const v = value(); if (!v || !profiles[v]) return { ok: false, error: `--profile must be one of ${Object.keys(profiles).join(", ")}` }; args.profile = v; break; }
			case "--track": { const v = value(); if (!v) return { ok: false, error: "--track needs a GPX or CSV file" }; args.track = resolve(v); break; }
			case "--close-after": { const n = number("--close-after", 0); if (typeof n === "string") return { ok: false, error: n }; args.closeAfterS = n; break; }
			case "--scripted": args.scripted = true; break;
			case "--exit-when-dormant": args.exitWhenDormant = true; break;
			case "--speed": { const n = number("--speed", 0.01); if (typeof n === "string") return { ok: false, error: n }; args.speed = n; break; }
			case "--time": { const v = value(); if (v !== "real" && v !== "simulated") return { ok: false, error: "--time must be real or simulated" }; args.time = v; break; }
			case "--at": { const v = value(); if (v !== "summary" && v !== "full" && v !== "off") return { ok: false, error: "--at must be summary, full or off" }; args.at = v; break; }
			case "--faults": { const v = value(); if (!v) return { ok: false, error: "--faults needs a JSON file" }; args.faults = resolve(v); break; }
			case "--ca-dir": { const v = value(); if (!v) return { ok: false, error: "--ca-dir needs a directory" }; args.caDir = resolve(v); break; }
			case "--limit": { const n = number("--limit", 1); if (typeof n === "string") return { ok: false, error: n }; args.limitS = n; break; }
			case "--events": { const n = number("--events", 1); if (typeof n === "string" || !Number.isInteger(n)) return { ok: false, error: "--events needs a whole number >= 1" }; args.events = n; break; }
			case "--report": { const v = value(); if (!v) return { ok: false, error: "--report needs a file" }; args.report = resolve(v); break; }
			case "--modem-device": { const v = value(); if (!v) return { ok: false, error: "--modem-device needs a serial device path" }; args.modemDevice = v; break; }
			case "--modem-power": { const v = value(); if (!v || !v.trim()) return { ok: false, error: "--modem-power needs a command" }; args.modemPower = v; break; }
			case "--apn": { const v = value(); if (!v || /["\r\n]/.test(v)) return { ok: false, error: "--apn needs an APN" }; args.apn = v; break; }
			case "--platform-host": { const v = value(); if (!v || !/^[a-z0-9.-]+(:\d{1,5})?$/.test(v)) return { ok: false, error: "--platform-host needs a lowercase host name, optionally :port" }; args.platformHost = v; break; }
			case "--platform-port": { const n = number("--platform-port", 1); if (typeof n === "string" || !Number.isInteger(n) || n > 65535) return { ok: false, error: "--platform-port needs a port number" }; args.platformPort = n; break; }
			case "--modem-baud": { const n = Number(value()); if (!bauds.includes(n)) return { ok: false, error: `--modem-baud must be one of ${bauds.join(", ")}` }; args.modemBaud = n; break; }
			case "-h": case "--help": args.help = true; break;
			default: return { ok: false, error: `unknown argument ${flag}` };
		}
	}
	if (args.limitS < 0) args.limitS = args.closeAfterS + 1800;
	for (const [set, flag] of [[args.modemPower, "--modem-power"], [args.platformHost, "--platform-host"], [args.platformPort, "--platform-port"], [args.apn, "--apn"]] as const)
		if (set !== undefined && args.modemDevice === undefined) return { ok: false, error: `${flag} needs --modem-device` };
	// An external modem lives in real time, and so do the platform and the network around it.
	if (args.modemDevice !== undefined) args.time = "real";
	return { ok: true, args };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const shortId = (id: string) => `${id.slice(0, 8)}…`;

/** `[mm:ss.s]` of simulated time since the start. */
function stamp(ms: number): string {
	const s = Math.max(0, ms) / 1000;
	const m = Math.floor(s / 60);
	return `[${String(m).padStart(2, "0")}:${(s - m * 60).toFixed(1).padStart(4, "0")}]`;
}

function readTrack(path: string): TrackPoint[] {
	const parsed = parseTrack(readFileSync(path, "utf8"));
	if (!parsed.ok) throw new Error(formatTrackErrors(path, parsed.errors));
	return [...parsed.points];
}

function readFaults(path: string): Fault[] {
	const parsed = parseFaults(readFileSync(path, "utf8"));
	if (!parsed.ok) throw new Error(`${path}: ${parsed.errors.join("; ")}`);
	return [...parsed.faults];
}

export async function start(args: StartArgs, io: { out: NodeJS.WriteStream; stdin: NodeJS.ReadStream } = { out: process.stdout, stdin: process.stdin }): Promise<number> {
	const interactive = !args.scripted && io.stdin.isTTY === true;
	const color = io.out.isTTY === true && !process.env.NO_COLOR;
	const paint = (code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
	const sourceColor: Record<string, string> = { device: "36", modem: "90", platform: "35", contacts: "33", user: "32", world: "36", sim: "1" };

	const track = readTrack(args.track);
	const faults = args.faults ? readFaults(args.faults) : undefined;

	// Lines that arrive before the dashboard URL is printed wait for it: the URL comes first.
	let early: Array<[string, string, number]> | undefined = [];
	let world: World | undefined;
	const now = () => world?.clock.now() ?? 0;
	// Lines are printed in order, so their stamps never step backwards (a line about something that began earlier
	// carries the time it is printed at, or later).
	const stamps = new MonotonicStamp();
	const print = (source: string, text: string, at = now()) => {
		if (early) {
			early.push([source, text, at]);
			return;
		}
		io.out.write(`${paint("2", stamp(stamps.at(at)))} ${paint(sourceColor[source] ?? "0", source.padEnd(8))} ${text}\n`);
	};

	const summary = new AtSummary({ emit: (line, at) => print("modem", line.replace(/^modem: /, ""), at) });
	const ledger = new EventLedger();
	let eventId: string | undefined;
	let closedBy: string | undefined;
	let closeTimer: unknown;
	const seenPoints = new Map<number, number>();

	const onLog = (source: LogSource, line: string) => {
		switch (source) {
			case "device": {
				if (/^sos: \S+ ignores /.test(line)) return;
				const t = /^sos: (\S+) -> (\S+) \((.*)\)$/.exec(line);
				if (t) {
					const [, from, to, why] = t;
					if (from !== to) print("device", paint("1", `state ${from} -> ${to}`) + ` (${why})`);
					else if (/^(modemFailed|locationFailed|alertRejected|fixTimedOut|closeFailed|revoked)/.test(why!)) print("device", `${why}`);
					return;
				}
				if (line === "button: triple press") ledger.triple(now());
				print("device", line);
				return;
			}
			case "world":
				if (/^modem power: /.test(line)) print("modem", line.replace(/^modem /, ""));
				else print("device", line.replace(/^device /, ""));
				return;
			case "platform": {
				const opened = /^event (\w+) opened by device (\w+)/.exec(line);
				if (opened) {
					eventId = opened[1]!;
					closedBy = undefined;
					const record = ledger.opened(eventId, now());
					const after = record.afterTripleMs !== undefined ? `, ${(record.afterTripleMs / 1000).toFixed(1)} s after the triple press` : "";
					print("platform", paint("1", `alert accepted: event ${shortId(eventId)} opened by device ${shortId(opened[2]!)}${after}`));
					if (args.closeAfterS > 0 && world) {
						const w = world;
						w.clock.clear(closeTimer as never);
						closeTimer = w.clock.set(() => {
							if (closedBy !== undefined) return;
							print("user", `closes the event in the app (platform side), ${args.closeAfterS} s after the alert`);
							w.closeEventByUser();
						}, args.closeAfterS * 1000);
					}
					return;
				}
				const closed = /^event (\w+) closed by (\S+)(?: \((.*)\))?/.exec(line);
				if (closed) {
					closedBy = closed[2]!;
					ledger.closed(closedBy);
					print("platform", paint("1", `event ${shortId(closed[1]!)} closed by ${closedBy}${closed[3] && closed[3] !== closedBy ? ` (${closed[3]})` : ""}`));
					return;
				}
				print("platform", line);
				return;
			}
			case "notify": {
				ledger.notified();
				const n = /^notify (\w+):(.+?) (emergency .*)$/.exec(line);
				print("contacts", n ? `notified ${n[2]} by ${n[1]}: ${n[3]}` : line);
				return;
			}
		}
	};

	print("sim", `starting: provisioning a device, the platform (SQLite, TLS), ${args.modemDevice !== undefined ? `the modem on ${args.modemDevice}` : "the modem emulator"} and the firmware…`);
	world = await World.create({
		time: args.time === "real" ? "real" : "manual",
		...(args.modemDevice !== undefined
			? {
				externalModem: {
					device: args.modemDevice, family: args.dialect, baud: args.modemBaud,
					...(args.modemPower !== undefined ? { power: args.modemPower } : {}),
					...(args.platformHost !== undefined ? { platformHost: args.platformHost } : {}),
					...(args.platformPort !== undefined ? { platformPort: args.platformPort } : {}),
					...(args.apn !== undefined ? { apn: args.apn } : {}),
				},
			}
			: {}),
		dialect: args.dialect,
		profile: args.profile,
		track,
		...(faults ? { faults } : {}),
		caDir: args.caDir,
		demoLogins: true,
		log: onLog,
		transcript: (line) => {
			if (args.at === "summary") summary.push(line);
			else if (args.at === "full") print("modem", line.replace(/^\[\s*-?\d+ ms\] /, ""));
		},
	});
	const w = world;

	io.out.write(`Dashboard: ${w.dashboardUrl}\n`);
	io.out.write(`  (HTTPS with the development CA ${join(args.caDir, "ca.pem")}: trust it, or accept the browser's warning)\n`);
	if (w.demo) {
		// Issue 12: the three views and how to reach each.
		io.out.write(`Account holder: ${w.platform.url}/login  user ${w.demo.holder.username}  password ${w.demo.holder.password}\n`);
		io.out.write(`Emergency contact: each contact's own link is on its "contacts notified ... link https://..." line once an alert opens\n`);
		io.out.write(`Enigm Command: ${w.platform.url}/command/login  user ${w.demo.command.username}  password ${w.demo.command.password}\n`);
	}
	io.out.write(args.modemDevice !== undefined
		? `Device ${w.deviceId} (board sim), external modem ${args.modemDevice} (${args.dialect} dialect, ${args.modemBaud} baud), power ${args.modemPower !== undefined ? `"${args.modemPower} on|off"` : "not switched (the modem must be on)"}\n`
		: `Device ${w.deviceId} (board sim, modem ${args.dialect}, profile ${args.profile}), track ${args.track} (${track.length} points)\n`);
	io.out.write(args.time === "real" ? (args.modemDevice !== undefined ? "Time: real time (device, platform and network clocks)\n" : "Time: real time\n") : `Time: simulated, ${args.speed}x real time${interactive ? " (1x while the device sleeps, so your presses keep their rhythm)" : ""}\n`);
	io.out.write(interactive
		? "Keys: space or Enter = a button press (three quick presses raise an alert), c = close the event as the user, q = quit\n\n"
		: "A scripted deliberate triple press will raise the alert.\n\n");
	const waiting = early;
	early = undefined;
	for (const [source, text, at] of waiting) print(source, text, at);

	let stopping = false;
	let exitCode = 0;
	let nextFree = 0;
	w.onEdge = (pressed, at) => {
		if (pressed) ledger.press(at);
	};
	const press = () => {
		const t = w.clock.now();
		const down = Math.max(t, nextFree);
		w.press([[down - t, down - t + 200]]);
		nextFree = down + 300;
	};
	const stop = (code: number) => {
		stopping = true;
		exitCode = code;
	};

	const onKey = (data: Buffer) => {
		for (const ch of data.toString("utf8")) {
			if (ch === " " || ch === "\r" || ch === "\n") press();
			else if (ch === "c" || ch === "C") {
				if (eventId !== undefined && closedBy === undefined) {
					print("user", "closes the event in the app (platform side)");
					w.closeEventByUser();
				} else print("user", "no open event to close");
			} else if (ch === "q" || ch === "Q" || ch === "\u0003" || ch === "\u0004") stop(0);
		}
	};
	const onSignal = () => stop(130);
	process.on("SIGINT", onSignal);
	process.on("SIGTERM", onSignal);
	// Each answered request: points that reached the platform show up at the moment they were stored.
	w.platform.server.on("request", (_req, res) => res.on("finish", () => lookAtPlatform()));
	if (interactive) {
		io.stdin.setRawMode?.(true);
		io.stdin.resume();
		io.stdin.on("data", onKey);
	} else {
		print("sim", `scripted: three deliberate presses (250 ms each, 250 ms apart) in 3 s${args.events > 1 ? `, ${args.events} events one after another` : ""}`);
		w.clock.set(() => w.press(deliberateTriple), 3000);
	}

	/** Location points that reached the platform since the last look. */
	const lookAtPlatform = () => {
		for (const e of w.events()) {
			const seen = seenPoints.get(e.id) ?? 0;
			const points = w.platform.platform.store.points(e.id).filter((p) => p.s > seen);
			for (const p of points) {
				print("platform", `location #${p.s} received: ${(p.la / 1e7).toFixed(5)}, ${(p.lo / 1e7).toFixed(5)} ±${p.a} m (fix ${new Date(p.t * 1000).toISOString().slice(11, 19)}Z)`);
				seenPoints.set(e.id, p.s);
			}
		}
	};

	const eventDone = () => closedBy !== undefined && eventId !== undefined;
	const pointsOf = (id: string | undefined) => {
		const row = id !== undefined ? w.events().find((e) => e.event_id === id) : undefined;
		return row ? w.platform.platform.store.pointCount(row.id) : 0;
	};
	const external = args.modemDevice !== undefined;
	let reported = false;
	const after = (): void => {
		if (args.at === "summary") summary.tick(w.clock.now());
		lookAtPlatform();
		if (eventDone() && w.asleep && !reported) {
			reported = true;
			if (args.at === "summary") summary.flush();
			// This event's figures only: the world's counters run for the whole session.
			const e = ledger.complete(w.metrics, pointsOf(eventId), w.asleep);
			const n = ledger.events.length;
			print("sim", paint("1", `event${args.events > 1 || n > 1 ? ` ${n}` : ""} complete: alert accepted${e.afterTripleMs !== undefined ? ` ${(e.afterTripleMs / 1000).toFixed(1)} s after the triple press` : ""}, ` +
				`${e.pointsDelivered} location points${e.cellReports ? ` and ${e.cellReports} cell reports` : ""}, ${e.contactNotifications} contact notifications, closed by ${e.closedBy}; the device is dormant (deep sleep)`));
			// The wire is the emulator's to count; an external modem's is out of sight.
			if (!external) print("sim", `radio on ${(e.radioOnMs / 1000).toFixed(1)} s, ${e.wireSent} bytes sent and ${e.wireReceived} received on the wire, ${e.dormantWireBytes} while dormant`);
			if (!interactive && n < args.events) {
				print("sim", `scripted: event ${n + 1} of ${args.events}: three deliberate presses in 5 s`);
				w.clock.set(() => w.press(deliberateTriple), 5000);
			} else if (args.exitWhenDormant) stop(judged() ? 0 : 1);
			else print("sim", interactive ? "press the button again for a new event, or q to quit (the dashboard stays up)" : "Ctrl-C to quit (the dashboard stays up)");
		}
		if (!eventDone() && reported) reported = false;
		if (args.exitWhenDormant && !reported && w.clock.now() > args.limitS * 1000) {
			print("sim", `the event did not complete within ${args.limitS} simulated seconds (state ${w.state})`);
			stop(1);
		}
	};

	/** Every event ran its course: alert accepted, at least one point delivered, device dormant at the end. */
	const good = (e: EventRecord) => e.alertAccepted && e.pointsDelivered >= 1 && e.dormantAtEnd;
	/** The exit code's verdict with --report or an external modem (issue 9.5); otherwise completing is enough. */
	function judged(): boolean {
		if (!args.report && !external) return true;
		return ledger.events.length >= args.events && ledger.events.every(good) && w.asleep;
	}
	function report(): Record<string, unknown> {
		const records: EventRecord[] = [...ledger.events];
		const open = ledger.current;
		if (open) records.push({ ...open, pointsDelivered: pointsOf(open.eventId), dormantAtEnd: false });
		const last = records.at(-1);
		const dormantAtEnd = w.asleep && w.state !== "revoked" && ledger.current === undefined;
		return {
			alertAccepted: records.length > 0 && records.every((e) => e.alertAccepted),
			alertLatencyMs: last?.alertLatencyMs ?? null,
			pointsDelivered: last?.pointsDelivered ?? 0,
			cellReports: last?.cellReports ?? 0,
			// The firmware's own count over the run (modules/uplink PointTally): captured + restored = delivered + dropped.
			firmwarePoints: w.pointTally(),
			closedBy: last?.closedBy ?? null,
			dormantAtEnd,
			eventId: last?.eventId ?? null,
			contactNotifications: last?.contactNotifications ?? 0,
			exitCode: exitCode !== 0 ? exitCode : judged() ? 0 : 1,
			modem: external
				? { external: true, device: args.modemDevice, dialect: args.dialect, baud: args.modemBaud, power: args.modemPower ?? null }
				: { external: false, dialect: args.dialect, profile: args.profile },
			time: args.time,
			events: records.map((e) => ({ ...e, alertLatencyMs: e.alertLatencyMs ?? null, afterTripleMs: e.afterTripleMs ?? null, closedBy: e.closedBy ?? null, eventId: e.eventId ?? null })),
		};
	}

	try {
		if (args.time === "real") {
			while (!stopping) {
				await w.run(100);
				after();
			}
		} else {
			const sliceRealMs = 50;
			let speed = args.speed;
			let wall0 = performance.now();
			let sim0 = w.clock.now();
			while (!stopping) {
				const idle = interactive && (w.asleep || w.state === "dormant");
				const want = idle ? Math.min(1, args.speed) : args.speed;
				if (want !== speed) {
					speed = want;
					wall0 = performance.now();
					sim0 = w.clock.now();
				}
				await w.run(Math.max(1, Math.round(speed * sliceRealMs)));
				after();
				const lag = wall0 + (w.clock.now() - sim0) / speed - performance.now();
				if (lag > 1) await sleep(lag);
				else if (lag < -1000) {
					// The machine cannot keep up with this speed: run as fast as it can without piling up debt.
					wall0 = performance.now();
					sim0 = w.clock.now();
				}
			}
		}
	} finally {
		if (args.at === "summary") summary.flush();
		if (args.report) {
			const summaryJson = report();
			try {
				writeFileSync(args.report, JSON.stringify(summaryJson, null, 2) + "\n");
				print("sim", `report written to ${args.report}`);
			} catch (error) {
				print("sim", `could not write the report ${args.report}: ${error instanceof Error ? error.message : String(error)}`);
				exitCode = Math.max(exitCode, 1);
			}
		}
		process.off("SIGINT", onSignal);
		process.off("SIGTERM", onSignal);
		if (interactive) {
			io.stdin.off("data", onKey);
			io.stdin.setRawMode?.(false);
			io.stdin.pause();
		}
		await w.close();
	}
	if (exitCode === 0 && (args.report || external) && !judged()) exitCode = 1;
	return exitCode;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
	const parsed = parseStartArgs(process.argv.slice(2));
	if (!parsed.ok) {
		process.stderr.write(`${parsed.error}\n\n${usage}\n`);
		process.exit(2);
	}
	if (parsed.args.help) {
		process.stdout.write(usage + "\n");
		process.exit(0);
	}
	if (!existsSync(parsed.args.track)) {
		process.stderr.write(`no such track file: ${parsed.args.track}\n`);
		process.exit(2);
	}
	start(parsed.args).then(
		(code) => process.exit(code),
		(error: unknown) => {
			process.stderr.write(`npm start failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
			process.exit(1);
		},
	);
}
