/**
 * Type-checks one target's module set with tsc from its resolved module map: a tsconfig under
 * .cache/manifest/<target>/ whose `paths` are exactly the map (name -> file) and whose `files` are the target's
 * TypeScript modules plus the declarations of the SDK modules it maps. A module the target imports but does not
 * map has no path and no declaration, so tsc fails with TS2307, as mcconfig's own tsc step does.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { createRequire } from "node:module";
import type { Resolution } from "./resolve";
import { globalTypes, sdkTypes } from "./sdk";

export interface CheckResult {
	readonly ok: boolean;
	readonly output: string;
	readonly tsconfig: string;
}

export function targetSlug(target: string): string {
	return target.replace(/[^A-Za-z0-9_.-]+/g, "_");
}

/** `typesRoot`: where node_modules/@moddable/typings and typings/ are (the repository; differs for test fixtures). */
export function writeTsconfig(root: string, resolution: Resolution, typesRoot = root): string {
	const dir = join(root, ".cache", "manifest", targetSlug(resolution.target));
	mkdirSync(dir, { recursive: true });
	const up = (p: string) => relative(dir, join(root, p));
	const upTypes = (p: string) => relative(dir, join(typesRoot, p));
	const paths: Record<string, string[]> = {};
	const files = new Set<string>(globalTypes.map(upTypes));
	for (const { name, file } of resolution.modules.values()) {
		if (file.startsWith("sdk:")) {
			for (const d of sdkTypes[name] ?? []) files.add(upTypes(d));
			continue;
		}
		if (!file.endsWith(".ts")) continue;
		paths[name] = [up(file.replace(/\.ts$/, ""))];
		files.add(up(file));
	}
	const tsconfig = {
		compilerOptions: {
			target: "es2022", lib: ["es2022"], module: "esnext", moduleResolution: "bundler",
			strict: true, noEmit: true, noImplicitOverride: true, noFallthroughCasesInSwitch: true,
			types: [], paths,
		},
		files: [...files],
	};
	const path = join(dir, "tsconfig.json");
	writeFileSync(path, JSON.stringify(tsconfig, null, "\t") + "\n");
	return path;
}

export function checkTarget(root: string, resolution: Resolution, typesRoot = root): CheckResult {
	const tsconfig = writeTsconfig(root, resolution, typesRoot);
	const tsc = createRequire(join(typesRoot, "package.json")).resolve("typescript/bin/tsc");
	const run = spawnSync(process.execPath, [tsc, "-p", tsconfig, "--pretty", "false"], { cwd: root, encoding: "utf8" });
	const output = `${run.stdout ?? ""}${run.stderr ?? ""}`;
	return { ok: run.status === 0, output, tsconfig };
}
