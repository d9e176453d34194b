/**
 * Issue 5 part 4: the QA dashboard after a real scenario, in real headless Chromium (from npm, see tests/tools/browser.ts,
 * driven by playwright-core). The World runs the firmware through the emulated modem in simulated time: a triple press,
 * the alert, location points, a forged and a replayed request that the platform refuses, the user closing the
 * event and the device going back to sleep. Then the page must show all of it.
 *
 * The screenshot is left in $TMPDIR/enigm-dashboard.png for a person to look at.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { launchChromiumPersistent } from "../browser";
import { pointCount, raiseAlert, send, testWorld, type Captured } from "../e2e/helpers";

export const SCREENSHOT = join(tmpdir(), "enigm-dashboard.png");

/** The captured request re-signed with a key that is not the device's (RFC 9421 base as docs/protocol.md §4). */
function forged(c: Captured, nonce: number): Captured {
	const digest = `sha-256=:${createHash("sha256").update(c.body).digest("base64")}:`;
	const list = '("@method" "@authority" "@path" "content-type" "content-digest")';
	const params = `;keyid="${/keyid="([0-9a-f]+)"/.exec(c.headers["signature-input"] ?? "")?.[1]}";nonce="${nonce}";alg="hmac-sha256";tag="enigm-key-v1"`;
	const base = [`"@method": ${c.method}`, `"@authority": ${c.headers.host}`, `"@path": ${c.path}`, `"content-type": ${c.headers["content-type"]}`, `"content-digest": ${digest}`, `"@signature-params": ${list}${params}`].join("\n");
	const sig = createHmac("sha256", randomBytes(32)).update(base).digest("base64");
	return { ...c, headers: { ...c.headers, "content-digest": digest, "signature-input": `enigm=${list}${params}`, signature: `enigm=:${sig}:` } };
}

const D = suite("dashboard after a scenario (headless Chromium)");

D("shows the device, the event timeline, the track, the contacts notified and the refused requests", async () => {
	const t = await testWorld();
	const { world } = t;
	const profile = mkdtempSync(join(tmpdir(), "enigm-chromium-"));
	let context: BrowserContext | undefined;
	try {
		// The scenario, in simulated time.
		assert.ok(await raiseAlert(world), "no alert");
		assert.ok(await world.runUntil(() => pointCount(world) >= 4, 600_000), "fewer than 4 points");
		const batch = t.captured.filter((c) => /^\/v1\/events\/[0-9a-f]+\/locations$/.test(c.path)).at(-1)!;
		const nonce = Number(/;nonce="(\d+)"/.exec(batch.headers["signature-input"]!)![1]);
		assert.is((await send(t, forged(batch, nonce + 7))).status, 401);
		assert.is((await send(t, batch)).status, 409);
		assert.ok(world.closeEventByUser());
		assert.ok(await world.runUntil(() => world.asleep, 300_000), "device did not go back to sleep");
		const event = world.events()[0]!;
		const points = pointCount(world);

		// The page.
		context = await launchChromiumPersistent(profile, { ignoreHTTPSErrors: true, viewport: { width: 1280, height: 1000 } });
		const page = context.pages()[0] ?? (await context.newPage());
		const errors: string[] = [];
		page.on("pageerror", (e) => errors.push(e.message));
		await page.goto(world.dashboardUrl);

		const device = page.getByTestId(`device-${world.deviceId}`);
		await device.waitFor();
		assert.match((await device.textContent()) ?? "", /SIM-1.*sim.*active/);
		assert.match((await page.getByTestId("status").textContent()) ?? "", /1 devices · 0 open events/);

		const row = page.getByTestId(`event-${event.event_id}`);
		await row.waitFor();
		assert.match((await row.textContent()) ?? "", new RegExp(`closed.*user.*${points}$`));

		const timeline = page.getByTestId("timeline");
		await timeline.filter({ hasText: /closed: .* by user/ }).waitFor();
		const tl = (await timeline.textContent()) ?? "";
		for (const stage of [/press: \+0\.00 s/, /modem: \+\d+\.\d\d s/, /attach: \+\d+\.\d\d s/, /tls: \+\d+\.\d\d s/, /opened at platform: 2026-11-22 08:00:\d\dZ/, /closed: 2026-11-22 08:0\d:\d\dZ by user/]) assert.match(tl, stage);

		// The track: one circle per point the platform stored, joined by one polyline.
		assert.is(await page.locator('[data-testid="track"] circle').count(), points);
		const line = (await page.locator('[data-testid="track"] polyline').getAttribute("points")) ?? "";
		assert.is(line.split(" ").length, points);
		assert.match((await page.getByTestId("track-caption").textContent()) ?? "", new RegExp(`^${points} points · start \\(green\\) 2026-11-22 08:00:\\d\\dZ · latest \\(red\\) .* · extent \\d+ m E–W × \\d+ m N–S$`));

		// Contacts: both selected contacts, told of the opening and of the closing.
		const notified = (await page.getByTestId("notifications").textContent()) ?? "";
		for (const re of [/opened\s*Grace\s*sent/, /opened\s*Alan\s*sent/, /closed\s*Grace\s*sent/, /closed\s*Alan\s*sent/]) assert.match(notified, re);

		// Refused requests, with their reasons.
		const refusals = await page.getByTestId("refusal").allTextContents();
		assert.is(refusals.length, 2);
		assert.ok(refusals.some((r) => /401.*bad-mac.*\/locations.*HMAC/.test(r)), refusals.join("\n"));
		assert.ok(refusals.some((r) => /409.*nonce-replayed/.test(r)), refusals.join("\n"));

		assert.equal(errors, [], "the page threw");
		await page.screenshot({ path: SCREENSHOT, fullPage: true });
		console.log(`    dashboard screenshot: ${SCREENSHOT}`);
	} finally {
		await context?.close();
		rmSync(profile, { recursive: true, force: true });
		await t.close();
	}
});

D.run();
