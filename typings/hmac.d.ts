/*
 * Moddable's HMAC (modules/crypt/etc/hmac.js, RFC 2104) over a `crypt` Digest. Module name "hmac" as the SDK's
 * modules/crypt/tls_common.json maps it; our manifest.json maps it the same way.
 */
declare module "hmac" {
	import type { Digest } from "crypt";

	export default class HMAC {
		/** `bitlen` truncates sign() output to that many bits (0 = full length). */
		constructor(digest: Digest, key: ArrayBuffer | ArrayBufferView, bitlen?: number);
		init(key: ArrayBuffer | ArrayBufferView): void;
		update(...messages: (ArrayBuffer | ArrayBufferView | string)[]): void;
		close(): ArrayBuffer;
		reset(): void;
		/** reset(), write every item, close(): the MAC of the concatenation. */
		process(...messages: (ArrayBuffer | ArrayBufferView | string)[]): ArrayBuffer;
	}
}
