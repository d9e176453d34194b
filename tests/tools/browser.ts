/**
 * Headless Chromium for the page tests, from the npm registry: `@sparticuz/chromium` ships a brotli-compressed
 * Chromium build (bin/chromium.br) plus the shared libraries it needs beyond glibc (bin/al2023.tar.br: NSS, NSPR,
 * expat), its fonts and SwiftShader. We unpack them once into `.cache/chromium/<version>/` and launch the binary with
 * playwright-core, with LD_LIBRARY_PATH pointing at the unpacked libraries, so a bare Debian machine needs no
 * `apt-get install chromium` (and no libnss3). `tests/tools/browser.test.ts` checks with `ldd` that nothing else is
 * needed.
 *
 * The package's own `executablePath()` unpacks into os.tmpdir() and adds the libraries only on Amazon Linux, and its
 * default flags turn off web security; we want neither, so the unpacking is done here with Node's brotli and `tar`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { brotliDecompressSync } from "node:zlib";
import { chromium, type Browser, type BrowserContext, type LaunchOptions } from "playwright-core";

const require = createRequire(import.meta.url);
// The package's "exports" hide package.json; find its folder from the main entry (build/cjs/index.js).
const PACKAGE_DIR = resolve(dirname(require.resolve("@sparticuz/chromium")), "../..");
const PACKAGE_JSON = join(PACKAGE_DIR, "package.json");
const VERSION: string = JSON.parse(readFileSync(PACKAGE_JSON, "utf8")).version;
const CACHE = resolve(dirname(new URL(import.meta.url).pathname), "../../.cache/chromium", VERSION);

export interface ChromiumInstall {
	/** The Chromium executable. */
	executable: string;
	/** Directory of the shared libraries the package carries (NSS, NSPR, expat). */
	libraryDir: string;
	/** fontconfig directory (fonts.conf and the fonts). */
	fontDir: string;
	/** Environment the browser process needs. */
	env: Record<string, string>;
}

/** Unpacks the npm Chromium once (idempotent; a half-finished unpack is redone) and says where it is. */
export function installChromium(): ChromiumInstall {
	const done = join(CACHE, ".complete");
	if (!existsSync(done)) {
		const staging = `${CACHE}.partial-${process.pid}`;
		rmSync(staging, { recursive: true, force: true });
		mkdirSync(staging, { recursive: true });
		const bin = join(PACKAGE_DIR, "bin");
		writeFileSync(join(staging, "chromium"), brotliDecompressSync(readFileSync(join(bin, "chromium.br"))));
		chmodSync(join(staging, "chromium"), 0o755);
		for (const archive of ["al2023.tar.br", "fonts.tar.br", "swiftshader.tar.br"]) {
			const tar = join(staging, archive.replace(/\.br$/, ""));
			writeFileSync(tar, brotliDecompressSync(readFileSync(join(bin, archive))));
			// al2023 unpacks to lib/, fonts to fonts/ (fonts.conf inside), swiftshader to the top level.
			const into = archive.startsWith("al2023") ? join(staging, "al2023") : archive.startsWith("fonts") ? join(staging, "fonts") : staging;
			mkdirSync(into, { recursive: true });
			execFileSync("tar", ["-xf", tar, "-C", into]);
			rmSync(tar);
		}
		// The package's fonts.conf names Lambda paths (/var/task, /tmp/fonts); point fontconfig at ours instead.
		writeFileSync(join(staging, "fonts", "fonts.conf"), `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${join(CACHE, "fonts", "fonts")}</dir>\n  <cachedir>${join(CACHE, "fonts-cache")}</cachedir>\n</fontconfig>\n`);
		writeFileSync(join(staging, ".complete"), `${VERSION}\n`);
		rmSync(CACHE, { recursive: true, force: true });
		mkdirSync(dirname(CACHE), { recursive: true });
		renameSync(staging, CACHE);
	}
	const libraryDir = join(CACHE, "al2023", "lib");
	const fontDir = join(CACHE, "fonts");
	return {
		executable: join(CACHE, "chromium"),
		libraryDir,
		fontDir,
		env: {
			LD_LIBRARY_PATH: [libraryDir, CACHE, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
			FONTCONFIG_PATH: fontDir,
		},
	};
}

/**
 * Flags for a headless browser in a container: no sandbox (we run as root in CI), software GL through the bundled
 * SwiftShader. Web security stays on: the platform's CSP and CSRF tests depend on it.
 */
const FLAGS = ["--no-sandbox", "--use-gl=angle", "--use-angle=swiftshader", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check"];

function processEnv(extra: Record<string, string>): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
	return { ...env, ...extra };
}

/** Launches the npm Chromium headless; `options.args` are added to the base flags. */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
	const install = installChromium();
	return chromium.launch({ ...options, executablePath: install.executable, headless: true, args: [...FLAGS, ...(options.args ?? [])], env: processEnv({ ...install.env, ...(options.env as Record<string, string> | undefined) }) });
}

/** The same, with a persistent profile directory (for tests that need one). */
export async function launchChromiumPersistent(profileDir: string, options: Parameters<typeof chromium.launchPersistentContext>[1] = {}): Promise<BrowserContext> {
	const install = installChromium();
	return chromium.launchPersistentContext(profileDir, { ...options, executablePath: install.executable, headless: true, args: [...FLAGS, ...(options.args ?? [])], env: processEnv({ ...install.env, ...(options.env as Record<string, string> | undefined) }) });
}
