/**
 * AXP2101 against a fake I2C register file. Expected register values come from the X-Powers AXP2101 Datasheet
 * V1.4 section 6.13.2 code tables (e.g. DS REG 85 "1100110: 1.84V", DS REG 86 "11001: 1.2V", "10111: 3.7V",
 * DS REG 92 "11110: 3.5V") and XPowersLib's DCDC3 1.6-3.4 V segment (code 88 + (mV - 1600) / 100).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import Axp2101, { CHIP_ID, Reg, decodeVoltage, encodeVoltage } from "drivers/pmu/axp2101";
import type { I2C, I2COptions, IOBuffer } from "drivers/io";

/**
 * A register file behind the I2C that Moddable's ESP32 implementation really offers (SDK 8.2.3
 * modules/io/i2c/_i2c.js): `write(buffer)` and `read(count)` are whole transactions ending in a stop (the wrapper
 * passes no `stop` argument on), `writeRead(buffer, count)` is write + repeated start + read. `transactions` records
 * each bus transaction, so a test sees how a register was read.
 */
class FakeI2C implements I2C {
	regs = new Uint8Array(256);
	writes: Array<[number, number]> = [];
	transactions: string[] = [];
	pointer = 0;
	failOn: number | undefined;
	closed = false;
	options: I2COptions | undefined;
	constructor() {
		this.regs[Reg.IC_TYPE] = CHIP_ID;
		this.regs[Reg.DCDC_ONOFF] = 0x01; // DCDC1 on from EFUSE (the ESP32's rail)
		this.regs[Reg.ADC_ENABLE] = 0x03; // DS REG 30 reset value: TS and VBAT channels on
		this.regs[Reg.GAUGE_CTRL] = 0x0a; // DS REG 18 reset: gauge and cell charge on
		this.regs[Reg.BAT_DETECT] = 0x01;
	}
	write(data: IOBuffer): void {
		this.transactions.push("write");
		this.#write(data);
	}
	read(count: number): ArrayBuffer {
		this.transactions.push("read");
		return this.regs.slice(this.pointer, this.pointer + count).buffer;
	}
	writeRead(data: IOBuffer, count: number): ArrayBuffer {
		this.transactions.push("writeRead");
		this.#write(data);
		return this.regs.slice(this.pointer, this.pointer + count).buffer;
	}
	#write(data: IOBuffer): void {
		const b = data instanceof Uint8Array ? data : new Uint8Array(data);
		if (this.failOn !== undefined && b[0] === this.failOn) throw new Error("NACK");
		this.pointer = b[0];
		for (let i = 1; i < b.length; i++) {
			this.regs[b[0] + i - 1] = b[i];
			this.writes.push([b[0] + i - 1, b[i]]);
		}
	}
	close(): void {
		this.closed = true;
	}
}

const Pmu = suite("Axp2101");

Pmu("voltage codes follow the datasheet tables, reserved values rejected", () => {
	assert.is(encodeVoltage("dcdc1", 3300), 0b10010);
	assert.is(encodeVoltage("dcdc3", 1200), 0b1000110);
	assert.is(encodeVoltage("dcdc3", 1220), 0b1000111);
	assert.is(encodeVoltage("dcdc3", 1540), 0b1010111);
	assert.is(encodeVoltage("dcdc3", 3000), 88 + 14);
	assert.is(encodeVoltage("dcdc4", 1840), 0b1100110);
	assert.is(encodeVoltage("dcdc5", 1200), 0b11001);
	assert.is(encodeVoltage("dcdc5", 3700), 0b10111);
	assert.is(encodeVoltage("aldo1", 3500), 0b11110);
	assert.is(encodeVoltage("bldo1", 3300), 28);
	assert.is(encodeVoltage("dcdc3", 1210), undefined, "1.2-1.54 V steps are 20 mV");
	assert.is(encodeVoltage("bldo2", 3600), undefined);
	assert.is(encodeVoltage("dcdc1", 1400), undefined);
	assert.is(decodeVoltage("dcdc3", 0b1011000), 1600);
	assert.is(decodeVoltage("aldo1", 0b11111), undefined, "11111 reserved");
	for (const rail of ["dcdc2", "dcdc3", "dcdc4", "aldo3", "cpusldo", "dldo2"] as const)
		for (let code = 0; code < 128; code++) {
			const mv = decodeVoltage(rail, code);
			if (mv !== undefined) assert.is(encodeVoltage(rail, mv), code, rail + " " + code);
		}
});

Pmu("modem rails on: DC3 3.0 V, BLDO1 3.3 V, BLDO2 3.3 V, voltage before enable, other bits kept", () => {
	const i2c = new FakeI2C();
	i2c.regs[0x84] = 0x80; // DCDC3 DVM enable (DS REG 84 bit 7) must survive
	const pmu = new Axp2101({ i2c });
	assert.equal(i2c.writes, [], "measurement enables already on: nothing written");
	const rails = pmu.modemRails();
	assert.equal(rails.on(), { ok: true, value: undefined });
	assert.equal(i2c.writes, [
		[0x84, 0x80 | 102], // DS REG 84 DCDC3 voltage
		[0x80, 0x05],       // DS REG 80 bit 2 DCDC3 enable (bit 0 DCDC1 kept)
		[0x96, 28],         // DS REG 96 BLDO1 3.3 V
		[0x90, 0x10],       // DS REG 90 bit 4 BLDO1 enable
		[0x97, 28],         // DS REG 97 BLDO2 3.3 V
		[0x90, 0x30],       // DS REG 90 bit 5 BLDO2 enable
	]);
	i2c.writes = [];
	assert.equal(rails.off(), { ok: true, value: undefined });
	assert.equal(i2c.writes, [[0x90, 0x10], [0x90, 0x00], [0x80, 0x01]], "reverse order, voltages untouched");
	assert.equal(pmu.railEnabled("dcdc3"), { ok: true, value: false });
	assert.equal(pmu.railVoltage("dcdc3"), { ok: true, value: 3000 });
});

