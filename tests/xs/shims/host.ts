/**
 * The simulated host behind the XS lane's shims of Moddable modules (`timer`, `time`, `preference`,
 * `embedded:io/*`, `embedded:provider/builtin`). One instance per bundle: every shim imports this module, and so can
 * a test that wants to drive the simulated hardware (`import * as host from "../../xs/shims/host"`).
 *
 * Time is virtual: `Timer` callbacks run only when `advance` is called, or when the uvu shim drains the queue after
 * each test body. Between callbacks a macrotask turn lets promise continuations run, as on the device's event loop.
 * Runs in XS: no Node APIs.
 */

interface Scheduled {
	at: number;
	order: number;
	interval: number;
	callback: () => void;
	active: boolean;
}

let virtualNow = 0;
let order = 0;
let queue: Scheduled[] = [];

/** Virtual milliseconds since the bundle started (Moddable `Time.ticks`). */
export function now(): number {
	return virtualNow;
}

export interface HostTimer {
	readonly __hostTimer: true;
}

/** Queues `callback` at `now() + delay`, then every `interval` ms if `interval` > 0. */
export function schedule(callback: () => void, delay: number, interval = 0): HostTimer {
	const entry: Scheduled = {
		at: virtualNow + Math.max(0, delay | 0),
		order: order++,
		interval: Math.max(0, interval | 0),
		callback,
		active: true,
	};
	queue.push(entry);
	return entry as unknown as HostTimer;
}

export function reschedule(timer: HostTimer, delay: number, interval = 0): void {
	const entry = timer as unknown as Scheduled;
	entry.at = virtualNow + Math.max(0, delay | 0);
	entry.interval = Math.max(0, interval | 0);
	entry.order = order++;
	if (!entry.active) {
		entry.active = true;
		queue.push(entry);
	}
}

export function cancel(timer: HostTimer): void {
	const entry = timer as unknown as Scheduled;
	entry.active = false;
	queue = queue.filter((e) => e !== entry);
}

export function isScheduled(timer: HostTimer): boolean {
	return (timer as unknown as Scheduled).active;
}

/** Number of timers waiting. */
export function pendingTimers(): number {
	return queue.length;
}

function next(): Scheduled | undefined {
	let best: Scheduled | undefined;
	for (const e of queue) if (!best || e.at < best.at || (e.at === best.at && e.order < best.order)) best = e;
	return best;
}

function fire(entry: Scheduled): void {
	if (entry.at > virtualNow) virtualNow = entry.at;
	if (entry.interval > 0) {
		entry.at += entry.interval;
		entry.order = order++;
	} else {
		entry.active = false;
		queue = queue.filter((e) => e !== entry);
	}
	entry.callback();
}

/** One macrotask turn: every queued promise continuation runs first (xsnap and Node both drain microtasks first). */
export function turn(): Promise<void> {
	const immediate = (globalThis as { setImmediate?: (callback: () => void) => void }).setImmediate;
	if (immediate) return new Promise<void>((resolve) => immediate(resolve));
	let chain = Promise.resolve();
	for (let i = 0; i < 200; i++) chain = chain.then(() => undefined);
	return chain;
}

/** Moves virtual time forward by `ms`, firing due callbacks in order with a macrotask turn after each. */
export async function advance(ms: number): Promise<void> {
	const end = virtualNow + ms;
	await turn();
	for (;;) {
		const entry = next();
		if (!entry || entry.at > end) break;
		fire(entry);
		await turn();
	}
	if (end > virtualNow) virtualNow = end;
}

/**
 * Fires pending callbacks until none is left, at most `horizonMs` of virtual time ahead or `maxCallbacks` calls
 * (a repeating timer would otherwise run forever). Returns the number of callbacks fired.
 */
export async function drain(horizonMs = 3600_000, maxCallbacks = 10_000): Promise<number> {
	const end = virtualNow + horizonMs;
	let fired = 0;
	await turn();
	for (; fired < maxCallbacks; fired++) {
		const entry = next();
		if (!entry || entry.at > end) break;
		fire(entry);
		await turn();
	}
	return fired;
}

// --- Digital pins ---------------------------------------------------------------------------------------------

type PinListener = (level: 0 | 1, previous: 0 | 1) => void;

const pinLevels = new Map<string, 0 | 1>();
const pinListeners = new Map<string, Set<PinListener>>();

/** Current level of a simulated pin; `floating` is what an undriven pin reads (its pull). */
export function pinLevel(pin: number | string, floating: 0 | 1 = 1): 0 | 1 {
	return pinLevels.get(String(pin)) ?? floating;
}

/** Drives a simulated pin (a button, a modem status line); listeners see the change. */
export function setPin(pin: number | string, level: 0 | 1): void {
	const key = String(pin);
	const previous = pinLevel(key);
	pinLevels.set(key, level);
	if (previous !== level) for (const listener of pinListeners.get(key) ?? []) listener(level, previous);
}

