/**
 * Energy model of the bench: time in each power state (from a World run, tools/bench/worldRuns.ts) times the
 * current drawn in that state, cited below. Pure arithmetic; unit tested.
 *
 * Board: LilyGO T-SIM7080G-S3 (ESP32-S3 + SIM7080G + AXP2101 PMU), battery side (VBAT ≈ 3.8 V). Currents are
 * battery-side figures where the source gives them; the model adds the MCU's current to the modem's while the MCU
 * is awake, and uses the whole-board measurement while dormant (rails off, so the modem draws nothing then).
 */

export type PowerState =
	| "deepSleep"          // ESP32-S3 in deep sleep, modem rails off: the whole dormant board
	| "mcuActive"          // ESP32-S3 running (RF off: no Wi-Fi/BLE), in addition to the modem's state
	| "mcuLightSleep"      // ESP32-S3 in light sleep between modem exchanges (the light-sleep model only)
	| "modemOff"           // modem powered down while the MCU runs (AT+CPOWD / PWRKEY off)
	| "modemBooting"       // PWRKEY released to the boot markers
	| "modemIdle"          // on, registered (or not yet searching), RRC idle: paging/DRX only
	| "lteConnected"       // RRC connected: attach, PDP, TLS, send/receive and the RRC inactivity tail
	| "lteTx"              // transmitting at high power, carved out of lteConnected by the bytes sent
	| "gnssAcquiring"      // GNSS engine on (acquiring or tracking) with LTE idle
	| "psm";               // 3GPP power saving mode (the firmware powers the modem off instead: always 0 s)

export interface CurrentFigure {
	readonly state: PowerState;
	/** Milliamps. */
	readonly mA: number;
	readonly source: string;
	/** How far the figure can be trusted here. */
	readonly note: string;
}

/**
 * The current table. Sources, in order of trust:
 *  - shared/reference/boards.md: LilyGO's own deep-sleep example on this board, about 128 µA whole board.
 *  - Espressif ESP32-S3 datasheet, "Current consumption in low-power modes" (Deep-sleep, RTC memory and RTC
 *    peripherals powered: 8 µA; RTC timer only: 7 µA) — used only to show the board figure is dominated by the
 *    PMU and rails, not the chip.
 *  - ESP32-S3 active with RF off: 31.7 mA measured at 3.3 V on an ESP32-S3-DevKitM-1 (lucidar.me, "Power
 *    consumption of ESP32-S3-DevKitM-1"), the chip idling in FreeRTOS at the default clock. XS busy at 240 MHz
 *    draws more; the datasheet's Modem-sleep table (dual core, 240 MHz) is the figure to put here when checked.
 *  - Modem: SIMCom's hardware design table for the SIM7000 family (power off 7 µA, PSM 9 µA, idle on LTE 11 mA,
 *    GNSS active 30 mA, LTE data 109 mA at 10 dBm / 167 mA at 23 dBm), as quoted in botletics' SIM7000 shield wiki
 *    ("Current Consumption", theoretical values from the hardware design document). The SIM7080G Hardware
 *    Design's own table (V1.04/1.05 §"Current consumption") was not reachable from this environment: these are the
 *    predecessor's figures, of the same order (SIM7080G is the SIM7000's Cat-M/NB successor on the same
 *    platform class), and are marked as stand-ins until replaced. The BG95 runs use the same table.
 */
