/**
 * AT command engine (CONVENTIONS.md 7): an incremental parser over an ECMA-419 Serial with one command in flight,
 * a queue behind it, a timeout per command, URCs dispatched first and at all times, prompts for raw payloads,
 * counted binary replies, and a guard gap after each final result code. Never blocks; time only via the Clock.
 *
 * Final result codes follow ITU-T V.250 5.7.1 / 3GPP TS 27.007 9.2: OK, ERROR, +CME ERROR: <n>, +CMS ERROR: <n>,
 * NO CARRIER, BUSY, NO ANSWER, NO DIALTONE. Command-specific finals (SEND OK, a result line after OK) are
 * declared per command.
 */
import type { Clock, TimerHandle } from "hal/clock";
import type { IOBuffer, Serial, SerialClass, SerialOptions } from "drivers/io";

export type AtStatus = "ok" | "error" | "timeout" | "aborted";

export interface AtResult {
	readonly status: AtStatus;
	/** +CME ERROR / +CMS ERROR numeric code (AT+CMEE=1). */
	readonly code?: number;
	/** Every line of the reply in order (echo and URCs excluded), final result code included. */
	readonly lines: string[];
	/** Bytes of a counted binary reply (see `counted`), concatenated. */
	readonly data?: Uint8Array;
}

/** Verdict of a custom final matcher: finish with this status, or keep collecting. */
export type FinalVerdict = "ok" | "error" | undefined;

export interface AtCommandOptions {
	/** Milliseconds from the write to the final result; default the engine's `timeoutMs`. */
	readonly timeoutMs?: number;
	/** Checked for every reply line before the standard final codes (e.g. "SEND OK" / "SEND FAIL"). */
	readonly final?: (line: string) => FinalVerdict;
	/**
	 * After a standard OK, keep waiting until this matcher decides (e.g. `+QSSLOPEN: <id>,<err>` after OK,
	 * BG95&BG77 SSL Application Note, AT+QSSLOPEN). Lines meanwhile are kept in the reply.
	 */
	readonly after?: (line: string) => FinalVerdict;
	/** Raw bytes written when the prompt appears (default prompt `>`, with or without a trailing space). */
	readonly payload?: IOBuffer;
	/** A whole line acting as the prompt instead of `>`: "DOWNLOAD" (SIM7080 AT+CFSWFILE), "CONNECT" (AT+QFUPL). */
	readonly prompt?: string;
	/**
	 * Counted binary reply. `inline`: `<prefix><len>,<bytes>` on the same line (SIM7080 `+CARECV: <len>,<data>`);
	 * otherwise `<prefix><len>[,...]` CR LF then the bytes (BG95 `+QSSLRECV: <len>` CR LF <data>).
	 */
	readonly counted?: { readonly prefix: string; readonly inline: boolean };
}

export type UrcMatch = string | ((line: string) => boolean);
/** Return `false` to decline a line (it then goes to the command in flight); anything else consumes it. */
export type UrcHandler = (line: string) => boolean | void;

export interface AtEngineOptions {
	/** A Serial class plus its options (the engine constructs it with its own onReadable), or a Serial instance
	 * whose owner calls `feed()` with the bytes it reads. */
	readonly serial: ({ readonly io: SerialClass } & Omit<SerialOptions, "onReadable" | "format">) | Serial;
	readonly clock: Clock;
	/** Gap after each final result code before the next command is written; default 20 ms: "wait for at least
	 * 20ms between the end of the reception of the response and the issue of the next AT command" (Telit LE910Cx
	 * AT Commands Reference Guide 2.2.5 "Command Issuing Timing"; u-blox asks the same for its modules). */
	readonly guardMs?: number;
	/** Default command timeout, ms; default 5000. */
	readonly timeoutMs?: number;
	/** Delay between a data prompt and the payload write, ms; default 0 (the next turn). */
	readonly promptDelayMs?: number;
	/** Lines no URC handler and no command claimed. */
	readonly onUnsolicited?: (line: string) => void;
	/** Transcript: "> AT..." for writes, "< ..." for lines; payloads appear as their length only. */
	readonly log?: (line: string) => void;
}

