/**
 * Fault injection for the modem emulator, programmatic or from JSON (a scenario's `faults` array).
 *
 * A fault is armed by its trigger: `atMs` (simulated clock time), `afterCommands` (once N commands have been
 * received since the emulator was created), or immediately when neither is given. Then:
 * - command faults (`timeout`, `cme`, `tlsFailure`) hit the next `count` (default 1) matching commands;
 *   `command` is a prefix of the command line, case-insensitive (`"AT+CAOPEN"`); omitted = any command
 *   (tlsFailure: the next CAOPEN/QSSLOPEN);
 * - state faults (`reset`, `registrationDenied`, `networkLoss`, `noGnssFix`, `pdpLoss`, `socketClosed`) take
 *   effect when armed; `durationMs` ends `registrationDenied`, `networkLoss` and `noGnssFix` (omitted = for the
 *   rest of the run).
 * - `resetInOutput` reboots the modem at a byte offset of its output: once `offset` bytes (integer >= 0) have left
 *   the UART, counted from the moment the fault is armed, or, with `command` (a prefix of the command line, as
 *   above), from the moment the next matching command starts to answer (after its echo). The bytes still to come
 *   are lost, the module ignores what the host writes while it boots, and the boot output follows (`RDY` after
 *   the profile's bootMs, then the other boot markers, echo on again). So `{ "kind": "resetInOutput", "command":
 *   "AT+CARECV", "offset": 14 }` cuts `\r\n+CARECV: 5,` after its comma, inside the counted read; with
 *   `"AT+CASEND"` and offset 2..4 it lands inside or right after the `\r\n> ` prompt, while the host sends the
 *   payload. An offset past the end of the reply counts on into whatever the modem prints next (URCs, the
 *   next replies).
 * `onCommand` keys a fault to a command instead of an instant: once the trigger above has fired (or at once without
 * one), the fault waits for the next command whose line starts with `onCommand` (case-insensitive) and is armed
 * when the modem takes that command, before handling it, or with `atByte` N once the first N bytes of that command's
 * own output (prompt, reply, counted data; not the echo or a URC before it) have left the UART: e.g.
 * `{ "kind": "reset", "onCommand": "AT+CASEND", "atByte": 4 }` reboots the modem right after its `\r\n> ` prompt,
 * in the middle of the send. A reset that comes first cancels a fault waiting for its byte.
 */
export type FaultTrigger = { readonly atMs?: number; readonly afterCommands?: number; readonly onCommand?: string; readonly atByte?: number };

export type Fault = FaultTrigger & (
	| { readonly kind: "timeout"; readonly command?: string; readonly count?: number }           // no reply at all
	| { readonly kind: "cme"; readonly command?: string; readonly code: number; readonly count?: number } // +CME ERROR: <code>
	| { readonly kind: "tlsFailure"; readonly code?: number; readonly count?: number }           // CAOPEN/QSSLOPEN cert error
	| { readonly kind: "reset" }                                                                  // reboot mid-session, state lost
	| { readonly kind: "registrationDenied"; readonly durationMs?: number }                      // +CEREG stat 3
	| { readonly kind: "networkLoss"; readonly durationMs?: number }                             // sockets closed, deregistered
	| { readonly kind: "noGnssFix"; readonly durationMs?: number }                               // GNSS never fixes
	| { readonly kind: "pdpLoss" }          // the network deactivates the PDP context: its sockets close, registration stays
	| { readonly kind: "socketClosed" }     // the peer closes every open socket (data already buffered stays readable)
	| { readonly kind: "resetInOutput"; readonly offset: number; readonly command?: string }     // reboot after byte `offset` of the output
);

export type FaultKind = Fault["kind"];

const KINDS: readonly FaultKind[] = Object.freeze(["timeout", "cme", "tlsFailure", "reset", "registrationDenied", "networkLoss", "noGnssFix", "pdpLoss", "socketClosed", "resetInOutput"]);

