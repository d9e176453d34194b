/**
 * X-Powers AXP2101 power-management IC over an ECMA-419 I2C passed in (CONVENTIONS.md 2).
 *
 * Registers from the X-Powers "AXP2101 Datasheet V1.4" section 6.13.2 (cited per register below as "DS REG xx"),
 * cross-checked with lewisxhe/XPowersLib src/REG/AXP2101Constants.h and src/XPowersAXP2101.hpp (the library the
 * LilyGO T-SIM7080G-S3 examples use). Where they differ the difference is noted.
 *
 * On the T-SIM7080G-S3 (shared/reference/boards.md): DC3 3.0 V feeds the SIM7080G, BLDO1 3.3 V the UART level
 * shifter, BLDO2 3.3 V the GNSS antenna; `modemRails()` returns that set as the Modem driver's `rails`.
 */
import type { I2C, I2CClass, I2COptions } from "drivers/io";
import type { ModemRails, ModemResult } from "drivers/modem/modem";

export type Rail =
	| "dcdc1" | "dcdc2" | "dcdc3" | "dcdc4" | "dcdc5"
	| "aldo1" | "aldo2" | "aldo3" | "aldo4"
	| "bldo1" | "bldo2"
	| "cpusldo" | "dldo1" | "dldo2";

/** DS REG 01 bits 2:0 charging status. */
export type ChargeState = "trickle" | "precharge" | "constantCurrent" | "constantVoltage" | "done" | "notCharging" | "unknown";

export type PmuError = { readonly kind: "i2c"; readonly register: number } | { readonly kind: "range"; readonly detail: string };
export type PmuResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: PmuError };

export interface BatteryStatus {
	/** DS REG 00 bit 3. */
	readonly present: boolean;
	/** DS REG 34/35, 1 mV per LSB (DS 6.10 table 6-5); undefined without a battery. */
	readonly millivolts?: number;
	/** DS REG A4, fuel gauge 0..100; undefined without a battery. */
	readonly percent?: number;
	readonly charge: ChargeState;
	/** DS REG 01 bits 6:5: current direction. */
	readonly direction: "standby" | "charging" | "discharging" | "unknown";
	/** DS REG 00 bit 5: VBUS (USB) good. */
	readonly vbusGood: boolean;
}

interface Segment {
	readonly min: number;
	readonly max: number;
	readonly step: number;
	readonly base: number;
}

interface RailSpec {
	/** On/off register and bit. */
	readonly enableReg: number;
	readonly enableBit: number;
	/** Voltage register, its field mask, and the code segments. */
	readonly voltReg: number;
	readonly mask: number;
	readonly segments: readonly Segment[];
}

const seg = (min: number, max: number, step: number, base: number): Segment => Object.freeze({ min, max, step, base });
const ldo = (voltReg: number, enableReg: number, enableBit: number, max = 3500): RailSpec =>
	Object.freeze({ enableReg, enableBit, voltReg, mask: 0x1f, segments: Object.freeze([seg(500, max, 100, 0)]) });

/** Register addresses (DS 6.13.1 register map; XPowersLib AXP2101Constants.h names in comments). */
export const Reg = Object.freeze({
	STATUS1: 0x00,        // XPOWERS_AXP2101_STATUS1, DS REG 00 "PMU status1"
	STATUS2: 0x01,        // XPOWERS_AXP2101_STATUS2, DS REG 01 "PMU status2"
	IC_TYPE: 0x03,        // XPOWERS_AXP2101_IC_TYPE, DS REG 03, reads 0x4A (XPOWERS_AXP2101_CHIP_ID)
	GAUGE_CTRL: 0x18,     // XPOWERS_AXP2101_CHARGE_GAUGE_WDT_CTRL, DS REG 18: bit 3 gauge enable
	ADC_ENABLE: 0x30,     // XPOWERS_AXP2101_ADC_CHANNEL_CTRL, DS REG 30: bit 0 VBAT channel
	VBAT_H: 0x34,         // XPOWERS_AXP2101_ADC_DATA_RELUST0, DS REG 34 vbat[13:8]
	VBAT_L: 0x35,         // XPOWERS_AXP2101_ADC_DATA_RELUST1, DS REG 35 vbat[7:0]
	TS_CTRL: 0x50,        // XPOWERS_AXP2101_TS_PIN_CTRL, DS REG 50 "TS pin CTRL"
	BAT_DETECT: 0x68,     // XPOWERS_AXP2101_BAT_DET_CTRL, DS REG 68: bit 0 battery detection
	DCDC_ONOFF: 0x80,     // XPOWERS_AXP2101_DC_ONOFF_DVM_CTRL, DS REG 80: bits 0-4 DCDC1-5 enable
	LDO_ONOFF0: 0x90,     // XPOWERS_AXP2101_LDO_ONOFF_CTRL0, DS REG 90: ALDO1-4, BLDO1-2, CPUSLDO, DLDO1
	LDO_ONOFF1: 0x91,     // XPOWERS_AXP2101_LDO_ONOFF_CTRL1, DS REG 91: bit 0 DLDO2
	BAT_PERCENT: 0xa4,    // XPOWERS_AXP2101_BAT_PERCENT_DATA, DS REG A4
});

