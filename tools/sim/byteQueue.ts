/**
 * The receive side of a simulated ECMA-419 Serial: bursts queued as they arrive, `read(count)` takes up to `count`
 * bytes across bursts (the ECMA-419 Serial `read`: undefined when nothing is available). Shared by the modem emulator's
 * port, the light-sleep UART wrapper and the host serial port so all read the same way.
 */
export default class ByteQueue {
	#chunks: Uint8Array[] = [];
	#available = 0;

	get available(): number {
		return this.#available;
	}

	/** Queues a copy of `bytes` (the sender may reuse its buffer; a Buffer's own slice() would not copy). */
	push(bytes: Uint8Array): void {
		if (bytes.length === 0) return;
		this.#chunks.push(new Uint8Array(bytes));
		this.#available += bytes.length;
	}

	read(count?: number): ArrayBuffer | undefined {
		if (this.#available === 0) return undefined;
		const n = Math.min(count ?? this.#available, this.#available);
		const out = new Uint8Array(n);
		let o = 0;
		while (o < n) {
			const c = this.#chunks[0]!;
			const take = Math.min(c.length, n - o);
			out.set(c.subarray(0, take), o);
			o += take;
			if (take === c.length) this.#chunks.shift(); else this.#chunks[0] = c.subarray(take);
		}
		this.#available -= n;
		return out.buffer;
	}

	clear(): void {
		this.#chunks.length = 0;
		this.#available = 0;
	}
}
