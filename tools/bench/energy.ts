/**
 * Energy model of the bench: time in each power state (from a World run, tools/bench/worldRuns.ts) times the
 * current drawn in that state, cited below. Pure arithmetic; unit tested.
 *
 * Board: LilyGO T-SIM7080G-S3 (ESP32-S3 + SIM7080G + AXP2101 PMU). The modem's figures are at VBAT (3.8 V), the
 * ESP32-S3's at 3.3 V; the model adds the MCU's current to the modem's (no regulator efficiency: the PMU's DC-DC
 * conversion is not modelled), and uses the whole-board measurement while dormant (rails off). The MCU is billed
 * awake or in light sleep from the firmware's own lock timeline (World.mcuMayLightSleep), never by assumption.
 */

export type PowerState =
	| "deepSleep"          // ESP32-S3 in deep sleep, modem rails off: the whole dormant board
	| "mcuActive"          // ESP32-S3 awake (RF off: no Wi-Fi/BLE), in addition to the modem's state
	| "mcuLightSleep"      // ESP32-S3 in automatic light sleep between modem operations (hal/power LightSleep)
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
	/** How far the figure can be trusted here; "STAND-IN" when it is not the SIM7080G's or ESP32-S3's own figure. */
	readonly note: string;
}

/**
 * The model's inputs, one table (docs/benchmarks.md §5 prints it). Sources:
 *  - [S3] Espressif, ESP32-S3 Series Datasheet v2.2, §5.6.2 "Current Consumption in Other Modes": Table 5-9
 *    "Current Consumption in Modem-sleep Mode" (3.3 V, 25 °C; Typ1 all peripheral clocks disabled, Typ2 all
 *    enabled) and Table 5-10 "Current Consumption in Low-Power Modes".
 *  - [7000] SIMCom, SIM7000 Series Hardware Design V1.09 (2021-04-19), §5.4 Table 34 "Current consumption on VBAT
 *    Pins (VBAT=3.8V)". The predecessor on the same platform class: STAND-IN rows.
 *  - [7080] SIMCom, SIM7080G Hardware Design V1.05 (2023-06-14): Table 3 (p. 12), Table 36 (p. 59) and Table 37
 *    (pp. 60-61), as quoted with table and page in a SIM7080G integration thesis (GitHub corpus, "Cat-M1/NB-IoT
 *    cellulárismodem-alrendszer integrálása", §3 and §5.2): sleep 1.2 mA, PSM 3 µA, Cat-M1 TX 91-164 mA depending
 *    on the band. The HD itself could not be retrieved here, and neither could its idle, GNSS or per-power-level
 *    rows: GNSS and RRC-connected stay [7000] stand-ins, idle comes from [7080S].
 *  - [7080S] SIMCom, SIM7080 Series Specification ("V: 2020.03", file SIM7080_Series_SPEC_20200427.pdf in
 *    Xinyuan-LilyGO/LilyGo-T-SIM7080G datasheet/, the board vendor's copy; text read from the PDF), page 2,
 *    "Electrical Features" / "Power Consumption", same figures for the SIM7080G and SIM7080G-M: PSM 3.2 µA,
 *    Sleep 0.6 mA, Idle 10 mA. SIMCom's own SIM7080G figures, but a product sheet's: no DRX cycle, band or VBAT
 *    stated. LilyGO's maintainer confirms these come from SIMCom's SIM7080 page (LilyGo-T-SIM7080G issue #117).
 *    The Hardware Design's current table (its Chinese V1.04, datasheet/SIM7080G_硬件设计手册_V1.04.pdf in the same
 *    repository, is listed but its blob is not in the stored snapshot) was not retrieved.
 *  - [7080LP] SIMCom, SIM7070_SIM7080_SIM7090 Series Low Power Mode Application Note V1.02 (2020.7.8), in the same
 *    datasheet/ directory (text read from the PDF), §3 "PSM Mode": "the current of SIM7080 is about 3.5 µA". Its
 *    sleep, DRX and eDRX sections give no current; neither do the GNSS or CTBURST application notes nor the
 *    SIM7080G & SIM7020X / SIM7080G & SIM800C Compatible Design V1.00 documents there (VBAT peak 500 mA only).
 *    The Hardware Design's current table was searched for again (2026-12): no copy of any SIM7080G HD version
 *    (V1.02-V1.06, English or Chinese) is in the stored repositories, pages, docs or issues, and no text extraction
 *    of it; what exists is second-hand (the thesis above, PWRKEY timings). The table stays out of reach.
 *  - The LilyGO T-SIM7080G-S3 deep-sleep example (shared/reference/boards.md): whole board, 128 µA.
 * The BG95 runs use the same table (no Quectel figure is in it yet): their modem rows are stand-ins too.
 */
