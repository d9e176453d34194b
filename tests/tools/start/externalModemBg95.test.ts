/** Issue 9.5 end to end for the BG95 (see externalModem.test.ts); its own file so it runs alongside the SIM7080G's. */
import { suite } from "uvu";
import { externalModemEvent } from "./externalModemRun";

const X = suite("npm start with an external BG95 (--modem-device)");

X("bg95 on a pty, already on, no power command: alert, points, dormant, report, exit 0", () => externalModemEvent("bg95", false));

X.run();
