/** The command tables: lookup by name and syntax form, the dialect before the shared table, frozen data. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { commandTable, lookup } from "../../../tools/sim/modem/commandTable";
import type { CommandHandler } from "../../../tools/sim/modem/commandTable";
import { commonCommands } from "../../../tools/sim/modem/common";
import { sim7080 } from "../../../tools/sim/modem/sim7080";
import { bg95 } from "../../../tools/sim/modem/bg95";
import { parseCommand } from "../../../tools/sim/modem/util";
import { attached, harness } from "./harness";

const T = suite("command tables");

const tag = (name: string): CommandHandler => Object.assign(() => undefined, { tag: name });
const tagOf = (h: CommandHandler | undefined): string | undefined => (h as unknown as { tag?: string } | undefined)?.tag;
const cmd = (line: string) => parseCommand(line)!;

T("the handler for the command's form (V.250 5.3 / TS 27.007 4.1), else `other`, else none", () => {
	const t = commandTable({ "+X": { read: tag("read"), set: tag("set"), test: tag("test"), exec: tag("exec") }, "+Y": { read: tag("y-read"), other: tag("y-other") }, "+Z": { set: tag("z-set") } });
	assert.is(tagOf(lookup([t], cmd("AT+X?"))), "read");
	assert.is(tagOf(lookup([t], cmd("AT+X=1"))), "set");
	assert.is(tagOf(lookup([t], cmd("AT+X=?"))), "test");
	assert.is(tagOf(lookup([t], cmd("AT+X"))), "exec");
	assert.is(tagOf(lookup([t], cmd("AT+Y?"))), "y-read");
	assert.is(tagOf(lookup([t], cmd("AT+Y=3"))), "y-other");
	assert.is(lookup([t], cmd("AT+Z?")), undefined);
	assert.is(lookup([t], cmd("AT+W")), undefined);
	assert.is(lookup([t], cmd("AT+toString")), undefined, "no inherited property is a command");
});

T("the first table that knows the name wins, whole (a dialect overrides a shared command)", () => {
	const dialect = commandTable({ "+CSQ": { read: tag("dialect") } });
	const shared = commandTable({ "+CSQ": { read: tag("shared"), other: tag("shared-other") }, "+CPIN": { read: tag("pin") } });
	assert.is(tagOf(lookup([dialect, shared], cmd("AT+CSQ?"))), "dialect");
	assert.is(lookup([dialect, shared], cmd("AT+CSQ")), undefined, "the shared entry's `other` is not mixed in");
	assert.is(tagOf(lookup([dialect, shared], cmd("AT+CPIN?"))), "pin");
});

T("tables are frozen; no dialect shadows a shared command by accident", () => {
	for (const t of [commonCommands, sim7080.commands, bg95.commands]) {
		assert.ok(Object.isFrozen(t));
		for (const e of Object.values(t)) assert.ok(Object.isFrozen(e));
	}
	for (const name of Object.keys(commonCommands)) {
		assert.not.ok(name in sim7080.commands, `sim7080 shadows ${name}`);
		assert.not.ok(name in bg95.commands, `bg95 shadows ${name}`);
	}
});

T("through the emulator: unknown command ERROR (V.250 5.7.1); a known one in a form it lacks, +CME ERROR: 50", async () => {
	for (const dialect of ["sim7080", "bg95"] as const) {
		const h = harness({ dialect });
		await attached(h);
		assert.is(await h.at("AT+NOSUCH"), "\r\nERROR\r\n");
		assert.is(await h.at("AT+CEREG"), "\r\n+CME ERROR: 50\r\n", "AT+CEREG exec is not a form of +CEREG");
		assert.is(await h.at(dialect === "sim7080" ? "AT+CAOPEN?" : "AT+QSSLOPEN?"), "\r\n+CME ERROR: 50\r\n");
		assert.is(await h.at(dialect === "sim7080" ? "AT+QSSLOPEN?" : "AT+CAOPEN?"), "\r\nERROR\r\n", "the other family's command is unknown");
		h.close();
	}
});

T.run();
