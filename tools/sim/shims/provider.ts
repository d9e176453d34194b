/**
 * Node stand-in for `embedded:provider/builtin` (mapped in tsconfig.tools.json). Node runs of the firmware never
 * use main.ts's default export: they call `wire()` with a sim board they build (tools/sim/world). Touching this
 * object is a mistake, so it says so.
 */
const device: unknown = new Proxy({}, {
	get(_target, name) {
		throw new Error(`embedded:provider/builtin.${String(name)} is not available in Node: build the sim board with boards/sim/board createSimBoard()`);
	},
});
export default device;
