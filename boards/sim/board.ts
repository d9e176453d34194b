import type { Board } from "hal/board";
import type { SerialClass } from "drivers/io";
import { createSimDigital, SimPinBank } from "boards/sim/simDigital";

/** Pin names of the simulated board; strings so traces read well. */
export const simPins = Object.freeze({
	button: "button",
	led: "led",
	modemPwrKey: "modemPwrKey",
	modemDtr: "modemDtr",
});

export interface SimBoardOptions {
	/** The serial class the modem emulator answers on: embedded:io/serial over a pty, or a test double. */
	Serial: SerialClass;
	/** Where the modem is: a pty path on the desktop simulator (lin serial opens `device`), a name in tests. */
	modemDevice: string;
	bank?: SimPinBank;
	/** Which modem family the emulator on the other end speaks (default sim7080); main.ts picks the driver by it. */
	modem?: "sim7080" | "bg95";
	/**
	 * An external modem on a host serial port has no PWRKEY wired to us: this switches it instead (hal/board
	 * `modemSwitch`; the host runs `--modem-power <cmd> on|off`, or nothing).
	 */
	modemSwitch?: { on(): Promise<void> | void; off(): Promise<void> | void };
}

/**
 * The `sim` board: the same shape as the hardware boards (hal/board), backed by simulated GPIO. The button is
 * active-low with a pull-up like on the LilyGO boards, so the firmware's polarity handling is exercised.
 */
export function createSimBoard(options: SimBoardOptions): Board & { readonly bank: SimPinBank } {
	const { Serial, modemDevice } = options ?? ({} as SimBoardOptions);
	if (typeof Serial !== "function") throw new RangeError("invalid Serial");
	if (typeof modemDevice !== "string" || !modemDevice) throw new RangeError("invalid modemDevice");
	const modem = options.modem ?? "sim7080";
	if (modem !== "sim7080" && modem !== "bg95") throw new RangeError("invalid modem");
	const bank = options.bank ?? new SimPinBank();
	bank.rest(simPins.button, 1); // released (pulled up) unless the harness already drives it: a wake press is held
	return Object.freeze({
		name: "sim",
		bank,
		io: Object.freeze({ Digital: createSimDigital(bank), Serial }),
		pin: simPins,
		button: Object.freeze({ activeLow: true, mode: "InputPullUp" as const }),
		led: Object.freeze({ activeLow: false }),
		pwrKey: Object.freeze({ activeLevel: 1 as const, onPulseMs: 1000, offPulseMs: 1200 }),
		Serial: Object.freeze({ modem: Object.freeze({ port: modemDevice, device: modemDevice, baud: 115200 }) }),
		power: Object.freeze({ kind: "simulated" as const }),
		modem,
		...(options.modemSwitch ? { modemSwitch: options.modemSwitch } : {}),
	});
}