interface Pending {
	readonly text: string;
	readonly options: AtCommandOptions;
	readonly resolve: (result: AtResult) => void;
	readonly lines: string[];
	data: Uint8Array[];
	/** Bytes in `data` (against MAX_COUNTED) and characters in `lines` (against MAX_REPLY); `overLimit` once either is hit. */
	dataBytes: number;
	lineChars: number;
	overLimit: boolean;
	phase: "queued" | "sent" | "prompt" | "after";
	timer: TimerHandle | undefined;
}

interface Urc {
	readonly match: UrcMatch;
	readonly handler: UrcHandler;
}

const CR = 13;
const LF = 10;
const GT = 62;
const SPACE = 32;
/** Longest line kept (the longest documented replies, +CGNSINF and +QENG, are under 200 characters). */
const MAX_LINE = 1024;
/**
 * Most bytes one command's counted replies may hold: a receive asks for at most 1460 (SIM7080 AT+CARECV) or 1500
 * (BG95 AT+QSSLRECV). A modem announcing more still has all its announced bytes consumed (so they never reach the
 * line parser as text), but the excess is dropped and the command ends "error".
 */
export const MAX_COUNTED = 4096;
/** Most characters of reply lines one command keeps (same rule: the excess is dropped and the command ends "error"). */
export const MAX_REPLY = 8192;

const FINAL_ERRORS: readonly string[] = Object.freeze(["ERROR", "NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE"]);

export default class AtEngine {
	#serial: Serial | undefined;
	#clock: Clock;
	#guardMs: number;
	#timeoutMs: number;
	#promptDelayMs: number;
	#onUnsolicited: ((line: string) => void) | undefined;
	#log: ((line: string) => void) | undefined;

	#queue: Pending[] = [];
	#current: Pending | undefined;
	#urcs: Urc[] = [];
	#guardUntil = 0;
	#guardTimer: TimerHandle | undefined;
	#closed = false;
	#tx: Uint8Array[] = [];
	#writable: number | undefined;

	// line assembly
	#line = "";
	#raw: { remaining: number; room: number; chunks: Uint8Array[]; target: Pending | undefined; lead: boolean } | undefined;
	#dropSpace = false;
	#dropLf = false;

