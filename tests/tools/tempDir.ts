/**
 * Temporary directories for a test process, removed when the process exits (pass or fail), so `npm test` leaves
 * nothing behind in the OS temp directory: the platform's SQLite files and development CAs hold test keys.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const created: string[] = [];
let hooked = false;

/** A fresh directory `<tmp>/<prefix>XXXXXX`, deleted with everything in it when this process exits. */
export function testTempDir(prefix: string): string {
	const dir = mkdtempSync(join(tmpdir(), prefix));
	created.push(dir);
	if (!hooked) {
		hooked = true;
		// "exit" handlers run synchronously after the event loop is done, uvu's failures included.
		process.on("exit", () => {
			for (const d of created) rmSync(d, { recursive: true, force: true });
		});
	}
	return dir;
}