export const CHIP_ID = 0x4a;

/**
 * Per-rail registers and voltage codes.
 * DCDC1 DS REG 82: 1.5-3.4 V, 100 mV/step. DCDC2 DS REG 83 and DCDC3 DS REG 84: 0.5-1.2 V 10 mV/step (codes
 * 0-70), 1.22-1.54 V 20 mV/step (71-87); DCDC3 also 1.6-3.4 V 100 mV/step from code 88 (XPowersLib
 * DCDC3_VOL3_*; the V1.4 datasheet table stops at 1.54 V, yet the board runs the modem from DC3 at 3.0 V).
 * DCDC4 DS REG 85: 0.5-1.2 V/10 mV, 1.22-1.84 V/20 mV. DCDC5 DS REG 86: 1.4-3.7 V 100 mV/step, code 11001 = 1.2 V.
 * ALDO1-4 DS REG 92-95, BLDO1-2 DS REG 96-97: 0.5-3.5 V 100 mV/step. CPUSLDO DS REG 98: 0.5-1.4 V 50 mV/step.
 * DLDO1-2 DS REG 99-9A: 0.5-3.4 V 100 mV/step.
 */
const RAILS: Readonly<Record<Rail, RailSpec>> = Object.freeze({
	dcdc1: Object.freeze({ enableReg: 0x80, enableBit: 0, voltReg: 0x82, mask: 0x1f, segments: Object.freeze([seg(1500, 3400, 100, 0)]) }),
	dcdc2: Object.freeze({ enableReg: 0x80, enableBit: 1, voltReg: 0x83, mask: 0x7f, segments: Object.freeze([seg(500, 1200, 10, 0), seg(1220, 1540, 20, 71)]) }),
	dcdc3: Object.freeze({ enableReg: 0x80, enableBit: 2, voltReg: 0x84, mask: 0x7f, segments: Object.freeze([seg(500, 1200, 10, 0), seg(1220, 1540, 20, 71), seg(1600, 3400, 100, 88)]) }),
	dcdc4: Object.freeze({ enableReg: 0x80, enableBit: 3, voltReg: 0x85, mask: 0x7f, segments: Object.freeze([seg(500, 1200, 10, 0), seg(1220, 1840, 20, 71)]) }),
	dcdc5: Object.freeze({ enableReg: 0x80, enableBit: 4, voltReg: 0x86, mask: 0x1f, segments: Object.freeze([seg(1200, 1200, 100, 0x19), seg(1400, 3700, 100, 0)]) }),
	aldo1: ldo(0x92, 0x90, 0),
	aldo2: ldo(0x93, 0x90, 1),
	aldo3: ldo(0x94, 0x90, 2),
	aldo4: ldo(0x95, 0x90, 3),
	bldo1: ldo(0x96, 0x90, 4),
	bldo2: ldo(0x97, 0x90, 5),
	cpusldo: Object.freeze({ enableReg: 0x90, enableBit: 6, voltReg: 0x98, mask: 0x1f, segments: Object.freeze([seg(500, 1400, 50, 0)]) }),
	dldo1: ldo(0x99, 0x90, 7, 3400),
	dldo2: ldo(0x9a, 0x91, 0, 3400),
});

const CHARGE: readonly ChargeState[] = Object.freeze([
	"trickle", "precharge", "constantCurrent", "constantVoltage", "done", "notCharging", "unknown", "unknown",
] as ChargeState[]);

/** Voltage code for `mv` on `rail`, or undefined if the rail cannot produce it exactly. */
export function encodeVoltage(rail: Rail, mv: number): number | undefined {
	const spec = RAILS[rail];
	if (!spec || !Number.isInteger(mv)) return undefined;
	for (const s of spec.segments)
		if (mv >= s.min && mv <= s.max && (mv - s.min) % s.step === 0) return s.base + (mv - s.min) / s.step;
	return undefined;
}

