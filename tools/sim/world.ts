/**
 * The host simulator: one machine's whole Enigm world in one process, for `npm start`, the QA scenarios, the
 * benchmarks and the end-to-end tests.
 *
 *   - a device provisioned by tools/provision (board `sim`): its NVS image is parsed back into the simulated
 *     Preference store, and its platform import record is imported into
 *   - the reference platform (tools/platform: SQLite, TLS on loopback with the development CA), with an account,
 *     the device claimed and two selected contacts;
 *   - the modem emulator (tools/sim/modem: SIM7080G or BG95 dialect, real TLS to the platform, GNSS from a track,
 *     latency profile, injected faults);
 *   - the real firmware (main.ts `wire`) on the `sim` board with hal/sim's target (memory store, simulated power).
 *
 * Time is simulated (hal/sim/manualClock) or real. In simulated time `run(ms)` jumps from deadline to deadline;
 * because the sockets are real, it first lets real IO settle (the emulator's connects, handshakes and writes, the
 * platform's requests in flight, responses on their way back), so a run is deterministic in simulated time.
 *
 * Deep sleep is modelled as the ESP32 does it: the firmware instance is discarded (RAM is lost), NVS is kept, and
 * the next button press boots a new instance with wake cause "button" after the boot latency.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { Clock } from "hal/clock";
import ManualClock, { settle } from "hal/sim/manualClock";
import { createSimTarget } from "hal/sim/target";
import type { StoredValue } from "hal/store";
import type { WakeCause } from "hal/power";
import { createSimBoard, simPins } from "boards/sim/board";
import { SimPinBank } from "boards/sim/simDigital";
import type { SosConfig, SosStateName } from "modules/sos/messages";
import type { RadioScheduleConfig } from "modules/radioSchedule";
import type { PointTally } from "modules/uplink";
import type { PressTiming } from "drivers/button/pressRecognizer";
import { wire, storeDomain, type Firmware } from "../../main";
import { readEndpoint } from "modules/endpoint";
import ModemEmulator, { type Fault, type TrackPoint } from "./modem/emulator";
import { realClock } from "./modem/realClock";
import { startPlatformServer, type PlatformServer } from "../platform/server";
import { ensureDevCa } from "../platform/devCa";
import { LogNotifier } from "../platform/notifier";
import { generateBatch, IMPORT_FILE } from "../provision/batch";
import { parseNvsImage } from "../provision/nvs";
import { configureLine, hostSerialClass } from "./external/hostSerial";
import { LightSleepUart, lightSleepSerial } from "./lightSleepUart";
import { powerSwitch, type PowerSwitch } from "./external/powerCommand";

export type LogSource = "device" | "modem" | "platform" | "world" | "notify";

/** A modem on a serial device of this host instead of the emulator (issue 9.5). */
export interface ExternalModem {
	/** The serial device: /dev/ttyUSB0 (a real module on a USB-serial adapter), /dev/pts/N (an emulator on a pty). */
	readonly device: string;
	/** Which AT dialect the module speaks: picks the firmware's driver. */
	readonly family: "sim7080" | "bg95";
	/** `<cmd> on` / `<cmd> off` where the firmware would pulse PWRKEY; undefined: the modem must be on already. */
	readonly power?: string;
	/** Line rate (default 115200, the modules' factory setting and what the boards use). */
	readonly baud?: number;
	/**
	 * The platform's address as the modem reaches it (`host` or `host:port`), provisioned into the device; default
	 * `localhost:<the platform's port>`, which only a modem (or emulator) on this machine's loopback can reach. A real
	 * module on a mobile network needs a name that leads to this machine's platform port (README).
	 */
	readonly platformHost?: string;
	/** The loopback port the platform listens on (default any free port). */
	readonly platformPort?: number;
	/** The cellular APN (default iot.enigm.test, which only the emulator knows). */
	readonly apn?: string;
}

