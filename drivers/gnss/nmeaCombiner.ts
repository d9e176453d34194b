/**
 * Merges the GGA, RMC and GSA sentences of one epoch into one `Fix`.
 *
 * GGA gives position, altitude, satellites used and HDOP but no date; RMC gives the date, speed and course;
 * GSA gives 2D/3D and the DOPs but has no time field at all. An epoch is identified by the UTC time of GGA/RMC,
 * and a GSA belongs to the epoch whose GGA or RMC came before it. That matches the output order of the receivers
 * we know: u-blox (RMC, VTG, GGA, GSA, GSV, GLL), Quectel and SIMCom (RMC, VTG, GGA, GSA...), MediaTek (GGA, GSA,
 * GSV, RMC, VTG). A GSA seen before any timed sentence (start-up) is kept for the first epoch. Multi-constellation
 * receivers send one GSA per system (GPGSA + BDGSA, or several GNGSA): they are merged; one arriving after its
 * epoch was emitted carries only the other systems' satellites and is dropped (the DOPs are the same).
 *
 * A fix is emitted as soon as GGA + RMC (+ GSA unless `waitForGsa` is false) of the same time are in; an epoch
 * that never gets its GSA is emitted when the next epoch starts, or on `flush()`.
 *
 * Bounded: one epoch merges at most `MAX_GSA_PER_EPOCH` GSA sentences (one per GNSS system, NMEA 0183 4.11 system
 * IDs 1-6, with room to spare). A stream of GSA with no GGA/RMC between them (a receiver configured without them,
 * or a line that keeps losing them) cannot all belong to one epoch: past the cap the merge restarts from the newest
 * GSA, so the time per sentence and the satellites held stay constant however long the stream runs.
 */
import type { Fix } from "drivers/gnss/fix";
import {
	type FixResult, KNOT_M_PER_S, UERE_M, UNKNOWN_HDOP, malformed, noFix,
} from "drivers/gnss/common";
import type { GgaSentence, GsaSentence, NmeaSentence, RmcSentence } from "drivers/gnss/nmea";

export interface NmeaCombinerOptions {
	/** Wait for a GSA before emitting (default true). False for receivers configured without GSA. */
	readonly waitForGsa?: boolean;
}

export const MAX_GSA_PER_EPOCH = 8;

function mergeGsa(a: GsaSentence | undefined, b: GsaSentence): GsaSentence {
	if (!a) return b;
	return {
		...a,
		fixType: (Math.max(a.fixType, b.fixType) as 1 | 2 | 3),
		satellites: a.satellites.concat(b.satellites),
		pdop: a.pdop ?? b.pdop,
		hdop: a.hdop ?? b.hdop,
		vdop: a.vdop ?? b.vdop,
	};
}

/** Builds the result of one complete epoch. Exported for tests and for callers with their own grouping. */
export function combineEpoch(gga: GgaSentence, rmc: RmcSentence, gsa: GsaSentence | undefined): FixResult {
	if (gga.quality === 0 || !rmc.valid || gsa?.fixType === 1) return noFix("no-fix");
	if (gga.lat === undefined || gga.lon === undefined) return malformed("latitude", "fix without position");
	if (gga.timeOfDay === undefined) return malformed("time", "fix without time");
	if (rmc.date === undefined) return malformed("date", "fix without date");
	const hdop = gga.hdop ?? gsa?.hdop;
	let quality: Fix["quality"];
	if (gsa) quality = gsa.fixType === 3 ? "3d" : "2d";
	else quality = gga.altitude === undefined ? "2d" : "3d";
	const fix: Fix = {
		time: rmc.date + gga.timeOfDay,
		lat: gga.lat,
		lon: gga.lon,
		accuracy: (hdop ?? UNKNOWN_HDOP) * UERE_M,
		satellites: gga.satellites,
		quality,
		source: "gnss",
		...(gga.altitude !== undefined ? { altitude: gga.altitude } : {}),
		...(rmc.speedKnots !== undefined ? { speed: rmc.speedKnots * KNOT_M_PER_S } : {}),
		...(rmc.course !== undefined ? { course: rmc.course } : {}),
	};
	return { ok: true, fix };
}

export default class NmeaCombiner {
	#waitForGsa: boolean;
	#epoch: number | undefined = -1; // no epoch yet (-1 never equals a time of day, nor `undefined`)
	#gga: GgaSentence | undefined;
	#rmc: RmcSentence | undefined;
	#gsa: GsaSentence | undefined;
	#gsaCount = 0;
	#emitted = false;

	constructor(options: NmeaCombinerOptions = {}) {
		this.#waitForGsa = options.waitForGsa ?? true;
	}

	/**
	 * Feeds one parsed sentence. Returns the epoch's result when this sentence completes one (or starts the next
	 * one while the previous is still pending), else undefined.
	 */
	push(sentence: NmeaSentence): FixResult | undefined {
		if (sentence.type === "GSA") {
			if (!this.#emitted) {
				if (this.#gsaCount >= MAX_GSA_PER_EPOCH) {
					this.#gsa = undefined;
					this.#gsaCount = 0;
				}
				this.#gsa = mergeGsa(this.#gsa, sentence);
				this.#gsaCount++;
			}
			return this.#tryEmit();
		}
		let out: FixResult | undefined;
		// A new time, or a second GGA/RMC with the same (possibly absent) time, starts the next epoch.
		const seen = sentence.type === "GGA" ? this.#gga : this.#rmc;
		if (sentence.timeOfDay !== this.#epoch || seen !== undefined) out = this.#startEpoch(sentence.timeOfDay);
		if (sentence.type === "GGA") this.#gga = sentence;
		else this.#rmc = sentence;
		return out ?? this.#tryEmit();
	}

	/** Emits a pending epoch that lacks only its GSA (e.g. at the end of a GNSS window). */
	flush(): FixResult | undefined {
		if (this.#emitted || !this.#gga || !this.#rmc) return undefined;
		this.#emitted = true;
		return combineEpoch(this.#gga, this.#rmc, this.#gsa);
	}

	/** Satellite IDs held for the pending epoch (bounded by MAX_GSA_PER_EPOCH × 12). */
	get heldSatellites(): number {
		return this.#gsa?.satellites.length ?? 0;
	}

	reset(): void {
		this.#epoch = -1;
		this.#gga = this.#rmc = this.#gsa = undefined;
		this.#gsaCount = 0;
		this.#emitted = false;
	}

	#startEpoch(timeOfDay: number | undefined): FixResult | undefined {
		const previous = this.flush();
		// A GSA seen before any timed sentence (start-up) belongs to the epoch about to start.
		const carry = this.#gga || this.#rmc ? undefined : this.#gsa;
		this.#epoch = timeOfDay;
		this.#gga = this.#rmc = undefined;
		this.#gsa = carry;
		if (!carry) this.#gsaCount = 0;
		this.#emitted = false;
		return previous;
	}

	#tryEmit(): FixResult | undefined {
		if (this.#emitted || !this.#gga || !this.#rmc) return undefined;
		if (this.#waitForGsa && !this.#gsa) return undefined;
		this.#emitted = true;
		return combineEpoch(this.#gga, this.#rmc, this.#gsa);
	}
}