	constructor(options: AtEngineOptions) {
		if (!options || !options.serial) throw new TypeError("serial required");
		if (!options.clock) throw new TypeError("clock required");
		const guard = options.guardMs ?? 20;
		if (!(guard >= 0)) throw new RangeError("invalid guardMs");
		const timeout = options.timeoutMs ?? 5000;
		if (!(timeout > 0)) throw new RangeError("invalid timeoutMs");
		this.#clock = options.clock;
		this.#guardMs = guard;
		this.#timeoutMs = timeout;
		const promptDelay = options.promptDelayMs ?? 0;
		if (!(promptDelay >= 0)) throw new RangeError("invalid promptDelayMs");
		this.#promptDelayMs = promptDelay;
		this.#onUnsolicited = options.onUnsolicited;
		this.#log = options.log;
		const spec = options.serial as { io?: SerialClass };
		if (typeof spec.io === "function") {
			const engine = this;
			const { io, ...rest } = options.serial as { io: SerialClass } & SerialOptions;
			this.#serial = new io({
				...rest,
				format: "buffer",
				onReadable(this: Serial, count: number) {
					const buffer = this.read(count);
					if (buffer) engine.feed(new Uint8Array(buffer));
				},
				onWritable(this: Serial, count: number) {
					engine.writable(count);
				},
			});
		} else {
			this.#serial = options.serial as Serial;
		}
	}

	/** Number of commands waiting behind the one in flight. */
	get queued(): number {
		return this.#queue.length;
	}

	get busy(): boolean {
		return this.#current !== undefined;
	}

	/**
	 * Queues `text` (without CR; "AT" included) and resolves with its result. Never rejects.
	 */
	command(text: string, options: AtCommandOptions = {}): Promise<AtResult> {
		return new Promise<AtResult>((resolve) => {
			if (this.#closed) {
				resolve({ status: "aborted", lines: [] });
				return;
			}
			this.#queue.push({ text, options, resolve, lines: [], data: [], dataBytes: 0, lineChars: 0, overLimit: false, phase: "queued", timer: undefined });
			this.#pump();
		});
	}

	/** Registers a URC handler; matched by prefix (string) or predicate. Returns the function that removes it. */
	on(match: UrcMatch, handler: UrcHandler): () => void {
		const urc: Urc = { match, handler };
		this.#urcs.push(urc);
		return () => {
			const index = this.#urcs.indexOf(urc);
			if (index >= 0) this.#urcs.splice(index, 1);
		};
	}

	/**
	 * Resolves with the first line matching `match` (dispatched like a URC, so it is consumed), or undefined after
	 * `timeoutMs`. For results that arrive after OK as URCs: `+APP PDP: 0,ACTIVE`, `SMS Ready`, `RDY`.
	 */
	waitFor(match: UrcMatch, timeoutMs: number): Promise<string | undefined> {
		return new Promise((resolve) => {
			let timer: TimerHandle | undefined;
			const remove = this.on(match, (line) => {
				remove();
				this.#clock.clear(timer);
				resolve(line);
			});
			timer = this.#clock.set(() => {
				remove();
				resolve(undefined);
			}, timeoutMs);
		});
	}

	/** Feeds received bytes, any chunking. */
	feed(bytes: Uint8Array): void {
		for (let i = 0; i < bytes.length; i++) {
			if (this.#closed) return;
			const raw = this.#raw;
			if (raw) {
				const b = bytes[i];
				if (raw.lead && this.#dropLf) {
					raw.lead = false;
					this.#dropLf = false;
					if (b === LF) continue;
				}
				raw.lead = false;
				const take = Math.min(raw.remaining, bytes.length - i);
				const keep = Math.min(take, raw.room);
				if (keep > 0) raw.chunks.push(bytes.slice(i, i + keep));
				raw.room -= keep;
				raw.remaining -= take;
				i += take - 1;
				if (raw.remaining === 0) this.#endRaw();
				continue;
			}
			const b = bytes[i];
			if (this.#dropSpace) {
				this.#dropSpace = false;
				if (b === SPACE) continue;
			}
			if (b === CR || b === LF) {
				const wasCr = b === CR;
				const line = this.#line.trim();
				this.#line = "";
				if (line.length) this.#onLine(line, wasCr);
				continue;
			}
			if (this.#line.length >= MAX_LINE) {
				// No line end for this long: noise (wrong baud, a modem in data mode). Drop it rather than grow.
				this.#log?.("! line dropped: no line end within " + MAX_LINE + " bytes");
				this.#line = "";
			}
			this.#line += String.fromCharCode(b);
			const current = this.#current;
			if (current) {
				if (current.phase === "prompt" && b === GT && this.#line === ">" && current.options.prompt === undefined) {
					this.#line = "";
					this.#dropSpace = true;
					this.#onPrompt(current);
					continue;
				}
				const counted = current.options.counted;
				// Only the first comma after the prefix can end `<len>` (at most 7 digits and a few spaces): a line full of
				// commas must not re-parse its whole length at each one.
				if (counted?.inline && b === 44 /* , */ && this.#line.length <= counted.prefix.length + 16 && this.#line.startsWith(counted.prefix)) {
					const length = parseLength(this.#line.slice(counted.prefix.length, -1));
					if (length !== undefined) {
						const header = this.#line;
						this.#line = "";
						this.#keep(current, header);
						this.#log?.("< " + header + "<" + length + " bytes>");
						this.#beginRaw(length, current);
					}
				}
			}
		}
	}

	/**
	 * Room in the transmit buffer (ECMA-419 9.4 onWritable). Once reported, writes never exceed it: the rest waits
	 * for the next report. The engine wires this itself when it constructs the Serial; an owner who passes a Serial
	 * instance may call it from its own onWritable.
	 */
	writable(count: number): void {
		this.#writable = count;
		this.#flush();
	}

	/** Fails the command in flight and everything queued with "aborted" (e.g. the modem reset). */
	abort(): void {
		const all = this.#current ? [this.#current, ...this.#queue] : [...this.#queue];
		this.#current = undefined;
		this.#queue = [];
		this.#raw = undefined;
		this.#line = "";
		this.#dropSpace = false;
		this.#dropLf = false;
		for (const p of all) {
			this.#clock.clear(p.timer);
			p.resolve({ status: "aborted", lines: p.lines });
		}
	}

	close(): void {
		if (this.#closed) return;
		this.abort();
		this.#tx = [];
		this.#closed = true;
		this.#clock.clear(this.#guardTimer);
		this.#guardTimer = undefined;
		this.#urcs = [];
		this.#serial?.close();
		this.#serial = undefined;
	}

	/** Raw write outside any command (e.g. a PWRKEY-free autobaud "AT" burst); avoid while a command waits. */
	write(bytes: IOBuffer): void {
		this.#send(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
	}

	#pump(): void {
		if (this.#current || this.#closed || !this.#queue.length) return;
		const wait = this.#guardUntil - this.#clock.now();
		if (wait > 0) {
			if (!this.#guardTimer)
				this.#guardTimer = this.#clock.set(() => {
					this.#guardTimer = undefined;
					this.#pump();
				}, wait);
			return;
		}
		const next = this.#queue.shift() as Pending;
		this.#current = next;
		next.phase = next.options.payload !== undefined ? "prompt" : "sent";
		next.timer = this.#clock.set(() => this.#finish(next, "timeout"), next.options.timeoutMs ?? this.#timeoutMs);
		this.#log?.("> " + next.text);
		this.#send(ascii(next.text + "\r"));
	}

	#send(data: Uint8Array): void {
		if (data.length) this.#tx.push(data);
		this.#flush();
	}

	#flush(): void {
		const serial = this.#serial;
		while (serial && this.#tx.length) {
			const chunk = this.#tx[0];
			const n = this.#writable === undefined ? chunk.length : Math.min(this.#writable, chunk.length);
			if (n <= 0) return;
			try {
				serial.write(n === chunk.length ? chunk : chunk.subarray(0, n));
			} catch {
				// A full or failed port must not crash the parser: drop what is pending; the command times out.
				this.#tx = [];
				this.#log?.("! serial write failed");
				return;
			}
			if (this.#writable !== undefined) this.#writable -= n;
			if (n === chunk.length) this.#tx.shift();
			else this.#tx[0] = chunk.subarray(n);
		}
	}

	#onLine(line: string, endedByCr: boolean): void {
		this.#log?.("< " + line);
		for (const urc of this.#urcs.slice()) {
			// A handler's bug must not break the parser or escape into the serial callback (CONVENTIONS.md 8).
			try {
				const hit = typeof urc.match === "string" ? line.startsWith(urc.match) : urc.match(line);
				if (hit && urc.handler(line) !== false) return;
			} catch {
				this.#log?.("! URC handler threw on " + line.slice(0, 16));
				return;
			}
		}
		const current = this.#current;
		if (!current) {
			try {
				this.#onUnsolicited?.(line);
			} catch {
				// same as above
			}
			return;
		}
		// Echo (before ATE0, V.250 6.2.4): the command text comes back; it is not part of the reply.
		if (line === current.text && current.lines.length === 0) return;
		const options = current.options;
		if (current.phase === "prompt" && options.prompt !== undefined && line === options.prompt) {
			this.#keep(current, line);
			this.#onPrompt(current);
			return;
		}
		if (options.counted && !options.counted.inline && line.startsWith(options.counted.prefix)) {
			this.#keep(current, line);
			const length = parseLength(line.slice(options.counted.prefix.length));
			if (length !== undefined && length > 0) {
				this.#dropLf = endedByCr;
				this.#beginRaw(length, current);
			}
			return;
		}
		if (options.counted?.inline && line.startsWith(options.counted.prefix)) {
			// `+CARECV: 0` with no comma: nothing to read.
			this.#keep(current, line);
			return;
		}
		this.#keep(current, line);
		if (current.phase === "after") {
			const verdict = options.after?.(line);
			if (verdict) this.#finish(current, verdict);
			else if (isErrorFinal(line)) this.#finish(current, "error", errorCode(line));
			return;
		}
		const custom = options.final?.(line);
		if (custom) {
			this.#finish(current, custom, custom === "error" ? errorCode(line) : undefined);
			return;
		}
		if (line === "OK") {
			if (options.after) current.phase = "after";
			else this.#finish(current, "ok");
			return;
		}
		if (isErrorFinal(line)) this.#finish(current, "error", errorCode(line));
	}

	#onPrompt(current: Pending): void {
		current.phase = "sent";
		const payload = current.options.payload as IOBuffer;
		// Written on the next turn, not from inside the read callback that delivered the prompt: the peer has
		// finished printing the prompt (and, for an emulator on the same thread, entered its data state).
		this.#clock.set(() => {
			if (this.#current !== current) return;
			this.#log?.("> <" + payload.byteLength + " bytes>");
			this.#send(payload instanceof Uint8Array ? payload : new Uint8Array(payload));
		}, this.#promptDelayMs);
	}

	/** Keeps a reply line, up to MAX_REPLY characters per command. */
	#keep(pending: Pending, line: string): void {
		if (pending.lineChars + line.length > MAX_REPLY) {
			if (!pending.overLimit) this.#log?.("! reply over " + MAX_REPLY + " characters: excess dropped");
			pending.overLimit = true;
			return;
		}
		pending.lineChars += line.length;
		pending.lines.push(line);
	}

	#beginRaw(length: number, target: Pending): void {
		if (length <= 0) return;
		const room = Math.max(0, MAX_COUNTED - target.dataBytes);
		if (length > room) {
			target.overLimit = true;
			this.#log?.("! counted reply over " + MAX_COUNTED + " bytes: excess dropped");
		}
		target.dataBytes += Math.min(length, room);
		this.#raw = { remaining: length, room, chunks: [], target, lead: true };
	}

	#endRaw(): void {
		const raw = this.#raw;
		this.#raw = undefined;
		if (!raw || !raw.target) return;
		// A loop, not push(...chunks): fed a byte at a time there is one chunk per byte, and XS puts every spread
		// argument on its stack (512 slots on the boards, manifest `creation.stack`).
		if (raw.target === this.#current) for (const chunk of raw.chunks) raw.target.data.push(chunk);
	}

	#finish(pending: Pending, status: AtStatus, code?: number): void {
		if (this.#current !== pending) return;
		this.#clock.clear(pending.timer);
		pending.timer = undefined;
		this.#current = undefined;
		if (this.#raw?.target === pending) this.#raw = undefined;
		this.#guardUntil = this.#clock.now() + this.#guardMs;
		const result: { status: AtStatus; lines: string[]; code?: number; data?: Uint8Array } = {
			// A reply that overflowed the limits lost bytes: never report it as a complete success.
			status: status === "ok" && pending.overLimit ? "error" : status,
			lines: pending.lines,
		};
		if (code !== undefined) result.code = code;
		if (pending.data.length) result.data = concat(pending.data);
		if (status === "timeout") {
			this.#log?.("! timeout " + pending.text);
			// No prompt came: if the modem is in fact waiting for data, ESC (0x1B) abandons the input, as the
			// SIMCom and Quectel send commands document ("ESC to quit without sending"), so the next command is not
			// swallowed as payload.
			if (pending.phase === "prompt") this.#send(Uint8Array.of(0x1b));
		}
		pending.resolve(result);
		this.#pump();
	}
}

