/**
 * Development CA for the platform's TLS on loopback: a CA the modem emulator and the firmware pin, and a server
 * certificate for `localhost` / 127.0.0.1 signed by it. Generated at run time with the `openssl` CLI into a
 * gitignored directory (default `.cache/devca/`); private keys are written mode 0600 and never printed.
 *
 *   node --import tsx tools/platform/devCa.ts [--dir .cache/devca] [--force]
 */
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export interface DevCa {
	readonly dir: string;
	/** PEM of the CA certificate (what clients pin). */
	readonly ca: string;
	readonly caPath: string;
	/** DER of the CA certificate (for modems that load DER). */
	readonly caDerPath: string;
	readonly cert: string;
	readonly certPath: string;
	readonly key: string;
	readonly keyPath: string;
	/** SHA-256 of the CA certificate, colon hex (what `openssl x509 -fingerprint -sha256` prints). */
	readonly caFingerprint256: string;
}

function openssl(args: string[], cwd: string): void {
	execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

function stillValid(dir: string): boolean {
	for (const f of ["ca.pem", "ca.key", "server.pem", "server.key", "ca.der"]) if (!existsSync(join(dir, f))) return false;
	try {
		const ca = new X509Certificate(readFileSync(join(dir, "ca.pem")));
		const cert = new X509Certificate(readFileSync(join(dir, "server.pem")));
		const soon = Date.now() + 24 * 3600_000;
		return cert.verify(ca.publicKey) && Date.parse(cert.validTo) > soon && Date.parse(ca.validTo) > soon && cert.checkHost("localhost") !== undefined && cert.checkIP("127.0.0.1") !== undefined;
	} catch {
		return false;
	}
}

/** Returns the dev CA in `dir`, creating it (or re-creating it when incomplete, expiring or `force`). */
export function ensureDevCa(dir = join(process.cwd(), ".cache", "devca"), force = false): DevCa {
	mkdirSync(dir, { recursive: true, mode: 0o700 });
	if (force || !stillValid(dir)) {
		// P-256 keys: both the ESP32's mbedTLS and the SIM7080/BG95 TLS stacks do ECDHE-ECDSA with secp256r1.
		openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"], dir);
		chmodSync(join(dir, "ca.key"), 0o600);
		openssl(
			[
				"req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", "825", "-out", "ca.pem",
				"-subj", "/O=Enigm development/CN=Enigm Dev CA",
				"-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
				"-addext", "keyUsage=critical,keyCertSign,cRLSign",
			],
			dir,
		);
		openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "server.key"], dir);
		chmodSync(join(dir, "server.key"), 0o600);
		openssl(["req", "-new", "-key", "server.key", "-out", "server.csr", "-subj", "/O=Enigm development/CN=localhost"], dir);
		writeFileSync(
			join(dir, "server.ext"),
			"basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n",
		);
		openssl(
			["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "397", "-sha256", "-extfile", "server.ext", "-out", "server.pem"],
			dir,
		);
		openssl(["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"], dir);
	}
	const ca = readFileSync(join(dir, "ca.pem"), "utf8");
	return {
		dir,
		ca,
		caPath: join(dir, "ca.pem"),
		caDerPath: join(dir, "ca.der"),
		cert: readFileSync(join(dir, "server.pem"), "utf8"),
		certPath: join(dir, "server.pem"),
		key: readFileSync(join(dir, "server.key"), "utf8"),
		keyPath: join(dir, "server.key"),
		caFingerprint256: new X509Certificate(ca).fingerprint256,
	};
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
	const args = process.argv.slice(2);
	const i = args.indexOf("--dir");
	const ca = ensureDevCa(i >= 0 ? args[i + 1] : undefined, args.includes("--force"));
	process.stdout.write(`dev CA: ${ca.caPath} (DER ${ca.caDerPath})\nSHA-256 ${ca.caFingerprint256}\nserver certificate: ${ca.certPath} for localhost, 127.0.0.1, ::1\n`);
}
