/**
 * The fuzz targets: one per parser of what the device receives. Each case builds an input from real examples
 * (the fixtures the parsers' own suites cite) by mutation, or from noise, feeds it the way the device would (random
 * chunking for streams), and checks:
 * - no exception except the parser's documented one (structured fields: SyntaxError; every other parser returns
 *   its errors as values and must never throw);
 * - every error is one of the documented reasons;
 * - the memory the parser holds stays under its bound;
 * - bad input loses nothing: the next valid message after it is still parsed;
 * - for stream parsers, the outcome does not depend on how the bytes were cut.
 */
import HttpResponseParser, { type HttpParseResult } from "modules/protocol/httpResponseParser";
import {
	type Dictionary, type InnerList, type Item, type List, parseDictionary, parseInnerList, parseItem, parseList,
	serializeDictionary, serializeInnerList, serializeItem, serializeList,
} from "modules/protocol/structuredFields";
import { parseResponseBody } from "modules/protocol/messages";
import { encodeUtf8 } from "modules/protocol/bytes";
import NmeaSplitter from "drivers/gnss/nmeaSplitter";
import NmeaCombiner from "drivers/gnss/nmeaCombiner";
import { MAX_SENTENCE, parseNmea } from "drivers/gnss/nmea";
import { parseCgnsinf } from "drivers/gnss/cgnsinf";
import { parseQgpsloc } from "drivers/gnss/qgpsloc";
import type { FixResult } from "drivers/gnss/common";
import {
	isCeregUrc, parseCereg, parseCpsi, parseNetworkClock, parsePsuttz, parseQengServingCell, splitFields,
} from "drivers/modem/parse";
import AtEngine, { MAX_COUNTED, MAX_REPLY, type AtResult } from "drivers/modem/at";
import type { IOBuffer, Serial } from "drivers/io";
import ManualClock, { settle } from "hal/sim/manualClock";
import * as F from "../gnss/nmeaFixtures";
import * as ex from "../protocol/fixtures";
import { type FuzzTarget, type Rng, ascii, check, chunks, concat, latin1, mutate, noise } from "./harness";

// ---- HTTP response (modules/protocol/httpResponseParser) ----

const HTTP_ERRORS = ["status-line", "header", "header-too-large", "length", "body-too-large", "chunk", "closed"];
const responseText =
	"HTTP/1.1 200 OK\r\n" + ex.exampleResponseHead.map(([n, v]) => `${n}: ${v}\r\n`).join("") + "\r\n" + ex.exampleResponseBody;
