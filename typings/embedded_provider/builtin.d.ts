// The host provider as our boards define it: every boards/<board>/host/provider exports a hal/board `Board`.
// (The published @moddable/typings version needs the typings of every IO class, one of which, smbus.d.ts, does
// not compile under `strict`.) mcconfig builds type-check main.ts against the SDK's own declaration instead,
// which is why main.ts casts the import to Board.
declare module "embedded:provider/builtin" {
	const device: import("hal/board").Board;
	export default device;
}
