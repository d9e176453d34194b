/*
 * Only for mcconfig builds (manifest.json typescript.tsconfig.compilerOptions.types): adds Digest.process(), which
 * modules/crypt/digest/crypt.js defines but the SDK's typings/crypt.d.ts omits. Ambient module declarations merge,
 * so this augments the SDK's declaration instead of replacing it. The npm type check uses typings/crypt.d.ts.
 */
declare module "crypt" {
	interface Digest {
		process(...messages: (string | ArrayBuffer | ArrayBufferView)[]): ArrayBuffer;
	}
}
