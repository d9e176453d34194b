/**
 * Pure parsers for the modem replies both families share or that the drivers read (no GNSS: drivers/gnss/*).
 * Each returns undefined on input it does not understand; the driver turns that into a `parse` error.
 */
import type { ServingCell } from "drivers/gnss/fix";
import type { NetworkTime } from "drivers/modem/modem";

/** Splits AT parameters on commas outside double quotes and strips the quotes. Linear: fields are sliced, not
 * built a character at a time (a `+=` per character copies the whole string in XS). */
export function splitFields(text: string): string[] {
	const out: string[] = [];
	let parts: string[] = [];
	let from = 0;
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c === 0x22) {
			parts.push(text.slice(from, i));
			from = i + 1;
			quoted = !quoted;
		} else if (c === 0x2c && !quoted) {
			parts.push(text.slice(from, i));
			out.push(parts.join("").trim());
			parts = [];
			from = i + 1;
		}
	}
	parts.push(text.slice(from));
	out.push(parts.join("").trim());
	return out;
}

export type CeregInfo = { readonly stat: number; readonly tac?: number; readonly cellId?: number; readonly act?: number };

/**
 * 3GPP TS 27.007 10.1.22 +CEREG. Read response `+CEREG: <n>,<stat>[,[<tac>],[<ci>],[<AcT>]...]`;
 * URC `+CEREG: <stat>[,[<tac>],[<ci>],[<AcT>]...]`. `<tac>` is 2 bytes and `<ci>` 28 bits, both hex strings.
 */
export function parseCereg(line: string, form: "read" | "urc"): CeregInfo | undefined {
	if (!line.startsWith("+CEREG:")) return undefined;
	const f = splitFields(line.slice(7));
	const base = form === "read" ? 1 : 0;
	if (f.length <= base) return undefined;
	const stat = decimalInt(f[base]);
	if (stat === undefined || stat > 10) return undefined;
	const tac = f[base + 1] ? hexInt(f[base + 1]) : undefined;
	const cellId = f[base + 2] ? hexInt(f[base + 2]) : undefined;
	const act = f[base + 3] ? decimalInt(f[base + 3]) : undefined;
	const info: { stat: number; tac?: number; cellId?: number; act?: number } = { stat };
	if (tac !== undefined) info.tac = tac;
	if (cellId !== undefined) info.cellId = cellId;
	if (act !== undefined) info.act = act;
	return info;
}

/** True when a `+CEREG:` line is the unsolicited form (TS 27.007 10.1.22): one field, or a quoted <tac> second. */
export function isCeregUrc(line: string): boolean {
	if (!line.startsWith("+CEREG:")) return false;
	const rest = line.slice(7).trim();
	const comma = rest.indexOf(",");
	if (comma < 0) return true;
	return rest[comma + 1] === '"';
}

/**
 * Network time as `yy/MM/dd,hh:mm:ss±zz` (3GPP TS 27.007 8.15 +CCLK, zz in quarter hours, local time) or the
 * four-digit-year form of Quectel `+QLTS: "yyyy/MM/dd,hh:mm:ss±zz,d"` (BG95&BG77 AT Commands Manual, AT+QLTS).
 * Years before 2015 (or 2080 and later) mean the clock was never set by the network (SIMCom boots at 1980/2080 defaults).
 */
export function parseNetworkClock(text: string): NetworkTime | undefined {
	const m = /^"?(\d{2}|\d{4})\/(\d{2})\/(\d{2}),(\d{2}):(\d{2}):(\d{2})([+-]\d{1,2})?/.exec(text.trim());
	if (!m) return undefined;
	let year = Number(m[1]);
	if (m[1].length === 2) year += 2000;
	const month = Number(m[2]);
	const day = Number(m[3]);
	const hour = Number(m[4]);
	const minute = Number(m[5]);
	const second = Number(m[6]);
	if (year < 2015 || year > 2079 || month < 1 || month > 12 || day < 1 || day > 31) return undefined;
	if (hour > 23 || minute > 59 || second > 60) return undefined;
	const quarters = m[7] ? Number(m[7]) : 0;
	if (quarters < -48 || quarters > 56) return undefined;
	const local = Date.UTC(year, month - 1, day, hour, minute, second);
	return { utc: local - quarters * 15 * 60_000, offsetMinutes: quarters * 15 };
}

/**
 * SIMCom `+CPSI: <System Mode>,<Operation Mode>,<MCC>-<MNC>,<TAC>,<SCellID>,<PCellID>,<Frequency Band>,<earfcn>,
 * <dlbw>,<ulbw>,<RSRQ>,<RSRP>,<RSSI>,<RSSNR>` for LTE (SIM7080 Series AT Command Manual, AT+CPSI); TAC is hex
 * ("0x5A1E"), SCellID decimal, RSRP in dBm. "NO SERVICE" and GSM lines yield undefined.
 */
