/**
 * Moddable globals that xsnap lacks, injected into XS-lane bundles (esbuild `inject`: only code that references
 * them gets them). `trace` writes without a newline, like Moddable's; complete lines go to xsnap's `print`.
 */
let pending = "";

/** One complete line to the host: xsnap's `print`, else console.log (a lane bundle run by Node). */
export function hostPrint(line: string): void {
	const host = globalThis as {
		__xsnap?: { print(text: string): void };
		print?: (text: string) => void;
		console?: { log(text: string): void };
	};
	const print = host.__xsnap?.print ?? host.print;
	if (print) print(line);
	else host.console?.log(line);
}

export function trace(...values: unknown[]): void {
	pending += values.map((v) => String(v)).join("");
	const lines = pending.split("\n");
	pending = lines.pop()!;
	for (const line of lines) hostPrint(line);
}

/** Prints a trailing partial line, if any. */
export function flushTrace(): void {
	if (pending) hostPrint(pending);
	pending = "";
}
