/**
 * `--modem-power <cmd>`: the host's stand-in for PWRKEY when the modem sits on a serial adapter. The firmware's
 * driver calls the board's modem switch exactly where it would pulse PWRKEY to switch the module on or off
 * (drivers/modem/modemBase); this runs `<cmd> on` or `<cmd> off` through /bin/sh, one at a time in call order, and
 * resolves once the command exited. Without a command the modem must be on already: the switch only says so.
 */
import { spawn } from "node:child_process";

export interface PowerSwitch {
	on(): Promise<void>;
	off(): Promise<void>;
}

export interface PowerCommandOptions {
	/** A shell command line; `on` or `off` is appended as one more word. Undefined: no power control. */
	readonly command?: string;
	readonly log: (line: string) => void;
	/** Kill a command still running after this long, ms (default 60 s). */
	readonly timeoutMs?: number;
}

export function powerSwitch(options: PowerCommandOptions): PowerSwitch {
	const { command, log } = options;
	let queue: Promise<void> = Promise.resolve();
	const run = (arg: "on" | "off"): Promise<void> => {
		if (command === undefined) {
			log(arg === "on"
				? "modem power: no --modem-power command, so the modem cannot be switched on from here; switch it on (it must answer AT)"
				: "modem power: no --modem-power command, so the modem cannot be switched off from here");
			return Promise.resolve();
		}
		const next = queue.then(() => new Promise<void>((resolve) => {
			const started = Date.now();
			log(`modem power: ${command} ${arg}`);
			const child = spawn("/bin/sh", ["-c", `${command} ${arg}`], { stdio: ["ignore", "pipe", "pipe"] });
			let output = "";
			const keep = (chunk: Buffer) => { if (output.length < 2000) output += chunk.toString("utf8"); };
			child.stdout.on("data", keep);
			child.stderr.on("data", keep);
			const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
			const done = (what: string) => {
				clearTimeout(timer);
				const text = output.trim().split("\n").filter(Boolean).slice(-3).join(" | ");
				log(`modem power: ${arg} ${what} after ${Date.now() - started} ms${text ? `: ${text}` : ""}`);
				resolve();
			};
			child.on("error", (e) => done(`failed (${e.message})`));
			child.on("close", (code, signal) => done(code === 0 ? "done" : signal ? `killed (${signal})` : `exited ${code}`));
		}));
		queue = next;
		return next;
	};
	return { on: () => run("on"), off: () => run("off") };
}