export function parseCpsi(line: string): ServingCell | undefined {
	if (!line.startsWith("+CPSI:")) return undefined;
	const f = splitFields(line.slice(6));
	if (f.length < 12 || !f[0].startsWith("LTE")) return undefined;
	const plmn = /^(\d{3})-(\d{2,3})$/.exec(f[2]);
	if (!plmn) return undefined;
	const tac = hexInt(f[3]);
	const cellId = decimalInt(f[4]);
	if (tac === undefined || cellId === undefined) return undefined;
	const rsrp = Number(f[11]);
	const cell: { mcc: number; mnc: number; tac: number; cellId: number; rsrp?: number; accessTechnology: ServingCell["accessTechnology"] } = {
		mcc: Number(plmn[1]),
		mnc: Number(plmn[2]),
		tac,
		cellId,
		accessTechnology: /NB/i.test(f[0]) ? "nb-iot" : /CAT-M/i.test(f[0]) ? "lte-m" : "unknown",
	};
	if (f[11] !== "" && Number.isFinite(rsrp)) cell.rsrp = rsrp;
	return cell;
}

/**
 * Quectel `+QENG: "servingcell",<state>,"eMTC"|"NBIoT",<is_tdd>,<MCC>,<MNC>,<cellID>,<PCID>,<earfcn>,
 * <freq_band_ind>,<ul_bandwidth>,<dl_bandwidth>,<TAC>,<RSRP>,<RSRQ>,<RSSI>,<SINR>,<srxlev>` (BG95&BG77 AT
 * Commands Manual, AT+QENG); cellID and TAC hex. `"SEARCH"` (no cell) yields undefined.
 */
export function parseQengServingCell(line: string): ServingCell | undefined {
	if (!line.startsWith("+QENG:")) return undefined;
	const f = splitFields(line.slice(6));
	if (f[0] !== "servingcell" || f.length < 14) return undefined;
	const rat = f[2];
	if (rat !== "eMTC" && rat !== "NBIoT" && rat !== "CAT-M") return undefined;
	const mcc = decimalInt(f[4]);
	const mnc = decimalInt(f[5]);
	const cellId = hexInt(f[6]);
	const tac = hexInt(f[12]);
	if (mcc === undefined || mnc === undefined || cellId === undefined || tac === undefined) return undefined;
	const rsrp = Number(f[13]);
	const cell: { mcc: number; mnc: number; tac: number; cellId: number; rsrp?: number; accessTechnology: ServingCell["accessTechnology"] } = {
		mcc,
		mnc,
		tac,
		cellId,
		accessTechnology: rat === "NBIoT" ? "nb-iot" : "lte-m",
	};
	if (f[13] !== "" && Number.isFinite(rsrp)) cell.rsrp = rsrp;
	return cell;
}

export function decimalInt(text: string): number | undefined {
	return /^\d{1,10}$/.test(text) ? Number(text) : undefined;
}

export function hexInt(text: string): number | undefined {
	const t = text.startsWith("0x") || text.startsWith("0X") ? text.slice(2) : text;
	return /^[0-9A-Fa-f]{1,8}$/.test(t) ? parseInt(t, 16) : undefined;
}

/**
 * SIMCom network time URC after AT+CLTS=1, UTC plus the local offset in quarter hours. Two shapes are seen:
 * SIM7000/SIM7080 `*PSUTTZ: yy/MM/dd,hh:mm:ss","±zz",dst` (the odd quoting is the module's) and the older
 * SIM800 `*PSUTTZ: yyyy,M,d,h,m,s,"±zz",dst` (SIM7000/SIM7080 Series AT Command Manual, AT+CLTS).
 */
export function parsePsuttz(line: string): NetworkTime | undefined {
	if (!line.startsWith("*PSUTTZ:")) return undefined;
	const body = line.slice(8).trim();
	let parts: number[];
	let tz: string;
	const short = /^"?(\d{2})\/(\d{2})\/(\d{2}),(\d{2}):(\d{2}):(\d{2})"?,"?([+-]?\d{1,2})"?/.exec(body);
	if (short) {
		parts = short.slice(1, 7).map(Number);
		parts[0] += 2000;
		tz = short[7];
	} else {
		const f = splitFields(body);
		if (f.length < 7) return undefined;
		const n = f.slice(0, 6).map((x) => decimalInt(x));
		if (n.some((x) => x === undefined)) return undefined;
		parts = n as number[];
		tz = f[6];
	}
	const [year, month, day, hour, minute, second] = parts;
	const quarters = Number(tz);
	if (year < 2015 || year > 2079 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
	if (!/^[+-]?\d{1,2}$/.test(tz) || quarters < -48 || quarters > 56) return undefined;
	return { utc: Date.UTC(year, month - 1, day, hour, minute, second), offsetMinutes: quarters * 15 };
}
