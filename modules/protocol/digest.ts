import { sha256 } from "modules/protocol/sha256";
import { toBase64 } from "modules/protocol/bytes";

/** RFC 9530 §2 Content-Digest field value with the single algorithm this protocol uses, sha-256 (§5). */
export function contentDigest(body: Uint8Array): string {
	return "sha-256=:" + toBase64(sha256(body)) + ":";
}
