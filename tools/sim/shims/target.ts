import type { Board } from "hal/board";
import type { Target } from "hal/targetTypes";

/** Node stand-in for `hal/target` (mapped in tsconfig.tools.json): Node runs build hal/sim/target's createSimTarget. */
export function createTarget(_board: Board): Target {
	throw new Error("hal/target is the Moddable platform's: in Node use hal/sim/target createSimTarget()");
}
