/**
 * Wiring only: the board (host provider), the platform's HAL target, the drivers and the modules. No logic lives
 * here beyond choosing implementations from the board's data (CONVENTIONS 3): one main.ts serves every board.
 * Moddable calls the default export at start-up; Node runs (npm start, scenarios) call `wire` with the simulated
 * board and target.
 */
import board from "embedded:provider/builtin";
import config from "mc/config";
import { createTarget } from "hal/target";
import type { Board, PowerRail } from "hal/board";
import type { Target } from "hal/targetTypes";
import TriplePress from "drivers/button/triplePress";
import type { PressTiming } from "drivers/button/pressRecognizer";
import type { Modem, ModemOptions, ModemRails } from "drivers/modem/modem";
import Sim7080 from "drivers/modem/sim7080";
import Bg95 from "drivers/modem/bg95";
import AwakeModem from "drivers/modem/awakeModem";
import Axp2101, { type Rail } from "drivers/pmu/axp2101";
import Counter from "modules/counter";
import Journal from "modules/journal";
import RadioSchedule, { type RadioScheduleConfig } from "modules/radioSchedule";
import RequestSigner from "modules/protocol/requestSigner";
import type { Battery } from "modules/protocol/messages";
import SosRunner, { type SosRunnerOptions } from "modules/sos/runner";
import type { SosConfig } from "modules/sos/messages";
import Uplink from "modules/uplink";
import WallClock from "modules/wallClock";
import { readEndpoint } from "modules/endpoint";

export interface FirmwareSettings {
	readonly platform: {
		/** Host name the modem connects to and the signatures cover (`@authority`). */
		readonly host: string;
		readonly port: number;
		readonly apn: string;
		/** PEM of the platform CA that the TLS session pins. */
		readonly caPem: Uint8Array;
		readonly sni?: string;
	};
	readonly sos?: Partial<SosConfig>;
	readonly press?: Partial<PressTiming>;
	readonly schedule?: Partial<RadioScheduleConfig>;
	/** Grace after boot or after a spoiled press sequence before a dormant device sleeps again, ms. */
	readonly idleSleepMs?: number;
	/** One line per transition, modem step and press decision; never secrets. */
	readonly log?: (line: string) => void;
	/** The modem driver's AT transcript (lengths only for payloads). */
	readonly modemLog?: (line: string) => void;
	/** Observer of every SOS transition (the simulator's display, scenario expectations). */
	readonly onTransition?: SosRunnerOptions["onTransition"];
}

export interface Firmware {
	readonly runner: SosRunner;
	readonly uplink: Uplink;
	readonly modem: Modem;
	readonly button: TriplePress;
	readonly journal: Journal;
	close(): void;
}

/** Store domain (NVS namespace) that provisioning fills and the firmware keeps its journal and counter in. */
export const storeDomain = "enigm";

const railNames: Record<PowerRail["name"], Rail | undefined> = {
	DC1: "dcdc1", DC2: "dcdc2", DC3: "dcdc3", DC4: "dcdc4", DC5: "dcdc5",
	ALDO1: "aldo1", ALDO2: "aldo2", ALDO3: "aldo3", ALDO4: "aldo4", BLDO1: "bldo1", BLDO2: "bldo2",
	DLDO1: undefined, DLDO2: undefined, CPUSLDO: undefined,
};

