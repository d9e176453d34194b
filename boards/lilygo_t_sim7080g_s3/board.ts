/**
 * LilyGO T-SIM7080G-S3 (ESP32-S3 + SIMCom SIM7080G, AXP2101 PMU). Pin numbers from the vendor's
 * Xinyuan-LilyGO/LilyGo-T-SIM7080G examples/ModemMqttPublishExample/utilities.h (LILYGO_ESP32S3_CAM_SIM7080G):
 * I2C_SDA 15, I2C_SCL 7, USER_BUTTON_PIN 0, BOARD_MODEM_PWR_PIN 41, BOARD_MODEM_DTR_PIN 42, BOARD_MODEM_RI_PIN 3,
 * BOARD_MODEM_RXD_PIN 4, BOARD_MODEM_TXD_PIN 5; UART at 115200 (`Serial1.begin(115200, SERIAL_8N1,
 * BOARD_MODEM_RXD_PIN, BOARD_MODEM_TXD_PIN)` in examples/MinimalModemGPSExample). Rails from the same example:
 * `PMU.setDC3Voltage(3000)` "SIM7080 Modem main power channel", `PMU.setBLDO2Voltage(3300)` "Modem GPS Power
 * channel" (antenna); BLDO1 3.3 V feeds the UART level shifter (vendor schematic T-SIM7080G_Schematic.pdf).
 * The board has no user LED (only the PMU's charge LED), so `pin.led` is absent.
 *
 * Button: GPIO0, the BOOT button (to GND, external pull-up, active low). On the ESP32-S3 every GPIO 0..21 is an
 * RTC GPIO with the same number (ESP32-S3 TRM "RTC IO MUX pin list"), so GPIO0 = RTC_GPIO0 can wake the chip via
 * ext0. GPIO0 is a strapping pin: held low at power-on or reset it selects download mode. A deep-sleep wake does
 * not re-latch strapping pins, so pressing it to wake is safe; a product PCB should still use a non-strapping RTC
 * GPIO (e.g. GPIO1..GPIO21 minus 3, 45, 46).
 */
import type { Board } from "hal/board";

/** The board as plain data over whatever IO classes the caller passes (Moddable's on the device, fakes in tests). */
export function createBoard(io: Board["io"]): Board {
	if (typeof io?.Digital !== "function" || typeof io.Serial !== "function") throw new RangeError("invalid io");
	return Object.freeze({
		name: "lilygo_t_sim7080g_s3",
		io: Object.freeze({ ...io }),
		pin: Object.freeze({
			button: 0,
			modemPwrKey: 41,
			modemDtr: 42,
			modemRi: 3,
		}),
		button: Object.freeze({ activeLow: true, mode: "InputPullUp" as const, rtcGpio: 0 }),
		// PWRKEY through an NPN: HIGH presses it (MinimalModemGPSExample: LOW, 100 ms, HIGH 1000 ms, LOW).
		pwrKey: Object.freeze({ activeLevel: 1 as const, onPulseMs: 1000, offPulseMs: 1300 }),
		Serial: Object.freeze({
			modem: Object.freeze({ port: 1, receive: 4, transmit: 5, baud: 115200 }),
		}),
		I2C: Object.freeze({
			pmu: Object.freeze({ data: 15, clock: 7, address: 0x34, hz: 400_000 }),
		}),
		power: Object.freeze({
			kind: "pmu" as const,
			chip: "AXP2101" as const,
			bus: "pmu" as const,
			rails: Object.freeze({
				modem: Object.freeze({ name: "DC3" as const, millivolts: 3000 }),
				levelShifter: Object.freeze({ name: "BLDO1" as const, millivolts: 3300 }),
				gnssAntenna: Object.freeze({ name: "BLDO2" as const, millivolts: 3300 }),
			}),
		}),
		modem: "sim7080" as const,
	});
}
