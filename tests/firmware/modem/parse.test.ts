import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
	isCeregUrc, parseCereg, parseCpsi, parseNetworkClock, parsePsuttz, parseQengServingCell, splitFields,
} from "drivers/modem/parse";

const Parse = suite("modem reply parsers");

Parse("splitFields keeps commas inside quotes and strips the quotes", () => {
	assert.equal(splitFields(' "servingcell","a,b",262, 01'), ["servingcell", "a,b", "262", "01"]);
	assert.equal(splitFields(""), [""]);
});

Parse("+CEREG read and URC forms (3GPP TS 27.007 10.1.22)", () => {
	assert.equal(parseCereg('+CEREG: 2,5,"1A2B","01A2D001",7', "read"), { stat: 5, tac: 0x1a2b, cellId: 0x01a2d001, act: 7 });
	assert.equal(parseCereg("+CEREG: 2,2", "read"), { stat: 2 });
	assert.equal(parseCereg('+CEREG: 1,"1A2B","01A2D001",9', "urc"), { stat: 1, tac: 0x1a2b, cellId: 0x01a2d001, act: 9 });
	assert.equal(parseCereg("+CEREG: 3", "urc"), { stat: 3 });
	assert.is(parseCereg("+CEREG: x", "urc"), undefined);
	assert.is(parseCereg("+CGREG: 1", "urc"), undefined);
	assert.ok(isCeregUrc("+CEREG: 5"));
	assert.ok(isCeregUrc('+CEREG: 5,"1A2B","01A2D001",7'));
	assert.not.ok(isCeregUrc("+CEREG: 2,5"));
	assert.not.ok(isCeregUrc('+CEREG: 2,5,"1A2B","01A2D001",7'));
});

Parse("network clock: +CCLK (TS 27.007 8.15) and +QLTS, local time minus the quarter-hour offset", () => {
	assert.equal(parseNetworkClock('"24/05/17,10:20:30+08"'), { utc: Date.UTC(2024, 4, 17, 8, 20, 30), offsetMinutes: 120 });
	assert.equal(parseNetworkClock('"24/01/01,01:00:00-20"'), { utc: Date.UTC(2024, 0, 1, 6, 0, 0), offsetMinutes: -300 });
	// BG95&BG77 AT Commands Manual, AT+QLTS example.
	assert.equal(parseNetworkClock('"2019/01/13,03:40:48+32,0"'), { utc: Date.UTC(2019, 0, 12, 19, 40, 48), offsetMinutes: 480 });
	assert.is(parseNetworkClock('"80/01/06,00:01:02+00"'), undefined, "SIMCom default clock: never set");
	assert.is(parseNetworkClock('""'), undefined);
	assert.is(parseNetworkClock('"24/13/01,00:00:00+00"'), undefined);
});

Parse("*PSUTTZ in the SIM7080 and the SIM800 shapes", () => {
	assert.equal(parsePsuttz('*PSUTTZ: 26/11/22,08:00:09","+04",0'), { utc: Date.UTC(2026, 10, 22, 8, 0, 9), offsetMinutes: 60 });
	assert.equal(parsePsuttz('*PSUTTZ: 2019,6,12,9,0,48,"+32",0'), { utc: Date.UTC(2019, 5, 12, 9, 0, 48), offsetMinutes: 480 });
	assert.is(parsePsuttz("*PSUTTZ: garbage"), undefined);
	assert.is(parsePsuttz('+CTZV: +04,0'), undefined);
});

Parse("+CPSI LTE lines; NO SERVICE and GSM rejected", () => {
	assert.equal(parseCpsi("+CPSI: LTE NB-IOT,Online,460-11,0x5A1E,187214635,257,EUTRAN-BAND3,1650,0,0,-10,-68,-40,15"), {
		mcc: 460, mnc: 11, tac: 0x5a1e, cellId: 187214635, accessTechnology: "nb-iot", rsrp: -68,
	});
	assert.is(parseCpsi("+CPSI: NO SERVICE,Online"), undefined);
	assert.is(parseCpsi("+CPSI: GSM,Online,460-00,0x1806,12402,29 EGSM 900,-66,0,40-40"), undefined);
});

Parse('+QENG: "servingcell" eMTC/NBIoT; SEARCH rejected', () => {
	assert.equal(parseQengServingCell('+QENG: "servingcell","NOCONN","eMTC","FDD",262,01,1A2D001,257,6300,20,3,3,1A2B,-95,-11,-66,12,37'), {
		mcc: 262, mnc: 1, tac: 0x1a2b, cellId: 0x1a2d001, accessTechnology: "lte-m", rsrp: -95,
	});
	assert.equal(parseQengServingCell('+QENG: "servingcell","NOCONN","NBIoT","FDD",262,01,1A2D001,257,6300,20,3,3,1A2B,-101,-11,-66,12,37')?.accessTechnology, "nb-iot");
	assert.is(parseQengServingCell('+QENG: "servingcell","SEARCH"'), undefined);
});

Parse.run();
