import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
	Decimal, Token, item, parseDictionary, parseInnerList, parseItem, parseList, serializeDictionary, serializeInnerList,
	serializeItem, serializeList,
} from "modules/protocol/structuredFields";

const sf = suite("modules/protocol/structuredFields");

sf("serializes every bare item type per RFC 8941 §4.1", () => {
	assert.is(serializeItem(item(42)), "42");
	assert.is(serializeItem(item(-7)), "-7");
	assert.is(serializeItem(item("a \"q\" \\ b")), "\"a \\\"q\\\" \\\\ b\"");
	assert.is(serializeItem(item(new Token("foo/bar:1"))), "foo/bar:1");
	assert.is(serializeItem(item(new Uint8Array([0xfb, 0xff]))), ":+/8=:");
	assert.is(serializeItem(item(true)), "?1");
	assert.is(serializeItem(item(false)), "?0");
	assert.is(serializeItem(item(new Decimal(1.5))), "1.5");
	assert.is(serializeItem(item(new Decimal(-0.25))), "-0.25");
	assert.is(serializeItem(item(new Decimal(2))), "2.0");
	assert.is(serializeItem(item("x", [["a", 1], ["b", true], ["c", "s"]])), "\"x\";a=1;b;c=\"s\"");
});

sf("refuses what RFC 8941 cannot carry", () => {
	assert.throws(() => serializeItem(item(1.5)), RangeError);
	assert.throws(() => serializeItem(item(1e16)), RangeError);
	assert.throws(() => serializeItem(item("\u00e9")), RangeError);
	assert.throws(() => serializeItem(item("\n")), RangeError);
	assert.throws(() => serializeItem(item(1, [["Bad", 1]])), RangeError);
	assert.throws(() => new Token("1abc"), RangeError);
});

// RFC 9421 §2.1.1-2.1.2 examples: `Example-Dict:  a=1,    b=2;x=1;y=2,   c=(a   b   c)` strictly re-serialized
sf("re-serializes the RFC 9421 §2.1.1 example dictionary strictly", () => {
	assert.is(serializeDictionary(parseDictionary("a=1,    b=2;x=1;y=2,   c=(a   b   c)")), "a=1, b=2;x=1;y=2, c=(a b c)");
	const d = parseDictionary("a=1, b=2;x=1;y=2, c=(a   b    c), d");
	assert.is(serializeDictionary(d), "a=1, b=2;x=1;y=2, c=(a b c), d");
});

sf("round-trips inner lists with parameters (the @signature-params shape)", () => {
	const text = "(\"@method\" \"signature\";req;key=\"enigm\");created=1618884473;keyid=\"k\";nonce=\"17\"";
	const l = parseInnerList(text);
	assert.is(l.items.length, 2);
	assert.equal(l.items[1].params, [["req", true], ["key", "enigm"]]);
	assert.is(serializeInnerList(l), text);
});

sf("parses lists, items, byte sequences, booleans and decimals", () => {
	assert.is(serializeList(parseList("sugar, tea, rum")), "sugar, tea, rum");
	assert.is(serializeList(parseList("(\"foo\" \"bar\"), (\"baz\"), (\"bat\" \"one\"), ()")), "(\"foo\" \"bar\"), (\"baz\"), (\"bat\" \"one\"), ()");
	// RFC 8941 §3.3.5 example
	assert.is(String.fromCharCode(...(parseItem(":cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg==:").value as Uint8Array)), "pretend this is binary content.");
	assert.is(parseItem("?0").value, false);
	assert.is((parseItem("4.5").value as Decimal).value, 4.5);
	assert.is(parseItem("  42  ").value, 42);
});

sf("later dictionary keys and parameters overwrite earlier ones in place (RFC 8941 §4.2.2, §4.2.3.2)", () => {
	// httpwg/structured-field-tests dictionary.json "duplicate key dictionary": raw `a=1,b=2,a=3`, canonical `a=3, b=2`
	assert.is(serializeDictionary(parseDictionary("a=1,b=2,a=3")), "a=3, b=2");
	assert.is(serializeDictionary(parseDictionary("a=1, b=2, a=3")), "a=3, b=2");
	assert.is(serializeItem(parseItem("1;a=1;b=2;a=3")), "1;a=3;b=2");
});

sf("refuses malformed fields with an offset", () => {
	for (const bad of ["a=", "a=1,", "a=1 b=2", "a=\"unterminated", "a=:abc", "A=1", "a=(1 2", "a=?2", "a=1.2345", "a=1234567890123456", "a=\"\\x\""])
		assert.throws(() => parseDictionary(bad), (e: unknown) => e instanceof SyntaxError && /offset \d+/.test((e as Error).message), bad);
});

sf("sf-strings parse escapes and refuse what §4.2.5 refuses, with the failing offset", () => {
	// RFC 8941 §4.2.5: only \" and \\ are escapes; controls, DEL and non-ASCII fail.
	assert.equal(parseItem('"a \\"q\\" \\\\ b"').value, 'a "q" \\ b');
	assert.equal(parseItem('""').value, "");
	assert.equal(parseDictionary('k="x;y", z="" ').map(([k, m]) => [k, (m as { value: unknown }).value]), [["k", "x;y"], ["z", ""]]);
	const offset = (text: string) => {
		try { parseItem(text); } catch (e) { return /(.*) at offset (\d+)/.exec((e as Error).message)?.slice(1); }
		return undefined;
	};
	assert.equal(offset('"ab\\x"'), ["structured field: invalid escape", "3"]);
	assert.equal(offset('"ab\\'), ["structured field: invalid escape", "3"]);
	assert.equal(offset('"ab'), ["structured field: unterminated string", "3"]);
	assert.equal(offset('"a\tb"'), ["structured field: invalid string character", "2"]);
	assert.equal(offset('"a\u007fb"'), ["structured field: invalid string character", "2"]);
	assert.equal(offset('"\u00e9"'), ["structured field: invalid string character", "1"]);
});

sf.run();
