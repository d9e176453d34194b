/**
 * A scripted modem behind a simulated ECMA-419 Serial (esp_modem's LoopbackTerm idea, CONVENTIONS.md 9): the
 * test lists the commands it expects and what the "modem" answers. Not an emulator (that is tools/sim): no state,
 * no sockets. Pure firmware-compatible code (no Node APIs) so the tests also run in XS.
 */
import type { Clock } from "hal/clock";
import { settle } from "hal/sim/manualClock";
import type ManualClock from "hal/sim/manualClock";
import type { DigitalOutput, IOBuffer, Serial, SerialOptions } from "drivers/io";

export type Step =
	/** Wait for a command line (without CR) equal to / matching `expect`; answer `reply` after `delayMs`. If
	 * `payload` is set, then read that many raw bytes (or exactly that text) and answer `afterPayload`. */
	| {
			readonly expect: string | RegExp;
			readonly reply?: string | Uint8Array;
			readonly delayMs?: number;
			readonly payload?: number | string | Uint8Array;
			readonly afterPayload?: string;
			readonly afterPayloadDelayMs?: number;
	  }
	/** Unsolicited output once the previous step is done. */
	| { readonly emit: string | Uint8Array; readonly delayMs?: number };

export function bytes(text: string): Uint8Array {
	const out = new Uint8Array(text.length);
	for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
	return out;
}

export function text(data: Uint8Array): string {
	let s = "";
	for (let i = 0; i < data.length; i++) s += String.fromCharCode(data[i]);
	return s;
}

export default class ScriptedSerial implements Serial {
	readonly clock: Clock;
	/** Mismatches and unexpected writes; a passing test expects it empty. */
	readonly errors: string[] = [];
	/** Every command line received, in order. */
	readonly commands: string[] = [];
	/** Payloads received after prompts. */
	readonly payloads: Uint8Array[] = [];
	/** Commands written while the modem was off/booting, dropped. */
	readonly dropped: string[] = [];
	/** Clock time at which each command line arrived. */
	readonly times: number[] = [];
	closed = false;

	#steps: Step[] = [];
	#chunk: number;
	#rx: number[] = [];
	#line = "";
	#payload: { remaining: number; got: number[]; step: Step & { expect: unknown } } | undefined;
	#deafUntil = 0;
	#deaf = false;
	#onReadable: ((this: Serial, count: number) => void) | undefined;

	constructor(clock: Clock, options: { chunk?: number; steps?: Step[] } = {}) {
		this.clock = clock;
		this.#chunk = options.chunk ?? 0;
		if (options.steps) this.#steps.push(...options.steps);
	}

	/** An ECMA-419 Serial class whose instances are this scripted port. */
	get io(): new (options: SerialOptions) => Serial {
		const self = this;
		return class {
			constructor(options: SerialOptions) {
				if (!(options.baud > 0)) throw new RangeError("invalid baud");
				self.#onReadable = options.onReadable;
				return self as unknown as object;
			}
		} as unknown as new (options: SerialOptions) => Serial;
	}

	/** Routes output to a consumer when the scripted port is passed as an instance (AtEngine.feed). */
	set onReadable(fn: ((this: Serial, count: number) => void) | undefined) {
		this.#onReadable = fn;
	}

	script(...steps: Step[]): this {
		this.#steps.push(...steps);
		this.#advanceEmits();
		return this;
	}

	get remaining(): number {
		return this.#steps.length;
	}

	/** The modem is unpowered: every write is dropped until powerUp(). */
	powerOff(): void {
		this.#deaf = true;
	}

	/** Boots: deaf for `afterMs`, then `boot` text (e.g. "\r\nRDY\r\n") and answers from then on. */
	powerUp(afterMs: number, boot: string): void {
		this.#deaf = true;
		this.#deafUntil = this.clock.now() + afterMs;
		this.clock.set(() => {
			this.#deaf = false;
			this.#send(bytes(boot));
		}, afterMs);
	}

	/** Pushes bytes to the reader now. */
	inject(data: string | Uint8Array): void {
		this.#send(typeof data === "string" ? bytes(data) : data);
	}