export type FaultParse = { readonly ok: true; readonly faults: readonly Fault[] } | { readonly ok: false; readonly errors: readonly string[] };

/** Validates faults from JSON text or an already parsed value (an array, or an object with a `faults` array). */
export function parseFaults(input: string | unknown): FaultParse {
	let value: unknown = input;
	if (typeof input === "string") {
		try { value = JSON.parse(input); } catch (e) { return { ok: false, errors: [`not JSON: ${(e as Error).message}`] }; }
	}
	if (value && typeof value === "object" && !Array.isArray(value) && "faults" in value) value = (value as { faults: unknown }).faults;
	if (!Array.isArray(value)) return { ok: false, errors: ["expected an array of faults (or { \"faults\": [...] })"] };
	const errors: string[] = [];
	const faults: Fault[] = [];
	value.forEach((raw: unknown, i: number) => {
		const where = `faults[${i}]`;
		if (!raw || typeof raw !== "object" || Array.isArray(raw)) { errors.push(`${where}: expected an object`); return; }
		const f = raw as Record<string, unknown>;
		if (!KINDS.includes(f.kind as FaultKind)) { errors.push(`${where}.kind: expected one of ${KINDS.join(", ")}`); return; }
		const allowed = new Set(["kind", "atMs", "afterCommands", "onCommand", "atByte"]);
		const num = (key: string, min: number, integer = true): void => {
			allowed.add(key);
			if (f[key] === undefined) return;
			const v = f[key];
			if (typeof v !== "number" || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) errors.push(`${where}.${key}: expected ${integer ? "an integer" : "a number"} >= ${min}`);
		};
		num("atMs", 0, false);
		num("afterCommands", 0);
		num("atByte", 0);
		if (f.onCommand !== undefined && (typeof f.onCommand !== "string" || !/^AT/i.test(f.onCommand))) errors.push(`${where}.onCommand: expected a command prefix starting with AT`);
		if (f.atByte !== undefined && f.onCommand === undefined) errors.push(`${where}.atByte: needs onCommand`);
		switch (f.kind) {
			case "timeout": case "cme":
				allowed.add("command");
				if (f.command !== undefined && (typeof f.command !== "string" || f.command === "")) errors.push(`${where}.command: expected a non-empty command prefix`);
				num("count", 1);
				if (f.kind === "cme") {
					num("code", 0);
					if (f.code === undefined) errors.push(`${where}.code: required for cme`);
				}
				break;
			case "tlsFailure": num("code", 0); num("count", 1); break;
			case "registrationDenied": case "networkLoss": case "noGnssFix": num("durationMs", 0, false); break;
			case "resetInOutput":
				allowed.add("command");
				if (f.command !== undefined && (typeof f.command !== "string" || f.command === "")) errors.push(`${where}.command: expected a non-empty command prefix`);
				num("offset", 0);
				if (f.offset === undefined) errors.push(`${where}.offset: required for resetInOutput`);
				break;
		}
		for (const key of Object.keys(f)) if (!allowed.has(key)) errors.push(`${where}.${key}: unknown field for kind ${String(f.kind)}`);
		faults.push(f as unknown as Fault);
	});
	return errors.length ? { ok: false, errors } : { ok: true, faults };
}

export function describeFault(f: Fault): string {
	const parts: string[] = [f.kind];
	if (f.onCommand) parts.push(`on ${f.onCommand}${f.atByte ? ` at byte ${f.atByte}` : ""}`);
	if ("command" in f && f.command) parts.push(f.command);
	if ("code" in f && f.code !== undefined) parts.push(`code ${f.code}`);
	if ("count" in f && f.count !== undefined) parts.push(`x${f.count}`);
	if ("durationMs" in f && f.durationMs !== undefined) parts.push(`for ${f.durationMs} ms`);
	if ("offset" in f) parts.push(`at byte ${f.offset}`);
	return parts.join(" ");
}
