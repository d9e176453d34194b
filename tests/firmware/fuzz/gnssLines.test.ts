import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseCgnsinf } from "drivers/gnss/cgnsinf";
import { parseQgpsloc } from "drivers/gnss/qgpsloc";
import { decimal } from "drivers/gnss/common";
import { fuzzTest, linearTest } from "./harness";
import { gnssLines } from "./targets";

const test = suite("fuzz: drivers/gnss CGNSINF and QGPSLOC lines");

fuzzTest(test, gnssLines, 400, 300);

test("a field of N digits and a stray character is rejected as a number", () => {
	assert.is(decimal("1".repeat(5000) + "x"), undefined);
	assert.is(decimal("12.5"), 12.5);
	assert.is(decimal("-.5"), -0.5);
	assert.is(decimal("7."), 7);
});

linearTest(test, "decimal() on N digits then a letter (was quadratic backtracking)", (n) => {
	const text = "1".repeat(n) + "x";
	return () => void decimal(text);
}, 4000, 20);

linearTest(test, "a CGNSINF line with an N-digit altitude", (n) => {
	const line = "+CGNSINF: 1,1,20180209053930.000,31.362958,120.707803," + "1".repeat(n) + "x,0.00,7.4,2,,0.7,1.3,1.1,,15,15,,,40,,";
	return () => void parseCgnsinf(line);
}, 4000, 60);

linearTest(test, "a QGPSLOC line with an N-digit HDOP", (n) => {
	const line = "+QGPSLOC: 113355.0,44.74770,-85.56527," + "1".repeat(n) + "x,192.0,2,277.11,0.0,0.0,250420,10";
	return () => void parseQgpsloc(line);
}, 4000, 60);

test.run();
