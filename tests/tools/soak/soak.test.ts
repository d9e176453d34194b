/**
 * A bounded slice of the seeded fault soak (tools/sim/soak.ts; `npm run soak` runs 200 seeds): whole-device runs in
 * simulated time with resets, network loss, +CME errors and timeouts at random instants, 1-byte UART chunks and URC
 * noise, both dialects. Each must end with the alert accepted, points delivered, every captured point delivered or
 * counted as dropped, the event closed and the device dormant. A failing seed replays with `npm run soak -- --seed N`.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { planFor, soakSeed } from "../../../tools/sim/soak";

const Plan = suite("soak plans");

Plan("a seed always gives the same plan; seeds cover both dialects, 1-byte chunks and every fault kind", () => {
	assert.equal(planFor(17), planFor(17));
	const plans = Array.from({ length: 200 }, (_, i) => planFor(i + 1));
	assert.equal(new Set(plans.map((p) => p.dialect)), new Set(["sim7080", "bg95"]));
	assert.ok(plans.some((p) => p.maxChunk === 1));
	const kinds = new Set(plans.flatMap((p) => p.faults.map((f) => f.kind)));
	assert.equal(kinds, new Set(["reset", "networkLoss", "pdpLoss", "socketClosed", "cme", "timeout"]));
	const faults = plans.flatMap((p) => p.faults);
	assert.ok(faults.some((f) => f.kind === "reset" && f.onCommand !== undefined && f.atByte !== undefined), "a reset inside a reply");
	assert.ok(faults.some((f) => f.kind === "reset" && f.onCommand === undefined), "a reset at an instant");
	assert.ok(faults.some((f) => f.kind === "socketClosed" && /RECV/.test(f.onCommand ?? "")), "a socket closed under a read");
	assert.ok(faults.some((f) => (f.kind === "cme" || f.kind === "timeout") && f.command === undefined), "an error or timeout of whatever command comes next");
	assert.ok(new Set(plans.map((p) => p.urcNoise)).size > 1);
	assert.equal(new Set(plans.map((p) => p.closeBy)), new Set(["user", "device"]));
	const bg95 = plans.filter((p) => p.dialect === "bg95");
	assert.equal(new Set(bg95.map((p) => p.refuseBeforeReady)), new Set([true, false]), "BG95 seeds with and without commands refused before APP RDY");
	assert.not.ok(plans.some((p) => p.dialect === "sim7080" && p.refuseBeforeReady));
});

const Soak = suite("fault soak (bounded slice)");

// Seeds 1..8, and seeds that once failed: 27 and 36 (a device close lost to transient faults was never sent again,
// and the points owed before it were given up after one lost answer although the platform had stored them), 276
// (the close ran alongside a GNSS window and failed at attach, the event stayed open) and 555 (the last batch was
// stored but its answer lost: counted dropped until the close's ack settled it). About 0.5 s each. Seeds 1 and 5 are
// BG95 seeds refusing commands before APP RDY. 427 (BG95): the PDP deactivation URC lost in light sleep, the next TLS
// open refused (+CME ERROR: 3); the retry backoff took the alert past the close, with no point delivered, until the
// uplink re-activated the context within the same attempt.
for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 27, 36, 276, 427, 555]) {
	Soak(`seed ${seed}: alert accepted, points delivered, event closed, device dormant`, async () => {
		const r = await soakSeed(seed);
		assert.ok(r.pass, `seed ${seed} (${r.plan.dialect}): ${r.problems.join("; ")} -> replay: npm run soak -- --seed ${seed}`);
	});
}

Plan.run();
Soak.run();
