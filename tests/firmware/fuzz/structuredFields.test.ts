import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseDictionary, parseList, serializeDictionary } from "modules/protocol/structuredFields";
import { fuzzTest, linearTest } from "./harness";
import { structuredFields } from "./targets";

const test = suite("fuzz: modules/protocol/structuredFields");

fuzzTest(test, structuredFields, 100, 300);

test("a parse error is a SyntaxError naming the offset (RFC 8941 §4.2: the field fails)", () => {
	assert.throws(() => parseDictionary("a=1, b=(1 2"), (e: unknown) => e instanceof SyntaxError && /offset \d+/.test((e as Error).message));
});

test("N repeats of one key keep one member, in place (RFC 8941 §4.2.2)", () => {
	const d = parseDictionary("a=0, " + Array.from({ length: 2000 }, (_, i) => `k=${i}`).join(", ") + ", z");
	assert.is(serializeDictionary(d), "a=0, k=1999, z");
});

linearTest(test, "a dictionary of N distinct keys", (n) => {
	const text = Array.from({ length: n }, (_, i) => `k${i}=${i};p`).join(", ");
	return () => void parseDictionary(text);
}, 800, 4000);

linearTest(test, "a dictionary of N repeats of one key", (n) => {
	const text = Array.from({ length: n }, (_, i) => `k=${i}`).join(",");
	return () => void parseDictionary(text);
}, 800, 4000);

linearTest(test, "a string of N escapes", (n) => {
	const text = "\"" + "\\\"".repeat(n) + "\"";
	return () => void parseList(text);
}, 2000, 200);

linearTest(test, "a token and a number of N characters", (n) => {
	const text = "a" + "b".repeat(n) + ", " + "1".repeat(n);
	return () => {
		try {
			parseList(text);
		} catch {
			// the integer is too long: found after one scan of its digits
		}
	};
}, 4000, 400);

test.run();
