/**
 * `npm run manifest -- --target esp32:boards/lilygo_t_sim7080g_s3` prints the target's module-name -> file map as
 * mcconfig would build it (tools/manifest/resolve.ts); `--check` also type-checks that module set with tsc;
 * `--all` does every CI target (tools/manifest/resolve.ts `targets`). Exit 1 on any error.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ManifestError, resolveTarget, targets } from "./resolve";
import { checkTarget } from "./check";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const usage = "usage: npm run manifest -- (--target <esp32:boards/<board> | lin> | --all) [--check]";
const args = process.argv.slice(2);
const chosen: string[] = [];
let check = false;
for (let i = 0; i < args.length; i++) {
	const a = args[i];
	if (a === "--target" && args[i + 1]) chosen.push(args[++i]!);
	else if (a === "--all") chosen.push(...targets);
	else if (a === "--check") check = true;
	else if (a === "--help" || a === "-h") {
		console.log(usage);
		process.exit(0);
	} else {
		console.error(`unknown argument: ${a}\n${usage}`);
		process.exit(2);
	}
}
if (chosen.length === 0) {
	console.error(usage);
	process.exit(2);
}
let failed = false;
for (const target of chosen) {
	try {
		const r = resolveTarget(root, target);
		console.log(`# ${target} (${r.fullPlatform}): ${r.modules.size} modules, manifests ${r.manifests.join(", ")}`);
		for (const m of r.modules.values()) console.log(`${m.name} -> ${m.file}`);
		for (const c of r.cFiles) console.log(`(native) ${c}`);
		for (const d of r.dropped) console.log(`# dropped: ${d.name} -> ${d.file} (${d.manifest}): file already mapped`);
		console.log(`# preload: ${r.preload.join(" ")}`);
		console.log(`# config: ${JSON.stringify(r.config)}`);
		console.log(`# creation: ${JSON.stringify(r.creation)}`);
		if (Object.keys(r.defines).length) console.log(`# defines: ${JSON.stringify(r.defines)}`);
		for (const w of r.warnings) console.log(`# warning: ${w}`);
		for (const e of r.errors) console.error(`error: ${e}`);
		if (r.errors.length) failed = true;
		if (check) {
			const result = checkTarget(root, r);
			console.log(`# tsc -p ${result.tsconfig}: ${result.ok ? "ok" : "FAILED"}`);
			if (!result.ok) {
				console.error(result.output);
				failed = true;
			}
		}
	} catch (e) {
		if (!(e instanceof ManifestError)) throw e;
		console.error(`error: ${target}: ${e.message}`);
		failed = true;
	}
}
process.exit(failed ? 1 : 0);
