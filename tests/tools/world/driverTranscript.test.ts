/** tools/sim/world driverTranscript: the driver's AT log in the emulator's transcript format (external modem). */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import ManualClock from "hal/sim/manualClock";
import { driverTranscript } from "../../../tools/sim/world";
import AtSummary from "../../../tools/sim/atSummary";

const D = suite("world: driver AT log as a transcript");

D("commands, replies and faults map to ->, <-, !!; echoes, URC copies and state changes are left out", () => {
	const clock = new ManualClock(0);
	const lines: string[] = [];
	const t = driverTranscript(clock, (l) => lines.push(l));
	for (const l of ["modem off -> booting", "power switch on", "> AT", "< AT", "< OK", "< RDY", "? RDY", "> ATE0", "< ATE0", "< OK", "! timeout AT+CPOWD=1"]) t(l);
	assert.equal(lines.map((l) => l.replace(/^\[\s*0 ms\] /, "")), ["== power switch on", "-> AT", "<- OK", "<- RDY", "-> ATE0", "<- OK", "!! timeout AT+CPOWD=1"]);
	const summary: string[] = [];
	const s = new AtSummary({ emit: (line) => summary.push(line) });
	for (const l of lines) s.push(l);
	s.flush();
	assert.ok(summary.some((l) => /ATE0 -> OK/.test(l)), summary.join("\n"));
});

D.run();
