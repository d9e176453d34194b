/**
 * The worked example of docs/protocol.md §9. Its values were computed with node:crypto (createHmac/createHash over
 * hand-written base strings), not with modules/protocol, so they check this code against an independent source.
 */
import MemoryStore from "hal/sim/memoryStore";
import SoftKeystore from "hal/sim/softKeystore";
import { fromHex } from "modules/protocol/bytes";

export const exampleKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
export const exampleDeviceId = "5f0c3a9e1b7d4c2a8e6f1032547698ab";
export const exampleEventId = "9d2e41f07ab35c6680e1d4f2a7c9b053";
export const exampleHost = "platform.example";
export const exampleCreatedMs = 1763783105_000;
export const exampleNonce = 1042;

export const examplePointInput = "enigm-point-v1\n9d2e41f07ab35c6680e1d4f2a7c9b053\n1,1763783100,473769000,85417000,5,408,9,3d";
export const examplePointMac = "vIdWvjavD9ihk2CH_c9VAA";
export const exampleBody =
	"{\"points\":[{\"s\":1,\"t\":1763783100,\"la\":473769000,\"lo\":85417000,\"a\":5,\"al\":408,\"n\":9,\"q\":\"3d\",\"m\":\"vIdWvjavD9ihk2CH_c9VAA\"}]}";
export const exampleDigest = "sha-256=:GG/2jB8knVSOxWQH9p0YO5xXPOlfJzu6OdJrStQuQeM=:";
export const exampleSignatureInput =
	"enigm=(\"@method\" \"@authority\" \"@path\" \"content-type\" \"content-digest\");created=1763783105;keyid=\"5f0c3a9e1b7d4c2a8e6f1032547698ab\";nonce=\"1042\";alg=\"hmac-sha256\";tag=\"enigm-key-v1\"";
export const exampleSignature = "enigm=:4KPUToQsW/VCOuaWXeP7NbiKHhuNxNB+vA4XZkGEywM=:";
export const exampleRequestText =
	"POST /v1/events/9d2e41f07ab35c6680e1d4f2a7c9b053/locations HTTP/1.1\r\n" +
	"Host: platform.example\r\n" +
	"Content-Type: application/json\r\n" +
	"Content-Length: 123\r\n" +
	`Content-Digest: ${exampleDigest}\r\n` +
	`Signature-Input: ${exampleSignatureInput}\r\n` +
	`Signature: ${exampleSignature}\r\n` +
	"\r\n" +
	exampleBody;

export const exampleResponseBody = "{\"state\":\"open\",\"event\":\"9d2e41f07ab35c6680e1d4f2a7c9b053\",\"interval\":30,\"time\":1763783106,\"ack\":1}";
export const exampleResponseHead: Array<[string, string]> = [
	["Content-Type", "application/json"],
	["Content-Length", "99"],
	["Content-Digest", "sha-256=:/UpI51P2jpy//UeE5M0V3cS+FsA3coOMonYoaXaIzH8=:"],
	[
		"Signature-Input",
		"enigm=(\"@status\" \"content-type\" \"content-digest\" \"@method\";req \"@path\";req \"signature\";req;key=\"enigm\");created=1763783106;keyid=\"5f0c3a9e1b7d4c2a8e6f1032547698ab\";alg=\"hmac-sha256\";tag=\"enigm-platform-v1\"",
	],
	["Signature", "enigm=:97tzu9xNnqPhHVdJLiRyUPNwZdlDs6OUhZFyFiZMLoE=:"],
];

export function exampleKeystore(): SoftKeystore {
	const store = new MemoryStore("enigm");
	store.set("device_id", exampleDeviceId);
	store.set("hmac_key", fromHex(exampleKeyHex).buffer as ArrayBuffer);
	return new SoftKeystore({ store });
}
