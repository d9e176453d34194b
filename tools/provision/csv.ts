/**
 * The factory's serial list: CSV (RFC 4180 quoting, one record per line) with header `serial` or `serial,board`.
 * Blank lines and lines starting with "#" are ignored. Policy: a batch with any malformed row is refused as a
 * whole before anything is written, with every bad line number listed (a factory re-runs a fixed file; silently
 * skipping a row would leave a device unprovisioned without anyone noticing).
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { isBoard } from "./boards";

/** Serials name directories and appear in AAD and logs: letters, digits, ".", "_", "-", 1..64, starting alnum. */
export const SERIAL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface SerialRow {
	line: number;
	serial: string;
	board?: string;
}

export class CsvError extends Error {
	override name = "CsvError";
	readonly problems: readonly string[];
	constructor(problems: string[]) {
		const shown = problems.slice(0, 20);
		const more = problems.length > shown.length ? `\n  ... and ${problems.length - shown.length} more` : "";
		super(`serial CSV refused (${problems.length} problem${problems.length === 1 ? "" : "s"}), nothing written:\n  ${shown.join("\n  ")}${more}`);
		this.problems = problems;
	}
}

/** Splits one CSV line into fields; throws a message (without the line number) on bad quoting. */
export function splitCsvLine(text: string): string[] {
	const fields: string[] = [];
	let i = 0;
	for (;;) {
		let field = "";
		while (text[i] === " " || text[i] === "\t") i++;
		if (text[i] === '"') {
			i++;
			for (;;) {
				if (i >= text.length) throw new Error("unterminated quoted field");
				if (text[i] === '"') {
					if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
					i++;
					break;
				}
				field += text[i++];
			}
			while (text[i] === " " || text[i] === "\t") i++;
			if (i < text.length && text[i] !== ",") throw new Error("text after a closing quote");
		} else {
			const end = text.indexOf(",", i);
			const stop = end < 0 ? text.length : end;
			field = text.slice(i, stop).trim();
			if (field.includes('"')) throw new Error("quote inside an unquoted field");
			i = stop;
		}
		fields.push(field);
		if (i >= text.length) return fields;
		i++; // the comma
	}
}

export interface CsvParser {
	/** Feeds one physical line (without its line end); returns a row, undefined for skipped lines, or throws. */
	line(text: string, lineNo: number): SerialRow | undefined;
	readonly hasBoardColumn: boolean;
}

export function serialCsvParser(defaultBoard?: string): CsvParser {
	let header: string[] | undefined;
	return {
		get hasBoardColumn() { return header?.length === 2; },
		line(raw: string, lineNo: number): SerialRow | undefined {
			let text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
			if (lineNo === 1 && text.startsWith("\uFEFF")) text = text.slice(1);
			if (text.trim() === "" || text.trimStart().startsWith("#")) return undefined;
			let fields: string[];
			try {
				fields = splitCsvLine(text);
			} catch (error) {
				throw new Error(`line ${lineNo}: ${(error as Error).message}`);
			}
			if (header === undefined) {
				const names = fields.map((f) => f.toLowerCase());
				if (!(names.length === 1 && names[0] === "serial") && !(names.length === 2 && names[0] === "serial" && names[1] === "board"))
					throw new Error(`line ${lineNo}: header must be "serial" or "serial,board"`);
				header = names;
				return undefined;
			}
			if (fields.length !== header.length)
				throw new Error(`line ${lineNo}: expected ${header.length} field${header.length === 1 ? "" : "s"}, found ${fields.length}`);
			const serial = fields[0]!;
			if (!SERIAL.test(serial)) throw new Error(`line ${lineNo}: invalid serial ${JSON.stringify(serial.slice(0, 80))} (1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit)`);
			const board = header.length === 2 && fields[1] !== "" ? fields[1]! : defaultBoard;
			if (board === undefined) throw new Error(`line ${lineNo}: no board (add a board column or pass --board)`);
			if (!isBoard(board)) throw new Error(`line ${lineNo}: unknown board ${JSON.stringify(board.slice(0, 80))}`);
			return { line: lineNo, serial, board };
		},
	};
}

/** Streams the rows of a serial CSV file (constant memory); throws on the first bad line. */
export async function* readSerialCsv(file: string, defaultBoard?: string): AsyncGenerator<SerialRow> {
	const parser = serialCsvParser(defaultBoard);
	const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
	let n = 0;
	for await (const text of lines) {
		const row = parser.line(text, ++n);
		if (row) yield row;
	}
}

/**
 * Validates a whole serial CSV before the batch starts: every problem (bad line, unknown board, duplicate serial
 * with both line numbers, whatever `check` says about a row) is collected, then CsvError lists them. Returns the
 * number of rows.
 */
export async function validateSerialCsv(file: string, defaultBoard?: string, check?: (row: SerialRow) => string | undefined): Promise<number> {
	const parser = serialCsvParser(defaultBoard);
	const problems: string[] = [];
	// Serial -> first line: the one structure that grows with the batch (about 60 bytes a serial).
	const seen = new Map<string, number>();
	const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
	let n = 0;
	let rows = 0;
	for await (const text of lines) {
		n++;
		try {
			const row = parser.line(text, n);
			if (row === undefined) continue;
			rows++;
			const problem = check?.(row);
			if (problem !== undefined) problems.push(`line ${n}: ${problem}`);
			const first = seen.get(row.serial);
			if (first !== undefined) problems.push(`line ${n}: duplicate serial ${row.serial} (first on line ${first})`);
			else seen.set(row.serial, n);
		} catch (error) {
			problems.push((error as Error).message);
			if (/header must be/.test((error as Error).message)) break;
		}
	}
	if (rows === 0 && problems.length === 0) problems.push("no serial rows (expected a \"serial\" header and at least one row)");
	if (problems.length > 0) throw new CsvError(problems);
	return rows;
}
