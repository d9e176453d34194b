/**
 * A Modem (drivers/modem/modem interface) with a platform behind its socket, for testing modules/uplink without
 * the AT layer. The platform answers with responses signed per docs/protocol.md §5 using the firmware's own
 * signature-base code (cross-implementation checks against node:crypto live in tests/tools/protocol and
 * tests/tools/platform; here the point is the uplink's behaviour).
 */
import type { Clock } from "hal/clock";
import type { Fix, ServingCell } from "drivers/gnss/fix";
import type { Modem, ModemEvent, ModemResult, ModemState, NetworkTime, Registration, TlsOpenOptions } from "drivers/modem/modem";
import { ok, fail } from "drivers/modem/modem";
import { decodeLatin1, encodeAscii, encodeUtf8, toBase64 } from "modules/protocol/bytes";
import { contentDigest } from "modules/protocol/digest";
import type { HttpRequest, HttpResponse } from "modules/protocol/message";
import { signatureBase, type SignatureInput } from "modules/protocol/signature";
import { algorithm, responseComponents, responseTag, signatureLabel } from "modules/protocol/constants";
import { hmacSha256 } from "modules/protocol/sha256";

export interface PlatformRequest {
	readonly method: string;
	readonly path: string;
	readonly headers: Array<[string, string]>;
	readonly body: unknown;
}

export type PlatformAnswer = { status: number; body: Record<string, unknown> } | "tamper" | "drop";

export default class FakeModem implements Modem {
	readonly family = "sim7080" as const;
	state: ModemState = "off";
	onEvent: ((event: ModemEvent) => void) | undefined;
	readonly calls: string[] = [];
	readonly requests: PlatformRequest[] = [];
	/** What the platform answers; the default is an open event with a 30 s interval. */
	answer: (request: PlatformRequest) => PlatformAnswer = () => ({ status: 200, body: { state: "open", interval: 30 } });
	fixes: Array<Fix | undefined> = [];
	gnssOnNow = false;
	attachFails = 0;
	cell: ServingCell = { mcc: 262, mnc: 1, tac: 0x1a2b, cellId: 0x1234567, rsrp: -97, accessTechnology: "lte-m" };
	#clock: Clock;
	#key: Uint8Array;
	#deviceId: string;
	#socketOpen = false;
	#inbox: Uint8Array[] = [];
	#platformTime: number;
	#realTime: boolean;
	/** How far the network's clock (NITZ, AT+CCLK?) is off the platform's, ms. */
	networkOffsetMs = 0;
	/**
	 * The platform's `created` check (docs/protocol.md §4 step 5): refuse when |created - platform time| > this many
	 * seconds, with a 422 that is signed (carrying the platform's time) or unsigned. Off when undefined.
	 */
	createdSkewS: number | undefined;
	createdRefusal: "signed" | "unsigned" = "unsigned";
	/** `created` of each request (undefined when absent), in order. */
	readonly created: Array<number | undefined> = [];
	/** The platform's time when each request arrived, Unix seconds. */
	readonly arrivedAt: number[] = [];

	constructor(options: { clock: Clock; key: Uint8Array; deviceId: string; platformTime?: number; realTime?: boolean }) {
		this.#clock = options.clock;
		this.#key = options.key;
		this.#deviceId = options.deviceId;
		this.#platformTime = options.platformTime ?? 1_790_000_000;
		this.#realTime = options.realTime === true;
	}

	/** Platform time, Unix seconds: fixed, or running with the clock (`realTime`). */
	get platformNow(): number {
		return this.#platformTime + (this.#realTime ? Math.floor(this.#clock.now() / 1000) : 0);
	}

	#later<T>(ms: number, value: () => T): Promise<T> {
		return new Promise((resolve) => this.#clock.set(() => resolve(value()), ms));
	}