export interface WorldOptions {
	/** "manual": simulated time (scenarios, tests, benchmarks); "real": wall time (interactive npm start). */
	readonly time?: "manual" | "real";
	/**
	 * Run the firmware against a modem on a serial device instead of the emulator. Time is then real, and the
	 * platform's clock is the wall clock (the modem's network time is real too).
	 */
	readonly externalModem?: ExternalModem;
	readonly dialect?: "sim7080" | "bg95";
	readonly profile?: string;
	readonly track?: readonly TrackPoint[];
	readonly faults?: readonly Fault[];
	/** The emulator's UART model (seed, chunk size, jitter, URC noise; see tools/sim/modem/emulator). */
	readonly modem?: {
		readonly seed?: number; readonly maxChunk?: number; readonly jitterMs?: number; readonly urcNoise?: number;
		/** BG95: ERROR to every command but `AT` until `APP RDY` (Zephyr PR 57110; tools/sim/modem/emulator). */
		readonly refuseBeforeReady?: boolean;
	};
	readonly sos?: Partial<SosConfig>;
	readonly schedule?: Partial<RadioScheduleConfig>;
	readonly press?: Partial<PressTiming>;
	/** Platform-side maximum event duration and default interval (seconds). */
	readonly platformMaxEventMs?: number;
	readonly platformInterval?: number;
	/**
	 * How far the network's clock (the NITZ and AT+CCLK?/AT+QLTS time the emulated modem announces) is off the
	 * platform's, ms: a wrong network clock must not block the alert (issue 9.4). The emulator's GNSS time follows
	 * its one clock, so fix times shift by the same amount.
	 */
	readonly networkClockOffsetMs?: number;
	/**
	 * ESP32 deep-sleep wake to the button driver attaching (bootloader with image validation skipped on wake, ESP-IDF
	 * start-up, the XS machine and main.ts), ms; default 200.
	 */
	readonly bootLatencyMs?: number;
	/**
	 * The ESP32's UART across automatic light sleep (tools/sim/lightSleepUart, after ESP-IDF "Sleep Modes", UART
	 * Wakeup): "strict" (default) loses every modem byte that arrives while the firmware lets the chip light-sleep,
	 * as the chip does with no UART wake-up source (hal/esp32/power.c configures none); "ideal" receives every byte
	 * whatever the chip does (the model before issue 13 item 2; only for a test that shows the difference).
	 * `{ wakeThreshold, lostAfterWake }` models a UART wake-up source instead (uart_set_wakeup_threshold()).
	 * Emulator only: an external modem's line is real.
	 */
	readonly lightSleep?: "strict" | "ideal" | { readonly wakeThreshold?: number; readonly lostAfterWake?: number };
	readonly log?: (source: LogSource, line: string) => void;
	/** Each AT transcript line of the emulator. */
	readonly transcript?: (line: string) => void;
	/** A working directory (SQLite, provisioning output); default a fresh temp dir, removed on close. */
	readonly dir?: string;
	/**
	 * The platform's SQLite file; default `platform.sqlite` in `dir`. `":memory:"` skips the disk: the store syncs
	 * every transaction (synchronous = FULL), and under disk contention those fsyncs, not the simulation, set the
	 * pace of a simulated-time run (the QA scenarios use it).
	 */
	readonly platformDb?: string;
	/**
	 * Where the development CA lives (created with openssl on first use, tools/platform/devCa); default `<dir>/devca`.
	 * `npm start` uses `.cache/devca`, the same as `npm run platform`, so a browser that trusts it once keeps trusting.
	 */
	readonly caDir?: string;
	/**
	 * Demo logins (issue 12): the account holder gets a user name and a fresh random password (scrypt-hashed with
	 * the production cost), and a Command operator is created, so a person can log in to both views.
	 */
	readonly demoLogins?: boolean;
}

