/*
 * Moddable's `crypt` Digest (modules/crypt/digest/crypt.js). The published typing lacks process(), which crypt.js
 * defines as reset + write of every argument + close.
 */
declare module "crypt" {
	type DigestType = "MD5" | "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512";

	export class Digest {
		constructor(type: DigestType);
		write(message: string | ArrayBuffer | ArrayBufferView): void;
		close(): ArrayBuffer;
		reset(): void;
		process(...messages: (string | ArrayBuffer | ArrayBufferView)[]): ArrayBuffer;
		get blockSize(): number;
		get outputSize(): number;
		update(message: string | ArrayBuffer | ArrayBufferView): void;
	}
}