	readonly powerOnOptions: unknown[] = [];
	abandonPowerOn() { this.calls.push("abandonPowerOn"); }
	powerOn(options?: { knownOff?: boolean }) { this.calls.push("powerOn"); this.powerOnOptions.push(options); return this.#later(4000, () => { this.state = "booted"; return ok(undefined); }); }
	configure() { this.calls.push("configure"); return this.#later(100, () => { this.state = "ready"; return ok(undefined); }); }
	attach(): Promise<ModemResult<Registration>> {
		this.calls.push("attach");
		return this.#later(3000, () => {
			if (this.attachFails > 0) { this.attachFails--; return fail({ kind: "noService" }); }
			this.state = "attached";
			return ok({ roaming: false });
		});
	}
	networkTime(): Promise<ModemResult<NetworkTime>> { return this.#later(50, () => ok({ utc: this.platformNow * 1000 + (this.#realTime ? this.#clock.now() % 1000 : 0) + this.networkOffsetMs, offsetMinutes: 60 })); }
	servingCell(): Promise<ModemResult<ServingCell>> { this.calls.push("cell"); return this.#later(50, () => ok(this.cell)); }
	uploadCa() { this.calls.push("uploadCa"); return this.#later(200, () => ok(undefined)); }
	/** Opens that fail as a module does with its data context gone (+CME ERROR: 3), dropping to "ready". */
	openFailsContextGone = 0;
	open(_options: TlsOpenOptions): Promise<ModemResult<number>> {
		this.calls.push("open");
		return this.#later(1500, () => {
			if (this.gnssOnNow) return fail({ kind: "socket", step: "CAOPEN", code: 27 });
			if (this.openFailsContextGone > 0) {
				this.openFailsContextGone--;
				this.state = "ready";
				return fail({ kind: "error", step: "AT+QSSLOPEN", code: 3 });
			}
			this.#socketOpen = true;
			return ok(0);
		});
	}
	send(socket: number, data: Uint8Array): Promise<ModemResult<number>> {
		this.calls.push("send");
		return this.#later(300, () => {
			if (!this.#socketOpen) return fail({ kind: "closed", socket });
			const response = this.#platform(data);
			if (response && this.dataWithEmptyRead) this.#heldResponse = response;
			else if (response) this.#clock.set(() => { this.#inbox.push(response); this.onEvent?.({ type: "data", socket }); }, 700);
			return ok(data.length);
		});
	}
	/**
	 * The response's data indication arrives in the same chunk as the final result code of a read that found
	 * nothing yet (`+CARECV: 0` OK `+CADATAIND: 0`): the event fires before the read's caller runs again.
	 */
	dataWithEmptyRead = false;
	#heldResponse: Uint8Array | undefined;
	/** Clock time of each receive() call. */
	readonly receiveTimes: number[] = [];
	receive(socket: number, max: number): Promise<ModemResult<Uint8Array>> {
		this.receiveTimes.push(this.#clock.now());
		return this.#later(20, () => {
			if (!this.#socketOpen && this.#inbox.length === 0) return fail({ kind: "closed", socket });
			const held = this.#heldResponse;
			if (held && this.#inbox.length === 0) {
				this.#heldResponse = undefined;
				this.#inbox.push(held);
				this.onEvent?.({ type: "data", socket });
				return ok(new Uint8Array(0));
			}
			const next = this.#inbox.shift() ?? new Uint8Array(0);
			if (next.length > max) { this.#inbox.unshift(next.subarray(max)); return ok(next.subarray(0, max)); }
			return ok(next);
		});
	}
	closeSocket() { this.calls.push("closeSocket"); this.#socketOpen = false; this.#inbox = []; return this.#later(100, () => ok(undefined)); }
	gnssOn() { this.calls.push("gnssOn"); this.gnssOnNow = true; this.#socketOpen = false; return this.#later(100, () => ok(undefined)); }
	gnssRead(): Promise<ModemResult<Fix>> {
		return this.#later(100, () => {
			const fix = this.fixes[0];
			return fix ? ok(fix) : fail({ kind: "noFix" });
		});
	}
	gnssOff() { this.calls.push("gnssOff"); this.gnssOnNow = false; if (this.fixes.length > 1) this.fixes.shift(); return this.#later(100, () => ok(undefined)); }
	powerDown(): Promise<ModemResult<"clean" | "hard">> { this.calls.push("powerDown"); this.#socketOpen = false; return this.#later(1000, () => { this.state = "off"; return ok("clean" as const); }); }
	close() {}

	/** The platform: parse the request, answer per `answer`, sign the response bound to the request. */
	#platform(bytes: Uint8Array): Uint8Array | undefined {
		const text = decodeLatin1(bytes);
		const split = text.indexOf("\r\n\r\n");
		const [requestLine, ...fieldLines] = text.slice(0, split).split("\r\n");
		const [method, path] = requestLine.split(" ");
		const headers = fieldLines.map((l) => { const i = l.indexOf(":"); return [l.slice(0, i), l.slice(i + 1).trim()] as [string, string]; });
		const bodyText = text.slice(split + 4);
		const request: HttpRequest = { method, authority: headers.find(([n]) => n === "Host")![1], path, headers, body: encodeAscii(bodyText) };
		const parsed: PlatformRequest = { method, path, headers, body: JSON.parse(bodyText) };
		this.requests.push(parsed);
		const input0 = headers.find(([n]) => n === "Signature-Input")?.[1] ?? "";
		const createdMatch = /;created=(\d+)/.exec(input0);
		const created = createdMatch ? Number(createdMatch[1]) : undefined;
		this.created.push(created);
		const now = this.platformNow;
		this.arrivedAt.push(now);
		let answer = this.answer(parsed);
		if (this.createdSkewS !== undefined && created !== undefined && Math.abs(created - now) > this.createdSkewS) {
			if (this.createdRefusal === "unsigned") {
				const refusal = '{"error":"created","reason":"created"}';
				return encodeAscii(`HTTP/1.1 422 Unprocessable Content\r\nContent-Type: application/json\r\nContent-Length: ${refusal.length}\r\n\r\n${refusal}`);
			}
			answer = { status: 422, body: { state: "error", error: "created" } };
		}
		if (answer === "drop") return undefined;
		const body = answer === "tamper" ? { state: "closed", time: now } : { time: now, ...answer.body };
		const bodyBytes = encodeUtf8(JSON.stringify(body));
		const status = answer === "tamper" ? 200 : answer.status;
		const unsigned: HttpResponse = {
			status, reason: "OK",
			headers: [["Content-Type", "application/json"], ["Content-Length", String(bodyBytes.length)], ["Content-Digest", contentDigest(bodyBytes)]],
			body: bodyBytes,
		};
		const input: SignatureInput = { components: responseComponents, params: [["created", now], ["keyid", this.#deviceId], ["alg", algorithm], ["tag", responseTag]] };
		const mac = hmacSha256(this.#key, encodeAscii(signatureBase(input, unsigned, request)));
		if (answer === "tamper") mac[0] ^= 1; // a middlebox's forged "closed": its MAC cannot be right
		const params = `("@status" "content-type" "content-digest" "@method";req "@path";req "signature";req;key="enigm");created=${now};keyid="${this.#deviceId}";alg="${algorithm}";tag="${responseTag}"`;
		const head = [`HTTP/1.1 ${status} OK`, ...unsigned.headers.map(([n, v]) => `${n}: ${v}`), `Signature-Input: ${signatureLabel}=${params}`, `Signature: ${signatureLabel}=:${toBase64(mac)}:`].join("\r\n");
		const out = new Uint8Array(head.length + 4 + bodyBytes.length);
		out.set(encodeAscii(head + "\r\n\r\n"));
		out.set(bodyBytes, head.length + 4);
		return out;
	}
}
