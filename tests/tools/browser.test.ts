/**
 * The page tests' browser comes from the npm registry, not from apt (issue 8): it unpacks, `ldd` finds every shared
 * library it needs either in the package's own library folder or among the base libraries every glibc system has,
 * and it renders a page.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { installChromium, launchChromium } from "./browser";

/** What a bare Debian (or any glibc Linux) always has: the C library's own objects and the GCC runtime. */
const BASE = /^(linux-vdso\.so\.1|ld-linux-x86-64\.so\.2|libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libgcc_s\.so\.1)$/;

const B = suite("headless Chromium from npm");

B("ldd: every library is either glibc's own or shipped in the package", () => {
	const install = installChromium();
	const out = execFileSync("ldd", [install.executable], { encoding: "utf8", env: { ...process.env, ...install.env } });
	const problems: string[] = [];
	for (const line of out.split("\n").map((l) => l.trim()).filter(Boolean)) {
		const name = line.split(/\s+/)[0]!.replace(/^.*\//, "");
		if (/not found/.test(line)) problems.push(`${name}: not found`);
		else if (!BASE.test(name) && !line.includes(install.libraryDir)) problems.push(`${name}: resolved outside the package (${line})`);
	}
	assert.equal(problems, [], problems.join("\n"));
});

B("renders a page and runs its script", async () => {
	const browser = await launchChromium();
	try {
		const page = await browser.newPage();
		await page.setContent("<p id=p>x</p><script>document.getElementById('p').textContent = String(6 * 7)</script>");
		assert.is(await page.textContent("#p"), "42");
	} finally {
		await browser.close();
	}
});

B.run();
