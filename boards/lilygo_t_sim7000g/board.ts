/**
 * LilyGO T-SIM7000G (classic ESP32-WROVER-B + SIMCom SIM7000G). Pins from the vendor's
 * Xinyuan-LilyGO/LilyGO-T-SIM7000G examples/Arduino_GPSTest/Arduino_GPSTest.ino: PIN_DTR 25, PIN_TX 27, PIN_RX 26,
 * PWR_PIN 4, LED_PIN 12 (`digitalWrite(LED_PIN, HIGH)` is "LED OFF": active low), and
 * `SerialAT.begin(UART_BAUD, SERIAL_8N1, PIN_RX, PIN_TX)`, so the ESP32 receives on 26 and transmits on 27.
 * The vendor example runs the UART at 9600; the SIM7000 auto-bauds (SIM7000 AT manual "AT+IPR"), and 115200 is
 * used here like on the SIM7080 board. GNSS antenna power: the modem's own GPIO4, `AT+SGPIO=0,4,1,1` on and
 * `AT+SGPIO=0,4,1,0` off (same example, enableGPS/disableGPS; board revision 20200415 and later).
 * Board revisions differ; check the silkscreen.
 *
 * Button: GPIO0 (BOOT, to GND with pull-up, active low). GPIO0 is RTC_GPIO11 on the classic ESP32 (ESP32 datasheet
 * table "RTC_MUX Pin List"), so ext0 can wake on it. It is a strapping pin: held low at power-on it enters download
 * mode; a deep-sleep wake does not re-latch it. A product PCB should use another RTC GPIO (e.g. GPIO32..39 minus
 * the module's flash/PSRAM pins).
 */
import type { Board } from "hal/board";

/** The board as plain data over whatever IO classes the caller passes (Moddable's on the device, fakes in tests). */
export function createBoard(io: Board["io"]): Board {
	if (typeof io?.Digital !== "function" || typeof io.Serial !== "function") throw new RangeError("invalid io");
	return Object.freeze({
		name: "lilygo_t_sim7000g",
		io: Object.freeze({ ...io }),
		pin: Object.freeze({
			button: 0,
			led: 12,
			modemPwrKey: 4,
			modemDtr: 25,
		}),
		button: Object.freeze({ activeLow: true, mode: "InputPullUp" as const, rtcGpio: 11 }),
		led: Object.freeze({ activeLow: true }),
		// Vendor modemPowerOn: PWR_PIN LOW for 1000 ms, then HIGH ("Datasheet Ton mintues = 1S"); modemPowerOff:
		// LOW for 1500 ms ("1.2S"). The pin rests high and a low level presses PWRKEY.
		pwrKey: Object.freeze({ activeLevel: 0 as const, onPulseMs: 1000, offPulseMs: 1500 }),
		Serial: Object.freeze({
			modem: Object.freeze({ port: 1, receive: 26, transmit: 27, baud: 115200 }),
		}),
		power: Object.freeze({
			kind: "pwrkey" as const,
			gnssAntenna: Object.freeze({ kind: "modemGpio" as const, gpio: 4, onLevel: 1 as const }),
		}),
		modem: "sim7000" as const,
	});
}
