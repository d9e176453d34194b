import { suite } from "uvu";
import * as assert from "uvu/assert";
import { jsonDepth, parseResponseBody } from "modules/protocol/messages";
import { decodeUtf8, encodeUtf8 } from "modules/protocol/bytes";
import { ascii, fuzzTest, linearTest } from "./harness";
import { json } from "./targets";

const test = suite("fuzz: modules/protocol/messages parseResponseBody");

fuzzTest(test, json, 200, 400);

test("a 16 KB body nested 8000 deep is refused, not handed to JSON.parse (XS aborted on it)", () => {
	const deep = ascii("{\"state\":\"open\",\"x\":" + "[".repeat(8000) + "]".repeat(8000) + "}");
	assert.is(parseResponseBody(deep), undefined);
	assert.is(jsonDepth("{\"a\":\"[[[[[[\"}", 4), 1); // brackets inside strings do not count
	assert.is(jsonDepth("[[[[[1]]]]]", 4), -1);
	assert.equal(parseResponseBody(ascii("{\"state\":\"closed\",\"x\":[[1]]}")), { state: "closed" });
});

linearTest(test, "UTF-8 decode of N bytes", (n) => {
	const bytes = encodeUtf8("é".repeat(n / 2));
	return () => void decodeUtf8(bytes);
}, 8000, 200);

linearTest(test, "a body of N bytes", (n) => {
	const bytes = ascii("{\"state\":\"open\",\"error\":\"" + "a".repeat(n) + "\"}");
	return () => void parseResponseBody(bytes);
}, 8000, 200);

test.run();