export function watchPin(pin: number | string, listener: PinListener): () => void {
	const key = String(pin);
	let set = pinListeners.get(key);
	if (!set) pinListeners.set(key, (set = new Set()));
	set.add(listener);
	return () => set.delete(listener);
}

// --- Serial ports ----------------------------------------------------------------------------------------------

export interface SerialWire {
	/** Bytes the firmware wrote, oldest first; `take` empties it. */
	take(): Uint8Array;
	/** Delivers bytes to the firmware's receive buffer (its onReadable runs after the current turn). */
	inject(bytes: ArrayLike<number> | string): void;
	/** Called for every write the firmware makes (a scripted modem answers from here). */
	onWrite: ((bytes: Uint8Array) => void) | undefined;
	/** Receive buffer, read by the Serial shim. */
	readonly received: number[];
	/** Set by the Serial shim when it opens the port. */
	notify: ((count: number) => void) | undefined;
}

const wires = new Map<string, SerialWire & { transmitted: number[] }>();

function bytesOf(data: ArrayLike<number> | string): number[] {
	if (typeof data !== "string") return Array.from(data, (b) => b & 0xff);
	const out: number[] = [];
	for (const ch of data) {
		const c = ch.codePointAt(0)!;
		if (c < 0x80) out.push(c);
		else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
		else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
		else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
	}
	return out;
}

/** The simulated line behind `new Serial({ port })` (port names are compared as strings). */
export function serialWire(port: number | string = 0): SerialWire {
	const key = String(port);
	let wire = wires.get(key);
	if (!wire) {
		const transmitted: number[] = [];
		const received: number[] = [];
		const created = {
			transmitted,
			received,
			onWrite: undefined as SerialWire["onWrite"],
			notify: undefined as SerialWire["notify"],
			take(): Uint8Array {
				return Uint8Array.from(transmitted.splice(0, transmitted.length));
			},
			inject(bytes: ArrayLike<number> | string): void {
				received.push(...bytesOf(bytes));
				void Promise.resolve().then(() => {
					if (received.length) created.notify?.(received.length);
				});
			},
		};
		wires.set(key, (wire = created));
	}
	return wire;
}

/** Called by the Serial shim for every write. */
export function serialTransmit(port: number | string, bytes: Uint8Array): void {
	const wire = serialWire(port) as SerialWire & { transmitted: number[] };
	wire.transmitted.push(...bytes);
	wire.onWrite?.(bytes);
}

// --- I2C devices -----------------------------------------------------------------------------------------------

export interface I2CDevice {
	write(bytes: Uint8Array, stop: boolean): void;
	read(count: number): ArrayLike<number>;
}

const i2cDevices = new Map<string, I2CDevice>();

/** Attaches a simulated device at `address` on bus `port` (default bus 0); undefined detaches it. */
export function attachI2C(address: number, device: I2CDevice | undefined, port: number | string = 0): void {
	const key = `${port}:${address}`;
	if (device) i2cDevices.set(key, device);
	else i2cDevices.delete(key);
}

export function i2cDevice(address: number, port: number | string = 0): I2CDevice | undefined {
	return i2cDevices.get(`${port}:${address}`);
}

/**
 * The common register-file device (AXP2101 and most sensors): a write's first byte sets the register pointer,
 * further bytes are written from there; reads return bytes from the pointer, which auto-increments.
 */
export class RegisterDevice implements I2CDevice {
	readonly registers: Uint8Array;
	pointer = 0;

	constructor(size = 256, initial: Record<number, number> = {}) {
		this.registers = new Uint8Array(size);
		for (const [register, value] of Object.entries(initial)) this.registers[Number(register)] = value;
	}

	write(bytes: Uint8Array): void {
		if (bytes.length === 0) return;
		this.pointer = bytes[0]!;
		for (let i = 1; i < bytes.length; i++) this.registers[(this.pointer + i - 1) % this.registers.length] = bytes[i]!;
		if (bytes.length > 1) this.pointer = (this.pointer + bytes.length - 1) % this.registers.length;
	}

	read(count: number): Uint8Array {
		const out = new Uint8Array(count);
		for (let i = 0; i < count; i++) {
			out[i] = this.registers[this.pointer]!;
			this.pointer = (this.pointer + 1) % this.registers.length;
		}
		return out;
	}
}

// --- Preference (NVS) ------------------------------------------------------------------------------------------

/** domain -> key -> value, as `Preference` stores it. */
export const preferences = new Map<string, Map<string, boolean | number | string | ArrayBuffer>>();

/**
 * Forgets the simulated hardware: pending timers, pin levels and watchers, serial lines, I2C devices, and the
 * stored preferences unless `keepPreferences` (a simulated reboot keeps flash). Virtual time keeps running.
 * Classes already open stay open but talk to nothing.
 */
export function resetHost(options: { keepPreferences?: boolean } = {}): void {
	for (const entry of queue) entry.active = false;
	queue = [];
	pinLevels.clear();
	pinListeners.clear();
	wires.clear();
	i2cDevices.clear();
	if (!options.keepPreferences) preferences.clear();
}
