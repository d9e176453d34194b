/**
 * Command tables: what the emulator answers, as data. A table maps a command name (`+CAOPEN`, `ATE0`, as
 * util.ts parseCommand() names it) to one handler per syntax form of ITU-T V.250 5.3 / 3GPP TS 27.007 4.1:
 * `test` (AT+X=?), `read` (AT+X?), `set` (AT+X=...), `exec` (AT+X). `other` answers any form the entry does not
 * list (usually `+CME ERROR: 50`, incorrect parameters). The dialect-free core (core.ts) looks a command up in the
 * dialect's table first (sim7080.ts, bg95.ts), then in the shared 27.007/V.250 table (common.ts), so a dialect can
 * override a shared command whole, as the drivers in drivers/modem override modemBase.ts.
 */
import type { Core } from "./core";
import type { Command } from "./util";

export type CommandForm = Command["type"];

/** Answers one command: writes its reply lines and final result code through `core` (now or later). */
export type CommandHandler = (core: Core, cmd: Command) => void;

export type CommandEntry = { readonly [F in CommandForm]?: CommandHandler } & { readonly other?: CommandHandler };

export type CommandTable = Readonly<Record<string, CommandEntry>>;

/** Freezes a table and each entry, so no test or dialect changes another's answers at run time. */
export function commandTable(entries: Record<string, CommandEntry>): CommandTable {
	for (const e of Object.values(entries)) Object.freeze(e);
	return Object.freeze(entries);
}

/** The same entry under several names (aliases such as `ATE0` / `ATE`). */
export function aliases(names: readonly string[], entry: CommandEntry): Record<string, CommandEntry> {
	return Object.fromEntries(names.map((n) => [n, entry]));
}

/**
 * The handler for `cmd`: the first table that knows the name wins; within it the handler for the command's form,
 * else `other`. Undefined when no table knows the name (the core answers `ERROR`, V.250 5.7.1: unrecognised).
 */
export function lookup(tables: readonly CommandTable[], cmd: Command): CommandHandler | undefined {
	for (const t of tables) {
		if (!Object.prototype.hasOwnProperty.call(t, cmd.name)) continue;
		const entry = t[cmd.name]!;
		return entry[cmd.type] ?? entry.other;
	}
	return undefined;
}

/** Handlers shared by many entries. */
export const answer = Object.freeze({
	ok: ((core) => core.ok()) as CommandHandler,
	/** +CME ERROR: 50 "incorrect parameters" (TS 27.007 9.2.1), or ERROR with AT+CMEE=0. */
	badParameters: ((core) => core.error(50)) as CommandHandler,
	/** +CME ERROR: 3 "operation not allowed". */
	notAllowed: ((core) => core.error(3)) as CommandHandler,
});
