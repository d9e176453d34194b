/**
 * Named latency profiles for the modem emulator. Every figure is simulated milliseconds.
 *
 * Sources (shared/reference/modem-at.md, "Typical physics"): LTE-M attach 2.6–3.7 s at best when re-attaching to a
 * known cell, tens of seconds to minutes in poor coverage; GNSS time to first fix hot 1–22 s, warm up to 45 s,
 * cold 35 s to 4 min. AT answers about 4 s after the PWRKEY pulse, `SMS Ready` within 30 s (same file, SIM7080G
 * section; no document named there): `bootMs` of every profile but the good one, whose boot comes from each module's
 * hardware design (SIM7080G_GOOD_BOOT_MS, BG95_GOOD_BOOT_MS).
 * PDP activation "allow 60 s" (SIM7080 AT+CNACT) and 150 s (BG95 AT+QIACT) are the manuals' maximum response
 * times, not typical values: the profiles stay well inside them.
 *
 * What a search for measurements found (session 6; none is a BG95 or SIM7080G measurement, so no figure changed):
 * - attach: a Nordic engineer, nRF9160 on Cat-M1, "< 5 seconds from AT+CFUN=1" for an initial connect (Nordic
 *   DevZone thread 57105); a u-blox SARA-R410M re-attach on the same cell, AT+CGATT=1 OK after 0.87 s and
 *   `+CEREG: 1` logged within 2.89 s (particle-iot/device-os PR 2571, timestamped log). The good profile's 3 s is
 *   consistent with both.
 * - PDP after registration: SIM7080G "AT+cnact=0,1 does this immediately" on an attached module (TinyGSM issue
 *   829, no timestamps). Not measured for the BG95.
 * - TCP connect, TLS handshake, send round trip, RDY → APP RDY (BG95), RDY → SMS Ready (SIM7080G): no published
 *   measurement found. They stay as set, unsourced.
 */
export interface LatencyProfile {
	readonly name: string;
	/**
	 * From the module taking the power-on (PWRKEY held low for the dialect's Ton, core.ts pwrkeyWrite; or rails on)
	 * to the first boot marker; the AT port answers from then on.
	 */
	readonly bootMs: number;
	/** `bootMs` for one dialect where that module's own document gives a figure (SIM7080G_GOOD_BOOT_MS, BG95_GOOD_BOOT_MS). */
	readonly bootMsByDialect?: Readonly<Partial<Record<Dialect, number>>>;
	/** First boot marker to the last one (`SMS Ready` / `APP RDY`). */
	readonly bootMarkersMs: number;
	/** CFUN=1 (or boot) to +CEREG stat 1/5. */
	readonly attachMs: number;
	/** Registration stat once attached: 1 home, 5 roaming (3GPP TS 27.007 10.1.22). */
	readonly registeredStat: 1 | 5;
	/** Registration to the network time URCs (NITZ, sent by the network shortly after attach). */
	readonly nitzMs: number;
	/** AT+CNACT=0,1 to `+APP PDP: 0,ACTIVE`; AT+QIACT=1 to its OK. */
	readonly pdpMs: number;
	/** Extra time a TCP connect takes on the radio, on top of the real loopback connect. */
	readonly connectMs: number;
	/** Extra time a TLS handshake takes (two more round trips on LTE-M). */
	readonly tlsMs: number;
	/** Time a plain command takes to answer. */
	readonly commandMs: number;
	/** Round-trip time of one send on the radio (CASEND OK / SEND OK after the payload). */
	readonly sendMs: number;
	/** GNSS time to first fix after the first start since power-on (warm: almanac kept, no ephemeris). */
	readonly ttffFirstMs: number;
	/** GNSS re-acquisition after an interruption while the engine stayed powered, or a restart within 2 h (hot). */
	readonly ttffHotMs: number;
	/** How long the radio stays busy (RRC connected) after the last data activity; GNSS pauses meanwhile. */
	readonly rrcTailMs: number;
	/** HDOP reported with a fix (accuracy ≈ HDOP × 5 m user range error) and satellites used / in view. */
	readonly hdop: number;
	readonly satsUsed: number;
	readonly satsInView: number;
	/** Signal figures reported by +CPSI / +QENG / +CSQ. */
	readonly rsrp: number;
	readonly rsrq: number;
	readonly sinr: number;
	readonly csq: number;
}

export type Dialect = "sim7080" | "bg95";

/**
 * SIM7080G, best case: SIM7080G Hardware Design V1.04, 3.2 Power on, Table 8 "Power on timing and electronic
 * characteristic": Ton (PWRKEY low to power on) 1 s minimum, Ton(uart) "the time from power-on issue to UART port
 * ready" 1.8 s, given as a minimum with no typical value. Quoted from the table by EnviroDIY ModularSensors
 * (src/modems/SIMComSIM7080.h: ">1.8sec") and others; the PDF itself was not in reach. "Power-on issue" is the
 * PWRKEY falling edge: in the same table of the sibling SIM7000 Series Hardware Design V1.09 (Table 8), Ton(Vdd)
 * "from power-on issue to VDD_EXT" is 64 ms while the pulse lasts at least 1 s. This emulator boots once PWRKEY has
 * been low for Ton (1 s), so `RDY` 800 ms later is 1.8 s after the falling edge. (ModularSensors reads it from the
 * end of the pulse instead, which would make this 1 800.) The minimum is the best case: only the good profile uses
 * it.
 */
