/**
 * Builds (once) and locates the `xsnap` binary: the XS engine as a command-line host, built from the sources that
 * the npm package @agoric/xsnap ships (its `moddable/` folder is a pinned Moddable XS, `xsnap-native/` the host).
 *
 * The package is never installed (its postinstall needs yarn): `npm pack` fetches the exact tarball, whose sha512 is
 * checked here against the pinned integrity before anything is extracted, and `make` builds only the xsnap host.
 * The binary is cached under `.cache/xsnap/<version>-<hash prefix>/xsnap` (ignored by git) and reused.
 *
 * `XSNAP=/path/to/xsnap` skips all of this and uses that binary.
 *
 * Run directly (`node --import tsx tests/xs/xsnap.ts`) it prints the binary's path, building it if needed.
 */
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, copyFileSync, chmodSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const xsnapPackage = "@agoric/xsnap";
export const xsnapVersion = "0.15.0";
/** npm's `dist.integrity` for @agoric/xsnap@0.15.0 (SRI: "sha512-" + base64 of the tarball's SHA-512). */
export const xsnapIntegrity =
	"sha512-ZBm4DZxbtfacxMHVVdJjZi0Y8zOxN77vpu1WwI5RWfPkaRh0aHkz/dVdTGKXalDNzWfz183lljKxlxl3/h0n+A==";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** `.cache/xsnap/0.15.0-ZBm4DZxbtfac/xsnap`: the version plus the first 12 characters of the hash, path-safe. */
export function cachedXsnapPath(root = repoRoot): string {
	const hash = xsnapIntegrity.slice(xsnapIntegrity.indexOf("-") + 1, xsnapIntegrity.indexOf("-") + 13);
	return join(root, ".cache", "xsnap", `${xsnapVersion}-${hash.replace(/\//g, "_").replace(/\+/g, "-")}`, "xsnap");
}

/** Throws unless `tarball` hashes to `integrity` (an SRI string, "sha512-<base64>"). */
export function verifyIntegrity(tarball: Buffer, integrity = xsnapIntegrity): void {
	const dash = integrity.indexOf("-");
	const algorithm = integrity.slice(0, dash);
	if (algorithm !== "sha512") throw new Error(`unsupported integrity algorithm "${algorithm}"`);
	const actual = `sha512-${createHash("sha512").update(tarball).digest("base64")}`;
	if (actual !== integrity)
		throw new Error(`integrity mismatch for ${xsnapPackage}@${xsnapVersion}: expected ${integrity}, got ${actual}`);
}

async function works(binary: string): Promise<boolean> {
	try {
		const { stdout } = await run(binary, ["-v"], { timeout: 10_000 });
		return /^XS \d+\.\d+\.\d+/.test(stdout);
	} catch {
		return false;
	}
}

export interface EnsureOptions {
	/** Progress messages (default: stderr). */
	log?: (message: string) => void;
	/** Rebuild even if a cached binary exists. */
	force?: boolean;
}

/** Returns the path of a working xsnap binary, building and caching it first if needed. */
export async function ensureXsnap(options: EnsureOptions = {}): Promise<string> {
	const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
	const override = process.env.XSNAP;
	if (override) {
		if (!(await works(override))) throw new Error(`XSNAP=${override} is not a working xsnap binary`);
		return override;
	}
	const target = cachedXsnapPath();
	if (!options.force && existsSync(target) && (await works(target))) return target;

	const started = performance.now();
	const work = mkdtempSync(join(tmpdir(), "xsnap-build-"));
	try {
		log(`xsnap: fetching ${xsnapPackage}@${xsnapVersion}`);
		await run("npm", ["pack", `${xsnapPackage}@${xsnapVersion}`, "--pack-destination", work, "--silent"], {
			cwd: work,
			timeout: 120_000,
		});
		const tarballs = readdirSync(work).filter((name) => name.endsWith(".tgz"));
		if (tarballs.length !== 1) throw new Error(`npm pack produced ${tarballs.length} tarballs in ${work}`);
		const tarball = join(work, tarballs[0]!);
		verifyIntegrity(readFileSync(tarball));

		await run("tar", ["-xzf", tarball, "-C", work], { timeout: 60_000 });
		const moddable = join(work, "package", "moddable");
		const makefiles = join(work, "package", "xsnap-native", "xsnap", "makefiles", "lin");
		log(`xsnap: building (make -j${availableParallelism()})`);
		try {
			await run(
				"make",
				["-C", makefiles, "-f", "xsnap.mk", `MODDABLE=${moddable}`, "GOAL=release", `-j${availableParallelism()}`],
				{ timeout: 600_000, maxBuffer: 64 * 1024 * 1024 },
			);
		} catch (error) {
			const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
			throw new Error(`xsnap build failed (is a C compiler and make installed?)\n${stdout.slice(-4000)}${stderr.slice(-4000)}`);
		}
		const built = join(moddable, "build", "bin", "lin", "release", "xsnap");
		if (!(await works(built))) throw new Error(`xsnap build produced no working binary at ${built}`);

		// Copy next to the target, then rename: concurrent builders never see a half-written binary.
		mkdirSync(dirname(target), { recursive: true });
		const partial = `${target}.${process.pid}.partial`;
		copyFileSync(built, partial);
		chmodSync(partial, 0o755);
		renameSync(partial, target);
		log(`xsnap: built ${target} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
		return target;
	} finally {
		rmSync(work, { recursive: true, force: true });
	}
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
	ensureXsnap({ force: process.argv.includes("--force") }).then(
		(path) => process.stdout.write(`${path}\n`),
		(error: unknown) => {
			process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
			process.exitCode = 1;
		},
	);
}
