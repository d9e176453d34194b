/**
 * The shared command table: ITU-T V.250 basics (AT, E, Z, &W, &F, V, Q) and the 3GPP TS 27.007 commands both
 * families answer alike (CMEE, CPIN, CFUN, CEREG, CSQ, CGATT, COPS, CGSN, CLTS, CCLK). A dialect's own table
 * (sim7080.ts, bg95.ts) is consulted first, so it may override any of these whole.
 */
import type { CommandEntry } from "./commandTable";
import { aliases, answer, commandTable } from "./commandTable";

/** Settings the emulator accepts and does not model: the read form reports 0. */
const acceptedSetting: CommandEntry = {
	read: (core, cmd) => { core.line(`${cmd.name}: 0`); core.ok(); },
	other: answer.ok,
};

const isLevel = (s: string | undefined): boolean => ["0", "1", "2"].includes(s ?? "");

export const commonCommands = commandTable({
	AT: { other: answer.ok },
	// V.250 6.2.4: E0 echo off, E1 echo on (E alone = E0).
	...aliases(["ATE0", "ATE"], { other: (core) => { core.echo = false; core.ok(); } }),
	ATE1: { other: (core) => { core.echo = true; core.ok(); } },
	...aliases(["ATZ", "AT&W", "AT&F", "ATV1", "ATQ0"], { other: answer.ok }),
	...aliases(["+IPR", "+CPSMS", "+CEDRXS", "+CGDCONT", "+CSCLK", "+CREG", "+CGREG", "+CMNB", "+CNMP", "+CBANDCFG"], acceptedSetting),
	"+CMEE": { // TS 27.007 9.1
		read: (core) => { core.line(`+CMEE: ${core.cmee}`); core.ok(); },
		set: (core, cmd) => {
			if (!isLevel(cmd.args[0])) { core.error(50); return; }
			core.cmee = Number(cmd.args[0]) as 0 | 1 | 2;
			core.ok();
		},
		other: answer.badParameters,
	},
	"+CPIN": { // TS 27.007 8.3: no PIN on the emulated SIM
		read: (core) => { core.line("+CPIN: READY"); core.ok(); },
		other: answer.notAllowed,
	},
	"+CFUN": { // TS 27.007 8.2
		read: (core) => { core.line(`+CFUN: ${core.cfun}`); core.ok(); },
		set: (core, cmd) => { core.setCfun(Number(cmd.args[0]), Number(cmd.args[1] ?? 0)); },
		other: answer.badParameters,
	},
	"+CEREG": { // TS 27.007 10.1.22
		read: (core) => { core.line(`+CEREG: ${core.ceregMode},${core.ceregBody(true)}`); core.ok(); },
		set: (core, cmd) => {
			if (!isLevel(cmd.args[0])) { core.error(50); return; }
			core.ceregMode = Number(cmd.args[0]);
			core.ok();
		},
		other: answer.badParameters,
	},
	"+CSQ": { other: (core) => { core.line(core.registered ? `+CSQ: ${core.profile.csq},99` : "+CSQ: 99,99"); core.ok(); } },
	"+CGATT": {
		read: (core) => { core.line(`+CGATT: ${core.registered ? 1 : 0}`); core.ok(); },
		other: answer.ok,
	},
	"+COPS": {
		read: (core) => { core.line(core.registered ? `+COPS: 0,2,"${core.plmn}",7` : "+COPS: 0"); core.ok(); },
		other: answer.ok,
	},
	// An invented IMEI (test range), never sent anywhere.
	...aliases(["+CGSN", "ATGSN"], { other: (core) => { core.line("869951030000001"); core.ok(); } }),
	"+CLTS": {
		read: (core) => { core.line(`+CLTS: ${core.nitzUrcs ? 1 : 0}`); core.ok(); },
		set: (core, cmd) => { core.nitzUrcs = cmd.args[0] === "1"; core.ok(); },
		other: answer.badParameters,
	},
	"+CCLK": {
		read: (core) => { core.line(`+CCLK: "${core.cclk()}"`); core.ok(); },
		other: answer.ok,
	},
});