/** Figures the scenarios and benchmarks read. */
export interface WorldMetrics {
	/** Deep-sleep wakes by the button. */
	wakes: number;
	/** Location batches with a serving-cell report (no GNSS fix) that the platform accepted. */
	cellReports: number;
	/** Milliseconds the modem was powered (booting or on), whatever its RF did. */
	modemOnMs: number;
	/**
	 * Milliseconds the modem's RF was in use: registered (+CEREG stat 1/5, data included), denied after an attach
	 * attempt (3), or searching (2) after the firmware's AT+CFUN=1. A modem booted with its RF off for the gesture
	 * counts only from AT+CFUN=1 (see #sample for the boot-time search).
	 * Emulator only (an external modem's RF is not observable).
	 */
	radioOnMs: number;
	/** Bytes on the emulated TCP wire (TLS records) while the device was dormant (must stay 0). */
	dormantWireBytes: number;
	/** Bytes the modem put on the TCP wire, and received, in all. */
	wireSent: number;
	wireReceived: number;
	/** Simulated milliseconds spent in each SOS state (dormant includes deep sleep). */
	stateMs: Record<string, number>;
	/** Transitions seen, in order, with their simulated times. */
	transitions: Array<{ at: number; from: SosStateName; to: SosStateName; event: string }>;
	/** The firmware's own location-point tally (modules/uplink PointTally), summed over every instance that ran. */
	points: PointTally;
	/**
	 * Modem-to-ESP32 bytes the chip's UART lost in light sleep (WorldOptions.lightSleep), and UART wakes; each lost
	 * run is also logged ("world": "light sleep lost ...").
	 */
	uartLostBytes: number;
	uartWakes: number;
}

/** Three deliberate presses (250 ms each, 250 ms apart), as a person raising an alert presses. */
export const deliberateTriple: ReadonlyArray<readonly [number, number]> = Object.freeze([[0, 250], [500, 750], [1000, 1250]] as const);

const defaultContacts = [
	{ name: "Grace", channel: "sms", address: "+41790000001" },
	{ name: "Alan", channel: "email", address: "alan@example.org" },
];

export default class World {
	readonly clock: Clock;
	readonly manual: ManualClock | undefined;
	readonly #emulator: ModemEmulator | undefined;
	readonly #external: { readonly modem: ExternalModem; readonly power: PowerSwitch } | undefined;
	readonly platform: PlatformServer;
	readonly deviceId: string;
	readonly accountId: string;
	/** The demo logins when `demoLogins` was set (printed by `npm start`). */
	demo: { readonly holder: { readonly username: string; readonly password: string }; readonly command: { readonly username: string; readonly password: string } } | undefined;
	readonly bank = new SimPinBank();
	readonly nvs = new Map<string, Map<string, StoredValue>>();
	readonly metrics: WorldMetrics = {
		wakes: 0, cellReports: 0, modemOnMs: 0, radioOnMs: 0, dormantWireBytes: 0, wireSent: 0, wireReceived: 0, stateMs: {}, transitions: [],
		points: { captured: 0, restored: 0, delivered: 0, dropped: 0 },
		uartLostBytes: 0, uartWakes: 0,
	};
	#options: WorldOptions;
	#dir: string;
	#ownDir: boolean;
	#firmware: Firmware | undefined;
	#asleep = false;
	#booting = false;
	#inflight = 0;
	#awaitingDelivery: number | undefined;
	#requestsSent = 0;
	#requestsSeen = 0;
	#stateSince = 0;
	#lastState: SosStateName = "dormant";
	#closed = false;

	private constructor(o: {
		options: WorldOptions; dir: string; ownDir: boolean; clock: Clock; manual: ManualClock | undefined;
		emulator: ModemEmulator | undefined; external: { modem: ExternalModem; power: PowerSwitch } | undefined;
		platform: PlatformServer; deviceId: string; accountId: string;
	}) {
		this.#options = o.options;
		this.#dir = o.dir;
		this.#ownDir = o.ownDir;
		this.clock = o.clock;
		this.manual = o.manual;
		this.#emulator = o.emulator;
		this.#external = o.external;
		this.platform = o.platform;
		this.deviceId = o.deviceId;
		this.accountId = o.accountId;
		this.bank.drive(simPins.button, 1); // released: pulled up
		// The board's modem PWRKEY pin is wired to the emulated modem's PWRKEY.
		this.bank.onWrite = (pin, level) => {
			if (pin === simPins.modemPwrKey) this.#emulator?.pwrkey.write(level);
		};
	}

