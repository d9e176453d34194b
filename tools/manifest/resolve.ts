/**
 * The firmware's module map per build target, computed from manifest.json and the board manifests the way mcconfig
 * does (Moddable SDK 8.2.3 tools/mcmanifest.js), without the SDK: SDK manifests are replaced by the stand-ins of
 * ./sdk.ts. Rules followed, each as mcmanifest.js implements it:
 *
 * - target parsing (Tool constructor, `-p`): `esp32:<dir>` is an external target whose manifest is
 *   `<dir>/manifest.json` and whose subplatform is its `build.SUBPLATFORM` or the directory name; `esp32/<name>`
 *   an SDK target; the full platform is `<platform>/<subplatform>`;
 * - `parseManifest`: a manifest's matched platform section adds its `include`s after the manifest's own; every
 *   include is parsed (once per path: `manifests.already`) before the including manifest is pushed, so included
 *   manifests merge first;
 * - `matchPlatform`: try the full platform, then drop trailing parts; keys `x/*` match by prefix, `*\/x` by suffix,
 *   others exactly; `...` is the fallback;
 * - `mergeManifest`/`mergePlatform`: the manifest, then its matched platform section; `config`, `creation`,
 *   `defines` merge as objects (later wins), `modules` concatenate per key (first appearance fixes the key's order),
 *   `preload` concatenates, `error`/`warning` collect;
 * - `Rule.process`/`iterate`: a key ending in `*` maps each matching file to prefix + name, a key without `*` maps
 *   the file named by the source; the `*` key maps to the bare file name; sources are resolved relative to the
 *   manifest that lists them; a source directory that does not exist is an error ("directory not found"); a source
 *   ending in `/` that matches no file is an include directory;
 * - `Rule.appendFile`: a source file is taken once (`files.already[source]`): the first mapping of a source file
 *   wins and any later name for the same file is dropped silently.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve as resolvePath } from "node:path";
import { sdkManifestKey, sdkManifests } from "./sdk";

type Sources = string | string[];

export interface PlatformSection {
	include?: Sources;
	modules?: Record<string, Sources>;
	preload?: Sources;
	config?: Record<string, unknown>;
	creation?: Record<string, unknown>;
	defines?: Record<string, unknown>;
	error?: string;
	warning?: string;
	dependency?: unknown[];
}

export interface Manifest extends PlatformSection {
	build?: Record<string, string>;
	platforms?: Record<string, PlatformSection>;
}

export interface ModuleFile {
	/** Module name (import specifier). */
	readonly name: string;
	/** Path relative to the repository root, with extension; `sdk:<path>` for an SDK module. */
	readonly file: string;
	/** The manifest that mapped it (relative path or SDK manifest name). */
	readonly manifest: string;
}

export interface Resolution {
	readonly target: string;
	readonly fullPlatform: string;
	/** name -> file for every JavaScript/TypeScript module, in mcconfig's order. */
	readonly modules: ReadonlyMap<string, ModuleFile>;
	/** Native sources (.c) the target compiles. */
	readonly cFiles: readonly string[];
	/** Names a second mapping of an already mapped file would have given (dropped, as mcconfig drops them). */
	readonly dropped: readonly ModuleFile[];
	readonly preload: readonly string[];
	readonly config: Record<string, unknown>;
	readonly creation: Record<string, unknown>;
	readonly defines: Record<string, unknown>;
	readonly errors: readonly string[];
	readonly warnings: readonly string[];
	/** Manifests in merge order. */
	readonly manifests: readonly string[];
}

export class ManifestError extends Error {}

interface Parsed {
	readonly id: string; // project-relative path or SDK name
	readonly directory: string | undefined; // absolute directory for project manifests
	readonly manifest: Manifest;
}

/** Targets CI resolves and type-checks: the two boards and the desktop simulator. */
export const targets: readonly string[] = ["esp32:boards/lilygo_t_sim7080g_s3", "esp32:boards/lilygo_t_sim7000g", "lin"];