/** Millivolts for a voltage code on `rail`, or undefined for a reserved code. */
export function decodeVoltage(rail: Rail, code: number): number | undefined {
	const spec = RAILS[rail];
	if (!spec) return undefined;
	for (const s of spec.segments) {
		const last = s.base + (s.max - s.min) / s.step;
		if (code >= s.base && code <= last) return s.min + (code - s.base) * s.step;
	}
	return undefined;
}

export type Axp2101Options = {
	/** An open I2C instance at the PMU's address, or the ECMA-419 I2C class and its options. */
	readonly i2c: I2C | ({ readonly io: I2CClass } & Omit<I2COptions, "address" | "hz"> & { readonly address?: number; readonly hz?: number });
	/**
	 * Whether the TS pin carries a battery NTC. `false` (the T-SIM7080G-S3: no NTC fitted) makes TS an external
	 * fixed input that does not gate the charger and stops measuring it (DS REG 50 bit 4 = 1, bits 3:2 = 00
	 * current source off; DS REG 30 bit 1 = 0), as XPowersLib's disableTSPinMeasure() does and the LilyGO examples
	 * require ("TS Pin detection must be disable, otherwise it cannot be charged"). Omitted: left as it is.
	 */
	readonly batteryNtc?: boolean;
};

export default class Axp2101 {
	#i2c: I2C | undefined;

	constructor(options: Axp2101Options) {
		if (!options?.i2c) throw new TypeError("i2c required");
		const spec = options.i2c as { io?: I2CClass };
		if (typeof spec.io === "function") {
			const { io, ...rest } = options.i2c as { io: I2CClass } & Partial<I2COptions>;
			// AXP2101 7-bit address 0x34 (XPowersLib AXP2101_SLAVE_ADDRESS); fast mode 400 kHz (DS 6.12 TWSI).
			this.#i2c = new io({ hz: 400_000, address: 0x34, ...rest } as I2COptions);
		} else this.#i2c = options.i2c as I2C;
		const id = this.#read(Reg.IC_TYPE);
		if (!id.ok || id.value !== CHIP_ID) {
			this.close();
			throw new Error("AXP2101 not found");
		}
		// The battery ADC channel (DS REG 30 bit 0), the fuel gauge (DS REG 18 bit 3) and battery detection
		// (DS REG 68 bit 0) all default to on; make sure an earlier owner did not switch them off.
		this.#setBits(Reg.ADC_ENABLE, 0x01, 0x01);
		this.#setBits(Reg.GAUGE_CTRL, 0x08, 0x08);
		this.#setBits(Reg.BAT_DETECT, 0x01, 0x01);
		if (options.batteryNtc === false) {
			this.#setBits(Reg.TS_CTRL, 0x1f, 0x10);
			this.#setBits(Reg.ADC_ENABLE, 0x02, 0x00);
		}
	}

	/** Sets the rail's voltage (if given), then enables it. */
	railOn(rail: Rail, millivolts?: number): PmuResult<void> {
		const spec = RAILS[rail];
		if (!spec) return { ok: false, error: { kind: "range", detail: "rail" } };
		if (millivolts !== undefined) {
			const code = encodeVoltage(rail, millivolts);
			if (code === undefined) return { ok: false, error: { kind: "range", detail: `${rail} ${millivolts} mV` } };
			const v = this.#setBits(spec.voltReg, spec.mask, code);
			if (!v.ok) return v;
		}
		return this.#setBits(spec.enableReg, 1 << spec.enableBit, 1 << spec.enableBit);
	}

	railOff(rail: Rail): PmuResult<void> {
		const spec = RAILS[rail];
		if (!spec) return { ok: false, error: { kind: "range", detail: "rail" } };
		return this.#setBits(spec.enableReg, 1 << spec.enableBit, 0);
	}

	railEnabled(rail: Rail): PmuResult<boolean> {
		const spec = RAILS[rail];
		if (!spec) return { ok: false, error: { kind: "range", detail: "rail" } };
		const r = this.#read(spec.enableReg);
		return r.ok ? { ok: true, value: (r.value & (1 << spec.enableBit)) !== 0 } : r;
	}

	railVoltage(rail: Rail): PmuResult<number> {
		const spec = RAILS[rail];
		if (!spec) return { ok: false, error: { kind: "range", detail: "rail" } };
		const r = this.#read(spec.voltReg);
		if (!r.ok) return r;
		const mv = decodeVoltage(rail, r.value & spec.mask);
		return mv === undefined ? { ok: false, error: { kind: "range", detail: "reserved code" } } : { ok: true, value: mv };
	}

