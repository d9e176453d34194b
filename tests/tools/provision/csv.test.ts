import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CsvError, readSerialCsv, splitCsvLine, validateSerialCsv, type SerialRow } from "../../../tools/provision/csv";
import { generateBatch } from "../../../tools/provision/batch";

const dir = mkdtempSync(join(tmpdir(), "enigm-csv-"));
let n = 0;
function file(text: string): string {
	const f = join(dir, `s${n++}.csv`);
	writeFileSync(f, text);
	return f;
}

async function rows(text: string, board?: string): Promise<SerialRow[]> {
	const out: SerialRow[] = [];
	for await (const r of readSerialCsv(file(text), board)) out.push(r);
	return out;
}

async function problems(text: string, board?: string): Promise<string[]> {
	try {
		await validateSerialCsv(file(text), board);
	} catch (error) {
		assert.instance(error, CsvError);
		return [...(error as CsvError).problems];
	}
	assert.unreachable("CSV was accepted");
	return [];
}

const csv = suite("serial CSV");

csv("header 'serial' takes the default board; line numbers count every physical line", async () => {
	assert.equal(await rows("serial\nA-1\n\n# comment\nA-2\n", "sim"), [
		{ line: 2, serial: "A-1", board: "sim" },
		{ line: 5, serial: "A-2", board: "sim" },
	]);
});

csv("header 'serial,board' (any case), BOM, CRLF, quoted fields and empty board falling back to --board", async () => {
	const text = "\uFEFFSerial,Board\r\n\"Q-1\",lilygo_t_sim7000g\r\nQ-2, \"lilygo_t_sim7080g_s3\" \r\nQ-3,\r\n";
	assert.equal((await rows(text, "sim")).map((r) => [r.serial, r.board]), [
		["Q-1", "lilygo_t_sim7000g"], ["Q-2", "lilygo_t_sim7080g_s3"], ["Q-3", "sim"],
	]);
});

csv("RFC 4180 quoting: doubled quotes inside, unterminated quote and text after a quote refused", () => {
	assert.equal(splitCsvLine('"a""b",c'), ['a"b', "c"]);
	assert.throws(() => splitCsvLine('"abc'), /unterminated/);
	assert.throws(() => splitCsvLine('"a"b,c'), /after a closing quote/);
	assert.throws(() => splitCsvLine('a"b'), /quote inside/);
});

csv("every problem is reported with its line number, and the whole batch is refused", async () => {
	const found = await problems(
		"serial,board\nOK-1,sim\nbad serial,sim\nOK-2,nonsense\nOK-3\n\"OK-4,sim\nOK-1,sim\n../etc,sim\n,sim\n",
	);
	assert.equal(found, [
		'line 3: invalid serial "bad serial" (1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit)',
		'line 4: unknown board "nonsense"',
		"line 5: expected 2 fields, found 1",
		"line 6: unterminated quoted field",
		"line 7: duplicate serial OK-1 (first on line 2)",
		'line 8: invalid serial "../etc" (1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit)',
		'line 9: invalid serial "" (1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit)',
	]);
});

csv("a row without a board and no --board is refused", async () => {
	assert.equal(await problems("serial\nX-1\n"), ["line 2: no board (add a board column or pass --board)"]);
});

csv("a wrong header, an empty file and a header-only file are refused", async () => {
	assert.equal(await problems("id,board\nX,sim\n", "sim"), ['line 1: header must be "serial" or "serial,board"']);
	assert.equal(await problems("", "sim"), ['no serial rows (expected a "serial" header and at least one row)']);
	assert.equal(await problems("serial\n", "sim"), ['no serial rows (expected a "serial" header and at least one row)']);
});

csv("serials longer than 64 characters are refused", async () => {
	assert.equal((await problems(`serial\n${"A".repeat(65)}\n`, "sim")).length, 1);
	assert.equal(await validateSerialCsv(file(`serial\n${"A".repeat(64)}\n`), "sim"), 1);
});

csv("the error message lists at most 20 problems and counts the rest", async () => {
	const text = `serial\n${Array.from({ length: 25 }, (_, i) => `bad ${i}`).join("\n")}\n`;
	try {
		await validateSerialCsv(file(text), "sim");
		assert.unreachable();
	} catch (error) {
		assert.match((error as Error).message, /25 problems/);
		assert.match((error as Error).message, /and 5 more/);
	}
});

csv("generate with a malformed CSV writes nothing at all", async () => {
	const out = join(dir, "out-refused");
	try {
		await generateBatch({ out, csv: file("serial\nGOOD-1\nbad one\n"), board: "sim", platformKey: new Uint8Array(32).fill(7) });
		assert.unreachable();
	} catch (error) {
		assert.instance(error, CsvError);
	}
	assert.not.ok(existsSync(out));
});

csv.after(() => rmSync(dir, { recursive: true, force: true }));
csv.run();
