import { File } from "file";

const pemBegin = "-----BEGIN CERTIFICATE-----";

/**
 * Reads the platform CA (PEM) from a file on the desktop simulator, so a QA run can pin the development CA that
 * tools/platform creates (`.cache/devca/ca.pem`) without passing a multi-line PEM through mcconfig `name=value`:
 *   mcconfig -d -m -p lin platformCaFile=/path/to/ca.pem
 * Lin/mac/win only (Moddable's `file` module with host paths); a board takes `config.platformCa` instead.
 * The bytes are handed to the modem as they are (ASCII); anything but a PEM certificate is refused at boot.
 */
export function readPlatformCa(path: string): Uint8Array {
	if (typeof path !== "string" || !path) throw new RangeError("invalid platformCaFile");
	if (!File.exists(path)) throw new RangeError(`platform CA file not found: ${path}`);
	const file = new File(path);
	let bytes: Uint8Array;
	try {
		bytes = new Uint8Array(file.read(ArrayBuffer));
	} finally {
		file.close();
	}
	let head = "";
	for (let i = 0; i < bytes.length && head.length < pemBegin.length + 64; i++) head += String.fromCharCode(bytes[i]!);
	if (!head.trimStart().startsWith(pemBegin)) throw new RangeError(`platform CA file is not a PEM certificate: ${path}`);
	for (const byte of bytes) if (byte > 0x7e || (byte < 0x20 && byte !== 0x0a && byte !== 0x0d)) throw new RangeError(`platform CA file is not a PEM certificate: ${path}`);
	return bytes;
}
