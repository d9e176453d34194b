/**
 * Puts a ModemEmulator on a pseudo-terminal, so a program that opens a serial device path (the Moddable desktop
 * simulator's `embedded:io/serial`, `screen`, `picocom`) talks to it like a real modem on a USB-UART.
 *
 * Node has no pty API, so a helper process owns the pty pair and relays its master side over stdin/stdout pipes:
 * python3 (standard library only: `os.openpty()` + `tty.setraw()`, below), which every machine this project
 * supports has; no socat, no native Node module.
 * The slave is raw with echo off (the modem does its own echo), and `<path>` is a symlink to /dev/pts/N.
 *
 *   const bridge = await startPty(emu, { link: "/tmp/enigm-modem" });
 *   console.log(bridge.path);   // open this path as the modem's serial port
 *   await bridge.close();
 */
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type ModemEmulator from "./emulator";

export type PtyHelper = "python3";

export interface PtyBridge {
	/** The symlink to open (stable across runs when `link` is given). */
	readonly path: string;
	/** The /dev/pts/N device behind it. */
	readonly device: string;
	readonly helper: PtyHelper;
	close(): Promise<void>;
}

export interface PtyOptions {
	/** Where to create the symlink; default a fresh temp directory's `modem`. */
	readonly link?: string;
	/** Milliseconds to wait for the helper to create the pty. */
	readonly startTimeoutMs?: number;
}

const PYTHON_BRIDGE = String.raw`
import os, sys, tty, select, errno
master, slave = os.openpty()
tty.setraw(slave)
link = sys.argv[1]
try:
    os.unlink(link)
except FileNotFoundError:
    pass
os.symlink(os.ttyname(slave), link)
stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
try:
    while True:
        ready, _, _ = select.select([master, stdin], [], [])
        if master in ready:
            data = os.read(master, 4096)
            if data:
                os.write(stdout, data)
        if stdin in ready:
            data = os.read(stdin, 4096)
            if not data:
                break
            os.write(master, data)
finally:
    try:
        os.unlink(link)
    except OSError:
        pass
`;

export function available(): boolean {
	return spawnSync("python3", ["-c", "import pty, tty"], { stdio: "ignore" }).status === 0;
}

/** What the pty relays to: the emulator's raw byte port, or any other (tools/sim/moddableSim's external-modem tap). */
export type BytePort = Pick<ModemEmulator, "attachPort">;

export async function startPty(emu: BytePort, options: PtyOptions = {}): Promise<PtyBridge> {
	const helper: PtyHelper = "python3";
	if (!available()) throw new Error("no pty helper: python3 (with its standard pty and tty modules) is needed");
	let tempDir: string | undefined;
	let link = options.link;
	if (!link) {
		tempDir = mkdtempSync(join(tmpdir(), "enigm-modem-"));
		link = join(tempDir, "modem");
	}
	const child: ChildProcess = spawn("python3", ["-u", "-c", PYTHON_BRIDGE, link], { stdio: ["pipe", "pipe", "inherit"] });
	let exited = false;
	child.on("exit", () => { exited = true; });
	child.on("error", () => { exited = true; });
	const port = emu.attachPort((bytes) => { if (!exited) child.stdin?.write(bytes); });
	child.stdout?.on("data", (chunk: Buffer) => port.write(new Uint8Array(chunk)));
	child.stdin?.on("error", () => undefined);

	const deadline = Date.now() + (options.startTimeoutMs ?? 5000);
	while (!linkReady(link)) {
		if (exited || Date.now() > deadline) {
			port.close();
			child.kill();
			if (tempDir) rmSync(tempDir, { recursive: true, force: true });
			throw new Error(`pty helper ${helper} did not create ${link}`);
		}
		await new Promise((r) => setTimeout(r, 10));
	}
	const finalLink = link;
	return {
		path: finalLink,
		device: realpathSync(finalLink),
		helper,
		close: async () => {
			port.close();
			if (!exited) {
				const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
				child.stdin?.end();
				child.kill("SIGTERM");
				await Promise.race([gone, new Promise((r) => setTimeout(r, 1000))]);
			}
			if (tempDir) rmSync(tempDir, { recursive: true, force: true });
		},
	};
}

function linkReady(link: string): boolean {
	try { return lstatSync(link).isSymbolicLink() && existsSync(link); } catch { return false; }
}
