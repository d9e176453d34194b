/**
 * Cuts an NMEA 0183 byte stream, fed in chunks of any size, into sentences (NMEA 0183 §5.3: a sentence starts
 * with `$` and ends with CR LF). Bytes before a `$` are line noise and skipped; a `$` in the middle of an
 * unterminated sentence means the previous one was cut short (reserved character, §6.1); a sentence longer than
 * `maxLength` without a line end is dropped and the splitter waits for the next `$`. Nothing is lost silently:
 * each dropped fragment is reported.
 *
 * The splitter does not validate contents; drivers/gnss/nmea `parseNmea` does.
 */
import { MAX_SENTENCE } from "drivers/gnss/nmea";

export type SplitResult =
	| { readonly ok: true; readonly sentence: string }                                      // `$...*hh`, no CR LF
	| { readonly ok: false; readonly reason: "truncated" | "too-long" | "non-ascii"; readonly dropped: number }; // fragment dropped

export interface NmeaSplitterOptions {
	/** Longest sentence accepted, characters without CR LF. Default `MAX_SENTENCE` (120). */
	readonly maxLength?: number;
}

const DOLLAR = 0x24;
const CR = 0x0d;
const LF = 0x0a;

export default class NmeaSplitter {
	#max: number;
	#buf = "";
	#inSentence = false;
	#nonAscii = false;
	#overflow = 0;

	constructor(options: NmeaSplitterOptions = {}) {
		const max = options.maxLength ?? MAX_SENTENCE;
		if (!Number.isInteger(max) || max < 6) throw new RangeError("invalid maxLength");
		this.#max = max;
	}

	/** Feeds bytes (or an already-decoded string) and returns every sentence completed by them, in order. */
	push(chunk: ArrayBufferLike | Uint8Array | string): SplitResult[] {
		const out: SplitResult[] = [];
		if (typeof chunk === "string") {
			for (let i = 0; i < chunk.length; i++) this.#byte(chunk.charCodeAt(i), out);
		} else {
			const bytes = chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk);
			for (let i = 0; i < bytes.length; i++) this.#byte(bytes[i], out);
		}
		return out;
	}

	/** Drops any partial sentence (e.g. when the receiver is powered off). */
	reset(): void {
		this.#buf = "";
		this.#inSentence = false;
		this.#nonAscii = false;
		this.#overflow = 0;
	}

	#byte(b: number, out: SplitResult[]): void {
		if (b === DOLLAR) {
			if (this.#inSentence) this.#drop(out, "truncated");
			this.#inSentence = true;
			this.#buf = "$";
			return;
		}
		if (!this.#inSentence) return;
		if (b === CR || b === LF) {
			if (this.#nonAscii) this.#drop(out, "non-ascii");
			else if (this.#overflow > 0) this.#drop(out, "too-long");
			else out.push({ ok: true, sentence: this.#buf });
			this.#buf = "";
			this.#inSentence = false;
			return;
		}
		if (b < 0x20 || b > 0x7e) this.#nonAscii = true;
		if (this.#buf.length + this.#overflow >= this.#max) this.#overflow++;
		else this.#buf += String.fromCharCode(b);
	}

	#drop(out: SplitResult[], reason: "truncated" | "too-long" | "non-ascii"): void {
		out.push({ ok: false, reason, dropped: this.#buf.length + this.#overflow });
		this.#buf = "";
		this.#inSentence = false;
		this.#nonAscii = false;
		this.#overflow = 0;
	}
}
