/**
 * Account credentials and web sessions: password and recovery-phrase hashing (scrypt, node:crypto), BIP-39
 * recovery phrases (@scure/bip39), session tokens and the attempt limiter. No HTTP and no SQL here.
 *
 * scrypt (RFC 7914) parameters, stored with each hash so they can be raised later without a migration:
 *   N = 2^15, r = 8, p = 3: one of the equivalent settings of the OWASP Password Storage Cheat Sheet (scrypt
 *   section: "N=2^17, r=8, p=1" or "N=2^15 (32 MiB), r=8 (1024 bytes), p=3", ...), 32 MiB of memory per
 *   evaluation (RFC 7914 §6: N blocks of 128 * r bytes); 16-byte random salt; 32-byte derived key. Tests lower N
 *   through PlatformOptions.scryptN to stay fast; verification always uses the parameters stored in the hash.
 */
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from "node:crypto";
import { generateMnemonic, validateMnemonic } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";

export const SCRYPT_N = 2 ** 15;
export const SCRYPT_R = 8;
export const SCRYPT_P = 3;
const KEY_LEN = 32;
const SALT_LEN = 16;

function scrypt(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
	return new Promise((resolve, reject) =>
		// maxmem: 128 * N * r * p bytes plus slack (RFC 7914 §6: V is N blocks of 128 * r bytes).
		scryptCb(secret.normalize("NFKC"), salt, KEY_LEN, { N: n, r, p, maxmem: 128 * n * r * p + 16 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
	);
}

/** `scrypt$<N>$<r>$<p>$<salt b64url>$<key b64url>` */
export async function hashSecret(secret: string, n = SCRYPT_N): Promise<string> {
	const salt = randomBytes(SALT_LEN);
	const key = await scrypt(secret, salt, n, SCRYPT_R, SCRYPT_P);
	return `scrypt$${n}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** Constant-time comparison of the derived key; a malformed stored hash verifies nothing. */
export async function verifySecret(secret: string, stored: string | null | undefined, dummyN = SCRYPT_N): Promise<boolean> {
	const m = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{43})$/.exec(stored ?? "");
	if (!m) {
		// Same work as a real check, so an unknown user costs as much as a wrong password (no user enumeration by timing).
		await scrypt(secret, randomBytes(SALT_LEN), dummyN, SCRYPT_R, SCRYPT_P);
		return false;
	}
	const expected = Buffer.from(m[5]!, "base64url");
	const actual = await scrypt(secret, Buffer.from(m[4]!, "base64url"), Number(m[1]), Number(m[2]), Number(m[3]));
	return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** BIP-39 English, 128 bits of entropy from the CSPRNG (12 words, the last carrying a 4-bit checksum). */
export function newRecoveryPhrase(): string {
	return generateMnemonic(wordlist, 128);
}

/** Lower case, single spaces (BIP-39 words are lower-case ASCII in the English list). */
export function normalizePhrase(phrase: string): string {
	return phrase.normalize("NFKD").trim().toLowerCase().split(/\s+/).join(" ");
}

export function isValidPhrase(phrase: string): boolean {
	return validateMnemonic(normalizePhrase(phrase), wordlist);
}

/** 256-bit random bearer token (session cookie, contact link); only its SHA-256 is stored. */
export function newToken(): string {
	return randomBytes(32).toString("base64url");
}

export function tokenHash(token: string): string {
	return createHash("sha256").update(token, "utf8").digest("hex");
}

export const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const USERNAME = /^[a-z0-9][a-z0-9._-]{2,31}$/;

/** Password rule: 10..200 characters (NIST SP 800-63B 5.1.1.2: length, not composition rules). */
export function passwordProblem(password: unknown): string | undefined {
	if (typeof password !== "string") return "password must be a string";
	const n = [...password].length;
	if (n < 10) return "password must be at least 10 characters";
	if (n > 200) return "password must be at most 200 characters";
	return undefined;
}

/**
 * Fixed-window attempt limiter on the platform clock: at most `max` failures per key per `windowMs`. Only failures
 * count (a successful login does not use up the budget); a key at its limit is refused before any work is done.
 */
export class AttemptLimiter {
	readonly #max: number;
	readonly #windowMs: number;
	readonly #now: () => number;
	readonly #failures = new Map<string, { start: number; count: number }>();

	constructor(max: number, windowMs: number, now: () => number) {
		this.#max = max;
		this.#windowMs = windowMs;
		this.#now = now;
	}

	/** Seconds until the key may try again, or 0 when it may try now. */
	blockedFor(key: string): number {
		const f = this.#failures.get(key);
		if (!f) return 0;
		const now = this.#now();
		if (now - f.start >= this.#windowMs) {
			this.#failures.delete(key);
			return 0;
		}
		return f.count >= this.#max ? Math.ceil((f.start + this.#windowMs - now) / 1000) : 0;
	}

	fail(key: string): void {
		const now = this.#now();
		const f = this.#failures.get(key);
		if (!f || now - f.start >= this.#windowMs) this.#failures.set(key, { start: now, count: 1 });
		else f.count++;
		// Bounded memory: forget expired windows when the table grows.
		if (this.#failures.size > 10_000) for (const [k, v] of this.#failures) if (now - v.start >= this.#windowMs) this.#failures.delete(k);
	}

	reset(key: string): void {
		this.#failures.delete(key);
	}
}
