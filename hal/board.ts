import type { DigitalClass, I2CClass, SerialClass } from "drivers/io";

/**
 * What every board's host provider (boards/<board>/host/provider) describes, in the shape of Moddable's ECMA-419
 * host provider `device` object (build/devices/esp32/targets/<target>/host/provider.js): IO classes under `io`,
 * pin numbers under `pin`, bus options under `Serial`/`I2C`. main.ts consumes only this interface, so one main.ts
 * serves every board (CONVENTIONS.md 3). Plain data: no behaviour, no board-specific branches anywhere else.
 */
export type PinSpecifier = number | string;

/** Options for the modem UART, ready to spread into `new io.Serial({...board.Serial.modem, onReadable})`. */
export interface SerialPortDescription {
	/** UART number on the ESP32, or a device path (a pty) on the desktop simulator. */
	readonly port?: number | string;
	/** Device path on the desktop simulator, where Moddable's lin/mac serial reads `device` (modules/io/serial/lin/serial.c). */
	readonly device?: string;
	/** ESP32 GPIO receiving from the modem (modem TXD). */
	readonly receive?: number;
	/** ESP32 GPIO transmitting to the modem (modem RXD). */
	readonly transmit?: number;
	readonly baud: number;
}

export interface I2CBusDescription {
	readonly data: number;
	readonly clock: number;
	readonly address: number;
	readonly hz: number;
	readonly port?: number;
}

/** How the button is wired: wake from deep sleep needs an RTC-capable GPIO and the level a press produces. */
export interface ButtonDescription {
	/** true when a press pulls the pin low (button to GND with a pull-up). */
	readonly activeLow: boolean;
	/** Which ECMA-419 Digital mode the driver opens the pin with. */
	readonly mode: "Input" | "InputPullUp" | "InputPullDown";
	/** RTC GPIO number of the button pin (ESP32 TRM "RTC_MUX Pin List"); undefined on the simulator. */
	readonly rtcGpio?: number;
}

export interface LedDescription {
	/** true when writing 0 lights the LED. */
	readonly activeLow: boolean;
}

/** One PMU output rail. Names as the AXP2101 datasheet and XPowersLib call them. */
export interface PowerRail {
	readonly name: "DC1" | "DC2" | "DC3" | "DC4" | "DC5" | "ALDO1" | "ALDO2" | "ALDO3" | "ALDO4" | "BLDO1" | "BLDO2" | "DLDO1" | "DLDO2" | "CPUSLDO";
	readonly millivolts: number;
}

/**
 * How the modem and the GNSS antenna get power. Dormancy means: every rail named here off (pmu), or the modem
 * powered down through PWRKEY and its GNSS antenna GPIO low (pwrkey).
 */
export type ModemPowerDescription =
	| {
			readonly kind: "pmu";
			readonly chip: "AXP2101";
			/** Key into `board.I2C` of the bus the PMU answers on. */
			readonly bus: "pmu";
			readonly rails: {
				readonly modem: PowerRail;
				readonly levelShifter: PowerRail;
				readonly gnssAntenna: PowerRail;
			};
	  }
	| {
			readonly kind: "pwrkey";
			/** The GNSS antenna LNA is switched by a modem GPIO through AT+SGPIO (SIM7000 AT manual "AT+SGPIO"). */
			readonly gnssAntenna: { readonly kind: "modemGpio"; readonly gpio: number; readonly onLevel: 0 | 1 };
	  }
	| { readonly kind: "simulated" };

export interface PwrKeyDescription {
	/** Level that presses PWRKEY: 1 on the T-SIM7080G-S3 (through a transistor), 0 on the T-SIM7000G (vendor examples). */
	readonly activeLevel: 0 | 1;
	/** Pulse length that turns the modem on (SIM7080 HD "Power on": >= 1 s; SIM7000: >= 1 s). */
	readonly onPulseMs: number;
	/** Pulse length that turns it off (SIM7080/SIM7000 HD "Power off by PWRKEY": >= 1.2 s). */
	readonly offPulseMs: number;
}

export interface Board {
	/** Board directory name under boards/. */
	readonly name: string;
	readonly io: {
		readonly Digital: DigitalClass;
		readonly Serial: SerialClass;
		readonly I2C?: I2CClass;
	};
	readonly pin: {
		readonly button: PinSpecifier;
		readonly led?: PinSpecifier;
		readonly modemPwrKey?: PinSpecifier;
		readonly modemDtr?: PinSpecifier;
		readonly modemRi?: PinSpecifier;
	};
	readonly button: ButtonDescription;
	readonly led?: LedDescription;
	readonly pwrKey: PwrKeyDescription;
	readonly Serial: { readonly modem: SerialPortDescription };
	readonly I2C?: { readonly pmu?: I2CBusDescription };
	readonly power: ModemPowerDescription;
	/**
	 * A modem with no PWRKEY line under the firmware's control (an external modem on a host serial port): switched
	 * by this instead of PWRKEY pulses (drivers/modem/modem ModemPowerSwitch), and probed with `AT` at every
	 * power-on, since only an answer tells whether it is on.
	 */
	readonly modemSwitch?: { on(): Promise<void> | void; off(): Promise<void> | void };
	/** Modem family the board carries, so main.ts picks the driver without branching on the board name. */
	readonly modem: "sim7080" | "sim7000" | "bg95";
}
