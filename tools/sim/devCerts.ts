/**
 * Throwaway certificates for emulator tests, generated at run time with the `openssl` CLI into a fresh temporary
 * directory (never committed; the caller removes it with `cleanup()`). For the platform's long-lived dev CA see
 * tools/platform/devCa.ts; this set adds the bad certificates the TLS failure tests need:
 *   ca          a CA certificate (P-256), what the firmware pins
 *   good        server cert for DNS:localhost, DNS:api.enigm.test, IP:127.0.0.1, signed by ca
 *   expired     same names, signed by ca, notAfter in the past (`-days -1`)
 *   wrongName   DNS:other.example only, signed by ca
 *   untrusted   server cert for the good names, signed by a second CA the client does not pin
 * Private keys stay in memory and in the 0700 temp directory only; nothing is printed.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ServerCert { readonly cert: string; readonly key: string; }
export interface TestCerts {
	readonly ca: string;
	readonly good: ServerCert;
	readonly expired: ServerCert;
	readonly wrongName: ServerCert;
	readonly untrusted: ServerCert;
	cleanup(): void;
}

export function hasOpenssl(): boolean {
	try { execFileSync("openssl", ["version"], { stdio: "ignore" }); return true; } catch { return false; }
}

export function makeTestCerts(): TestCerts {
	const dir = mkdtempSync(join(tmpdir(), "modem-emu-certs-"));
	const run = (args: string[]): void => { execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] }); };
	const key = (name: string): void => run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`]);
	const ca = (name: string, cn: string): void => {
		key(name);
		run(["req", "-x509", "-new", "-key", `${name}.key`, "-sha256", "-days", "30", "-out", `${name}.pem`, "-subj", `/CN=${cn}`,
			"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
	};
	const server = (name: string, signer: string, san: string, days: string): ServerCert => {
		key(name);
		run(["req", "-new", "-key", `${name}.key`, "-out", `${name}.csr`, "-subj", "/CN=emulator test server"]);
		writeFileSync(join(dir, `${name}.ext`), `basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`);
		run(["x509", "-req", "-in", `${name}.csr`, "-CA", `${signer}.pem`, "-CAkey", `${signer}.key`, "-CAcreateserial", "-days", days, "-sha256", "-extfile", `${name}.ext`, "-out", `${name}.pem`]);
		return { cert: readFileSync(join(dir, `${name}.pem`), "utf8"), key: readFileSync(join(dir, `${name}.key`), "utf8") };
	};
	try {
		const names = "DNS:localhost,DNS:api.enigm.test,IP:127.0.0.1";
		ca("ca", "Emulator Test CA");
		ca("other", "Someone Else CA");
		return {
			ca: readFileSync(join(dir, "ca.pem"), "utf8"),
			good: server("good", "ca", names, "30"),
			expired: server("expired", "ca", names, "-1"),
			wrongName: server("wrong", "ca", "DNS:other.example", "30"),
			untrusted: server("untrusted", "other", names, "30"),
			cleanup: () => rmSync(dir, { recursive: true, force: true }),
		};
	} catch (e) {
		rmSync(dir, { recursive: true, force: true });
		throw e;
	}
}
