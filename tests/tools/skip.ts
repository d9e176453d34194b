/**
 * A test that cannot run here is a skip, never a pass (issue 8): it is registered with uvu's `skip` (so uvu counts
 * it under "Skipped") and named with its reason on a `SKIP: <name>: <reason>` line, which tests/run.ts collects
 * into the closing summary.
 *
 *   const why = sdkMissing();
 *   if (why) skipCase(E, "a triple press in mcsim ...", why); else E("a triple press in mcsim ...", async () => ...);
 */
import type { Test } from "uvu";

export function skipCase(target: Test, name: string, reason: string): void {
	console.log(`SKIP: ${name}: ${reason}`);
	target.skip(name, () => undefined);
}
