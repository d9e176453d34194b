/**
 * One ES module bundle of a tools/provision entry (cli.ts, bench.ts) and everything it imports, so that the
 * provisioning CLI and its benchmark run without tsx's loader: through tsx, loading the CLI took ~0.4 s (node alone
 * starts in ~0.1 s) and tsx's loader thread ~14 MB of peak RSS.
 *
 * Built with esbuild (a dependency already: tsx runs on it) on first use and cached in the repository's
 * .cache/provision-cli/ (the user's own directory, not a shared temp directory: this code runs next to the platform
 * key), named by the SHA-256 of every tools/provision/*.ts it can be built from, so an edited source is never run
 * stale. Packages (better-sqlite3, esbuild) stay external and load from node_modules. import.meta.url is pinned to
 * the entry's real URL: the modules find their files relative to tools/provision/.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** The URL of the bundle of `entry` (a file name in tools/provision/) for the current sources, built if missing. */
export async function bundled(entry) {
	const hash = createHash("sha256");
	for (const name of readdirSync(here).filter((n) => n.endsWith(".ts")).sort()) hash.update(name).update("\0").update(readFileSync(join(here, name)));
	const cached = join(here, "..", "..", ".cache", "provision-cli", `${entry.replace(/\.ts$/, "")}-${hash.digest("hex").slice(0, 32)}.mjs`);
	if (!existsSync(cached)) {
		const source = join(here, entry);
		const { buildSync } = await import("esbuild");
		const result = buildSync({
			entryPoints: [source], bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", write: false,
			define: { "import.meta.url": JSON.stringify(pathToFileURL(source).href) }, logLevel: "silent",
		});
		mkdirSync(dirname(cached), { recursive: true, mode: 0o700 });
		// Written under a temporary name and renamed: a run cut short never leaves a half bundle under the real name.
		const tmp = `${cached}.${process.pid}.tmp`;
		writeFileSync(tmp, result.outputFiles[0].contents, { mode: 0o600 });
		renameSync(tmp, cached);
	}
	return pathToFileURL(cached).href;
}
