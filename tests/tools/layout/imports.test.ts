/**
 * The design card's direction of imports, checked on the source: main.ts wires boards, hal, drivers and modules;
 * modules/ reaches drivers only through interfaces (type-only imports); neither modules/ nor drivers/ knows boards/
 * or imports embedded:* or Node modules; firmware never imports tools/.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = join(import.meta.dirname, "..", "..", "..");

function files(dir: string): string[] {
	const out: string[] = [];
	for (const name of readdirSync(join(root, dir))) {
		const path = join(dir, name);
		if (statSync(join(root, path)).isDirectory()) out.push(...files(path));
		else if (/\.ts$/.test(name) && !/\.d\.ts$/.test(name)) out.push(path);
	}
	return out;
}

interface Import {
	file: string;
	specifier: string;
	typeOnly: boolean;
}

/** Static import/export-from statements (multi-line aware), and dynamic import() calls. */
export function importsOf(file: string, text: string): Import[] {
	const out: Import[] = [];
	const stmt = /(?:^|\n)\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*["']([^"']+)["']/g;
	for (let m = stmt.exec(text); m; m = stmt.exec(text)) out.push({ file, specifier: m[4], typeOnly: Boolean(m[2]) });
	const bare = /(?:^|\n)\s*import\s*["']([^"']+)["']/g;
	for (let m = bare.exec(text); m; m = bare.exec(text)) out.push({ file, specifier: m[1], typeOnly: false });
	const dynamic = /\bimport\(\s*["']([^"']+)["']\s*\)/g;
	for (let m = dynamic.exec(text); m; m = dynamic.exec(text)) out.push({ file, specifier: m[1], typeOnly: false });
	return out;
}

function all(dir: string): Import[] {
	return files(dir).flatMap((file) => importsOf(file, readFileSync(join(root, file), "utf8")));
}

const nodeBuiltin = /^(node:|fs$|path$|os$|crypto$|child_process$|net$|tls$|http$|https$|buffer$|process$)/;
const fmt = (list: Import[]) => list.map((i) => `${relative(root, join(root, i.file))}: ${i.specifier}`).join("\n");

const Layout = suite("import direction (design card)");

Layout("the scanner sees static, type-only, re-export, side-effect and dynamic imports", () => {
	const text = `import a from "x";\nimport type { B } from "y";\nexport { c } from "z";\nimport "w";\nconst d = await import("v");\nimport {\n  e,\n} from "u";`;
	assert.equal(importsOf("f.ts", text).map((i) => [i.specifier, i.typeOnly]), [["x", false], ["y", true], ["z", false], ["u", false], ["w", false], ["v", false]]);
});

Layout("modules/ and drivers/ import no embedded:*, no Node modules, no boards/ and no tools/", () => {
	const bad = [...all("modules"), ...all("drivers")].filter((i) =>
		i.specifier.startsWith("embedded:") || nodeBuiltin.test(i.specifier) || i.specifier.startsWith("boards/") || /(^|\/)tools\//.test(i.specifier));
	assert.is(fmt(bad), "");
});

Layout("modules/ reaches drivers only through type-only imports (interfaces and messages)", () => {
	const bad = all("modules").filter((i) => i.specifier.startsWith("drivers/") && !i.typeOnly);
	assert.is(fmt(bad), "");
});

Layout("firmware (main.ts, modules, drivers, hal, boards) never imports tools/ or Node modules", () => {
	const firmware = [...all("modules"), ...all("drivers"), ...all("hal"), ...all("boards"), ...importsOf("main.ts", readFileSync(join(root, "main.ts"), "utf8"))];
	const bad = firmware.filter((i) => /(^|\/)tools\//.test(i.specifier) || nodeBuiltin.test(i.specifier));
	assert.is(fmt(bad), "");
});

Layout("drivers/ never import modules/ (modules depend on driver interfaces, not the reverse)", () => {
	const bad = all("drivers").filter((i) => i.specifier.startsWith("modules/"));
	assert.is(fmt(bad), "");
});

Layout.run();
