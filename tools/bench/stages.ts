/**
 * Pure pieces of the latency bench: the press-to-alert time split into stages, the part of it the firmware itself
 * adds, and the per-exchange byte accounting. Inputs are what a World run records (tools/bench/worldRuns.ts): SOS
 * transitions, the platform's stored stage timestamps and the emulator's AT transcript (each line with the
 * emulator's byte counters at that moment). Everything here is arithmetic over those records; it is unit tested.
 */

/** The middle value (the lower middle of an even count), 0 for none: bytes per exchange, provisioning rounds. */
export function median(xs: readonly number[]): number {
	const s = [...xs].sort((a, b) => a - b);
	return s.length ? s[Math.floor((s.length - 1) / 2)]! : 0;
}

export type Direction = "->" | "<-" | "==" | "!!";

/** One transcript line with the emulator's counters when it was written. */
export interface Entry {
	readonly t: number;
	readonly dir: Direction;
	readonly text: string;
	readonly wireSent: number;
	readonly wireReceived: number;
	readonly payloadSent: number;
	readonly payloadReceived: number;
}

/** `[     7050 ms] -> AT+CEREG?` (tools/sim/modem/transcript.ts formatEntry) back into time, direction, text. */
export function parseTranscriptLine(line: string): { t: number; dir: Direction; text: string } | undefined {
	const m = /^\[\s*(-?\d+) ms\] (->|<-|==|!!) (.*)$/.exec(line);
	if (!m) return undefined;
	return { t: Number(m[1]), dir: m[2] as Direction, text: m[3]! };
}

/** Stage timestamps as the device reports them in the open-event body: ms after the trigger (docs/protocol.md). */
export interface StoredStages {
	readonly press?: number;
	readonly modem?: number;
	readonly attach?: number;
	readonly tls?: number;
	readonly fix?: number;
}

export interface StageSplit {
	/** Third press (button down) to the recogniser's decision: press length + quiet window (+ debounce). */
	recognise: number;
	/** Decision to the modem booted and configured: probe, PWRKEY pulse, boot markers, configuration. */
	modemBoot: number;
	/** Configured to registered with a PDP context (and network time). */
	attach: number;
	/** Registered to the TLS session open: CA upload, SSL configuration, TCP connect, TLS handshake. */
	tls: number;
	/** TLS open to the signed open-event request handed to the modem (serving cell query, CASEND prompt). */
	send: number;
	/** Request handed over to the verified response (radio send, platform processing, receive, verification). */
	acknowledge: number;
	/** The sum: third press to the device holding the platform's signed acceptance. */
	total: number;
}

export interface StageInputs {
	/** Clock time of the third button-down edge. */
	readonly thirdPressAt: number;
	/** Clock time of the `triplePress` transition (the uplink's trigger, stage origin). */
	readonly triggerAt: number;
	readonly stages: StoredStages;
	/** Clock time the open-event request entered the modem (its payload line in the transcript). */
	readonly requestAt: number;
	/** Clock time of the `alertAcknowledged` transition. */
	readonly ackAt: number;
}

/**
 * Splits third press -> acknowledged alert into consecutive stages. A stage the device did not report (e.g. the
 * modem was already attached) gets 0 and its time goes to the next reported one; the stages always sum to total.
 */
export function splitStages(i: StageInputs): StageSplit {
	const marks = [i.thirdPressAt, i.triggerAt];
	let last = i.triggerAt;
	for (const key of ["modem", "attach", "tls"] as const) {
		const v = i.stages[key];
		const at = v === undefined ? last : Math.max(last, i.triggerAt + v);
		marks.push(at);
		last = at;
	}
	const requestAt = Math.max(last, i.requestAt);
	marks.push(requestAt, Math.max(requestAt, i.ackAt));
	const d = (k: number) => marks[k + 1]! - marks[k]!;
	return {
		recognise: d(0), modemBoot: d(1), attach: d(2), tls: d(3), send: d(4), acknowledge: d(5),
		total: marks[marks.length - 1]! - marks[0]!,
	};
}

export interface FirmwareShare {
	/** Third press to the decision (the recogniser's deliberate wait). */
	recogniser: number;
	/** Decision to the PWRKEY press: the driver checking whether the modem already answers. */
	probeBeforePowerOn: number;
	/** Modem output to the firmware's next command: guard gaps, parsing, poll slack (polls that found news). */
	hostGaps: number;
	/** Sum of the above. */
	total: number;
	/** Number of host gaps counted. */
	gaps: number;
}

/**
 * The part of [from, to] the firmware adds on its own, from the AT transcript:
 *   - the recogniser: third press to decision;
 *   - before the modem is powered: decision to the start of the PWRKEY pulse (the pulse itself, `PWRKEY low N ms`,
 *     is the module's requirement, not the firmware's);
 *   - every gap between a line from the modem and the firmware's next command. The modem is idle then, waiting
 *     for the host: guard gaps after final result codes, time to parse and decide, and the slack of a poll. A gap
 *     before a poll that got the same answer as the previous one (nothing changed: e.g. `+CGNSINF` without a fix)
 *     is waiting on the modem or the network, and is not counted.
 * The rest is the modem's and the network's latency (command execution, boot, attach, PDP, connect, handshake,
 * send, radio round trips), which the firmware can only wait for.
 */
