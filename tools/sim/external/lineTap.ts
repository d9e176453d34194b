/**
 * An AT transcript of a serial line seen from the middle: the bytes the host writes to the modem and the bytes the
 * modem sends back, turned into the emulator's transcript lines (`[     7050 ms] -> AT+CEREG?`, tools/sim/modem/
 * transcript), so the bench's arithmetic (tools/bench/stages `firmwareShare`) works on a run against an external
 * modem, where there is no emulator transcript (tools/sim/moddableSim `--modem-device`).
 *
 * Times: a host line is stamped when its first byte passed (the firmware's decision to send), a modem line when its
 * last byte passed (the first moment the firmware could act on it); a host gap is the difference of the two. The
 * `>` data prompt has no line end (`AT+CASEND=<cid>,<len>` -> `>` -> bytes -> `OK`: shared/reference/modem-at.md;
 * the AT engine, drivers/modem/at.ts, takes `>` with or without a space) and is a line of its own as soon as it is
 * seen. Data the host writes after a prompt, and the bytes of a counted read, are logged by length only, as the
 * emulator's transcript does (they hold the request, its signature and locations). The echo of the last command
 * (V.250 6.2.4, on after every boot) is dropped, as the driver's own log does (tools/sim/world `driverTranscript`).
 * Lines longer than `maxLine` bytes are logged by length too; memory is bounded by it.
 */

export type TapDirection = "->" | "<-";

export interface LineTapOptions {
	readonly now: () => number;
	readonly sink: (line: string) => void;
	/** Longest line kept as text; longer ones are logged as `<N bytes>` (default 200). */
	readonly maxLine?: number;
}

export function formatTapLine(t: number, dir: TapDirection | "==", text: string): string {
	return `[${String(Math.round(t)).padStart(9)} ms] ${dir} ${text}`;
}

interface Partial {
	text: string;
	bytes: number;
	startedAt: number;
}

/** Prompts after which the host writes raw data (drivers/modem/at.ts: `>`, "DOWNLOAD" for AT+CFSWFILE, "CONNECT"). */
const dataPrompt = /^(>|DOWNLOAD|CONNECT)$/;
/** Counted reads (drivers/modem/at.ts `counted`): SIM7080 `+CARECV: <n>,<data>` inline; BG95 `+QSSLRECV: <n>` CR LF <data>. */
const inlineCount = /^\+CARECV: (\d{1,5}),$/;
const lineCount = /^\+(?:QSSLRECV|QIRD): (\d{1,5})$/;

export default class LineTap {
	readonly #now: () => number;
	readonly #sink: (line: string) => void;
	readonly #maxLine: number;
	readonly #host: Partial = { text: "", bytes: 0, startedAt: 0 };
	readonly #modem: Partial = { text: "", bytes: 0, startedAt: 0 };
	#lastCommand: string | undefined;
	/** The host writes raw data (after a prompt) until the modem speaks again. */
	#hostData = false;
	/** Raw bytes of a counted read still to come from the modem, and the header they belong to. */
	#counted = 0;
	#countedHeader = "";
	#afterPrompt = false;
	#skipLf = false;

	constructor(options: LineTapOptions) {
		this.#now = options.now;
		this.#sink = options.sink;
		this.#maxLine = options.maxLine ?? 200;
		if (!Number.isInteger(this.#maxLine) || this.#maxLine < 16) throw new RangeError("invalid maxLine");
	}

	/** Bytes the host wrote towards the modem. */
	host(bytes: Uint8Array): void {
		const t = this.#now();
		for (const byte of bytes) {
			if (this.#hostData) {
				this.#take(this.#host, byte, t);
				continue;
			}
			if (byte === 0x0d || byte === 0x0a) this.#flushHost();
			else this.#take(this.#host, byte, t);
		}
	}

	/** Bytes the modem sent towards the host. */
	modem(bytes: Uint8Array): void {
		this.#flushHost();
		const t = this.#now();
		for (const byte of bytes) {
			const p = this.#modem;
			if (this.#skipLf) {
				this.#skipLf = false;
				if (byte === 0x0a) continue; // the LF of the header's CR LF
			}
			if (this.#counted > 0) {
				p.bytes++;
				if (--this.#counted === 0) this.#emitModem(`${this.#countedHeader}<${p.bytes} bytes>`);
				continue;
			}
			if (byte === 0x0d || byte === 0x0a) {
				const line = p.text;
				if (p.bytes > 0) this.#emitModem(p.bytes > this.#maxLine ? `<${p.bytes} bytes>` : line);
				const m = lineCount.exec(line);
				if (m && Number(m[1]) > 0) { this.#counted = Number(m[1]); this.#countedHeader = ""; this.#skipLf = byte === 0x0d; }
				continue;
			}
			if (this.#afterPrompt) {
				this.#afterPrompt = false;
				if (byte === 0x20) continue; // the space of "> ", however the bytes were chunked
			}
			this.#take(p, byte, t);
			const inline = inlineCount.exec(p.text);
			if (inline && Number(inline[1]) > 0) {
				this.#counted = Number(inline[1]);
				this.#countedHeader = p.text;
				p.text = "";
				p.bytes = 0;
			} else if (p.text === ">") {
				this.#emitModem(">");
				this.#afterPrompt = true;
			}
		}
	}

	/** A note between the lines (`power switch on`). */
	note(text: string): void {
		this.#sink(formatTapLine(this.#now(), "==", text));
	}

	#take(p: Partial, byte: number, t: number): void {
		if (p.bytes === 0) p.startedAt = t;
		p.bytes++;
		if (p.text.length < this.#maxLine) p.text += String.fromCharCode(byte);
	}

	#flushHost(): void {
		const p = this.#host;
		if (p.bytes === 0) return;
		const text = this.#hostData ? `<${p.bytes} bytes>` : p.bytes > this.#maxLine ? `<${p.bytes} bytes>` : p.text;
		p.text = "";
		p.bytes = 0;
		this.#lastCommand = text;
		this.#sink(formatTapLine(p.startedAt, "->", text));
	}

	#emitModem(text: string): void {
		const p = this.#modem;
		p.text = "";
		p.bytes = 0;
		this.#hostData = dataPrompt.test(text);
		if (text === this.#lastCommand) {
			this.#lastCommand = undefined;
			return;
		}
		this.#sink(formatTapLine(this.#now(), "<-", text));
	}
}