const HTTP_VALID: readonly string[] = Object.freeze([
	responseText,
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n5;ext=1\r\n{\"sta\r\nA\r\nte\":\"open\"\r\n1\r\n}\r\n0\r\nX-Trailer: 1\r\n\r\n",
	"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nDate: x\r\n\r\n",
	"HTTP/1.0 401 \r\nContent-Length: 0\r\n\r\n",
]);
const HTTP_SPECIALS = " \t\r\n:;,0123456789abcdefABCDEF\x01\x7f\xff";

function sameHttp(a: HttpParseResult, b: HttpParseResult): boolean {
	if (a.ok !== b.ok) return false;
	if (!a.ok || !b.ok) return !a.ok && !b.ok && a.error === b.error && a.detail === b.detail;
	const x = a.response, y = b.response;
	return x.status === y.status && x.reason === y.reason && JSON.stringify(x.headers) === JSON.stringify(y.headers) &&
		latin1(x.body) === latin1(y.body);
}

function checkHttp(r: HttpParseResult): void {
	if (!r.ok) check(HTTP_ERRORS.includes(r.error) && typeof r.detail === "string", `undocumented error ${JSON.stringify(r)}`);
	else check(r.response.body.length <= 16384, "body over maxBodyBytes");
}

export const http: FuzzTarget = {
	name: "http",
	budgetPerByte: 400,
	run(rng, index, size) {
		const base = ascii(rng.pick(HTTP_VALID));
		const input = index % 4 === 0 ? base : mutate(rng, base, size, HTTP_SPECIALS);
		const whole = new HttpResponseParser();
		const a = whole.push(input) ?? whole.end();
		checkHttp(a);
		const cut = new HttpResponseParser();
		let b: HttpParseResult | undefined;
		for (const c of chunks(rng, input)) {
			b = cut.push(c);
			// One head line or the trailer section (≤ maxHeaderBytes, in a buffer that doubles), the body, the rest.
			check(cut.retained <= 2 * 8192 + 16384 + c.length, `retained ${cut.retained} bytes`);
		}
		b ??= cut.end();
		check(sameHttp(a, b), `result depends on chunking: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
		if (index % 4 === 0) {
			// Pipelined: the second response is whole after the first, wherever the cuts fall, and the first parser's
			// `rest` is exactly the bytes after the first response.
			const second = ascii(rng.pick(HTTP_VALID));
			let p = new HttpResponseParser();
			let first: HttpParseResult | undefined;
			let next: HttpParseResult | undefined;
			let offset = 0;
			for (const c of chunks(rng, concat(input, second))) {
				if (!first) {
					first = p.push(c);
					if (first) {
						const rest = p.rest;
						check(latin1(rest) === latin1(c.subarray(input.length - offset)), "rest is not the bytes after the response");
						p = new HttpResponseParser();
						next = p.push(rest);
					}
				} else next ??= p.push(c);
				offset += c.length;
			}
			next ??= p.end();
			check(first?.ok && next.ok, `pipelined responses lost: ${JSON.stringify(first)} then ${JSON.stringify(next)}`);
		}
		return input.length;
	},
};

// ---- RFC 8941 structured fields (modules/protocol/structuredFields) ----

const SF_VALID: readonly string[] = Object.freeze([
	ex.exampleResponseHead[3][1],
	ex.exampleResponseHead[4][1],
	ex.exampleResponseHead[2][1],
	"a=1,    b=2;x=1;y=2,   c=(a   b   c), d",
	"\"foo\";a=1.5;b=?0, tok/en:x, -12, 4.567, (\"bar\" 1);q=*",
	"(\"@status\" \"content-digest\";req \"@path\";key=\"a\\\\b\\\"c\")",
	":cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg==:",
]);
const SF_SPECIALS = " \t,;=()\"\\:?*.-0123456789az";
type SfKind = { parse: (t: string) => unknown; serialize: (v: unknown) => string };
const SF_KINDS: readonly SfKind[] = Object.freeze([
	{ parse: parseDictionary, serialize: (v: unknown) => serializeDictionary(v as Dictionary) },
	{ parse: parseList, serialize: (v: unknown) => serializeList(v as List) },
	{ parse: parseItem, serialize: (v: unknown) => serializeItem(v as Item) },
	{ parse: parseInnerList, serialize: (v: unknown) => serializeInnerList(v as InnerList) },
]);

export const structuredFields: FuzzTarget = {
	name: "structured-fields",
	budgetPerByte: 600,
	run(rng, index, size) {
		const base = ascii(rng.pick(SF_VALID));
		const text = latin1(index % 5 === 0 ? noise(rng, rng.int(size), SF_SPECIALS) : mutate(rng, base, size, SF_SPECIALS));
		for (const kind of SF_KINDS) {
			let value: unknown;
			try {
				value = kind.parse(text);
			} catch (error) {
				check(error instanceof SyntaxError, `threw ${String(error)} on ${JSON.stringify(text.slice(0, 80))}`);
				continue;
			}
			// §4.1 strict serialization of what was parsed parses back to itself.
			const canonical = kind.serialize(value);
			check(kind.serialize(kind.parse(canonical)) === canonical, `not a fixed point: ${JSON.stringify(canonical)}`);
		}
		return text.length;
	},
};

// ---- NMEA stream (drivers/gnss/nmeaSplitter, nmea, nmeaCombiner) ----

const NMEA_VALID: readonly string[] = Object.freeze([
	F.DEPRIEST_GGA, F.DEPRIEST_RMC, F.DEPRIEST_GSA, F.UBLOX_GGA, F.UBLOX_RMC, F.UBLOX_GSA,
	...F.QUECTEL_EPOCH, ...F.NEO6_NOFIX, F.ELECTRODRAGON_GGA, F.ELECTRODRAGON_RMC, F.ELECTRODRAGON_GSA,
]);
/** The bound set here, not read from the code under test: 8 GSA (one per GNSS system, with room) × 12 IDs each. */
export const MAX_HELD_SATELLITES = 96;
const NMEA_SPECIALS = "$*,\r\n.0123456789ANEWSGPV";
const SPLIT_REASONS = ["truncated", "too-long", "non-ascii"];
const MALFORMED = [
	"non-ascii", "prefix", "field-count", "status", "time", "date", "latitude", "longitude", "hemisphere", "number",
	"checksum", "missing-checksum", "too-long", "unsupported", "cme-error",
];

function checkFix(r: FixResult | undefined, what: string): void {
	if (r === undefined) return;
	if (r.ok) {
		const f = r.fix;
		check(Number.isFinite(f.time) && f.lat >= -90 && f.lat <= 90 && f.lon >= -180 && f.lon <= 180, `${what}: fix out of range ${JSON.stringify(f)}`);
		check(Number.isFinite(f.accuracy) && f.accuracy >= 0 && f.satellites >= 0, `${what}: accuracy/satellites ${JSON.stringify(f)}`);
	} else if (r.reason !== "no-fix" && r.reason !== "gnss-off")
		check(MALFORMED.includes(r.reason) && typeof (r as { detail?: unknown }).detail === "string", `${what}: undocumented ${JSON.stringify(r)}`);
}

export const nmea: FuzzTarget = {
	name: "nmea",
	budgetPerByte: 600,
	run(rng, index, size) {
		const parts: Uint8Array[] = [];
		let total = 0;
		while (total < size) {
			const kind = rng.int(10);
			let piece: Uint8Array;
			if (kind < 4) piece = ascii(rng.pick(NMEA_VALID) + "\r\n");
			else if (kind < 7) piece = mutate(rng, ascii(rng.pick(NMEA_VALID) + "\r\n"), 200, NMEA_SPECIALS);
			else if (kind < 8) piece = noise(rng, rng.int(200), NMEA_SPECIALS);
			else // a run of GSA with no GGA/RMC, at start-up or after a lone GGA (an epoch left open)
				piece = ascii((rng.chance(0.5) ? rng.pick([F.DEPRIEST_GGA, F.UBLOX_GGA]) + "\r\n" : "") + (F.DEPRIEST_GSA + "\r\n").repeat(1 + rng.int(40)));
			parts.push(piece);
			total += piece.length;
		}
		const input = concat(...parts);
		const splitter = new NmeaSplitter();
		const combiner = new NmeaCombiner({ waitForGsa: index % 2 === 0 });
		for (const c of chunks(rng, input)) {
			for (const s of splitter.push(c)) {
				if (!s.ok) {
					check(SPLIT_REASONS.includes(s.reason) && s.dropped >= 0, `splitter: ${JSON.stringify(s)}`);
					continue;
				}
				check(s.sentence.length <= MAX_SENTENCE, `sentence of ${s.sentence.length}`);
				const p = parseNmea(s.sentence);
				if (!p.ok) {
					check(MALFORMED.includes(p.reason), `parseNmea: ${JSON.stringify(p)}`);
					continue;
				}
				checkFix(combiner.push(p.sentence), "combiner");
				check(combiner.heldSatellites <= MAX_HELD_SATELLITES, `combiner holds ${combiner.heldSatellites} satellites`);
			}
		}
		checkFix(combiner.flush(), "flush");
		// Whatever came before, the next whole sentence comes out whole.
		const after = splitter.push(F.DEPRIEST_GGA + "\r\n");
		const last = after[after.length - 1];
		check(last?.ok && last.sentence === F.DEPRIEST_GGA, `sentence after bad input lost: ${JSON.stringify(after)}`);
		return input.length;
	},
};

// ---- AT+CGNSINF / AT+QGPSLOC lines (drivers/gnss/cgnsinf, qgpsloc) ----

const GNSS_LINES: readonly string[] = Object.freeze([
	"+CGNSINF: 1,1,20180209053930.000,31.362958,120.707803,-13.471,0.00,7.4,2,,0.7,1.3,1.1,,15,15,,,40,,",
	"+CGNSINF: 1,1,20161105073116.000,22.858005,113.263150,40.900,7.56,166.2,1,,0.9,1.2,0.8,,10,9,,,42,,",
	"+CGNSINF: 1,0,,,,,,,,,,,,,,,,,,,",
	"+CGNSINF: 0,,,,,,,,,,,,,,,,,,,,",
	"+QGPSLOC: 113355.0,44.74770,-85.56527,1.2,192.0,2,277.11,0.0,0.0,250420,10",
	"+QGPSLOC: 202008.0,-22.98486,-43.35916,2.5,4.0,2,0.00,0.0,0.0,290119,09",
	"+CME ERROR: 516",
]);

export const gnssLines: FuzzTarget = {
	name: "gnss-lines",
	budgetPerByte: 400,
	run(rng, _index, size) {
		const line = latin1(mutate(rng, ascii(rng.pick(GNSS_LINES)), size, ",.+-:0123456789 \r\n"));
		checkFix(parseCgnsinf(line), "CGNSINF");
		checkFix(parseQgpsloc(line), "QGPSLOC");
		return line.length;
	},
};

// ---- Other modem reply lines (drivers/modem/parse) ----

const MODEM_LINES: readonly string[] = Object.freeze([
	"+CEREG: 2,5,\"1A2B\",\"01A2D001\",7",
	"+CEREG: 5,\"1A2B\",\"01A2D001\",7",
	"+CPSI: LTE CAT-M1,Online,460-00,0x5A1E,187214443,257,EUTRAN-BAND3,1300,5,5,-94,-850,-545,15",
	"+QENG: \"servingcell\",\"NOCONN\",\"eMTC\",\"FDD\",460,00,1A2D001,257,1300,3,5,5,5A1E,-85,-9,-60,15,43",
	"*PSUTTZ: 24/03/01,12:34:56\",\"+32\",0",
	"*PSUTTZ: 2024,3,1,12,34,56,\"+32\",0",
	"+CCLK: \"24/03/01,12:34:56+32\"",
	"+QLTS: \"2024/03/01,12:34:56+32,0\"",
]);

export const modemLines: FuzzTarget = {
	name: "modem-lines",
	budgetPerByte: 400,
	run(rng, _index, size) {
		const line = latin1(mutate(rng, ascii(rng.pick(MODEM_LINES)), size, ",\"+-:/0123456789ABCDEF "));
		for (const form of ["read", "urc"] as const) {
			const c = parseCereg(line, form);
			if (c) check(Number.isInteger(c.stat) && c.stat <= 10, `CEREG ${JSON.stringify(c)}`);
		}
		isCeregUrc(line);
		for (const cell of [parseCpsi(line), parseQengServingCell(line)])
			if (cell) check(Number.isInteger(cell.mcc) && Number.isInteger(cell.tac) && Number.isInteger(cell.cellId), `cell ${JSON.stringify(cell)}`);
		for (const t of [parsePsuttz(line), parseNetworkClock(line.slice(line.indexOf(":") + 1))])
			if (t) check(Number.isFinite(t.utc) && Number.isFinite(t.offsetMinutes), `time ${JSON.stringify(t)}`);
		const fields = splitFields(line);
		check(fields.length >= 1 && fields.length <= line.length + 1, "splitFields");
		return line.length;
	},
};

// ---- AT engine: lines, URCs, counted reads (drivers/modem/at) ----

class Port implements Serial {
	written = 0;
	read(): ArrayBuffer | undefined {
		return undefined;
	}
	write(data: IOBuffer): void {
		this.written += data.byteLength;
	}
	close(): void {}
}

const AT_REPLIES: readonly string[] = Object.freeze([
	"\r\n+CGNSINF: 1,0,,,,,,,,,,,,,,,,,,,\r\n\r\nOK\r\n",
	"\r\n+CEREG: 5,\"1A2B\",\"01A2D001\",7\r\n\r\n+CME ERROR: 50\r\n",
	"\r\n+CARECV: 10,0123456789\r\nOK\r\n",
	"\r\n+QSSLRECV: 5\r\nab\r\nc\r\n\r\nOK\r\n",
	"\r\n+CADATAIND: 0\r\n",
]);
const AT_SPECIALS = "\r\n,+:> 0123456789OKERROR";
const AT_STATUSES = ["ok", "error", "timeout", "aborted"];

export const at: FuzzTarget = {
	name: "at",
	budgetPerByte: 800,
	async run(rng, index, size) {
		const clock = new ManualClock(0);
		const engine = new AtEngine({ serial: new Port(), clock, onUnsolicited: () => {} });
		let urcs = 0;
		engine.on("+CADATAIND:", () => void urcs++);
		const counted = index % 3 === 0 ? { prefix: "+CARECV: ", inline: true } : index % 3 === 1 ? { prefix: "+QSSLRECV: ", inline: false } : undefined;
		let result: AtResult | undefined;
		void engine.command("AT+X", counted ? { counted } : {}).then((r) => (result = r));
		const input = mutate(rng, ascii(rng.pick(AT_REPLIES)), size, AT_SPECIALS);
		for (const c of chunks(rng, input)) engine.feed(c);
		if (!counted) {
			// Bad input loses nothing: the final result after it still ends the command.
			engine.feed(ascii("\r\nOK\r\n"));
			await settle();
			check(result && result.status !== "timeout", `command not ended by OK after bad input: ${JSON.stringify(result)}`);
		} else {
			clock.advance(10_000); // a counted read may wait for bytes that never come: its timeout ends it
			await settle();
		}
		check(result && AT_STATUSES.includes(result.status), `no result: ${JSON.stringify(result)}`);
		const chars = result.lines.reduce((n, l) => n + l.length, 0);
		check(chars <= MAX_REPLY, `kept ${chars} characters of reply`);
		check((result.data?.length ?? 0) <= MAX_COUNTED, `kept ${result.data?.length} counted bytes`);
		// The engine is usable afterwards: the next command gets its OK. (The modem ends every line it sends: a line
		// cut short before the command would otherwise join the next reply.)
		engine.feed(ascii("\r\n"));
		clock.advance(100);
		let next: AtResult | undefined;
		void engine.command("AT").then((r) => (next = r));
		engine.feed(ascii("\r\nOK\r\n"));
		await settle();
		check(next?.status === "ok", `next command after bad input: ${JSON.stringify(next)}`);
		engine.close();
		return input.length;
	},
};

// ---- JSON response bodies (modules/protocol/messages parseResponseBody) ----

const JSON_SPECIALS = "{}[]\",:0123456789-.eEtrufalsn\\ ";

function randomJson(rng: Rng, depth: number): string {
	switch (depth > 6 ? rng.int(4) : rng.int(7)) {
		case 0: return String(rng.int(1e9) - 5e8);
		case 1: return JSON.stringify(rng.pick(["open", "closed", "revoked", "error", "nonce", "a\"b\\c"]));
		case 2: return rng.pick(["true", "false", "null", "1.5e3"]);
		case 3: return JSON.stringify(rng.pick(["9d2e41f07ab35c6680e1d4f2a7c9b053", ""]));
		case 4: return "[" + Array.from({ length: rng.int(4) }, () => randomJson(rng, depth + 1)).join(",") + "]";
		default:
			return "{" + Array.from({ length: rng.int(5) }, () =>
				JSON.stringify(rng.pick(["state", "event", "interval", "time", "ack", "error", "nonce", "x"])) + ":" + randomJson(rng, depth + 1)).join(",") + "}";
	}
}

export const json: FuzzTarget = {
	name: "json",
	budgetPerByte: 300,
	run(rng, index, size) {
		let bytes: Uint8Array;
		if (index % 4 === 0) bytes = encodeUtf8(randomJson(rng, 0));
		else if (index % 4 === 1) {
			const d = rng.int(size);
			bytes = ascii("{\"state\":\"open\",\"x\":" + "[".repeat(d) + "]".repeat(d) + "}");
		} else bytes = mutate(rng, encodeUtf8(ex.exampleResponseBody), size, JSON_SPECIALS);
		const body = parseResponseBody(bytes);
		if (body) {
			check(["open", "closed", "revoked", "error"].includes(body.state), `state ${JSON.stringify(body)}`);
			for (const k of ["interval", "time", "ack", "nonce"] as const)
				check(body[k] === undefined || (Number.isInteger(body[k]) && (body[k] as number) >= 0), `${k} ${JSON.stringify(body)}`);
		}
		return bytes.length;
	},
};

export const targets: readonly FuzzTarget[] = Object.freeze([http, structuredFields, nmea, gnssLines, modemLines, at, json]);
