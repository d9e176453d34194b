/**
 * XS bench baseline with the signing path's modules loaded but never run: the difference to
 * signedLocation.bench.ts is the state one update leaves alive; the difference to baseline.bench.ts is the code.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { capturePoint, encodeLocationBatch } from "modules/protocol/messages";
import RequestSigner from "modules/protocol/requestSigner";
import { serializeRequest } from "modules/protocol/http";
import HttpResponseParser from "modules/protocol/httpResponseParser";
import { routes } from "modules/protocol/constants";
import { decodeUtf8, encodeUtf8 } from "modules/protocol/bytes";
import * as ex from "../../../tests/firmware/protocol/fixtures";

test("the signing path's modules are loaded", () => {
	const loaded = [capturePoint, encodeLocationBatch, RequestSigner, serializeRequest, HttpResponseParser, routes, decodeUtf8, encodeUtf8, ex.exampleKeystore];
	assert.ok(loaded.every((x) => x !== undefined));
});

test.run();