const SIM7080G_GOOD_BOOT_MS = 800;

/**
 * BG95/BG77, best case: Quectel BG95 (Series) and BG77 Hardware Design, 3.6.1 "Turn on Module", power-on timing
 * figure: STATUS high >= 2.1 s and the UART active >= 2.5 s after power-on, both minimums with no typical value.
 * Quoted, with the BG96's (4.8 s / 4.9 s) and the EG91's (10 s / 12 s) from the same kind of figure, by
 * particle-iot/device-os hal/network/ncp_client/quectel/quectel_ncp_client.cpp, QuectelNcpClient::modemPowerOn()
 * (line 2038 at 889b301c41651961131e1fae977c10c8162d5637; added in 26c0863f "final cleanup for BG95-M6 support",
 * PR #2555, whose description says the power-on waits were set "based on each modem specification"): "BG95/BG77:
 * status pin ready requires >= 2.1s, uart ready requires >= 2.5s". The PDF's turn-on page itself was not in reach
 * (the stored pages of BG95 Series Hardware Design V1.x and BG77 Hardware Design give only the turn-off timing:
 * PWRKEY 650-1500 ms, STATUS low >= 1.3 s). Read like the SIM7080G's: the figure's times run from the PWRKEY falling
 * edge, and this emulator boots once PWRKEY has been low for the BG95's Ton (500 ms, bg95.ts pwrkeyOnMs), so `RDY`
 * 2 000 ms later is 2.5 s after the falling edge. (Read from the end of the driver's 750 ms pulse it would be
 * 2 750.) The minimum is the best case: only the good profile uses it; the boot markers after `RDY` (`APP RDY`
 * last, bootMarkersMs) keep the shared figure, no BG95 source for them having been found.
 */
const BG95_GOOD_BOOT_MS = 2_000;

export const profiles: Readonly<Record<string, LatencyProfile>> = Object.freeze({
	// Known cell, strong signal: attach at the fast end of 2.6–3.7 s, hot TTFF ~5 s (inside hot 1–22 s).
	good: Object.freeze({
		name: "good", bootMs: 4_000, bootMsByDialect: Object.freeze({ sim7080: SIM7080G_GOOD_BOOT_MS, bg95: BG95_GOOD_BOOT_MS }), bootMarkersMs: 3_000,
		attachMs: 3_000, registeredStat: 1, nitzMs: 1_000,
		pdpMs: 1_000, connectMs: 300, tlsMs: 900, commandMs: 10, sendMs: 200,
		ttffFirstMs: 5_000, ttffHotMs: 2_000, rrcTailMs: 5_000, hdop: 0.9, satsUsed: 9, satsInView: 14,
		rsrp: -85, rsrq: -9, sinr: 15, csq: 22,
	}),
	// Cell edge: attach "tens of seconds", TTFF ~60 s (warm/cold range 35 s–4 min), slow radio round trips.
	poor: Object.freeze({
		name: "poor", bootMs: 4_500, bootMarkersMs: 6_000, attachMs: 45_000, registeredStat: 1, nitzMs: 5_000,
		pdpMs: 8_000, connectMs: 2_500, tlsMs: 6_000, commandMs: 20, sendMs: 1_500,
		ttffFirstMs: 60_000, ttffHotMs: 20_000, rrcTailMs: 10_000, hdop: 3.5, satsUsed: 4, satsInView: 7,
		rsrp: -118, rsrq: -17, sinr: -3, csq: 6,
	}),
	// Visited network: stat 5, attach slower than home (authentication with the home network), otherwise good.
	roaming: Object.freeze({
		name: "roaming", bootMs: 4_000, bootMarkersMs: 3_000, attachMs: 12_000, registeredStat: 5, nitzMs: 2_000,
		pdpMs: 3_000, connectMs: 600, tlsMs: 1_800, commandMs: 10, sendMs: 400,
		ttffFirstMs: 8_000, ttffHotMs: 3_000, rrcTailMs: 5_000, hdop: 1.1, satsUsed: 8, satsInView: 12,
		rsrp: -95, rsrq: -11, sinr: 8, csq: 16,
	}),
});

/** The named profile; with a dialect, its boot time for that dialect (bootMsByDialect). */
export function profileNamed(name: string, dialect?: Dialect): LatencyProfile {
	const p = profiles[name];
	if (!p) throw new RangeError(`unknown profile "${name}" (known: ${Object.keys(profiles).join(", ")})`);
	const boot = dialect ? p.bootMsByDialect?.[dialect] : undefined;
	return boot === undefined ? p : Object.freeze({ ...p, bootMs: boot });
}
