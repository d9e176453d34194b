/**
 * The ESP32's UART receiver across automatic light sleep, as ESP-IDF documents it: what the simulated world puts
 * between the modem's TX line and the firmware's Serial.
 *
 * Sources (ESP-IDF v6.0, espressif/esp-idf tag v6.0):
 *  - docs/en/api-reference/system/sleep_modes.rst, "UART Wakeup (Light-sleep Only)": "The UART peripheral contains
 *    a feature which allows waking up the chip from Light-sleep when a certain number of positive edges on RX pin
 *    are seen. This number of positive edges can be set using uart_set_wakeup_threshold() function. Note that the
 *    character which triggers wakeup (and any characters before it) will not be received by the UART after
 *    wakeup." And: "After waking-up from UART, you should send some extra data through the UART port in Active
 *    mode, so that the internal wakeup indication signal can be cleared. Otherwise, the next UART wake-up would
 *    trigger with two less rising edges than the configured threshold value."
 *    The ESP32-S3 supports only this mode (components/soc/esp32s3/include/soc/soc_caps.h:
 *    SOC_UART_WAKEUP_SUPPORT_ACTIVE_THRESH_MODE; the newer docs' Mode 0 "Active Edge Threshold Wakeup": "When all
 *    clocks are powered down, the chip can be woken up by toggling the RXD pin").
 *  - components/esp_driver_uart/include/driver/uart.h, uart_set_wakeup_threshold(): "Stop bit and parity bits (if
 *    enabled) also contribute to the number of edges. For example, letter 'a' with ASCII code 97 is encoded as
 *    0100001101 on the wire (with 8n1 configuration) ... 3 positive edges ... to wake up the system when 'a' is
 *    sent, set wakeup_threshold=3. The character that triggers wakeup is not received by UART ... Depending on the
 *    baud rate, a few characters after that will also not be received." Threshold range 3 .. 0x3ff. On the
 *    classic ESP32 only UART0 on GPIO3 and UART1 on GPIO9 through the IO_MUX can wake the chip: the T-SIM7000G's
 *    modem RX on GPIO26 cannot.
 *
 * So, while the chip light-sleeps, its UART receives nothing: without a UART wake-up source every byte the modem
 * sends is lost; with one, the edges are counted, every character up to and including the one that reaches the
 * threshold is lost, and `lostAfterWake` more (the "few" of uart.h) as the chip comes up. The rest of that burst
 * is received. Whether the chip stays awake after it is the firmware's business (a lock taken in onReadable); the
 * next burst finds it asleep again if it did not (automatic light sleep re-enters as soon as FreeRTOS idles).
 */

import ByteQueue from "./byteQueue";
import type { IOBuffer, Serial, SerialClass, SerialOptions } from "drivers/io";

export interface LightSleepUartOptions {
	/** The chip light-sleeps now: automatic light sleep enabled and no lock held (World.mcuMayLightSleep). */
	readonly asleep: () => boolean;
	/**
	 * uart_set_wakeup_threshold() with esp_sleep_enable_uart_wakeup(): RX positive edges that wake the chip (3 ..
	 * 0x3ff). Undefined: no UART wake-up source, as hal/esp32/power.c configures it.
	 */
	readonly wakeThreshold?: number;
	/** Characters after the waking one that are lost too while the chip comes up (uart.h: "a few"); default 2. */
	readonly lostAfterWake?: number;
	/** Told about each lost run of bytes (for the world's log). */
	readonly onLost?: (bytes: Uint8Array, why: "asleep" | "wake") => void;
}

/** Positive (0 -> 1) edges of one 8N1 frame: start bit 0, data bits LSB first, stop bit 1 (uart.h's example). */
export function risingEdges(byte: number): number {
	let edges = 0;
	let previous = 0; // the start bit
	for (let i = 0; i <= 8; i++) {
		const bit = i < 8 ? (byte >> i) & 1 : 1; // the stop bit last
		if (bit === 1 && previous === 0) edges++;
		previous = bit;
	}
	return edges;
}