export function resolveTarget(root: string, target: string): Resolution {
	const env: Record<string, string> = {};
	let platform: string;
	let fullPlatform: string;
	const colon = target.indexOf(":");
	const slash = target.indexOf("/");
	if (colon > 0 && (slash < 0 || colon < slash)) {
		platform = target.slice(0, colon);
		const directory = resolvePath(root, target.slice(colon + 1));
		const manifestPath = join(directory, "manifest.json");
		if (!existsSync(manifestPath)) throw new ManifestError(`invalid subplatform manifest path: ${target.slice(colon + 1)}`);
		const manifest = readManifest(manifestPath);
		const sub = manifest.build?.SUBPLATFORM ?? basename(directory);
		env.SUBPLATFORMDIRECTORY = directory;
		env.SUBPLATFORMMANIFEST = manifestPath;
		fullPlatform = `${platform}/${sub}`;
	} else if (slash > 0) {
		platform = target.slice(0, slash);
		fullPlatform = target;
	} else {
		platform = target;
		fullPlatform = target;
	}
	env.PLATFORM = platform;

	const parsed: Parsed[] = [];
	const already = new Set<string>();

	const parse = (id: string, directory: string | undefined, manifest: Manifest): void => {
		already.add(id);
		for (const [name, value] of Object.entries(manifest.build ?? {})) if (typeof value === "string") env[name] = value;
		const includes = list(manifest.include);
		const section = manifest.platforms ? matchPlatform(manifest.platforms, fullPlatform) : undefined;
		if (section) includes.push(...list(section.include));
		for (const include of includes) includeManifest(include, directory);
		parsed.push({ id, directory, manifest });
	};

	const includeManifest = (include: string, directory: string | undefined): void => {
		if (include === "$(SUBPLATFORMMANIFEST)") include = env.SUBPLATFORMMANIFEST ?? "";
		if (include.startsWith("$(")) {
			const key = sdkManifestKey(include);
			const stand = sdkManifests[key];
			if (!stand) throw new ManifestError(`SDK manifest without a stand-in in tools/manifest/sdk.ts: ${include}`);
			if (!already.has(key)) parse(key, undefined, stand);
			return;
		}
		if (!directory && !isAbsolute(include)) throw new ManifestError(`relative include outside the project: ${include}`);
		const path = isAbsolute(include) ? include : resolvePath(directory!, include);
		if (!existsSync(path)) throw new ManifestError(`'${include}': manifest not found!`);
		const id = relative(root, path);
		if (!already.has(id)) parse(id, dirname(path), readManifest(path));
	};

	parse("manifest.json", root, readManifest(join(root, "manifest.json")));

	// mergeManifest: each manifest, then its matched platform section.
	const all = {
		modules: new Map<string, { source: string; directory: string | undefined; manifest: string }[]>(),
		preload: [] as string[],
		config: {} as Record<string, unknown>,
		creation: {} as Record<string, unknown>,
		defines: {} as Record<string, unknown>,
		errors: [] as string[],
		warnings: [] as string[],
	};
	const merge = (section: PlatformSection, from: Parsed) => {
		mergeProperties(all.config, section.config);
		mergeProperties(all.creation, section.creation);
		mergeProperties(all.defines, section.defines);
		for (const [key, value] of Object.entries(section.modules ?? {})) {
			let entries = all.modules.get(key);
			if (!entries) all.modules.set(key, (entries = []));
			for (const source of list(value)) entries.push({ source, directory: from.directory, manifest: from.id });
		}
		all.preload.push(...list(section.preload));
		if (section.error) all.errors.push(section.error);
		if (section.warning) all.warnings.push(section.warning);
	};
	for (const p of parsed) {
		merge(p.manifest, p);
		const section = p.manifest.platforms ? matchPlatform(p.manifest.platforms, fullPlatform) : undefined;
		if (section) merge(section, p);
	}

	// Rule.process / iterate / appendFile.
	const taken = new Set<string>();
	const modules = new Map<string, ModuleFile>();
	const dropped: ModuleFile[] = [];
	const cFiles: string[] = [];
	const errors = [...all.errors];
	const append = (name: string, file: string, manifest: string) => {
		if (taken.has(file)) {
			dropped.push({ name, file, manifest });
			return;
		}
		taken.add(file);
		if (/\.c$/.test(file)) cFiles.push(file);
		else if (!modules.has(name)) modules.set(name, { name, file, manifest });
	};
	for (const [key, entries] of all.modules) {
		if (key === "~") continue;
		const star = key.lastIndexOf("*");
		const prefix = star >= 0 ? key.slice(0, star) : key;
		for (const { source, directory, manifest } of entries) {
			if (source.startsWith("sdk:")) {
				append(key, source, manifest);
				continue;
			}
			const resolved = resolveVariables(source, env);
			if (resolved.includes("$(")) {
				// $(MODDABLE)/$(MODULES) sources and $(IDF_PATH) include directories exist only with the SDK/ESP-IDF.
				if (!resolved.endsWith("/")) append(key, `sdk:${source}`, manifest);
				continue;
			}
			const absolute = resolvePath(directory ?? root, resolved);
			const sourceDir = resolved.endsWith("/") ? absolute : dirname(absolute);
			if (!existsSync(sourceDir) || !statSync(sourceDir).isDirectory()) {
				errors.push(`directory not found: ${source} (${manifest})`);
				continue;
			}
			if (resolved.endsWith("/")) continue; // an include directory
			const pattern = basename(absolute);
			const sourceStar = pattern.lastIndexOf("*");
			const namePrefix = sourceStar >= 0 ? pattern.slice(0, sourceStar) : pattern;
			let count = 0;
			for (const entry of readdirSync(sourceDir).sort()) {
				if (entry.startsWith(".")) continue;
				const path = join(sourceDir, entry);
				if (!statSync(path).isFile()) continue;
				const isDts = entry.endsWith(".d.ts");
				const stem = isDts ? entry.slice(0, -5) : entry.replace(/\.[^.]*$/, "");
				if (!isDts && !/\.(ts|js|c)$/.test(entry)) continue;
				if (isDts) continue; // declarations: not modules of the image
				let rest: string;
				if (sourceStar >= 0) {
					if (!stem.startsWith(namePrefix)) continue;
					rest = stem.slice(namePrefix.length);
				} else if (stem === namePrefix) rest = stem;
				else continue;
				const name = star >= 0 ? prefix + rest : key;
				count++;
				append(name, relative(root, path), manifest);
			}
			if (count === 0) (all.warnings as string[]).push(`no modules match: ${source} (${manifest})`);
		}
	}
	// mcconfig generates mc/config from the merged `config` for every target.
	if (!modules.has("mc/config")) modules.set("mc/config", { name: "mc/config", file: "sdk:mc/config (generated)", manifest: "mcconfig" });

	return {
		target, fullPlatform, modules, cFiles, dropped,
		preload: all.preload, config: all.config, creation: all.creation, defines: all.defines,
		errors, warnings: all.warnings, manifests: parsed.map((p) => p.id),
	};
}

