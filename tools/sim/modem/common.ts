/**
 * The dialect-free command table: ITU-T V.250 basics and the 3GPP TS 27.007 commands both families share (CMEE,
 * CPIN, CFUN, CEREG, CSQ, CGATT, COPS, CGSN, CLTS, CCLK). The dialects (sim7080.ts, bg95.ts) answer their own
 * commands first; core.ts dispatches here for the rest.
 */
import type { Core } from "./core";
import type { Command } from "./util";

/** Answers `cmd` if it is a common command; false otherwise. */
export function handleCommon(core: Core, cmd: Command): boolean {
	const a = cmd.args;
	switch (cmd.name) {
		case "AT": core.ok(); return true;
		case "ATE0": case "ATE": core.echo = false; core.ok(); return true;
		case "ATE1": core.echo = true; core.ok(); return true;
		case "ATZ": case "AT&W": case "AT&F": case "ATV1": case "ATQ0": core.ok(); return true;
		case "+IPR": case "+CPSMS": case "+CEDRXS": case "+CGDCONT": case "+CSCLK": case "+CREG": case "+CGREG": case "+CMNB": case "+CNMP": case "+CBANDCFG":
			if (cmd.type === "read") core.line(`${cmd.name}: 0`);
			core.ok(); return true;
		case "+CMEE":
			if (cmd.type === "read") { core.line(`+CMEE: ${core.cmee}`); core.ok(); return true; }
			if (cmd.type === "set" && ["0", "1", "2"].includes(a[0] ?? "")) { core.cmee = Number(a[0]) as 0 | 1 | 2; core.ok(); return true; }
			core.error(50); return true;
		case "+CPIN":
			if (cmd.type === "read") { core.line("+CPIN: READY"); core.ok(); return true; }
			core.error(3); return true;
		case "+CFUN":
			if (cmd.type === "read") { core.line(`+CFUN: ${core.cfun}`); core.ok(); return true; }
			if (cmd.type === "set") return core.setCfun(Number(a[0]), Number(a[1] ?? 0));
			core.error(50); return true;
		case "+CEREG":
			if (cmd.type === "read") { core.line(`+CEREG: ${core.ceregMode},${core.ceregBody(true)}`); core.ok(); return true; }
			if (cmd.type === "set" && ["0", "1", "2"].includes(a[0] ?? "")) { core.ceregMode = Number(a[0]); core.ok(); return true; }
			core.error(50); return true;
		case "+CSQ":
			core.line(core.registered ? `+CSQ: ${core.profile.csq},99` : "+CSQ: 99,99"); core.ok(); return true;
		case "+CGATT":
			if (cmd.type === "read") { core.line(`+CGATT: ${core.registered ? 1 : 0}`); core.ok(); return true; }
			core.ok(); return true;
		case "+COPS":
			if (cmd.type === "read") {
				core.line(core.registered ? `+COPS: 0,2,"${core.plmn}",7` : "+COPS: 0");
				core.ok(); return true;
			}
			core.ok(); return true;
		case "+CGSN": case "ATGSN":
			core.line("869951030000001"); core.ok(); return true; // an invented IMEI (test range), never sent anywhere
		case "+CLTS":
			if (cmd.type === "read") { core.line(`+CLTS: ${core.nitzUrcs ? 1 : 0}`); core.ok(); return true; }
			if (cmd.type === "set") { core.nitzUrcs = a[0] === "1"; core.ok(); return true; }
			core.error(50); return true;
		case "+CCLK":
			if (cmd.type === "read") { core.line(`+CCLK: "${core.cclk()}"`); core.ok(); return true; }
			core.ok(); return true;
	}
	return false;
	}
