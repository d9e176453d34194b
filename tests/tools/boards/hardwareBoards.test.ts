import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Board } from "hal/board";
import type { DigitalClass, I2CClass, SerialClass } from "drivers/io";
import { createBoard as createS3 } from "boards/lilygo_t_sim7080g_s3/board";
import { createBoard as createSim7000 } from "boards/lilygo_t_sim7000g/board";

// Stand-in IO classes: the board is data, so any constructor will do.
const io = {
	Digital: class {} as unknown as DigitalClass,
	Serial: class {} as unknown as SerialClass,
	I2C: class {} as unknown as I2CClass,
};

/** RTC GPIOs usable for ext0/ext1 wake. ESP32 datasheet "RTC_MUX Pin List" (GPIO -> RTC_GPIO). */
const esp32Rtc: Record<number, number> = { 36: 0, 37: 1, 38: 2, 39: 3, 34: 4, 35: 5, 25: 6, 26: 7, 33: 8, 32: 9, 4: 10, 0: 11, 2: 12, 15: 13, 13: 14, 12: 15, 14: 16, 27: 17 };
/** ESP32-S3 TRM "RTC IO MUX": GPIO0..GPIO21 are RTC_GPIO0..21. */
const esp32s3Rtc = (pin: number) => (Number.isInteger(pin) && pin >= 0 && pin <= 21 ? pin : undefined);

const hw = suite("boards: hardware board descriptions");

hw("T-SIM7080G-S3 pins match the vendor's utilities.h (LILYGO_ESP32S3_CAM_SIM7080G)", () => {
	const board: Board = createS3(io);
	// Xinyuan-LilyGO/LilyGo-T-SIM7080G examples/ModemMqttPublishExample/utilities.h
	assert.equal(
		{ button: board.pin.button, pwr: board.pin.modemPwrKey, dtr: board.pin.modemDtr, ri: board.pin.modemRi },
		{ button: 0, pwr: 41, dtr: 42, ri: 3 },
	);
	assert.equal(board.Serial.modem, { port: 1, receive: 4, transmit: 5, baud: 115200 });
	assert.equal(board.I2C?.pmu, { data: 15, clock: 7, address: 0x34, hz: 400_000 });
	assert.is(board.modem, "sim7080");
});

hw("T-SIM7080G-S3 power description names the PMU bus and the DC3/BLDO1/BLDO2 rails", () => {
	const board = createS3(io);
	assert.is(board.power.kind, "pmu");
	if (board.power.kind !== "pmu") return;
	assert.is(board.power.chip, "AXP2101");
	assert.ok(board.I2C?.[board.power.bus], "the named bus exists");
	assert.equal(board.power.rails, {
		modem: { name: "DC3", millivolts: 3000 }, // MinimalModemGPSExample: setDC3Voltage(3000)
		levelShifter: { name: "BLDO1", millivolts: 3300 },
		gnssAntenna: { name: "BLDO2", millivolts: 3300 }, // setBLDO2Voltage(3300)
	});
	// AXP2101 DCDC3 range tops out at 3.4 V; the SIM7080G VBAT range is 2.7..4.8 V (vendor comment: 2700~3400).
	assert.ok(board.power.rails.modem.millivolts >= 2700 && board.power.rails.modem.millivolts <= 3400);
});

hw("T-SIM7000G pins match the vendor's Arduino_GPSTest.ino", () => {
	const board: Board = createSim7000(io);
	// Xinyuan-LilyGO/LilyGO-T-SIM7000G examples/Arduino_GPSTest/Arduino_GPSTest.ino
	assert.equal(
		{ button: board.pin.button, pwr: board.pin.modemPwrKey, dtr: board.pin.modemDtr, led: board.pin.led },
		{ button: 0, pwr: 4, dtr: 25, led: 12 },
	);
	assert.is(board.Serial.modem.receive, 26); // SerialAT.begin(UART_BAUD, SERIAL_8N1, PIN_RX=26, PIN_TX=27)
	assert.is(board.Serial.modem.transmit, 27);
	assert.is(board.led?.activeLow, true); // "Set LED OFF: digitalWrite(LED_PIN, HIGH)"
	assert.is(board.pwrKey.activeLevel, 0); // modemPowerOn: LOW for 1 s
	assert.equal(board.power, { kind: "pwrkey", gnssAntenna: { kind: "modemGpio", gpio: 4, onLevel: 1 } }); // AT+SGPIO=0,4,1,1
	assert.is(board.I2C, undefined);
	assert.is(board.modem, "sim7000");
});

hw("each button is an RTC GPIO (deep-sleep wake) and its documented RTC number is right", () => {
	const s3 = createS3(io);
	assert.is(esp32s3Rtc(s3.pin.button as number), s3.button.rtcGpio);
	const classic = createSim7000(io);
	assert.is(esp32Rtc[classic.pin.button as number], classic.button.rtcGpio);
	assert.is(classic.button.rtcGpio, 11);
	for (const board of [s3, classic]) {
		assert.is(board.button.activeLow, true);
		assert.is(board.button.mode, "InputPullUp");
	}
});

hw("no pin is used twice on a board, and none is a flash/PSRAM pin", () => {
	for (const [board, reserved] of [
		[createS3(io), [26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37]], // ESP32-S3 SPI flash/octal PSRAM
		[createSim7000(io), [6, 7, 8, 9, 10, 11, 16, 17]], // ESP32 SPI flash; WROVER PSRAM on 16/17
	] as const) {
		const used = [
			...Object.values(board.pin),
			board.Serial.modem.receive,
			board.Serial.modem.transmit,
			board.I2C?.pmu?.data,
			board.I2C?.pmu?.clock,
		].filter((p): p is number => typeof p === "number");
		assert.equal(new Set(used).size, used.length, `${board.name}: duplicate pin`);
		for (const pin of used) assert.not.ok((reserved as readonly number[]).includes(pin), `${board.name}: GPIO${pin} is reserved`);
	}
});

hw("boards refuse missing IO classes", () => {
	assert.throws(() => createS3({} as Board["io"]), RangeError);
	assert.throws(() => createSim7000(undefined as unknown as Board["io"]), RangeError);
});

hw.run();