export function matchPlatform(platforms: Record<string, PlatformSection>, name: string): PlatformSection | undefined {
	const parts = name.split("/");
	while (parts.length) {
		const partial = parts.join("/");
		for (const n of Object.keys(platforms)) {
			if (n.endsWith("/*")) {
				if (partial.startsWith(n.slice(0, -1))) return platforms[n];
			} else if (n.startsWith("*/")) {
				if (partial.endsWith(n.slice(1))) return platforms[n];
			} else if (partial === n) return platforms[n];
		}
		parts.length -= 1;
	}
	return platforms["..."];
}

function mergeProperties(target: Record<string, unknown>, source: Record<string, unknown> | undefined): void {
	if (!source) return;
	for (const [name, value] of Object.entries(source)) {
		const existing = target[name];
		if (existing && value && typeof existing === "object" && typeof value === "object")
			mergeProperties(existing as Record<string, unknown>, value as Record<string, unknown>);
		else target[name] = value;
	}
}

function resolveVariables(value: string, env: Record<string, string>): string {
	return value.replace(/\$\(([^)]+)\)/g, (whole, name: string) => env[name] ?? whole);
}

function list(value: Sources | undefined): string[] {
	return value === undefined ? [] : Array.isArray(value) ? [...value] : [value];
}

function readManifest(path: string): Manifest {
	try {
		return JSON.parse(readFileSync(path, "utf8")) as Manifest;
	} catch (e) {
		throw new ManifestError(`'${path}': invalid manifest! (${(e as Error).message})`);
	}
}