export const currents: readonly CurrentFigure[] = Object.freeze([
	{ state: "deepSleep", mA: 0.128, source: "LilyGO T-SIM7080G-S3 deep-sleep example, whole board (shared/reference/boards.md)", note: "board measurement; the ESP32-S3 itself is 0.008 mA (datasheet, Deep-sleep with RTC memory)" },
	{ state: "mcuLightSleep", mA: 0.24, source: "Espressif ESP32-S3 Series Datasheet, table \"Current Consumption in Low-Power Modes\": Light-sleep 240 µA (same table as the 8 µA Deep-sleep figure above)", note: "chip figure, typical, 3.3 V, 25 °C; the value was taken from that table as remembered, the datasheet itself was not reachable through this environment's search: re-check" },
	{ state: "mcuActive", mA: 31.7, source: "ESP32-S3-DevKitM-1 measured awake, 3.3 V (lucidar.me)", note: "measured on a devkit, RF off; XS at 240 MHz draws more" },
	{ state: "modemOff", mA: 0.007, source: "SIMCom SIM7000 Hardware Design: power off 7 µA (via botletics wiki)", note: "SIM7000 stand-in for SIM7080G" },
	{ state: "modemBooting", mA: 11, source: "assumed equal to idle on LTE (SIM7000 HD 11 mA)", note: "assumption: no boot figure in the source" },
	{ state: "modemIdle", mA: 11, source: "SIMCom SIM7000 Hardware Design: idle on LTE 11 mA (via botletics wiki)", note: "SIM7000 stand-in for SIM7080G" },
	{ state: "lteConnected", mA: 109, source: "SIMCom SIM7000 Hardware Design: LTE data at 10 dBm 109 mA (via botletics wiki)", note: "SIM7000 stand-in; used for all RRC-connected time (conservative)" },
	{ state: "lteTx", mA: 167, source: "SIMCom SIM7000 Hardware Design: LTE data at 23 dBm 167 mA (via botletics wiki)", note: "SIM7000 stand-in; worst-case TX power" },
	{ state: "gnssAcquiring", mA: 30, source: "SIMCom SIM7000 Hardware Design: GNSS active 30 mA (via botletics wiki)", note: "SIM7000 stand-in for SIM7080G" },
	{ state: "psm", mA: 0.009, source: "SIMCom SIM7000 Hardware Design: PSM 9 µA (via botletics wiki)", note: "not used: the firmware powers the modem off" },
]);

/** Effective LTE-M uplink rate for the TX-airtime estimate: 300 kbit/s, under Cat-M1's 1 Mbit/s peak (HD-FDD). */
export const lteTxBitsPerSecond = 300_000;

export type StateDurations = Partial<Record<PowerState, number>>;

export interface EnergyEstimate {
	/** ms per state (after carving TX airtime out of lteConnected). */
	durationsMs: StateDurations;
	/** mAh per state and in all. */
	mAhByState: Partial<Record<PowerState, number>>;
	mAh: number;
}

/**
 * mAh = Σ mA × hours. TX airtime (bytes sent × 8 / lteTxBitsPerSecond) moves from lteConnected to lteTx, never more
 * than the connected time there is.
 */
export function energy(durationsMs: StateDurations, wireBytesSent: number, table: readonly CurrentFigure[] = currents): EnergyEstimate {
	const d: StateDurations = { ...durationsMs };
	const connected = d.lteConnected ?? 0;
	const tx = Math.min(connected, (wireBytesSent * 8 * 1000) / lteTxBitsPerSecond);
	if (tx > 0) {
		d.lteConnected = connected - tx;
		d.lteTx = (d.lteTx ?? 0) + tx;
	}
	const byState: Partial<Record<PowerState, number>> = {};
	let total = 0;
	for (const [state, ms] of Object.entries(d) as Array<[PowerState, number]>) {
		const figure = table.find((f) => f.state === state);
		if (!figure) throw new Error(`no current figure for ${state}`);
		const mAh = (figure.mA * ms) / 3_600_000;
		byState[state] = mAh;
		total += mAh;
	}
	return { durationsMs: d, mAhByState: byState, mAh: total };
}

export interface BatteryAssumption {
	/** Nominal capacity, mAh. */
	readonly capacityMah: number;
	/** Fraction usable before the PMU cuts off (age, temperature, cut-off voltage). */
	readonly usable: number;
	readonly description: string;
}

export const typicalBattery: BatteryAssumption = Object.freeze({
	capacityMah: 3000,
	usable: 0.8,
	description: "one 18650 Li-ion cell in the board's holder, 3000 mAh nominal, 80 % usable",
});

export interface BatteryImpact {
	/** Days of dormancy on a full battery at the deep-sleep current. */
	dormantDays: number;
	/** Days of dormancy one event costs. */
	daysPerEvent: number;
	/** Events a full battery holds if it did nothing else. */
	eventsPerCharge: number;
}

