/** tools/sim/eventLedger: each event's own figures, latency from the third press, stamps that never step back. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import EventLedger, { MonotonicStamp } from "../../../tools/sim/eventLedger";
import { parseStartArgs } from "../../../tools/sim/start";

const L = suite("npm start event ledger");

L("a second event's figures are differences from the end of the first, not session totals", () => {
	const ledger = new EventLedger();
	for (const t of [3000, 3500, 4000]) ledger.press(t);
	ledger.triple(5300);
	ledger.opened("e1", 15_000);
	ledger.notified();
	ledger.notified();
	ledger.closed("user");
	const first = ledger.complete({ radioOnMs: 70_000, wireSent: 4000, wireReceived: 6500, dormantWireBytes: 0, cellReports: 1 }, 3, true);
	assert.is(first.alertLatencyMs, 11_000);
	assert.is(first.afterTripleMs, 9700);
	assert.equal([first.radioOnMs, first.wireSent, first.wireReceived, first.cellReports, first.contactNotifications], [70_000, 4000, 6500, 1, 2]);
	for (const t of [100_000, 100_500, 101_000, 101_200]) ledger.press(t); // a fourth, bouncing press: the last down edge counts
	ledger.triple(102_500);
	ledger.opened("e2", 110_000);
	ledger.notified();
	ledger.closed("device");
	const second = ledger.complete({ radioOnMs: 150_000, wireSent: 8100, wireReceived: 13_000, dormantWireBytes: 0, cellReports: 1 }, 2, true);
	assert.equal([second.radioOnMs, second.wireSent, second.wireReceived, second.cellReports, second.contactNotifications], [80_000, 4100, 6500, 0, 1]);
	assert.is(second.alertLatencyMs, 8800);
	assert.is(second.closedBy, "device");
	assert.equal(ledger.events.map((e) => e.eventId), ["e1", "e2"]);
});

L("an alert accepted without a triple press (resumed after a reset) has no latency", () => {
	const ledger = new EventLedger();
	const e = ledger.opened("e1", 5000);
	assert.is(e.alertLatencyMs, undefined);
	assert.ok(e.alertAccepted);
});

L("stamps never step backwards", () => {
	const s = new MonotonicStamp();
	assert.equal([1000, 5000, 3000, 5000, 7000, 6999].map((t) => s.at(t)), [1000, 5000, 5000, 5000, 7000, 7000]);
});

L.run();

const A = suite("npm start arguments (external modem, report)");

A("--modem-device switches to real time; its companions need it; bad values are refused", () => {
	const r = parseStartArgs(["--modem-device", "/dev/ttyUSB0", "--modem-power", "./relay.sh", "--dialect", "bg95", "--report", "out.json",
		"--platform-host", "enigm.example.org:8443", "--platform-port", "8443", "--apn", "iot.1nce.net", "--modem-baud", "57600"]);
	assert.ok(r.ok);
	if (!r.ok) return;
	assert.is(r.args.time, "real");
	assert.equal([r.args.modemDevice, r.args.modemPower, r.args.dialect, r.args.platformHost, r.args.platformPort, r.args.apn, r.args.modemBaud],
		["/dev/ttyUSB0", "./relay.sh", "bg95", "enigm.example.org:8443", 8443, "iot.1nce.net", 57600]);
	assert.match(r.args.report!, /out\.json$/);
	for (const flag of [["--modem-power", "x"], ["--platform-host", "a.example"], ["--platform-port", "9000"], ["--apn", "x"]]) {
		const bad = parseStartArgs(flag);
		assert.ok(!bad.ok && bad.error === `${flag[0]} needs --modem-device`, JSON.stringify(bad));
	}
	for (const argv of [["--modem-baud", "1234"], ["--events", "0"], ["--events", "1.5"], ["--platform-host", "Bad Host"], ["--report"]]) {
		assert.not.ok(parseStartArgs(["--modem-device", "/dev/x", ...argv]).ok, argv.join(" "));
	}
	const plain = parseStartArgs([]);
	assert.ok(plain.ok && plain.args.time === "simulated" && plain.args.events === 1 && plain.args.modemDevice === undefined);
});

A.run();