	read(count?: number): ArrayBuffer | undefined {
		if (!this.#rx.length) return undefined;
		const n = count === undefined ? this.#rx.length : Math.min(count, this.#rx.length);
		return new Uint8Array(this.#rx.splice(0, n)).buffer;
	}

	write(data: IOBuffer): void {
		if (this.closed) throw new Error("closed");
		const view = data instanceof Uint8Array ? data : new Uint8Array(data);
		for (let i = 0; i < view.length; i++) {
			const b = view[i];
			if (this.#payload) {
				this.#payload.got.push(b);
				if (--this.#payload.remaining === 0) this.#endPayload();
				continue;
			}
			if (b === 13) {
				const line = this.#line;
				this.#line = "";
				this.#onCommand(line);
			} else if (b !== 10) this.#line += String.fromCharCode(b);
		}
	}

	close(): void {
		this.closed = true;
	}

	#onCommand(line: string): void {
		if (this.#deaf || this.clock.now() < this.#deafUntil) {
			this.dropped.push(line);
			return;
		}
		this.commands.push(line);
		this.times.push(this.clock.now());
		const step = this.#steps[0];
		if (!step || !("expect" in step)) {
			this.errors.push(`unexpected command ${JSON.stringify(line)}`);
			return;
		}
		const match = typeof step.expect === "string" ? line === step.expect : step.expect.test(line);
		if (!match) {
			this.errors.push(`expected ${String(step.expect)}, got ${JSON.stringify(line)}`);
			this.#steps.shift();
			return;
		}
		this.#steps.shift();
		if (step.payload !== undefined) {
			const length = typeof step.payload === "number" ? step.payload : step.payload.length;
			this.#payload = { remaining: length, got: [], step };
		}
		this.#later(step.reply, step.delayMs ?? 0, () => {
			if (step.payload === undefined) this.#advanceEmits();
		});
	}

	#endPayload(): void {
		const p = this.#payload;
		this.#payload = undefined;
		if (!p) return;
		const got = new Uint8Array(p.got);
		this.payloads.push(got);
		const step = p.step as { payload?: number | string | Uint8Array; afterPayload?: string; afterPayloadDelayMs?: number };
		if (typeof step.payload === "string" && text(got) !== step.payload)
			this.errors.push(`payload ${JSON.stringify(text(got))} != ${JSON.stringify(step.payload)}`);
		if (step.payload instanceof Uint8Array && text(got) !== text(step.payload)) this.errors.push("payload bytes differ");
		this.#later(step.afterPayload, step.afterPayloadDelayMs ?? 0, () => this.#advanceEmits());
	}

	#advanceEmits(): void {
		const step = this.#steps[0];
		if (!step || !("emit" in step)) return;
		this.#steps.shift();
		this.#later(step.emit, step.delayMs ?? 0, () => this.#advanceEmits());
	}

	#later(data: string | Uint8Array | undefined, delayMs: number, then: () => void): void {
		this.clock.set(() => {
			if (data !== undefined) this.#send(typeof data === "string" ? bytes(data) : data);
			then();
		}, delayMs);
	}

	#send(data: Uint8Array): void {
		if (this.closed) return;
		const size = this.#chunk > 0 ? this.#chunk : data.length;
		for (let at = 0; at < data.length; at += size) {
			for (const b of data.subarray(at, at + size)) this.#rx.push(b);
			this.#onReadable?.call(this, this.#rx.length);
		}
	}
}

/** A PWRKEY output that records its levels and reports each completed pulse's length. */
export class FakePin implements DigitalOutput {
	readonly clock: Clock;
	readonly active: 0 | 1;
	readonly writes: { value: 0 | 1; at: number }[] = [];
	readonly pulses: number[] = [];
	onPulse: ((ms: number) => void) | undefined;
	#value: 0 | 1 = 0;
	#since = 0;
	closed = false;

	constructor(clock: Clock, active: 0 | 1 = 1) {
		this.clock = clock;
		this.active = active;
		this.#value = active === 1 ? 0 : 1;
	}

	write(value: 0 | 1): void {
		const now = this.clock.now();
		this.writes.push({ value, at: now });
		if (value === this.active && this.#value !== this.active) this.#since = now;
		if (value !== this.active && this.#value === this.active) {
			const ms = now - this.#since;
			this.pulses.push(ms);
			this.onPulse?.(ms);
		}
		this.#value = value;
	}

	read(): 0 | 1 {
		return this.#value;
	}

	close(): void {
		this.closed = true;
	}
}

/**
 * Drives simulated time until `promise` settles, jumping from one timer deadline to the next and letting promise
 * continuations run in between. Fails if nothing is pending and the promise is still open (a hang), or after
 * `limitMs` of simulated time.
 */
export async function drive<T>(clock: ManualClock, promise: Promise<T>, limitMs = 3_600_000): Promise<T> {
	let done = false;
	let value: T | undefined;
	promise.then((v) => {
		done = true;
		value = v;
	});
	const end = clock.now() + limitMs;
	await settle();
	while (!done) {
		const next = clock.nextDeadline();
		if (next === undefined) throw new Error("hang: nothing pending and the operation is still open");
		if (next > end) throw new Error("did not settle within " + limitMs + " ms of simulated time");
		await clock.advanceAsync(Math.max(0, next - clock.now()));
	}
	return value as T;
}
