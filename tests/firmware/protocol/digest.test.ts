import { suite } from "uvu";
import * as assert from "uvu/assert";
import { contentDigest } from "modules/protocol/digest";
import { encodeUtf8 } from "modules/protocol/bytes";
import { parseDictionary, serializeDictionary } from "modules/protocol/structuredFields";

const digest = suite("modules/protocol/digest (RFC 9530)");

digest("reproduces the RFC 9530 Appendix D sha-256 sample over {\"hello\": \"world\"}", () => {
	assert.is(contentDigest(encodeUtf8("{\"hello\": \"world\"}")), "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
});

digest("reproduces the RFC 9530 Appendix B.1 Content-Digest (the same object followed by LF)", () => {
	assert.is(contentDigest(encodeUtf8("{\"hello\": \"world\"}\n")), "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:");
});

digest("is a valid RFC 8941 Dictionary that re-serializes to itself", () => {
	const value = contentDigest(encodeUtf8(""));
	assert.is(value, "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
	assert.is(serializeDictionary(parseDictionary(value)), value);
});

digest.run();
