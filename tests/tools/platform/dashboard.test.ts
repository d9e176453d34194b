/**
 * The QA dashboard in real headless Chromium (from npm, tests/tools/browser.ts, driven by playwright-core): traffic through the
 * platform, then what the page shows. The browser trusts the server by its certificate's SPKI pin only.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createHash, createPublicKey } from "node:crypto";
import { launchChromium } from "../browser";
import { devCa, harness, newDevice, point, send, signRequest } from "./helpers";

const EVENT = "9d2e41f07ab35c6680e1d4f2a7c9b053";

const D = suite("platform dashboard (headless Chromium)");

D("shows devices, the event timeline, the track, notifications and refusals; closes an event", async () => {
	const h = await harness();
	const spki = createHash("sha256").update(createPublicKey(devCa().cert).export({ type: "spki", format: "der" })).digest("base64");
	const browser = await launchChromium({ args: [`--ignore-certificate-errors-spki-list=${spki}`] });
	try {
		const d = newDevice("ENK-DASH-1");
		h.importDevices(d);
		await h.post(d, "/v1/events", { event: EVENT, reason: "button", resumed: false, stages: { press: 0, wake: 850, attach: 14200, tls: 16100 } });
		await h.post(d, `/v1/events/${EVENT}/locations`, { points: [1, 2, 3, 4].map((s) => point(d, EVENT, s, 1763783100 + 30 * s, 473769000 + s * 1000, 85417000 + s * 700)) });
		await send(h.server.port, signRequest({ device: d, nonce: 1, path: "/v1/events", body: "{}", host: h.host })); // replay → refused

		const page = await browser.newPage();
		await page.goto(`${h.server.url}/dashboard`);
		const device = page.getByTestId(`device-${d.id}`);
		await device.waitFor();
		assert.match((await device.textContent()) ?? "", /ENK-DASH-1.*active/);
		await page.getByTestId("timeline").waitFor();
		const timeline = (await page.getByTestId("timeline").textContent()) ?? "";
		for (const stage of ["press: +0.00 s", "wake: +0.85 s", "attach: +14.20 s", "tls: +16.10 s", "opened at platform"]) assert.ok(timeline.includes(stage), stage);
		assert.is(await page.locator('[data-testid="track"] circle').count(), 4);
		assert.match((await page.locator('[data-testid="track"] polyline').getAttribute("points")) ?? "", /^[\d.]+,[\d.]+( [\d.]+,[\d.]+){3}$/);
		assert.match((await page.getByTestId("notifications").textContent()) ?? "", /opened.*skipped.*device not claimed/);
		assert.match((await page.getByTestId("status").textContent()) ?? "", /1 devices · 1 open events/);
		assert.match((await page.getByTestId("refusal").first().textContent()) ?? "", /409.*nonce-replayed/);

		await page.getByTestId("close-event").click();
		await page.getByTestId("timeline").filter({ hasText: /closed: .* by user/ }).waitFor();
		assert.is(h.server.platform.event(d.id, EVENT)!.closed_by, "user");
		// Nothing secret reaches the page.
		const html = await page.content();
		assert.not.ok(html.includes(d.key.toString("hex")) || html.includes(d.key.toString("base64")));
	} finally {
		await browser.close();
		await h.close();
	}
});

D.run();