	static async create(options: WorldOptions = {}): Promise<World> {
		const log = (source: LogSource, line: string) => options.log?.(source, line);
		const ownDir = !options.dir;
		const dir = options.dir ?? mkdtempSync(join(tmpdir(), "enigm-world-"));
		const external = options.externalModem;
		if (external) {
			const line = configureLine(external.device, external.baud ?? 115200);
			if (!line.ok) throw new Error(line.error);
		}
		const manual = options.time === "real" || external ? undefined : new ManualClock();
		const clock: Clock = manual ?? realClock();
		const wallStart = Date.UTC(2026, 10, 22, 8, 0, 0);
		// The platform's wall clock follows the simulated clock, so `created` and the event timeout agree with the
		// network time the emulator announces; with an external modem it is the wall clock, as the network's is.
		const wallClock: Clock = external
			? { now: () => Date.now(), set: (f, ms) => clock.set(f, ms), clear: (h) => clock.clear(h) }
			: { now: () => wallStart + clock.now(), set: (f, ms) => clock.set(f, ms), clear: (h) => clock.clear(h) };

		// 1. The platform (the device is imported, claimed and given two contacts once it is provisioned).
		const platformKey = new Uint8Array(randomBytes(32));
		const ca = ensureDevCa(options.caDir ?? join(dir, "devca"));
		const platform = await startPlatformServer({
			db: options.platformDb ?? join(dir, "platform.sqlite"),
			storageKey: randomBytes(32),
			importKey: Buffer.from(platformKey),
			tls: ca,
			port: options.externalModem?.platformPort ?? 0,
			clock: wallClock,
			notifier: new LogNotifier((line) => log("notify", line)),
			log: (line) => log("platform", line),
			...(options.platformMaxEventMs !== undefined ? { maxEventMs: options.platformMaxEventMs } : {}),
			...(options.platformInterval !== undefined ? { interval: options.platformInterval } : {}),
		});
		// 2. Manufacturing: one device for the simulated board through the real provisioning code, with the platform's
		// endpoint (host and pinned CA) in its NVS image, as a factory batch for this platform would have it.
		const batch = join(dir, "batch");
		await generateBatch({
			out: batch, board: "sim", count: 1, prefix: "SIM", platformKey, log: () => {},
			platform: { host: options.externalModem?.platformHost ?? `localhost:${platform.port}`, ca: ca.ca },
		});
		const image = parseNvsImage(new Uint8Array(readFileSync(join(batch, "devices", "SIM-1", "nvs.bin"))));
		const summary = platform.platform.importRecords(readFileSync(join(batch, IMPORT_FILE), "utf8"));
		if (summary.imported !== 1) throw new Error(`platform import failed: ${JSON.stringify(summary.failed)}`);
		const idEntry = image.entries.find((e) => e.namespace === storeDomain && e.key === "device_id");
		if (!idEntry || typeof idEntry.value !== "string") throw new Error("provisioned image has no device_id");
		const deviceId = idEntry.value;
		let accountId: string;
		let demo: World["demo"];
		if (options.demoLogins) {
			// Passwords from the CSPRNG, for this run only (the database is the world's temporary one).
			const holder = { username: "ada", password: randomBytes(12).toString("base64url") };
			const command = { username: "command", password: randomBytes(12).toString("base64url") };
			accountId = (await platform.platform.register({ ...holder, name: "Ada L." })).account_id;
			await platform.platform.createOperator(command.username, command.password);
			demo = { holder, command };
		} else accountId = platform.platform.createAccount("Ada L.");
		platform.platform.claim(accountId, platform.platform.issueClaimCode(deviceId).code);
		for (const contact of defaultContacts) platform.platform.addContact(accountId, contact);

		// 3. The modem, with the platform's host name resolving to loopback.
		let worldRef: World | undefined;
		const emulator = external ? undefined : new ModemEmulator({
			dialect: options.dialect ?? "sim7080",
			clock,
			profile: options.profile ?? "good",
			hosts: { localhost: "127.0.0.1" },
			wallStart: wallStart + (options.networkClockOffsetMs ?? 0),
			...(options.track ? { track: options.track } : {}),
			...(options.faults ? { faults: options.faults } : {}),
			transcript: (line) => {
				if (worldRef) worldRef.#hostRf(line);
				options.transcript?.(line);
			},
			...(options.modem ?? {}),
		});

		const externalLink = external ? { modem: external, power: powerSwitch({ ...(external.power !== undefined ? { command: external.power } : {}), log: (line) => log("world", line) }) } : undefined;
		const world = new World({ options, dir, ownDir, clock, manual, emulator, external: externalLink, platform, deviceId, accountId });
		worldRef = world;
		world.demo = demo;
		// NVS as Moddable's Preference reads it: i32 -> number, string, blob -> ArrayBuffer, u8 -> boolean.
		const domain = new Map<string, StoredValue>();
		for (const e of image.entries) {
			if (e.namespace !== storeDomain) continue;
			if (e.type === "blob" && e.value instanceof Uint8Array) domain.set(e.key, e.value.slice().buffer);
			else if (e.type === "u8") domain.set(e.key, e.value !== 0);
			else if (typeof e.value === "number" || typeof e.value === "string") domain.set(e.key, e.value);
		}
		world.nvs.set(storeDomain, domain);
		platform.server.on("request", (req, res) => {
			// Only the modem's requests hold simulated time back: a test client or the dashboard (loopback too) must
			// not make the next run wait for a delivery to the modem that never comes.
			if (!world.#emulator?.localPorts.includes(req.socket.remotePort ?? -1)) return;
			world.#requestsSeen++;
			world.#inflight++;
			res.on("close", () => {
				world.#inflight--;
				world.#awaitingDelivery = world.emulator.stats.wireReceived;
			});
		});
		world.#boot("powerOn", false);
		return world;
	}

	/** The modem emulator; throws with an external modem (issue 9.5), which has none. */
	get emulator(): ModemEmulator {
		if (!this.#emulator) throw new Error("no modem emulator: this world runs against an external modem");
		return this.#emulator;
	}

	/** The external modem, when the world runs against one. */
	get externalModem(): ExternalModem | undefined {
		return this.#external?.modem;
	}

	get firmware(): Firmware | undefined {
		return this.#firmware;
	}

	/**
	 * The running firmware's chip may light-sleep now (hal/power LightSleep enabled and no hold: no modem operation
	 * in progress). False while asleep (deep sleep is another state) and before the firmware enabled light sleep.
	 */
	get mcuMayLightSleep(): boolean {
		return !this.#asleep && this.#lightSleepAllowed;
	}

	/** Every change of mcuMayLightSleep while a firmware instance ran, in the world's clock, oldest first. */
	readonly lightSleepChanges: Array<{ at: number; allowed: boolean }> = [];
	#lightSleepAllowed = false;

	get asleep(): boolean {
		return this.#asleep;
	}

	get state(): SosStateName {
		return this.#firmware?.runner.state.name ?? (this.#asleep ? this.#sleepingState() : "dormant");
	}

	#sleepingState(): SosStateName {
		return this.nvs.get(storeDomain)?.get("revoked") === true ? "revoked" : "dormant";
	}

	get dashboardUrl(): string {
		return `${this.platform.url}/dashboard`;
	}

	#log(source: LogSource, line: string): void {
		this.#options.log?.(source, line);
	}

