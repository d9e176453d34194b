/**
 * The QA scenarios (tests/scenarios/*.json) through the runner: every shipped scenario passes; bad files are
 * refused with the file, the JSON path and the reason; a scenario whose expectation cannot hold is reported failed.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { runScenario, triggerAt } from "../../../tools/sim/scenario";
import { parseScenario } from "../../../tools/sim/scenarioFile";

const dir = "tests/scenarios";
const shipped = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();

const Shipped = suite("shipped scenarios");

Shipped("the issue's scenarios are all shipped", () => {
	for (const name of ["happy-path", "false-start", "reboot-mid-event", "network-loss", "modem-reset", "no-gnss-fix", "revocation", "dormant-30-days", "bg95-happy-path", "bouncy-press"])
		assert.ok(shipped.includes(`${name}.json`), `${name}.json`);
});

for (const file of shipped) {
	Shipped(`${file} passes every expectation`, async () => {
		const report = await runScenario(join(dir, file));
		const failures = report.error ? [report.error] : report.expectations.filter((e) => !e.pass).map((e) => `${e.name}: ${e.detail}`);
		assert.equal(failures, [], `${file}`);
		assert.ok(report.pass);
		assert.ok(report.expectations.length > 0);
	});
}

Shipped("the 30-day soak runs in simulated time: no wake, no radio, no byte", async () => {
	const report = await runScenario(join(dir, "dormant-30-days.json"));
	assert.is(report.simulatedMs, 30 * 86_400_000);
	assert.is(report.metrics?.wakes, 0);
	assert.is(report.metrics?.radioOnMs, 0);
	assert.is((report.metrics?.wireSent ?? 1) + (report.metrics?.wireReceived ?? 1), 0);
});

Shipped("the report carries the event's stage timestamps and the transitions", async () => {
	const report = await runScenario(join(dir, "happy-path.json"));
	const event = report.events?.[0];
	assert.ok(event);
	assert.is(event.closedBy, "user");
	assert.ok(event.stages && event.stages.press === 0 && (event.stages.tls ?? 0) > 0, JSON.stringify(event.stages));
	assert.ok(event.openedAtMs > 11_000);
	assert.ok(report.transitions?.some((t) => t.transition === "dormant -> active.activating (triplePress)"));
});

const Validate = suite("scenario validation");
const base = { name: "t", durationMs: 60_000, timeline: [], expect: { eventsOpened: 0 } };
const errorsOf = (value: unknown, file = "x.json"): string[] => {
	const r = parseScenario(value, file);
	return r.ok ? [] : [...r.errors];
};

Validate("a minimal scenario is accepted with the defaults", () => {
	const r = parseScenario(base);
	assert.ok(r.ok);
	if (r.ok) {
		assert.is(r.scenario.dialect, "sim7080");
		assert.is(r.scenario.profile, "good");
	}
});

Validate("config.refuseBeforeReady: a boolean, for the BG95 only", () => {
	const bg95 = parseScenario({ ...base, dialect: "bg95", config: { refuseBeforeReady: true } });
	assert.ok(bg95.ok && bg95.scenario.refuseBeforeReady === true);
	assert.match(errorsOf({ ...base, config: { refuseBeforeReady: true } }).join("\n"), /\$\.config\.refuseBeforeReady: applies to the "bg95" dialect only/);
	assert.match(errorsOf({ ...base, dialect: "bg95", config: { refuseBeforeReady: "yes" } }).join("\n"), /\$\.config\.refuseBeforeReady: expected true or false/);
});

Validate("bad JSON names the file", () => {
	const errors = errorsOf("{ \"name\": ", "bad.json");
	assert.is(errors.length, 1);
	assert.match(errors[0]!, /^bad\.json: \$: not JSON/);
});

Validate("an unknown action names its path and the known ones", () => {
	const errors = errorsOf({ ...base, timeline: [{ at: 0, do: "press" }, { at: 10, do: "jump" }] });
	assert.equal(errors.length, 1);
	assert.match(errors[0]!, /^x\.json: \$\.timeline\[1\]\.do: unknown action "jump" \(expected one of press, edge/);
});

Validate("a bad fault is refused with the emulator's reason, in faults and in the timeline", () => {
	const errors = errorsOf({ ...base, faults: [{ kind: "meteor" }], timeline: [{ at: 5, do: "fault", fault: { kind: "cme" } }] });
	assert.ok(errors.some((e) => /^x\.json: \$\.faults\[0\]\.kind: expected one of timeout, cme/.test(e)), errors.join("\n"));
	assert.ok(errors.some((e) => /^x\.json: \$\.timeline\[0\]\.fault\.code: required for cme/.test(e)), errors.join("\n"));
});

Validate("a negative time is refused", () => {
	const errors = errorsOf({ ...base, timeline: [{ at: -5, do: "reboot" }] });
	assert.equal(errors, ["x.json: $.timeline[0].at: expected a non-negative number of simulated ms, got -5"]);
});

Validate("an unknown expectation is refused", () => {
	const errors = errorsOf({ ...base, expect: { eventsOpened: 0, coffeeServed: true } });
	assert.is(errors.length, 1);
	assert.match(errors[0]!, /^x\.json: \$\.expect\.coffeeServed: unknown expectation/);
});

Validate("every problem is reported at once, nothing is silently dropped", () => {
	const errors = errorsOf({
		name: "Bad Name", dialect: "sim800", profile: "space", track: "nowhere.gpx", durationMs: 0, extra: 1,
		config: { sos: { maxEventMs: -1, nope: 1 } },
		timeline: [{ at: 1, do: "press", pattern: [[0, 250], [100, 300]] }, { at: 2, do: "edge" }],
		expect: { transitionsInclude: ["dormant to active"], finalState: "asleep", pointsDelivered: { min: 5, max: 1 } },
	});
	for (const path of ["$.extra", "$.name", "$.dialect", "$.profile", "$.track", "$.durationMs", "$.config.sos.maxEventMs", "$.config.sos.nope",
		"$.timeline[0].pattern[1]", "$.timeline[1].pressed", "$.expect.transitionsInclude[0]", "$.expect.finalState", "$.expect.pointsDelivered"])
		assert.ok(errors.some((e) => e.startsWith(`x.json: ${path}: `)), `${path} in\n${errors.join("\n")}`);
});

Validate("an action after the end of the run is refused", () => {
	assert.match(errorsOf({ ...base, timeline: [{ at: 90_000, do: "reboot" }] })[0]!, /\$\.timeline\[0\]\.at: after the end of the run/);
});

Validate("a bad track reports the track file's line", () => {
	const tmp = mkdtempSync(join(tmpdir(), "scenario-"));
	try {
		writeFileSync(join(tmp, "bad.csv"), "time,lat,lon\n0,48.8,2.3\n10,95,2.3\n");
		const errors = errorsOf({ ...base, track: join(tmp, "bad.csv") });
		assert.is(errors.length, 1);
		assert.match(errors[0]!, /\$\.track: .*bad\.csv line 3: latitude/);
	} finally {
		rmSync(tmp, { recursive: true, force: true });
	}
});

Validate("the alert latency counts from the third press onset, bounce included", () => {
	const r = parseScenario({ ...base, timeline: [{ at: 100, do: "edges", sequence: [[0, true], [3, false], [6, true], [250, false], [500, true], [502, false], [505, true], [750, false], [1000, true], [1250, false]] }] });
	assert.ok(r.ok);
	if (r.ok) assert.is(triggerAt(r.scenario), 1100);
});

const Run = suite("scenario runs");

Run("a bad scenario fails its run with the message; the others still run", async () => {
	const tmp = mkdtempSync(join(tmpdir(), "scenario-"));
	try {
		writeFileSync(join(tmp, "broken.json"), JSON.stringify({ ...base, timeline: [{ at: 0, do: "teleport" }] }));
		writeFileSync(join(tmp, "fine.json"), JSON.stringify({ ...base, name: "fine" }));
		const broken = await runScenario(join(tmp, "broken.json"));
		assert.not.ok(broken.pass);
		assert.match(broken.error ?? "", /broken\.json: \$\.timeline\[0\]\.do: unknown action "teleport"/);
		const missing = await runScenario(join(tmp, "missing.json"));
		assert.not.ok(missing.pass);
		assert.match(missing.error ?? "", /missing\.json: cannot read \(ENOENT\)/);
		const fine = await runScenario(join(tmp, "fine.json"));
		assert.ok(fine.pass, JSON.stringify(fine.expectations));
	} finally {
		rmSync(tmp, { recursive: true, force: true });
	}
});

Run("an expectation that cannot hold is reported failed with expected and actual", async () => {
	const report = await runScenario({
		name: "impossible", durationMs: 120_000,
		timeline: [{ at: 5_000, do: "press", pattern: [[0, 250], [500, 750]] }],
		expect: { eventsOpened: 1, alertAcceptedWithinMs: 1, dormantAtEnd: true },
	});
	assert.not.ok(report.pass);
	const opened = report.expectations.find((e) => e.name === "eventsOpened");
	assert.equal([opened?.expected, opened?.actual, opened?.pass], [1, 0, false]);
	const alert = report.expectations.find((e) => e.name === "alertAcceptedWithinMs");
	assert.is(alert?.pass, false);
	assert.match(alert?.detail ?? "", /no third press/);
	assert.is(report.expectations.find((e) => e.name === "dormantAtEnd")?.pass, true);
});

Run("the CLI prints a line per expectation, a JSON report with --json, and exits 1 on a failure", () => {
	const tmp = mkdtempSync(join(tmpdir(), "scenario-"));
	try {
		writeFileSync(join(tmp, "fail.json"), JSON.stringify({ ...base, name: "fail", expect: { eventsOpened: 3 } }));
		const env = { ...process.env, TSX_TSCONFIG_PATH: "tsconfig.tools.json" };
		const r = spawnSync(process.execPath, ["--import", "tsx", "tools/sim/scenario.ts", join(dir, "false-start.json"), join(tmp, "fail.json"), "--json", "--transcript", tmp], { env, encoding: "utf8" });
		assert.is(r.status, 1, r.stderr);
		assert.match(r.stderr, /pass false-start eventsOpened: 0 events = 0 events/);
		assert.match(r.stderr, /FAIL fail eventsOpened: 0 events not = 3 events/);
		assert.match(r.stderr, /2 scenarios: 1 passed, 1 failed/);
		const json = JSON.parse(r.stdout) as { pass: boolean; scenarios: Array<{ name: string; pass: boolean }> };
		assert.is(json.pass, false);
		assert.equal(json.scenarios.map((s) => [s.name, s.pass]), [["false-start", true], ["fail", false]]);
		assert.ok(readdirSync(tmp).includes("false-start.log"));
	} finally {
		rmSync(tmp, { recursive: true, force: true });
	}
});

Shipped.run();
Validate.run();
Run.run();