export const currents: readonly CurrentFigure[] = Object.freeze([
	{ state: "deepSleep", mA: 0.128, source: "LilyGO T-SIM7080G-S3 deep-sleep example, whole board (shared/reference/boards.md)", note: "board measurement (PMU, rails); the ESP32-S3 itself draws 0.008 mA ([S3] Table 5-10, Deep-sleep, RTC memory and peripherals on)" },
	{ state: "mcuLightSleep", mA: 0.24, source: "[S3] Table 5-10: Light-sleep, VDD_SPI and Wi-Fi powered down, all GPIOs high-impedance, 240 µA typ", note: "chip figure; Table 5-10 note 1: add the PSRAM's draw for chips with in-package PSRAM (e.g. 140 µA for 8 MB octal PSRAM at 3.3 V): 0.14 mA x 600 s = 0.02 mAh per event if this board's chip has it" },
	{ state: "mcuActive", mA: 47.6, source: "[S3] Table 5-9: Modem-sleep (RF off), 240 MHz, WAITI (dual core idle), all peripheral clocks enabled (Typ2), 47.6 mA", note: "the chip waiting on the modem with a light-sleep lock held; XS running on one core draws up to 65.9 mA (same table), DFS down to 80 MHz would draw 36.1" },
	{ state: "modemOff", mA: 0.007, source: "SIM7000 power off 7 µA (botletics SIM7000 shield wiki, \"Current Consumption\", from the SIM7000 hardware design)", note: "STAND-IN: no SIM7080G power-off figure found" },
	{ state: "modemBooting", mA: 10, source: "[7080S] Power Consumption: Idle 10 mA, taken for the boot", note: "assumption: no boot figure in any document found" },
	{ state: "modemIdle", mA: 10, source: "[7080S] Power Consumption: Idle 10 mA (SIM7080G)", note: "SIM7080G figure from SIMCom's product specification, not the HD table (conditions not stated; SIM7000 HD V1.09 Table 34: 11 mA). Its sleep mode (AT+CSCLK=1 with DTR high) is 0.6 mA [7080S] / 1.2 mA [7080 Table 3 quote], unused here" },
	{ state: "lteConnected", mA: 110, source: "[7000] Table 34: LTE Cat-M, LTE-FDD B20 (the emulated cell's band) @10 dBm 110 mA typ", note: "STAND-IN, inside the SIM7080G's 91-164 mA Cat-M1 TX range [7080 Table 37]; billed for all RRC-connected time (conservative: receive and the inactivity tail draw less)" },
	{ state: "lteTx", mA: 164, source: "[7080] Table 37: Cat-M1 TX 91-164 mA typ depending on the band; the highest", note: "SIM7080G figure (quoted, not read in the HD); SIM7000 B20 @23 dBm is 167 mA ([7000] Table 34)" },
	{ state: "gnssAcquiring", mA: 30, source: "[7000] Table 34: GNSS supply current (AT+CFUN=0, no USB), tracking 30 mA typ", note: "STAND-IN: no SIM7080G GNSS figure found" },
	{ state: "psm", mA: 0.0032, source: "[7080S] Power Consumption: PSM 3.2 µA ([7080LP] §3: about 3.5 µA; [7080] Table 3 / Table 36 as quoted: 3 µA; SIM7000: 9 µA, [7000] Table 34)", note: "SIM7080G figure; not used: the firmware powers the modem off between events" },
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
 * The chip's charge had it stayed awake: light-sleep time billed as awake time. Reported beside the firmware's
 * figure to show what light sleep saves.
 */
export function withoutLightSleep(durationsMs: StateDurations): StateDurations {
	const { mcuLightSleep = 0, ...rest } = durationsMs;
	return { ...rest, mcuActive: (rest.mcuActive ?? 0) + mcuLightSleep };
}

/**
 * Wakes out of light sleep that the lock timeline does not show as awake time: each modem line arriving while the
 * chip may light-sleep (a URC between operations wakes it through the UART) and each start of a hold (a timer or
 * the button woke the chip, which then starts a modem operation). Each costs `guardMs` awake (wake-up, parsing,
 * the next decision), moved from light sleep to active by `withWakes`. `changes` are the times the chip's
 * light-sleep permission changed (World.lightSleepChanges), `lines` the modem's lines (`<-`) with their times.
 */
export function lightSleepWakes(changes: ReadonlyArray<{ readonly at: number; readonly allowed: boolean }>, lines: readonly number[]): number {
	let wakes = 0;
	let allowed = false;
	let i = 0;
	const sorted = [...lines].sort((a, b) => a - b);
	for (const c of changes) {
		// Lines up to this change's instant happened under the previous permission (an operation's last reply lands
		// before its hold is released in the same instant).
		while (i < sorted.length && sorted[i]! <= c.at) { if (allowed) wakes++; i++; }
		if (allowed && !c.allowed) wakes++;
		allowed = c.allowed;
	}
	for (; i < sorted.length; i++) if (allowed) wakes++;
	return wakes;
}

/** Moves `wakes` x `guardMs` from mcuLightSleep to mcuActive (never more than the light-sleep time there is). */
export function withWakes(durationsMs: StateDurations, wakes: number, guardMs = 20): StateDurations {
	const sleep = durationsMs.mcuLightSleep ?? 0;
	const moved = Math.min(sleep, Math.max(0, wakes) * guardMs);
	return { ...durationsMs, mcuActive: (durationsMs.mcuActive ?? 0) + moved, mcuLightSleep: sleep - moved };
}

/** What the World exposes at one instant, for classifying a step of simulated time. */
export interface Observed {
	readonly asleep: boolean;
	/** The firmware's chip may light-sleep (World.mcuMayLightSleep: enabled, no modem operation holding it). */
	readonly mcuMayLightSleep: boolean;
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
	add(o.asleep ? "deepSleep" : o.mcuMayLightSleep ? "mcuLightSleep" : "mcuActive", stepMs);
	if (o.modemPower === "off") { if (!o.asleep) add("modemOff", stepMs); return; }
	if (o.modemPower === "booting") { add("modemBooting", stepMs); return; }
	const busy = Math.min(stepMs, Math.max(0, o.radioBusyUntil - now));
	add("lteConnected", busy);
	add(o.gnssOn ? "gnssAcquiring" : "modemIdle", stepMs - busy);
}
