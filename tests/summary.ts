/** Reading the test steps' own summaries for tests/run.ts (kept apart so tests/tools/summary.test.ts can check it). */

export const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "");

// uvu's summary: "Total" counts the cases that ran, "Skipped" those registered with skip() (uvu/src/index.js).
export const uvuCount = (output: string): [number, number, number] => {
	const text = stripAnsi(output);
	const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? 0);
	const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? 0);
	const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
	return [passed, total - passed, skipped];
};

export const skipLines = (output: string): string[] => [...stripAnsi(output).matchAll(/^SKIP: (.+)$/gm)].map((m) => m[1]!);