export function firmwareShare(entries: readonly Entry[], from: number, to: number, thirdPressAt: number): FirmwareShare {
	const recogniser = Math.max(0, from - thirdPressAt);
	let probeBeforePowerOn = 0;
	const powerOn = entries.find((e) => e.t >= from && e.t <= to && e.dir === "==" && /^power on \(PWRKEY low (\d+) ms\)/.test(e.text));
	if (powerOn) {
		const hold = Number(/PWRKEY low (\d+) ms/.exec(powerOn.text)![1]);
		probeBeforePowerOn = Math.max(0, powerOn.t - hold - from);
	}
	let hostGaps = 0;
	let gaps = 0;
	const window = entries.filter((e) => e.t >= from && e.t <= to);
	for (let k = 1; k < window.length; k++) {
		const a = window[k - 1]!, b = window[k]!;
		if (a.dir !== "<-" || b.dir !== "->") continue;
		if (isRepeatedPoll(window, k)) continue;
		hostGaps += b.t - a.t;
		gaps++;
	}
	return { recogniser, probeBeforePowerOn, hostGaps, gaps, total: recogniser + probeBeforePowerOn + hostGaps };
}

/**
 * Command at index k equals the previous command, and its answer equals that command's answer. An answer ends at
 * its final result code (V.250 5.7.1; TS 27.007 9.2): URCs the module sends after it (a boot marker, a +CEREG
 * report) are not part of it, or a poll followed by any URC would never count as repeated.
 */
function isRepeatedPoll(window: readonly Entry[], k: number): boolean {
	const cmd = window[k]!;
	let prev = k - 1;
	while (prev >= 0 && window[prev]!.dir !== "->") prev--;
	if (prev < 0 || window[prev]!.text !== cmd.text) return false;
	const answer = (start: number): string[] => {
		const out: string[] = [];
		for (let j = start + 1; j < window.length && window[j]!.dir !== "->"; j++) {
			if (window[j]!.dir !== "<-") continue;
			out.push(window[j]!.text);
			if (isFinalResult(window[j]!.text)) break;
		}
		return out;
	};
	const before = answer(prev), after = answer(k);
	return before.length > 0 && before.join("\n") === after.join("\n");
}

function isFinalResult(line: string): boolean {
	return line === "OK" || line === "ERROR" || line.startsWith("+CME ERROR:") || line.startsWith("+CMS ERROR:");
}

export type ExchangeKind = "alert" | "location" | "close" | "other";

export interface Exchange {
	kind: ExchangeKind;
	/** Application payload: the HTTP request and response bytes through the socket. */
	appSent: number;
	appReceived: number;
	/** TLS handshake bytes on the TCP wire (socket open to the request entering the socket). */
	handshakeSent: number;
	handshakeReceived: number;
	/** Everything on the TCP wire for the exchange (handshake, records, alerts), from one socket open to the next. */
	wireSent: number;
	wireReceived: number;
}

const openCommand = /^AT\+(CAOPEN|QSSLOPEN|QIOPEN)=/;

/** The kind of a request from its path (the platform's routes, modules/protocol/constants). */
export function kindOfPath(path: string): ExchangeKind {
	if (/^\/v1\/events\/[^/]+\/locations$/.test(path)) return "location";
	if (/^\/v1\/events\/[^/]+\/close$/.test(path)) return "close";
	if (path === "/v1/events") return "alert";
	return "other";
}

function kindOf(preview: string): ExchangeKind {
	// The transcript redacts the event id together with the rest of the path: only the open request is recognisable.
	return /^<\d+ bytes "POST \/v1\/events HTTP/.test(preview) ? "alert" : "other";
}

/**
 * Splits a transcript into TLS exchanges (one socket open to the next, or the end) and accounts their bytes. The
 * firmware opens one TLS session per request (it closes the socket across GNSS windows: LTE and GNSS share the RF
 * path), so each exchange carries one handshake and one request. `pathAt(t)` names the request path the platform
 * received at clock time t (the transcript redacts paths that carry an event id).
 */
export function exchanges(entries: readonly Entry[], pathAt?: (t: number) => string | undefined): Exchange[] {
	const out: Exchange[] = [];
	const opens: number[] = [];
	entries.forEach((e, i) => { if (e.dir === "->" && openCommand.test(e.text)) opens.push(i); });
	for (let n = 0; n < opens.length; n++) {
		const start = entries[opens[n]!]!;
		const endIndex = n + 1 < opens.length ? opens[n + 1]! : entries.length - 1;
		const end = entries[endIndex]!;
		let request: Entry | undefined;
		for (let j = opens[n]! + 1; j <= endIndex; j++) {
			const e = entries[j]!;
			if (e.dir === "->" && /^<\d+ bytes "POST /.test(e.text)) { request = e; break; }
		}
		if (!request) continue;
		const path = pathAt?.(request.t);
		out.push({
			kind: path !== undefined ? kindOfPath(path) : kindOf(request.text),
			appSent: end.payloadSent - start.payloadSent,
			appReceived: end.payloadReceived - start.payloadReceived,
			handshakeSent: request.wireSent - start.wireSent,
			handshakeReceived: request.wireReceived - start.wireReceived,
			wireSent: end.wireSent - start.wireSent,
			wireReceived: end.wireReceived - start.wireReceived,
		});
	}
	return out;
}