export class LightSleepUart {
	readonly #asleep: () => boolean;
	readonly #threshold: number | undefined;
	readonly #lostAfterWake: number;
	readonly #onLost: LightSleepUartOptions["onLost"];
	#edges = 0;
	/** A UART wake happened and no character has been received awake since: the next threshold is 2 edges less. */
	#indicationPending = false;
	readonly stats = { received: 0, lost: 0, wakes: 0 };

	constructor(options: LightSleepUartOptions) {
		if (typeof options?.asleep !== "function") throw new RangeError("invalid asleep");
		const t = options.wakeThreshold;
		if (t !== undefined && (!Number.isInteger(t) || t < 3 || t > 0x3ff)) throw new RangeError("invalid wakeThreshold");
		const after = options.lostAfterWake ?? 2;
		if (!Number.isInteger(after) || after < 0) throw new RangeError("invalid lostAfterWake");
		this.#asleep = options.asleep;
		this.#threshold = t;
		this.#lostAfterWake = after;
		this.#onLost = options.onLost;
	}

	/** One burst on the modem's TX line; returns what reaches the RX FIFO. */
	receive(bytes: Uint8Array): Uint8Array {
		if (!this.#asleep()) {
			if (bytes.length > 0) this.#indicationPending = false;
			this.#edges = 0;
			this.stats.received += bytes.length;
			return bytes;
		}
		if (this.#threshold === undefined) return this.#lose(bytes, "asleep");
		const threshold = Math.max(1, this.#threshold - (this.#indicationPending ? 2 : 0));
		for (let i = 0; i < bytes.length; i++) {
			this.#edges += risingEdges(bytes[i]!);
			if (this.#edges < threshold) continue;
			// Woken by character i: it and everything before it is lost, and a few after it.
			this.#edges = 0;
			this.#indicationPending = true;
			this.stats.wakes++;
			const cut = Math.min(bytes.length, i + 1 + this.#lostAfterWake);
			this.#lose(bytes.subarray(0, cut), "wake");
			const kept = bytes.subarray(cut);
			if (kept.length > 0) this.#indicationPending = false;
			this.stats.received += kept.length;
			return kept;
		}
		return this.#lose(bytes, "asleep");
	}

	#lose(bytes: Uint8Array, why: "asleep" | "wake"): Uint8Array {
		if (bytes.length > 0) {
			this.stats.lost += bytes.length;
			this.#onLost?.(bytes, why);
		}
		return new Uint8Array(0);
	}
}

/**
 * The Serial class the firmware opens, with `uart` between the modem's TX line and its RX FIFO: each burst the
 * inner port reports is read at once (the line does not wait for the reader) and only what `uart` lets through
 * becomes readable.
 */
export function lightSleepSerial(Inner: SerialClass, uart: LightSleepUart): SerialClass {
	return class LightSleepSerial {
		constructor(options: SerialOptions) {
			const queue = new ByteQueue();
			let open = true;
			let outer: Serial;
			const inner: Serial = new Inner({
				...options,
				onReadable(this: Serial) {
					const data = this.read();
					if (!data || !open) return;
					const kept = uart.receive(new Uint8Array(data));
					if (kept.length === 0) return;
					queue.push(kept);
					options.onReadable?.call(outer, queue.available);
				},
			});
			outer = {
				read(count?: number): ArrayBuffer | undefined {
					if (!open) throw new Error("closed");
					return queue.read(count);
				},
				write(data: IOBuffer): void {
					if (!open) throw new Error("closed");
					inner.write(data);
				},
				close(): void {
					if (!open) return;
					open = false;
					queue.clear();
					inner.close();
				},
			};
			return outer as unknown as LightSleepSerial;
		}
	} as unknown as SerialClass;
}
