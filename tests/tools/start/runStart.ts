/** Runs `npm start` (tools/sim/start.ts) as a child, stdin closed (not a TTY: the scripted presses run). */
import { spawn } from "node:child_process";

export interface StartRun {
	code: number | null;
	out: string;
	err: string;
	/** Killed after `limitMs` of real time: a hang shows as a failure, never as a stuck test run. */
	timedOut: boolean;
}

export function runStart(args: string[], limitMs: number): Promise<StartRun> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, ["--import", "tsx", "tools/sim/start.ts", ...args], {
			env: { ...process.env, TSX_TSCONFIG_PATH: "tsconfig.tools.json", NO_COLOR: "1" },
			stdio: ["pipe", "pipe", "pipe"],
		});
		child.stdin.end();
		let out = "";
		let err = "";
		let timedOut = false;
		child.stdout.on("data", (c: Buffer) => (out += c.toString()));
		child.stderr.on("data", (c: Buffer) => (err += c.toString()));
		const timer = setTimeout(() => {
			timedOut = true;
			child.kill("SIGKILL");
		}, limitMs);
		child.on("close", (code) => {
			clearTimeout(timer);
			resolve({ code, out, err, timedOut });
		});
	});
}