	/** Boots a fresh firmware instance (power-on, reset, or a wake from deep sleep). */
	#boot(wakeCause: WakeCause, pressedAtBoot: boolean): void {
		this.#asleep = false;
		this.#lightSleepAllowed = false;
		// The device's clock is Moddable's Time.ticks (hal/moddable/timerClock): milliseconds since this boot. It
		// restarts at every boot, so the firmware never sees the world's time across a reset or a deep sleep.
		const bootAt = this.clock.now();
		const world = this.clock;
		const clock: Clock = { now: () => world.now() - bootAt, set: (f, ms) => world.set(f, ms), clear: (h) => world.clear(h) };
		const target = createSimTarget({
			clock,
			nvs: this.nvs,
			power: {
				wakeCause, buttonPressedAtBoot: pressedAtBoot, onDeepSleep: () => this.#sleep(),
				onLightSleepAllowed: (allowed) => {
					this.#lightSleepAllowed = allowed;
					this.lightSleepChanges.push({ at: this.clock.now(), allowed });
				},
			},
		});
		const external = this.#external;
		const board = external
			? createSimBoard({ Serial: hostSerialClass(external.modem.device), modemDevice: external.modem.device, bank: this.bank, modem: external.modem.family, modemSwitch: external.power })
			: createSimBoard({ Serial: this.#modemSerial(), modemDevice: "emulator", bank: this.bank, modem: this.emulator.dialect });
		// The platform endpoint as the device reads it on the ESP32 (main.ts): from its provisioned NVS.
		const provisioned = readEndpoint(target.store(storeDomain));
		if (!provisioned.ok || !provisioned.endpoint) throw new Error(`provisioned endpoint: ${provisioned.ok ? "missing" : provisioned.reason}`);
		const { host, port, caPem } = provisioned.endpoint;
		const firmware = wire(board, target, {
			platform: { host, port, apn: this.#external?.modem.apn ?? "iot.enigm.test", caPem },
			...(this.#options.sos ? { sos: this.#options.sos } : {}),
			...(this.#options.schedule ? { schedule: this.#options.schedule } : {}),
			...(this.#options.press ? { press: this.#options.press } : {}),
			log: (line) => this.#log("device", line),
			// Without the emulator's transcript, the driver's own AT log in the transcript's format (tools/sim/modem/transcript).
			...(external && this.#options.transcript ? { modemLog: driverTranscript(this.clock, this.#options.transcript) } : {}),
			onTransition: (from, to, event) => {
				this.#account(to.name);
				this.metrics.transitions.push({ at: this.clock.now(), from: from.name, to: to.name, event: event.type });
				this.onTransition?.(from.name, to.name, event.type);
			},
		});
		this.#firmware = firmware;
		this.#observe(firmware);
	}

	/** The emulator's Serial as this boot's ESP32 UART receives it across light sleep (WorldOptions.lightSleep). */
	#modemSerial() {
		const mode = this.#options.lightSleep ?? "strict";
		if (mode === "ideal") return this.emulator.Serial;
		const wake = typeof mode === "object" ? mode : {};
		const uart = new LightSleepUart({
			asleep: () => this.mcuMayLightSleep,
			...(wake.wakeThreshold !== undefined ? { wakeThreshold: wake.wakeThreshold } : {}),
			...(wake.lostAfterWake !== undefined ? { lostAfterWake: wake.lostAfterWake } : {}),
			onLost: (bytes, why) => {
				this.metrics.uartLostBytes += bytes.length;
				if (why === "wake") this.metrics.uartWakes++;
				this.#log("world", `light sleep lost ${bytes.length} modem byte(s)${why === "wake" ? " waking the chip" : ""}: ${JSON.stringify(Buffer.from(bytes).toString("latin1"))}`);
			},
		});
		return lightSleepSerial(this.emulator.Serial, uart);
	}

	/** Observer for displays: every SOS transition of whichever firmware instance runs. */
	onTransition: ((from: SosStateName, to: SosStateName, event: string) => void) | undefined;

	/** Hooks the board's PWRKEY pin to the emulator and counts requests and state time. */
	#observe(firmware: Firmware): void {
		const uplink = firmware.uplink;
		let sent = uplink.traffic.requests;
		let cells = uplink.traffic.cellReports;
		const poll = () => {
			if (uplink.traffic.requests !== sent) {
				this.#requestsSent += uplink.traffic.requests - sent;
				sent = uplink.traffic.requests;
			}
			if (uplink.traffic.cellReports !== cells) {
				this.metrics.cellReports += uplink.traffic.cellReports - cells;
				cells = uplink.traffic.cellReports;
			}
		};
		this.#pollRequests = poll;
	}

	#pollRequests: () => void = () => {};

	#account(state: SosStateName): void {
		const now = this.clock.now();
		this.metrics.stateMs[this.#lastState] = (this.metrics.stateMs[this.#lastState] ?? 0) + (now - this.#stateSince);
		this.#stateSince = now;
		this.#lastState = state;
	}

	/** The point tally so far: the instances gone (deep sleep, reset) and the running one. */
	pointTally(): PointTally {
		const sum = { ...this.metrics.points };
		const live = this.#firmware?.uplink.points;
		if (live) for (const k of Object.keys(sum) as (keyof PointTally)[]) sum[k] += live[k];
		return sum;
	}

	#retire(firmware: Firmware | undefined): void {
		if (!firmware) return;
		for (const k of Object.keys(this.metrics.points) as (keyof PointTally)[]) this.metrics.points[k] += firmware.uplink.points[k];
	}

	#sleep(): void {
		const firmware = this.#firmware;
		this.#retire(firmware);
		this.#firmware = undefined;
		this.#asleep = true;
		this.#log("world", "device in deep sleep (radios off, nothing on the wire)");
		// The ESP32 loses RAM: the instance goes; NVS stays. Close on the next turn, after the effect returns.
		this.clock.set(() => firmware?.close(), 0);
	}

	/**
	 * Presses the button: `presses` are [downAt, upAt] pairs relative to now, in ms. A press while the device sleeps
	 * wakes it; the firmware starts `bootLatencyMs` later with the wake cause "button".
	 */
	press(presses: ReadonlyArray<readonly [number, number]> = deliberateTriple): void {
		const start = this.clock.now();
		for (const [down, up] of presses) {
			this.clock.set(() => this.#edge(true), Math.max(0, start + down - this.clock.now()));
			this.clock.set(() => this.#edge(false), Math.max(0, start + up - this.clock.now()));
		}
	}

	/** One raw edge (scenarios script bounce and chatter with these). */
	edge(pressed: boolean, afterMs = 0): void {
		this.clock.set(() => this.#edge(pressed), afterMs);
	}

	/** Observer of every button edge the world drives (npm start measures the alert latency from the third press). */
	onEdge: ((pressed: boolean, at: number) => void) | undefined;

	#edge(pressed: boolean): void {
		this.bank.drive(simPins.button, pressed ? 0 : 1);
		this.onEdge?.(pressed, this.clock.now());
		if (pressed && this.#asleep && !this.#booting) {
			// ext0 wake on the button level: the chip boots and the firmware samples the button when it starts.
			this.#booting = true;
			this.metrics.wakes++;
			this.clock.set(() => {
				this.#booting = false;
				this.#boot("button", this.bank.level(simPins.button) === 0);
			}, this.#options.bootLatencyMs ?? 200);
		}
	}

	/** A reset (brownout, watchdog) in the middle of whatever is happening: RAM lost, NVS kept, modem untouched. */
	reboot(): void {
		this.#retire(this.#firmware);
		this.#firmware?.close();
		this.#firmware = undefined;
		this.#log("world", "device reset");
		this.#boot("reset", this.bank.level(simPins.button) === 0);
	}

	inject(fault: Fault): void {
		this.emulator.inject(fault);
	}

	/** The user closes the event in the app (platform side); the device learns it on its next exchange. */
	closeEventByUser(): boolean {
		const open = this.platform.platform.store.events(this.deviceId).find((e) => e.state === "open");
		if (!open) return false;
		this.platform.platform.closeByUser(this.deviceId, open.event_id, "user");
		return true;
	}

	revoke(reason = "lost"): void {
		this.platform.platform.revoke(this.deviceId, reason);
	}

	/** Runs `ms` of simulated time (manual clock), or waits `ms` of real time (real clock). */
	async run(ms: number): Promise<void> {
		if (!this.manual) {
			await new Promise((resolve) => setTimeout(resolve, ms));
			this.#pollRequests();
			return;
		}
		const clock = this.manual;
		const end = clock.now() + ms;
		for (;;) {
			await this.#settleIo();
			const next = clock.nextDeadline();
			const target = next === undefined || next > end ? end : next;
			const before = clock.now();
			this.#sample(target - before);
			clock.advanceTo(target);
			await settle();
			if (clock.now() >= end && (next === undefined || next > end)) break;
		}
		this.#account(this.state);
	}

	/** Runs until `predicate` holds or `limitMs` of simulated time passed; returns whether it held. */
	async runUntil(predicate: () => boolean, limitMs: number, stepMs = 1000): Promise<boolean> {
		const end = this.clock.now() + limitMs;
		while (!predicate()) {
			if (this.clock.now() >= end) return false;
			await this.run(Math.min(stepMs, end - this.clock.now()));
		}
		return true;
	}

	/** The firmware asked for RF (AT+CFUN=1) in the modem's current power cycle. */
	#rfRequested = false;

	#hostRf(line: string): void {
		const cfun = / -> AT\+CFUN=(\d)/.exec(line);
		if (cfun) this.#rfRequested = cfun[1] === "1";
		else if (/ == (power (on|off)|rails off|reset)/.test(line)) this.#rfRequested = false;
	}

	#sample(stepMs: number): void {
		if (stepMs <= 0) return;
		const e = this.#emulator;
		if (!e || e.power === "off") return;
		this.metrics.modemOnMs += stepMs;
		if (e.power !== "on") return;
		// RF in use: the network has seen the device (registered, or denied after an attach attempt), it searches
		// because the firmware asked it to, or it searches on its own with its SIM ready and so may attach (transmit)
		// any moment. The module's own search between its boot (default full functionality, `+CFUN: 1`) and the
		// firmware's AT+CFUN=4 is receive-only while its SIM is not ready (`+CPIN: READY` comes later), so it cannot
		// attach: that is counted in modemOnMs only. A module that refuses AT+CFUN=4 until `APP RDY` (the emulator's
		// refuseBeforeReady) is past `+CPIN: READY` by then: that counts.
		const stat = e.registration;
		if (stat === 1 || stat === 3 || stat === 5 || (stat === 2 && (this.#rfRequested || e.simReady))) this.metrics.radioOnMs += stepMs;
	}

	/** Lets real IO finish before simulated time moves on. */
	async #settleIo(): Promise<void> {
		const giveUp = performance.now() + 3000;
		for (;;) {
			await this.emulator.whenIoSettled();
			await new Promise((resolve) => setImmediate(resolve));
			this.#pollRequests();
			const stats = this.emulator.stats;
			const dormant = this.#asleep || this.state === "dormant" || this.state === "revoked";
			const wire = stats.wireSent + stats.wireReceived;
			if (dormant && wire > this.metrics.wireSent + this.metrics.wireReceived) this.metrics.dormantWireBytes += wire - (this.metrics.wireSent + this.metrics.wireReceived);
			this.metrics.wireSent = stats.wireSent;
			this.metrics.wireReceived = stats.wireReceived;
			const delivered = this.#awaitingDelivery === undefined || stats.wireReceived > this.#awaitingDelivery;
			const unseen = this.#requestsSent > this.#requestsSeen;
			if (this.#inflight === 0 && delivered && !unseen) {
				this.#awaitingDelivery = undefined;
				return;
			}
			if (performance.now() > giveUp) {
				// A request lost on the way (network loss fault) or a response that never comes: stop waiting.
				this.#awaitingDelivery = undefined;
				this.#requestsSeen = this.#requestsSent;
				return;
			}
			await new Promise((resolve) => setTimeout(resolve, 1));
		}
	}

	/** The platform's view of this device's events, newest first. */
	events() {
		return this.platform.platform.store.events(this.deviceId);
	}

	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		this.#firmware?.close();
		this.#firmware = undefined;
		this.#emulator?.close();
		await this.platform.close();
		if (this.#ownDir) rmSync(this.#dir, { recursive: true, force: true });
	}
}

/**
 * The modem driver's log (drivers/modem/at: `> cmd`, `< line`, `? urc`, `! ...`; drivers/modem/modemBase: state
 * changes, `power switch on|off`) as transcript lines, the format the emulator writes (tools/sim/modem/transcript).
 * The echo of a command and the `? ` copy of a URC already logged as `< ` are left out, as are state changes.
 */
export function driverTranscript(clock: Clock, sink: (line: string) => void): (line: string) => void {
	let lastCommand: string | undefined;
	return (line) => {
		const m = /^([<>?!]) (.*)$/s.exec(line);
		let dir: string;
		if (m) {
			if (m[1] === "?") return;
			if (m[1] === "<" && m[2] === lastCommand) return; // echo (V.250 6.2.4, on after every boot)
			if (m[1] === ">") lastCommand = m[2];
			dir = m[1] === ">" ? "->" : m[1] === "!" ? "!!" : "<-";
		} else if (/^power switch /.test(line)) dir = "==";
		else return;
		sink(`[${String(Math.round(clock.now())).padStart(9)} ms] ${dir} ${m ? m[2]! : line}`);
	};
}
