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
	const emu = new ModemEmulator({ clock, ...options });
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
