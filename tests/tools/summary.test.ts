/**
 * npm test's closing line counts skips apart from passes (issue 8): uvu's own output for a file with one pass, one
 * failure and one skip is read back as 1 passed, 1 failed, 1 skipped, and the skip is named with its reason.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { skipLines, uvuCount } from "../summary";

const S = suite("test summary");

S("a skipped case is counted as skipped, named with its reason, and never as passed", () => {
	const run = spawnSync(process.execPath, ["--import", "tsx", "node_modules/uvu/bin.js", "tests/tools/fixtures", "skips\\.fixture\\.ts$"], { encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0" } });
	const output = run.stdout + run.stderr;
	assert.is(run.status, 1, output);
	assert.equal(uvuCount(output), [1, 1, 1]);
	assert.equal(skipLines(output), ["needs a thing this machine lacks: no such thing here"]);
});

S.run();
