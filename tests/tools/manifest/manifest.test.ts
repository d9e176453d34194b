/**
 * tools/manifest: the module map mcconfig would build for each target (tools/mcmanifest.js rules, see
 * tools/manifest/resolve.ts) and a tsc check of each target's module set from that map alone.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { matchPlatform, resolveTarget, targets } from "../../../tools/manifest/resolve";
import { checkTarget } from "../../../tools/manifest/check";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

const perTarget = suite("every target: resolved like mcconfig and type-checked from its own map");

for (const target of targets) {
	perTarget(`${target}: no manifest error, no dropped mapping, tsc clean on exactly the mapped modules`, () => {
		const r = resolveTarget(root, target);
		assert.equal(r.errors, []);
		assert.equal(r.dropped.map((d) => `${d.name} -> ${d.file}`), [], "a file mapped under two names loses the second");
		const check = checkTarget(root, r);
		assert.ok(check.ok, check.output);
	});
}

perTarget("board images map the board's keystore as hal/deviceKeystore and ship no test doubles or unused crypto", () => {
	const s3 = resolveTarget(root, "esp32:boards/lilygo_t_sim7080g_s3");
	const classic = resolveTarget(root, "esp32:boards/lilygo_t_sim7000g");
	assert.is(s3.modules.get("hal/deviceKeystore")?.file, "hal/esp32/efuseDeviceKeystore.ts");
	assert.is(classic.modules.get("hal/deviceKeystore")?.file, "hal/esp32/nvsDeviceKeystore.ts");
	assert.is(s3.modules.get("embedded:provider/builtin")?.file, "boards/lilygo_t_sim7080g_s3/host/provider.ts");
	assert.is(s3.modules.get("hal/target")?.file, "hal/esp32/target.ts");
	for (const r of [s3, classic]) {
		const files = [...r.modules.values()].map((m) => m.file);
		assert.equal(files.filter((f) => f.startsWith("hal/sim/") || f.startsWith("hal/simulator/") || f.startsWith("boards/sim/")), []);
		assert.not.ok(r.modules.has("hmac") || r.modules.has("crypt"), "no hmac/crypt modules");
	}
	assert.ok(s3.cFiles.includes("hal/esp32/efuseKeystore.c") && !s3.cFiles.includes("hal/esp32/nvsKeystore.c"));
	assert.ok(classic.cFiles.includes("hal/esp32/nvsKeystore.c") && !classic.cFiles.includes("hal/esp32/efuseKeystore.c"));
	const lin = resolveTarget(root, "lin");
	assert.is(lin.modules.get("hal/target")?.file, "hal/simulator/target.ts");
	assert.is(lin.modules.get("hal/sim/softKeystore")?.file, "hal/sim/softKeystore.ts");
	assert.not.ok(lin.modules.has("hal/sim/memoryStore"));
});

perTarget.run();

const rules = suite("mcmanifest.js rules on fixtures");

function fixture(files: Record<string, string>): string {
	const dir = mkdtempSync(join(tmpdir(), "enigm-manifest-"));
	for (const [path, text] of Object.entries(files)) {
		mkdirSync(dirname(join(dir, path)), { recursive: true });
		writeFileSync(join(dir, path), text);
	}
	return dir;
}

rules("matchPlatform: full platform first, then shorter; x/* by prefix, */x by suffix, ... as fallback", () => {
	const p = { "esp32/*": { error: "a" }, lin: { error: "b" }, "...": { error: "c" } };
	assert.is(matchPlatform(p, "esp32/board")?.error, "a");
	assert.is(matchPlatform(p, "lin")?.error, "b");
	assert.is(matchPlatform(p, "mac")?.error, "c");
	assert.is(matchPlatform({ esp32: { error: "x" }, "esp32/*": { error: "y" } }, "esp32/b")?.error, "y");
	assert.is(matchPlatform({ esp32: { error: "x" } }, "esp32/b")?.error, "x");
	assert.is(matchPlatform({ "*/b": { error: "z" } }, "esp32/b")?.error, "z");
});

rules("one file under two names keeps the first (Rule.appendFile files.already): an import of the second fails tsc", () => {
	const dir = fixture({
		"manifest.json": JSON.stringify({ modules: { "*": ["./main"] }, include: ["./board/manifest.json"] }),
		"board/manifest.json": JSON.stringify({ modules: { "lib/impl": "../lib/impl", "lib/alias": "../lib/impl" } }),
		"lib/impl.ts": "export const x = 1;\n",
		"main.ts": 'import { x } from "lib/alias";\nexport default x;\n',
	});
	try {
		const r = resolveTarget(dir, "lin");
		assert.is(r.modules.get("lib/impl")?.file, "lib/impl.ts");
		assert.not.ok(r.modules.has("lib/alias"));
		assert.equal(r.dropped.map((d) => d.name), ["lib/alias"]);
		const check = checkTarget(dir, r, root);
		assert.not.ok(check.ok);
		assert.ok(/TS2307: Cannot find module 'lib\/alias'/.test(check.output), check.output);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
});

rules("includes merge before the including manifest; platform sections, * sources, config/defines and preload merge", () => {
	const dir = fixture({
		"manifest.json": JSON.stringify({
			include: "./inc/manifest.json",
			modules: { "*": "./main", "lib/*": "./lib/*" },
			config: { a: 1, nested: { x: 1 } },
			preload: "lib/one",
			platforms: { esp32: { modules: { "hal/target": "./lib/two" }, config: { nested: { y: 2 } } }, lin: { error: "no lin" } },
		}),
		"inc/manifest.json": JSON.stringify({ modules: { "lib/first": "../lib/one" }, defines: { d: { v: 1 } }, config: { a: 0 } }),
		"lib/one.ts": "export {};\n",
		"lib/two.ts": "export {};\n",
		"main.ts": "export {};\n",
	});
	try {
		const r = resolveTarget(dir, "esp32/x");
		assert.equal(r.manifests, ["inc/manifest.json", "manifest.json"]);
		assert.is(r.modules.get("lib/first")?.file, "lib/one.ts", "the include mapped lib/one first");
		assert.not.ok(r.modules.has("lib/one"));
		// mergeManifest: a manifest's own modules, then its platform section: lib/* took lib/two first.
		assert.is(r.modules.get("lib/two")?.file, "lib/two.ts");
		assert.not.ok(r.modules.has("hal/target"));
		assert.equal(r.dropped.map((d) => d.name), ["lib/one", "hal/target"]);
		assert.equal(r.config, { a: 1, nested: { x: 1, y: 2 } });
		assert.equal(r.defines, { d: { v: 1 } });
		assert.equal(r.preload, ["lib/one"]);
		assert.equal(resolveTarget(dir, "lin").errors, ["no lin"]);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
});

rules("a source directory that does not exist is an error, as mcconfig reports it", () => {
	const dir = fixture({ "manifest.json": JSON.stringify({ modules: { "x/*": "./missing/*" } }) });
	try {
		assert.match(resolveTarget(dir, "lin").errors.join("\n"), /directory not found: \.\/missing\/\*/);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
});

rules.run();
