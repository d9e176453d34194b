/**
 * Runs the modem emulator in real time on a pty until interrupted.
 *
 *   node --import tsx tools/sim/modem/cli.ts --dialect sim7080|bg95 --pty [--link /tmp/enigm-modem]
 *        [--profile good|poor|roaming] [--track tools/sim/tracks/walk.gpx] [--transcript file|-]
 *        [--faults faults.json] [--host name=127.0.0.1 ...] [--off]
 *
 * Prints the device path on stdout (`modem: /tmp/.../modem -> /dev/pts/N`). The modem boots at once (there is no
 * PWRKEY line on a pty); with --off it stays off until the first byte arrives. Exit code 2 on bad arguments or
 * a malformed track/fault file (the reasons are printed, line by line).
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import ModemEmulator from "./emulator";
import { profiles } from "./profiles";
import { formatTrackErrors, parseTrack } from "./track";
import type { TrackPoint } from "./track";
import { parseFaults } from "./faults";
import type { Fault } from "./faults";
import { realClock } from "./realClock";
import { fileTranscript } from "./transcript";
import { startPty } from "./pty";

export interface CliArgs {
	dialect: "sim7080" | "bg95";
	pty: boolean;
	link?: string;
	profile: string;
	track?: string;
	transcript?: string;
	faults?: string;
	hosts: Record<string, string>;
	off: boolean;
}

export function parseCliArgs(argv: readonly string[]): { ok: true; args: CliArgs } | { ok: false; error: string } {
	const args: CliArgs = { dialect: "sim7080", pty: false, profile: "good", hosts: {}, off: false };
	for (let i = 0; i < argv.length; i++) {
		const flag = argv[i]!;
		const value = (): string | undefined => argv[++i];
		switch (flag) {
			case "--dialect": { const v = value(); if (v !== "sim7080" && v !== "bg95") return { ok: false, error: "--dialect must be sim7080 or bg95" }; args.dialect = v; break; }
			case "--pty": args.pty = true; break;
			case "--off": args.off = true; break;
			case "--link": { const v = value(); if (!v) return { ok: false, error: "--link needs a path" }; args.link = v; break; }
			case "--profile": { const v = value(); if (!v || !profiles[v]) return { ok: false, error: `--profile must be one of ${Object.keys(profiles).join(", ")}` }; args.profile = v; break; }
			case "--track": { const v = value(); if (!v) return { ok: false, error: "--track needs a file" }; args.track = v; break; }
			case "--transcript": { const v = value(); if (!v) return { ok: false, error: "--transcript needs a file or -" }; args.transcript = v; break; }
			case "--faults": { const v = value(); if (!v) return { ok: false, error: "--faults needs a JSON file" }; args.faults = v; break; }
			case "--host": {
				const v = value();
				const m = v ? /^([^=]+)=(.+)$/.exec(v) : null;
				if (!m) return { ok: false, error: "--host needs name=address" };
				args.hosts[m[1]!] = m[2]!;
				break;
			}
			default: return { ok: false, error: `unknown argument ${flag}` };
		}
	}
	if (!args.pty) return { ok: false, error: "--pty is required (the in-process emulator is used from code: tools/sim/modem/emulator.ts)" };
	return { ok: true, args };
}

const usage = `Usage: npm run modem -- --dialect sim7080|bg95 --pty [--link /tmp/enigm-modem]
       [--profile good|poor|roaming] [--track tools/sim/tracks/walk.gpx] [--transcript file|-]
       [--faults faults.json] [--host name=127.0.0.1 ...] [--off]
Runs the modem emulator in real time on a pty and prints its device path; Ctrl-C stops it.
`;

async function main(): Promise<number> {
	if (process.argv.includes("--help")) { process.stdout.write(usage); return 0; }
	const parsed = parseCliArgs(process.argv.slice(2));
	if (!parsed.ok) { process.stderr.write(`${parsed.error}\n${usage}`); return 2; }
	const a = parsed.args;
	let track: readonly TrackPoint[] | undefined;
	if (a.track) {
		let text: string;
		try { text = readFileSync(a.track, "utf8"); } catch (e) { process.stderr.write(`${a.track}: ${(e as Error).message}\n`); return 2; }
		const t = parseTrack(text, a.track.toLowerCase().endsWith(".gpx") ? "gpx" : a.track.toLowerCase().endsWith(".csv") ? "csv" : undefined);
		if (!t.ok) { process.stderr.write(formatTrackErrors(a.track, t.errors) + "\n"); return 2; }
		track = t.points;
	}
	let faults: readonly Fault[] = [];
	if (a.faults) {
		let text: string;
		try { text = readFileSync(a.faults, "utf8"); } catch (e) { process.stderr.write(`${a.faults}: ${(e as Error).message}\n`); return 2; }
		const f = parseFaults(text);
		if (!f.ok) { process.stderr.write(f.errors.map((e) => `${a.faults}: ${e}`).join("\n") + "\n"); return 2; }
		faults = f.faults;
	}
	const sink = a.transcript === "-" ? (line: string) => process.stdout.write(line + "\n")
		: a.transcript ? fileTranscript(a.transcript) : undefined;
	const emu = new ModemEmulator({
		dialect: a.dialect, clock: realClock(), profile: a.profile, hosts: a.hosts, faults, wakeOnInput: true,
		poweredOn: !a.off, wallStart: Date.now(),
		...(track ? { track } : {}), ...(sink ? { transcript: sink } : {}),
	});
	const bridge = await startPty(emu, a.link ? { link: a.link } : {});
	process.stdout.write(`modem: ${bridge.path} -> ${bridge.device} (${a.dialect}, profile ${a.profile}, via ${bridge.helper})\n`);
	await new Promise<void>((resolve) => {
		process.once("SIGINT", () => resolve());
		process.once("SIGTERM", () => resolve());
	});
	await bridge.close();
	emu.close();
	return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
	main().then((code) => process.exit(code), (e: unknown) => { process.stderr.write(`${(e as Error).message}\n`); process.exit(1); });
}