function isErrorFinal(line: string): boolean {
	return FINAL_ERRORS.indexOf(line) >= 0 || line.startsWith("+CME ERROR:") || line.startsWith("+CMS ERROR:");
}

/** 3GPP TS 27.007 9.2: `+CME ERROR: <err>` (numeric with AT+CMEE=1); 27.005 3.2.5 `+CMS ERROR: <err>`. */
function errorCode(line: string): number | undefined {
	if (!line.startsWith("+CME ERROR:") && !line.startsWith("+CMS ERROR:")) return undefined;
	const text = line.slice(11).trim();
	return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** Leading decimal of `text` (up to the first comma), or undefined. */
function parseLength(text: string): number | undefined {
	const head = text.split(",")[0].trim();
	if (!/^\d{1,7}$/.test(head)) return undefined;
	return Number(head);
}

/** Bytes of an ASCII/Latin-1 string (AT command lines are 7-bit, V.250 5.1). */
export function ascii(text: string): Uint8Array {
	const out = new Uint8Array(text.length);
	for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
	return out;
}

function concat(chunks: Uint8Array[]): Uint8Array {
	let total = 0;
	for (const c of chunks) total += c.length;
	const out = new Uint8Array(total);
	let at = 0;
	for (const c of chunks) {
		out.set(c, at);
		at += c.length;
	}
	return out;
}
