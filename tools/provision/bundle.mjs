/**
 * One bundle of a tools/provision entry and everything it imports, so that code runs without tsx's loader: the CLI
 * and its benchmark (ES modules: through tsx, loading the CLI took ~0.4 s, node alone starts in ~0.1 s, and tsx's
 * loader thread held ~14 MB of peak RSS) and the worker threads (CommonJS, batch.ts: a worker is ready sooner
 * without the ES module loader).
 *
 * Built with esbuild (a dependency already: tsx runs on it), loaded only when a bundle must be built, and cached in
 * the repository's .cache/provision-bundles/ (the user's own directory, not a shared temp directory: this code runs
 * next to the platform key), named by the SHA-256 of every tools/provision/*.ts it can be built from, so an edited
 * source is never run stale. Packages (better-sqlite3, esbuild) stay external and load from node_modules.
 * import.meta.url is pinned to the entry's real URL: the modules find their files relative to tools/provision/.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

// The launcher's copy of this module and the one bundled into the CLI share one hash per process.
const HASH = Symbol.for("enigm.provision.sourceHash");

function sourceHash() {
	if (!globalThis[HASH]) {
		const hash = createHash("sha256");
		for (const name of readdirSync(here).filter((n) => n.endsWith(".ts")).sort()) hash.update(name).update("\0").update(readFileSync(join(here, name)));
		globalThis[HASH] = hash.digest("hex").slice(0, 32);
	}
	return globalThis[HASH];
}

/** The path of the bundle of `entry` (a file name in tools/provision/) in `format` ("esm" or "cjs"), built if missing. */
export function bundleFile(entry, format) {
	const cached = join(here, "..", "..", ".cache", "provision-bundles", `${entry.replace(/\.ts$/, "")}-${sourceHash()}.${format === "cjs" ? "cjs" : "mjs"}`);
	if (existsSync(cached)) return cached;
	const source = join(here, entry);
	const { buildSync } = createRequire(import.meta.url)("esbuild");
	const result = buildSync({
		entryPoints: [source], bundle: true, platform: "node", format, target: "node20", packages: "external", write: false,
		define: { "import.meta.url": JSON.stringify(pathToFileURL(source).href) }, logLevel: "silent",
	});
	mkdirSync(dirname(cached), { recursive: true, mode: 0o700 });
	// Written under a temporary name and renamed: a run cut short never leaves a half bundle under the real name.
	const tmp = `${cached}.${process.pid}.tmp`;
	writeFileSync(tmp, result.outputFiles[0].contents, { mode: 0o600 });
	renameSync(tmp, cached);
	return cached;
}
