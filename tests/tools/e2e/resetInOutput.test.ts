/**
 * Issue 9: a modem reset that lands inside a counted read (`+CARECV: <n>,<bytes>` / `+QSSLRECV: <n>\r\n<bytes>`)
 * or inside the `> ` data prompt must not leave the device stuck. The real firmware runs in the World against the
 * strict emulator with the `resetInOutput` fault at several byte offsets of the first receive / send reply; every
 * run must end with the driver configuring the modem again (ATE0, AT+CEREG, PDP activation), the alert accepted,
 * location points delivered and the device dormant with the modem off.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Fault } from "../../../tools/sim/modem/faults";
import { pointCount, testWorld } from "./helpers";

type Dialect = "sim7080" | "bg95";

const AT: Record<Dialect, { recv: string; send: string; pdp: RegExp }> = {
	sim7080: { recv: "AT+CARECV", send: "AT+CASEND", pdp: /-> AT\+CNACT=0,1$/ },
	bg95: { recv: "AT+QSSLRECV", send: "AT+QSSLSEND", pdp: /-> AT\+QIACT=1$/ },
};

interface Case {
	readonly where: string;
	readonly fault: (d: Dialect) => Fault;
	/** Bytes of the counted payload still to come when the reset falls (checked against the transcript). */
	readonly remaining?: readonly [number, number];
	/** The emulator's UART model for this run (world.ts `modem`). */
	readonly modem?: { readonly maxChunk?: number; readonly seed?: number };
}

/** Header of the first receive's reply: `\r\n+CARECV: 571,` (15 bytes) / `\r\n+QSSLRECV: 571\r\n` (18 bytes). */
const HEADER: Record<Dialect, number> = { sim7080: 15, bg95: 18 };
/** The platform's answer to the alert, as the first receive returns it (transcript: `<- +CARECV: 571,<571 bytes`). */
const ANSWER = 571;

// Offsets into `\r\n+CARECV: 123,<bytes>` (header 2..15, then payload) and `\r\n+QSSLRECV: 123\r\n<bytes>`; and
// into `\r\n> ` (inside it, and right after it while the firmware writes the payload).
const cases: Case[] = [
	{ where: "counted read, inside the header", fault: (d) => ({ kind: "resetInOutput", command: AT[d].recv, offset: 6 }) },
	{ where: "counted read, a few payload bytes in", fault: (d) => ({ kind: "resetInOutput", command: AT[d].recv, offset: 24 }) },
	{ where: "counted read, deep in the payload", fault: (d) => ({ kind: "resetInOutput", command: AT[d].recv, offset: 120 }) },
	// Near the end of the payload: the first bytes of the boot output (`\r\nR`) are taken for payload, the rest of
	// `RDY` arrives as a stray line, and the boot markers after it must still be recognised.
	{ where: "counted read, 3 payload bytes before its end", fault: (d) => ({ kind: "resetInOutput", command: AT[d].recv, offset: HEADER[d] + ANSWER - 3 }), remaining: [3, 3] },
	{ where: "counted read, 1 byte before its end, 1-byte chunks", fault: (d) => ({ kind: "resetInOutput", command: AT[d].recv, offset: HEADER[d] + ANSWER - 1 }), remaining: [1, 1], modem: { maxChunk: 1 } },
	{ where: "prompt, between > and its space", fault: (d) => ({ kind: "resetInOutput", command: AT[d].send, offset: 3 }) },
	{ where: "prompt, right after it (payload on its way)", fault: (d) => ({ kind: "resetInOutput", command: AT[d].send, offset: 4 }) },
];

const MAX_EVENT_MS = 10 * 60_000;
const R = suite("firmware recovers from a reset at a byte offset of a reply");

for (const dialect of ["sim7080", "bg95"] as const) {
	for (const c of cases) {
		R(`${dialect}: reset in the ${c.where} -> re-initialised, alert and points delivered, dormant`, async () => {
			const transcript: string[] = [];
			const t = await testWorld({ dialect, faults: [c.fault(dialect)], sos: { maxEventMs: MAX_EVENT_MS }, ...(c.modem ? { modem: c.modem } : {}), transcript: (l) => transcript.push(l) });
			const { world } = t;
			try {
				await world.run(3000);
				world.press();
				const opened = await world.runUntil(() => world.events().length > 0, 5 * 60_000);
				assert.ok(opened, `the alert never got through\n${t.log.slice(-20).join("\n")}`);
				const streamed = await world.runUntil(() => pointCount(world) >= 2, 8 * 60_000);
				assert.ok(streamed, `only ${pointCount(world)} points\n${t.log.slice(-20).join("\n")}`);
				world.closeEventByUser();
				assert.ok(await world.runUntil(() => world.asleep, MAX_EVENT_MS + 5 * 60_000, 5000), `hung: still ${world.state}`);
				assert.is(world.emulator.power, "off");
				const fired = transcript.findIndex((l) => / !! fault: reset at byte /.test(l));
				assert.ok(fired >= 0, "the reset never fell");
				if (c.remaining) {
					const f = c.fault(dialect) as Extract<Fault, { kind: "resetInOutput" }>;
					const read = transcript.slice(0, fired).reverse().find((l) => /<- \+(CARECV|QSSLRECV): \d+/.test(l));
					const n = Number(/: (\d+)/.exec(read ?? "")?.[1]);
					const left = HEADER[dialect] + n - f.offset;
					assert.ok(left >= c.remaining[0] && left <= c.remaining[1], `the reset fell ${left} bytes before the end of a ${n}-byte read, not ${c.remaining.join("..")} (did the platform's answer change size? ANSWER = ${ANSWER})`);
				}
				const after = transcript.slice(fired);
				for (const [name, re] of [["ATE0", /-> ATE0$/], ["AT+CEREG", /-> AT\+CEREG=/], ["PDP activation", AT[dialect].pdp]] as const)
					assert.ok(after.some((l) => re.test(l)), `after the reset the firmware never sent ${name} again`);
				assert.ok(after.some((l) => /-> <\d+ bytes "POST \//.test(l)), "nothing was sent to the platform after the reset");
			} finally {
				await t.close();
			}
		});
	}
}

R.run();
