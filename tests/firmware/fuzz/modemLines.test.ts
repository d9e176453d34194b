import { suite } from "uvu";
import * as assert from "uvu/assert";
import { splitFields } from "drivers/modem/parse";
import { fuzzTest, linearTest } from "./harness";
import { modemLines } from "./targets";

const test = suite("fuzz: drivers/modem/parse reply lines");

fuzzTest(test, modemLines, 400, 300);

test("splitFields keeps quoted commas and strips quotes", () => {
	assert.equal(splitFields(' 5,"1A,2B" , x'), ["5", "1A,2B", "x"]);
	assert.equal(splitFields(""), [""]);
});

linearTest(test, "splitFields on a field of N characters", (n) => {
	const text = "\"" + "a".repeat(n) + "\"," + "b".repeat(n);
	return () => void splitFields(text);
}, 4000, 200);

test.run();