Pmu("generic rails: DCDC5 and DLDO2 (second LDO register)", () => {
	const i2c = new FakeI2C();
	const pmu = new Axp2101({ i2c });
	assert.ok(pmu.railOn("dcdc5", 1200).ok);
	assert.ok(pmu.railOn("dldo2", 3400).ok);
	assert.equal(i2c.writes, [[0x86, 0x19], [0x80, 0x11], [0x9a, 29], [0x91, 0x01]]);
	assert.equal(pmu.railOn("aldo1", 3550), { ok: false, error: { kind: "range", detail: "aldo1 3550 mV" } });
});

Pmu("battery: voltage from REG 34/35 in mV, percentage, charge state and direction", () => {
	const i2c = new FakeI2C();
	const pmu = new Axp2101({ i2c });
	i2c.regs[Reg.STATUS1] = 0x28; // VBUS good, battery present
	i2c.regs[Reg.STATUS2] = 0x22; // 01 charging, 010 constant current
	i2c.regs[Reg.VBAT_H] = 0x10;
	i2c.regs[Reg.VBAT_L] = 0x68; // 0x1068 = 4200 mV
	i2c.regs[Reg.BAT_PERCENT] = 87;
	assert.equal(pmu.battery(), {
		ok: true,
		value: { present: true, charge: "constantCurrent", direction: "charging", vbusGood: true, millivolts: 4200, percent: 87 },
	});
	i2c.regs[Reg.STATUS1] = 0x00;
	i2c.regs[Reg.STATUS2] = 0x05; // standby, not charging
	assert.equal(pmu.battery(), { ok: true, value: { present: false, charge: "notCharging", direction: "standby", vbusGood: false } });
	i2c.regs[Reg.STATUS1] = 0x08;
	i2c.regs[Reg.STATUS2] = 0x44; // discharging, charge done
	i2c.regs[Reg.BAT_PERCENT] = 0xff; // gauge not ready: no percentage
	const r = pmu.battery();
	assert.ok(r.ok && r.value.percent === undefined && r.value.direction === "discharging" && r.value.charge === "done");
});

Pmu("measurement enables switched off by an earlier owner are switched back on", () => {
	const i2c = new FakeI2C();
	i2c.regs[Reg.ADC_ENABLE] = 0x02;
	i2c.regs[Reg.GAUGE_CTRL] = 0x02;
	i2c.regs[Reg.BAT_DETECT] = 0x00;
	new Axp2101({ i2c });
	assert.equal(i2c.writes, [[0x30, 0x03], [0x18, 0x0a], [0x68, 0x01]]);
});

Pmu("batteryNtc false: TS pin becomes a fixed input that does not gate charging, TS measurement off", () => {
	const i2c = new FakeI2C();
	i2c.regs[Reg.TS_CTRL] = 0x06; // EFUSE: TS is the battery NTC (bit 4 = 0), source on with the ADC, 50 uA
	new Axp2101({ i2c, batteryNtc: false });
	assert.equal(i2c.writes, [[0x50, 0x10], [0x30, 0x01]]);
	const keep = new FakeI2C();
	keep.regs[Reg.TS_CTRL] = 0x06;
	new Axp2101({ i2c: keep });
	assert.equal(keep.writes, [], "omitted: TS left alone");
});

Pmu("register reads are one writeRead (repeated start), never a write followed by a separate read", () => {
	const i2c = new FakeI2C();
	const pmu = new Axp2101({ i2c });
	// The constructor reads DS REG 03 (chip id) and the measurement enables, all already on: reads only.
	assert.ok(i2c.transactions.length >= 2);
	assert.ok(i2c.transactions.every((t) => t === "writeRead"), i2c.transactions.join(","));
	i2c.transactions = [];
	i2c.regs[Reg.BAT_PERCENT] = 57;
	pmu.battery();
	assert.ok(i2c.transactions.length > 0);
	assert.ok(i2c.transactions.every((t) => t === "writeRead"), i2c.transactions.join(","));
});

Pmu("I2C failures travel as results, also through the modem rails adapter", () => {
	const i2c = new FakeI2C();
	const pmu = new Axp2101({ i2c });
	i2c.failOn = 0x84;
	assert.equal(pmu.railOn("dcdc3", 3000), { ok: false, error: { kind: "i2c", register: 0x84 } });
	assert.equal(pmu.modemRails().on(), { ok: false, error: { kind: "error", step: "pmu i2c 0x84" } });
});

Pmu("constructor: builds its I2C from the class at 0x34, rejects another chip, close() releases", () => {
	const fake = new FakeI2C();
	class Io {
		constructor(options: I2COptions) {
			fake.options = options;
			return fake as unknown as Io;
		}
	}
	const pmu = new Axp2101({ i2c: { io: Io as unknown as new (o: I2COptions) => I2C, data: 15, clock: 7 } });
	assert.equal(fake.options, { hz: 400_000, address: 0x34, data: 15, clock: 7 });
	pmu.close();
	assert.ok(fake.closed);
	const other = new FakeI2C();
	other.regs[Reg.IC_TYPE] = 0x47;
	assert.throws(() => new Axp2101({ i2c: other }), /AXP2101 not found/);
	assert.ok(other.closed);
	assert.throws(() => new Axp2101({} as never), /i2c/);
	assert.throws(() => pmu.modemRails([{ rail: "dcdc3", millivolts: 3010 }]), /invalid rail voltage/);
});

Pmu.run();
