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
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import World, { deliberateTriple, type LogSource } from "./world";
import AtSummary from "./atSummary";
import { formatTrackErrors, parseTrack, type TrackPoint } from "./modem/track";
import { parseFaults, type Fault } from "./modem/faults";
import { profiles } from "./modem/profiles";

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

Keys: space or Enter = one button press (press three times quickly to raise an alert), c = close the event as
the user, q or Ctrl-C = quit.`;

export function parseStartArgs(argv: readonly string[]): { ok: true; args: StartArgs } | { ok: false; error: string } {
	const args: StartArgs = {
		dialect: "sim7080", profile: "good", track: join(here, "tracks", "walk.gpx"), closeAfterS: 180, scripted: false,
		exitWhenDormant: false, speed: 20, time: "simulated", at: "summary", caDir: resolve(".cache", "devca"), limitS: -1, help: false,
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
			case "-h": case "--help": args.help = true; break;
			default: return { ok: false, error: `unknown argument ${flag}` };
		}
	}
	if (args.limitS < 0) args.limitS = args.closeAfterS + 1800;
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
	const print = (source: string, text: string, at = now()) => {
		if (early) {
			early.push([source, text, at]);
			return;
		}
		io.out.write(`${paint("2", stamp(at))} ${paint(sourceColor[source] ?? "0", source.padEnd(8))} ${text}\n`);
	};

	const summary = new AtSummary({ emit: (line, at) => print("modem", line.replace(/^modem: /, ""), at) });
	let tripleAt: number | undefined;
	let openedAt: number | undefined;
	let eventId: string | undefined;
	let closedBy: string | undefined;
	let notified = 0;
	let closeTimer: unknown;
	let sleptAt = 0;
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
				if (line === "button: triple press") tripleAt = now();
				print("device", line);
				return;
			}
			case "world":
				if (/deep sleep/.test(line)) sleptAt = now();
				print("device", line.replace(/^device /, ""));
				return;
			case "platform": {
				const opened = /^event (\w+) opened by device (\w+)/.exec(line);
				if (opened) {
					eventId = opened[1]!;
					openedAt = now();
					closedBy = undefined;
					const after = tripleAt !== undefined ? `, ${((openedAt - tripleAt) / 1000).toFixed(1)} s after the triple press` : "";
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
					print("platform", paint("1", `event ${shortId(closed[1]!)} closed by ${closedBy}${closed[3] && closed[3] !== closedBy ? ` (${closed[3]})` : ""}`));
					return;
				}
				print("platform", line);
				return;
			}
			case "notify": {
				notified++;
				const n = /^notify (\w+):(.+?) (emergency .*)$/.exec(line);
				print("contacts", n ? `notified ${n[2]} by ${n[1]}: ${n[3]}` : line);
				return;
			}
		}
	};

	print("sim", "starting: provisioning a device, the platform (SQLite, TLS), the modem emulator and the firmware…");
	world = await World.create({
		time: args.time === "real" ? "real" : "manual",
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
	io.out.write(`Device ${w.deviceId} (board sim, modem ${args.dialect}, profile ${args.profile}), track ${args.track} (${track.length} points)\n`);
	io.out.write(args.time === "real" ? "Time: real time\n" : `Time: simulated, ${args.speed}x real time${interactive ? " (1x while the device sleeps, so your presses keep their rhythm)" : ""}\n`);
	io.out.write(interactive
		? "Keys: space or Enter = a button press (three quick presses raise an alert), c = close the event as the user, q = quit\n\n"
		: "A scripted deliberate triple press will raise the alert.\n\n");
	const waiting = early;
	early = undefined;
	for (const [source, text, at] of waiting) print(source, text, at);

	let stopping = false;
	let exitCode = 0;
	let nextFree = 0;
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
		print("sim", "scripted: three deliberate presses (250 ms each, 250 ms apart) in 3 s");
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
	let reported = false;
	const after = (): void => {
		if (args.at === "summary") summary.tick(w.clock.now());
		lookAtPlatform();
		if (eventDone() && w.asleep && !reported) {
			reported = true;
			if (args.at === "summary") summary.flush();
			const m = w.metrics;
			const row = w.events().find((e) => e.event_id === eventId);
			const points = row ? w.platform.platform.store.pointCount(row.id) : 0;
			print("sim", paint("1", `event complete: alert accepted${openedAt !== undefined && tripleAt !== undefined ? ` ${((openedAt - tripleAt) / 1000).toFixed(1)} s after the triple press` : ""}, ` +
				`${points} location points, ${notified} contact notifications, closed by ${closedBy}; the device is dormant (deep sleep)`), sleptAt);
			print("sim", `radio on ${(m.radioOnMs / 1000).toFixed(1)} s, ${m.wireSent} bytes sent and ${m.wireReceived} received on the wire, ${m.dormantWireBytes} while dormant`, sleptAt);
			if (args.exitWhenDormant) stop(0);
			else print("sim", interactive ? "press the button again for a new event, or q to quit (the dashboard stays up)" : "Ctrl-C to quit (the dashboard stays up)");
		}
		if (!eventDone() && reported) reported = false;
		if (args.exitWhenDormant && !reported && w.clock.now() > args.limitS * 1000) {
			print("sim", `the event did not complete within ${args.limitS} simulated seconds (state ${w.state})`);
			stop(1);
		}
	};

	try {
		if (args.time === "real") {
			while (!stopping) {
				await sleep(100);
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
		process.off("SIGINT", onSignal);
		process.off("SIGTERM", onSignal);
		if (interactive) {
			io.stdin.off("data", onKey);
			io.stdin.setRawMode?.(false);
			io.stdin.pause();
		}
		await w.close();
	}
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
