/**
 * One position, whatever produced it: the SIM7080's `AT+CGNSINF`, the BG95's `AT+QGPSLOC=2`, an NMEA receiver,
 * or a serving-cell estimate. Every parser in drivers/gnss produces this shape.
 */
export type FixSource = "gnss" | "cell";

export type FixQuality =
	| "none"   // no position
	| "2d"
	| "3d"
	| "cell";  // coarse, from the serving cell's identity, accuracy in hundreds of metres

export interface Fix {
	/** UTC time of the fix, milliseconds since the Unix epoch. */
	readonly time: number;
	/** WGS-84 degrees, north and east positive. */
	readonly lat: number;
	readonly lon: number;
	/** Metres above mean sea level, when known. */
	readonly altitude?: number;
	/** Estimated horizontal accuracy in metres (from HDOP or the receiver's HPA; cell radius for cell fixes). */
	readonly accuracy: number;
	/** Satellites used in the solution (0 for cell fixes). */
	readonly satellites: number;
	readonly quality: FixQuality;
	readonly source: FixSource;
	/** Ground speed in m/s and course in degrees true, when reported. */
	readonly speed?: number;
	readonly course?: number;
}

/** Serving-cell identity, 3GPP TS 27.007 +CEREG (tac, ci) plus the operator from +COPS / +CPSI / +QENG. */
export interface ServingCell {
	readonly mcc: number;
	readonly mnc: number;
	/** Tracking area code. */
	readonly tac: number;
	/** E-UTRAN cell identity (28 bits). */
	readonly cellId: number;
	/** Reference signal received power in dBm, when reported. */
	readonly rsrp?: number;
	readonly accessTechnology: "lte-m" | "nb-iot" | "gsm" | "unknown";
}