export function wire(board: Board, target: Target, settings: FirmwareSettings): Firmware {
	const log = settings.log ?? ((line: string) => trace(line + "\n"));
	const { clock, power } = target;
	const store = target.store(storeDomain);
	const keystore = target.keystore(store);
	const counter = new Counter({ store });
	const wallClock = new WallClock(clock);
	const { host, port } = settings.platform;
	const signer = new RequestSigner({ keystore, counter, host: port === 443 ? host : `${host}:${port}`, wallTime: () => wallClock.now() });

	let rails: ModemRails | undefined;
	let battery: (() => Battery | undefined) | undefined;
	if (board.power.kind === "pmu") {
		const bus = board.I2C?.[board.power.bus];
		if (!bus || !board.io.I2C) throw new RangeError("invalid board: PMU bus");
		const pmu = new Axp2101({ i2c: { io: board.io.I2C, ...bus }, batteryNtc: false });
		const set = [board.power.rails.modem, board.power.rails.levelShifter, board.power.rails.gnssAntenna].map((r) => {
			const rail = railNames[r.name];
			if (!rail) throw new RangeError(`invalid board: rail ${r.name}`);
			return { rail, millivolts: r.millivolts };
		});
		rails = pmu.modemRails(set);
		// Dormancy means the rails are off, whatever state the last run left them in.
		rails.off();
		battery = () => {
			const status = pmu.battery();
			return status.ok && status.value.present ? { millivolts: status.value.millivolts, percent: status.value.percent } : undefined;
		};
	}
	if (board.pin.modemPwrKey === undefined && !board.modemSwitch) throw new RangeError("invalid board: modem PWRKEY pin");
	const modemOptions: ModemOptions = {
		serial: { io: board.io.Serial, ...board.Serial.modem },
		...(board.modemSwitch
			? { powerSwitch: board.modemSwitch }
			: { pwrKey: { io: board.io.Digital, pin: board.pin.modemPwrKey! } }),
		pwrKeyActive: board.pwrKey.activeLevel,
		clock,
		...(rails ? { rails } : {}),
		...(settings.modemLog ? { log: settings.modemLog } : {}),
	};
	const driver: Modem = board.modem === "bg95" ? new Bg95(modemOptions) : new Sim7080({ ...modemOptions, variant: board.modem === "sim7000" ? "sim7000" : "sim7080" });
	// Automatic light sleep between modem operations; each operation holds the chip awake (hal/power LightSleep).
	const modem: Modem = power.lightSleep ? new AwakeModem(driver, power.lightSleep) : driver;

	const uplink = new Uplink({
		modem, clock, keystore, signer, counter, wallClock,
		// Four fixes per location request after the first (modules/radioSchedule `pointsPerSend`): docs/benchmarks.md §2.
		schedule: new RadioSchedule({ pointsPerSend: 4, ...settings.schedule }),
		// A deep-sleep wake follows a power-down (the firmware sleeps only with the radios off); a reset may not.
		// A switched external modem may have been switched on by hand: only an `AT` answer tells.
		modemKnownOff: power.wakeCause === "button" && !board.modemSwitch,
		store,
		platform: settings.platform,
		log,
		...(battery ? { battery } : {}),
	});
	const journal = new Journal(store);
	const runner = new SosRunner({
		clock, entropy: target.entropy, indicator: target.indicator, journal,
		radio: uplink, gnss: uplink, platform: uplink,
		sleep: () => power.deepSleep(),
		log,
		...(settings.sos ? { config: settings.sos } : {}),
		onTransition(from, to, event) {
			// A false start's modem is off again: the chip may sleep once the button is idle.
			if (from.context.gesture === "disarming" && !to.context.gesture) restartIdle();
			settings.onTransition?.(from, to, event);
		},
	});

	// A dormant device whose button has nothing in progress goes back to deep sleep after a short grace.
	const idleSleepMs = settings.idleSleepMs ?? 1500;
	let idleTimer = clock.set(checkIdle, idleSleepMs);
	function restartIdle(): void {
		clock.clear(idleTimer);
		idleTimer = clock.set(checkIdle, idleSleepMs);
	}
	function checkIdle(): void {
		const state = runner.state.name;
		// The modem is booting for a gesture, or being powered down after a false start: look again later.
		if (runner.state.context.gesture) return restartIdle();
		if (state !== "dormant" && state !== "revoked") return;
		if (button.idle) runner.dispatch({ type: "buttonIdle", now: clock.now() });
		else restartIdle(); // still held or mid-sequence: look again later
	}
	// Outputs the button driver produces while it attaches (the wake press, edges captured during boot) reach the
	// runner after its boot event, so a journal's resume is never pre-empted by a gesture.
	let booted = false;
	const early: Array<() => void> = [];
	const toRunner = (deliver: () => void) => (booted ? deliver() : early.push(deliver));
	const button = new TriplePress({
		button: { io: board.io.Digital, pin: board.pin.button, activeLow: board.button.activeLow, mode: board.io.Digital[board.button.mode] },
		clock,
		...(settings.press ? { timing: settings.press } : {}),
		wake: { byButton: power.wakeCause === "button", pressedAtBoot: power.buttonPressedAtBoot, edges: power.bootButtonEdges() },
		onOutput(output) {
			if (output.type === "press") log(`button: press ${output.count}`);
			else if (output.type === "rejected") log(`button: not an alert (${output.reason} after ${output.presses} presses)`);
			if (output.type === "triple") {
				log("button: triple press");
				toRunner(() => runner.triplePress());
				return;
			}
			// The first deliberate press (the wake press included) boots the modem, RF off, during the gesture.
			if (output.type === "press" && output.count === 1) toRunner(() => runner.dispatch({ type: "gestureStarted", now: clock.now() }));
			if (output.type === "rejected") toRunner(() => runner.dispatch({ type: "gestureAbandoned", now: clock.now() }));
			if (output.type === "hold") {
				// During an event, a 5 s hold is the device-side close (the platform tells the contacts). Right after
				// power-on (battery inserted, power connected), a 5 s hold sends a test event: how a freshly claimed key
				// proves to the account it is the one in the user's hand (issue 12; the platform notifies nobody). A
				// hold that woke the key from deep sleep (a bag pressing on it) stays silent: nothing goes on the air.
				log("button: hold");
				toRunner(() => {
					if (runner.state.name === "dormant") {
						if (power.wakeCause === "powerOn") runner.testPress();
					} else runner.dispatch({ type: "deviceClose", now: clock.now() });
				});
			}
			restartIdle();
		},
	});

	log(`boot: ${board.name}, wake ${power.wakeCause}${power.buttonPressedAtBoot ? ", button held" : ""}, device ${keystore.deviceId.slice(0, 8)}…`);
	runner.boot();
	booted = true;
	power.lightSleep?.enable();
	for (const deliver of early.splice(0)) deliver();

	return {
		runner, uplink, modem, button, journal,
		close() {
			clock.clear(idleTimer);
			runner.close();
			uplink.close();
			button.close();
			modem.close();
			keystore.close();
		},
	};
}