	/** Battery presence, voltage, percentage, charge state and direction, VBUS. */
	battery(): PmuResult<BatteryStatus> {
		const s1 = this.#read(Reg.STATUS1);
		if (!s1.ok) return s1;
		const s2 = this.#read(Reg.STATUS2);
		if (!s2.ok) return s2;
		const present = (s1.value & 0x08) !== 0;
		const dir = (s2.value >> 5) & 0x03;
		const status: { present: boolean; millivolts?: number; percent?: number; charge: ChargeState; direction: BatteryStatus["direction"]; vbusGood: boolean } = {
			present,
			charge: CHARGE[s2.value & 0x07],
			direction: dir === 0 ? "standby" : dir === 1 ? "charging" : dir === 2 ? "discharging" : "unknown",
			vbusGood: (s1.value & 0x20) !== 0,
		};
		if (present) {
			// DS 6.10: read the high bits first, then the low byte.
			const h = this.#read(Reg.VBAT_H);
			if (!h.ok) return h;
			const l = this.#read(Reg.VBAT_L);
			if (!l.ok) return l;
			status.millivolts = ((h.value & 0x3f) << 8) | l.value;
			const p = this.#read(Reg.BAT_PERCENT);
			if (!p.ok) return p;
			if (p.value <= 100) status.percent = p.value;
		}
		return { ok: true, value: status };
	}

	/**
	 * The Modem driver's `rails`: on() enables each rail in order with its voltage, off() disables them in reverse.
	 * Default: the T-SIM7080G-S3 set (DC3 3.0 V modem, BLDO1 3.3 V level shifter, BLDO2 3.3 V GNSS antenna).
	 */
	modemRails(
		set: readonly { readonly rail: Rail; readonly millivolts: number }[] = [
			{ rail: "dcdc3", millivolts: 3000 },
			{ rail: "bldo1", millivolts: 3300 },
			{ rail: "bldo2", millivolts: 3300 },
		],
	): ModemRails {
		for (const r of set) if (encodeVoltage(r.rail, r.millivolts) === undefined) throw new RangeError("invalid rail voltage");
		const toModem = (r: PmuResult<void>): ModemResult<void> =>
			r.ok ? { ok: true, value: undefined } : { ok: false, error: { kind: "error", step: "pmu " + (r.error.kind === "i2c" ? "i2c 0x" + r.error.register.toString(16) : r.error.detail) } };
		return {
			on: () => {
				for (const r of set) {
					const result = this.railOn(r.rail, r.millivolts);
					if (!result.ok) return toModem(result);
				}
				return { ok: true, value: undefined };
			},
			off: () => {
				let first: PmuResult<void> = { ok: true, value: undefined };
				for (let i = set.length - 1; i >= 0; i--) {
					const result = this.railOff(set[i].rail);
					if (!result.ok && first.ok) first = result;
				}
				return toModem(first);
			},
		};
	}

	close(): void {
		this.#i2c?.close();
		this.#i2c = undefined;
	}

	#read(register: number): PmuResult<number> {
		const i2c = this.#i2c;
		if (!i2c) return { ok: false, error: { kind: "i2c", register } };
		try {
			// Register read: register address, repeated start, one byte (DS 6.12 TWSI read timing). Moddable's ESP32
			// I2C has no stop-less write (modules/io/i2c/_i2c.js passes no `stop` on); writeRead is its
			// i2c_master_transmit_receive (modules/io/i2c/esp32/_i2c.c _xs_i2c_writeRead).
			const data = new Uint8Array(i2c.writeRead(Uint8Array.of(register), 1));
			if (data.length !== 1) return { ok: false, error: { kind: "i2c", register } };
			return { ok: true, value: data[0] };
		} catch {
			return { ok: false, error: { kind: "i2c", register } };
		}
	}

	#write(register: number, value: number): PmuResult<void> {
		const i2c = this.#i2c;
		if (!i2c) return { ok: false, error: { kind: "i2c", register } };
		try {
			i2c.write(Uint8Array.of(register, value & 0xff));
			return { ok: true, value: undefined };
		} catch {
			return { ok: false, error: { kind: "i2c", register } };
		}
	}

	/** Read-modify-write: only the `mask` bits change, the rest (DVM enables, reserved bits) are kept. */
	#setBits(register: number, mask: number, value: number): PmuResult<void> {
		const r = this.#read(register);
		if (!r.ok) return r;
		const next = (r.value & ~mask) | (value & mask);
		if (next === r.value) return { ok: true, value: undefined };
		return this.#write(register, next);
	}
}
