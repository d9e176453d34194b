/**
 * Fast start for the provisioning CLI (`npm run provision`): runs tools/provision/cli.ts from one ES module bundle
 * instead of through tsx's loader. Through tsx, loading the CLI took ~0.4 s of a 5,000-device run of ~1 s (node
 * alone starts in ~0.1 s); from the bundle it starts in ~0.13 s. The arguments, output and exit codes are the CLI's.
 *
 * The bundle is built with esbuild (a dependency already: tsx runs on it) on first use and cached in the
 * repository's .cache/provision-cli/ (the user's own directory, not a shared temp directory: this code runs next to
 * the platform key), named by the SHA-256 of every tools/provision/*.ts it can be built from, so an edited source is
 * never run stale. Packages (better-sqlite3, esbuild) stay external and load from node_modules. import.meta.url is
 * pinned to cli.ts's real URL in the bundle: the CLI's modules find their files relative to tools/provision/.
 *
 *   node <PROVISION_NODE_FLAGS> tools/provision/provision.mjs <command> [options]    (what npm run provision runs)
 *   node --import tsx tools/provision/cli.ts <command> [options]                      (the same CLI, through tsx)
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** The bundle for the current sources: its path, built first if no bundle of these exact sources exists. */
async function bundle() {
	const hash = createHash("sha256");
	for (const name of readdirSync(here).filter((n) => n.endsWith(".ts")).sort()) hash.update(name).update("\0").update(readFileSync(join(here, name)));
	const cached = join(here, "..", "..", ".cache", "provision-cli", `${hash.digest("hex").slice(0, 32)}.mjs`);
	if (existsSync(cached)) return cached;
	const entry = join(here, "cli.ts");
	const { buildSync } = await import("esbuild");
	const result = buildSync({
		entryPoints: [entry], bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", write: false,
		define: { "import.meta.url": JSON.stringify(pathToFileURL(entry).href) }, logLevel: "silent",
	});
	mkdirSync(dirname(cached), { recursive: true, mode: 0o700 });
	// Written under a temporary name and renamed: a run cut short never leaves a half bundle under the real name.
	const tmp = `${cached}.${process.pid}.tmp`;
	writeFileSync(tmp, result.outputFiles[0].contents, { mode: 0o600 });
	renameSync(tmp, cached);
	return cached;
}

const cli = await import(pathToFileURL(await bundle()).href);
process.exitCode = await cli.runFromCommandLine(process.argv.slice(2));