/**
 * Platform settings. The endpoint manufacturing provisioned (NVS `platform_host`, `platform_ca`: modules/endpoint)
 * comes first; a device provisioned without one uses the manifest's `config` (mcconfig `name=value` overrides it),
 * with the CA from the target when it has its own source (the desktop simulator's `platformCaFile`), else
 * `config.platformCa`.
 */
function settingsFromConfig(target: Target): FirmwareSettings {
	const c = config as Record<string, unknown>;
	const idleSleepMs = Number(c.idleSleepMs);
	const provisioned = readEndpoint(target.store(storeDomain));
	if (!provisioned.ok) trace(`boot: provisioned endpoint ignored (${provisioned.reason})\n`);
	const endpoint = provisioned.ok ? provisioned.endpoint : undefined;
	let caPem = endpoint?.caPem ?? target.platformCa?.();
	if (!caPem) {
		const pem = String(c.platformCa ?? "");
		caPem = new Uint8Array(pem.length);
		for (let i = 0; i < pem.length; i++) caPem[i] = pem.charCodeAt(i) & 0x7f;
	}
	return {
		platform: {
			host: endpoint?.host ?? String(c.platformHost ?? "platform.enigm.invalid"),
			port: endpoint?.port ?? Number(c.platformPort ?? 443),
			apn: String(c.apn ?? ""),
			caPem,
		},
		// The desktop simulator waits longer than a board for presses after boot (a person at the keyboard).
		...(Number.isFinite(idleSleepMs) && idleSleepMs > 0 ? { idleSleepMs } : {}),
	};
}

export default function main(): void {
	const device = board as unknown as Board;
	const target = createTarget(device);
	wire(device, target, settingsFromConfig(target));
}