export function batteryImpact(mAhPerEvent: number, battery: BatteryAssumption = typicalBattery, table: readonly CurrentFigure[] = currents): BatteryImpact {
	const sleep = table.find((f) => f.state === "deepSleep");
	if (!sleep) throw new Error("no deepSleep figure");
	const usable = battery.capacityMah * battery.usable;
	const perDay = sleep.mA * 24;
	return { dormantDays: usable / perDay, daysPerEvent: mAhPerEvent / perDay, eventsPerCharge: usable / mAhPerEvent };
}

/**
 * The light-sleep model: the MCU is awake only while it talks to the modem (`busyMs`: each AT command from its
 * first byte to the modem's next line, each modem line, plus a guard for parsing and the next decision) and in light
 * sleep for the rest of the time it was awake, instead of idling awake through timer waits (GNSS poll intervals,
 * the waits between windows, RRC tails). ESP-IDF's automatic light sleep (esp_pm_configure with light_sleep_enable,
 * tickless idle) gives that; the firmware does not enable it yet, so this is a model, reported beside the as-is
 * figure, never instead of it.
 */
export function withLightSleep(durationsMs: StateDurations, busyMs: number): StateDurations {
	const awake = durationsMs.mcuActive ?? 0;
	const busy = Math.min(awake, Math.max(0, busyMs));
	return { ...durationsMs, mcuActive: busy, mcuLightSleep: (durationsMs.mcuLightSleep ?? 0) + awake - busy };
}

/**
 * Milliseconds the MCU must be awake for the AT traffic in `entries` (time-ordered `->` commands and `<-` lines):
 * the union of [command, next modem line + guardMs] and [modem line, line + guardMs]. Pure; unit tested.
 */
export function modemBusyMs(entries: ReadonlyArray<{ readonly t: number; readonly dir: string }>, guardMs = 20): number {
	const spans: Array<[number, number]> = [];
	for (let i = 0; i < entries.length; i++) {
		const e = entries[i]!;
		if (e.dir === "<-") spans.push([e.t, e.t + guardMs]);
		else if (e.dir === "->") {
			let j = i + 1;
			while (j < entries.length && entries[j]!.dir !== "<-") j++;
			spans.push([e.t, (j < entries.length ? entries[j]!.t : e.t) + guardMs]);
		}
	}
	spans.sort((a, b) => a[0] - b[0]);
	let total = 0, start = -Infinity, end = -Infinity;
	for (const [a, b] of spans) {
		if (a > end) { if (end > start) total += end - start; start = a; end = b; }
		else if (b > end) end = b;
	}
	if (end > start) total += end - start;
	return total;
}

/** What the World exposes at one instant, for classifying a step of simulated time. */
export interface Observed {
	readonly asleep: boolean;
	readonly modemPower: "off" | "booting" | "on";
	readonly gnssOn: boolean;
	/** Clock time until which LTE holds the radio. */
	readonly radioBusyUntil: number;
}

/**
 * Adds a step [now, now + stepMs) to `acc`. The state is constant over a step (it only changes at timer deadlines)
 * except the radio's busy deadline, which may fall inside it.
 */
export function accumulate(acc: StateDurations, o: Observed, now: number, stepMs: number): void {
	if (stepMs <= 0) return;
	const add = (s: PowerState, ms: number) => { if (ms > 0) acc[s] = (acc[s] ?? 0) + ms; };
	// Dormant: the board figure covers the rails-off modem. (A modem left on during deep sleep is added on top.)
	add(o.asleep ? "deepSleep" : "mcuActive", stepMs);
	if (o.modemPower === "off") { if (!o.asleep) add("modemOff", stepMs); return; }
	if (o.modemPower === "booting") { add("modemBooting", stepMs); return; }
	const busy = Math.min(stepMs, Math.max(0, o.radioBusyUntil - now));
	add("lteConnected", busy);
	add(o.gnssOn ? "gnssAcquiring" : "modemIdle", stepMs - busy);
}
