import { concatBytes, encodeAscii } from "modules/protocol/bytes";
import type { HttpRequest } from "modules/protocol/message";

/** RFC 9112 §3 request line, §5 field lines (CRLF), empty line, body. Header values must be ASCII without CR/LF. */
export function serializeRequest(request: HttpRequest): Uint8Array {
	let head = `${request.method} ${request.path}${request.query !== undefined ? "?" + request.query : ""} HTTP/1.1\r\n`;
	for (const [name, value] of request.headers) {
		if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) || /[\r\n\0]/.test(value)) throw new RangeError(`invalid header "${name}"`);
		head += `${name}: ${value}\r\n`;
	}
	return concatBytes(encodeAscii(head + "\r\n"), request.body);
}
