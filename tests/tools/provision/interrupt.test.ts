/**
 * Interrupting a batch at every step of the per-device commit protocol (issue 8.7): injected fault points, never
 * wall time. After a crash at any point, every key under a device's final name is recorded in the ledger (and
 * matches it); keys of unrecorded identities exist only in devices/.pending, and the next run deletes them, issues
 * the rest and leaves exactly one identity per serial. A requested stop (Ctrl-C -> AbortSignal) at any point leaves
 * nothing to clean up at all.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
	AUDIT_FILE, FAULT_POINTS, IMPORT_FILE, LEDGER_FILE, MANIFEST_FILE, ORPHANS_DIR, generateBatch, type FaultPoint, type GenerateOptions,
} from "../../../tools/provision/batch";
import Ledger, { type LedgerRow } from "../../../tools/provision/ledger";
import { unwrapKey, wrapAad } from "../../../tools/provision/wrap";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..", "..");
const root = mkdtempSync(join(tmpdir(), "enigm-interrupt-"));
const platformKey = new Uint8Array(randomBytes(32));
let runs = 0;
const outDir = () => join(root, `out${runs++}`);

class Crash extends Error {}

const COUNT = 7;
const CHUNK = 3;
const base = (out: string, extra: Partial<GenerateOptions> = {}): GenerateOptions => ({
	out, board: "lilygo_t_sim7080g_s3", count: COUNT, chunk: CHUNK, platformKey, jobs: 0, log: () => {}, ...extra,
});

function ledgerRows(out: string): LedgerRow[] {
	if (!existsSync(join(out, LEDGER_FILE))) return [];
	const l = new Ledger(join(out, LEDGER_FILE));
	try {
		return [...l.rows()];
	} finally {
		l.close();
	}
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const aad = (p: "device-key" | "nvs-hmac-key", r: LedgerRow) => wrapAad(p, r.deviceId, r.serial, r.board);

/** Every folder under a device's final name belongs to a ledger row and holds exactly that row's keys and image. */
function checkFinalFolders(out: string): { rows: LedgerRow[]; finals: string[] } {
	const rows = ledgerRows(out);
	const bySerial = new Map(rows.map((r) => [r.serial, r]));
	const finals = existsSync(join(out, "devices")) ? readdirSync(join(out, "devices")).filter((n) => n !== ".pending") : [];
	for (const serial of finals) {
		const row = bySerial.get(serial);
		assert.ok(row, `devices/${serial} holds keys that no ledger row knows`);
		const dir = join(out, "devices", serial);
		assert.is(sha(readFileSync(join(dir, "nvs.bin"))), row!.imageSha256, `${serial}: image differs from the ledger`);
		assert.equal(new Uint8Array(readFileSync(join(dir, "key.bin"))), unwrapKey(platformKey, row!.key, aad("device-key", row!)));
		assert.equal(new Uint8Array(readFileSync(join(dir, "nvs_hmac_key.bin"))), unwrapKey(platformKey, row!.nvsHmacKey!, aad("nvs-hmac-key", row!)));
	}
	return { rows, finals };
}

/** Key files of identities the ledger does not hold (only ever in devices/.pending). */
function unrecordedKeys(out: string): Buffer[] {
	const pending = join(out, "devices", ".pending");
	if (!existsSync(pending)) return [];
	const recorded = new Set(ledgerRows(out).map((r) => r.serial));
	const keys: Buffer[] = [];
	for (const serial of readdirSync(pending)) {
		if (recorded.has(serial)) continue;
		for (const f of ["key.bin", "nvs_hmac_key.bin"]) if (existsSync(join(pending, serial, f))) keys.push(readFileSync(join(pending, serial, f)));
	}
	return keys;
}

function allFileBytes(dir: string): Buffer[] {
	const out: Buffer[] = [];
	for (const name of readdirSync(dir)) {
		const p = join(dir, name);
		if (statSync(p).isDirectory()) out.push(...allFileBytes(p));
		else out.push(readFileSync(p));
	}
	return out;
}

const lines = (out: string, name: string) => readFileSync(join(out, name), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

/** The batch is complete: one identity per serial, every artifact in place, every output line committed once. */
function checkComplete(out: string, count = COUNT): void {
	const { rows, finals } = checkFinalFolders(out);
	const serials = Array.from({ length: count }, (_, i) => `ENK-${i + 1}`);
	assert.equal(rows.map((r) => r.serial).sort(), [...serials].sort());
	assert.equal(finals.sort(), [...serials].sort());
	assert.is(new Set(rows.map((r) => r.deviceId)).size, count);
	assert.equal(readdirSync(join(out, "devices", ".pending")), []);
	const imports = lines(out, IMPORT_FILE);
	assert.equal(imports.map((r) => r.serial).sort(), [...serials].sort());
	const byDevice = new Map(rows.map((r) => [r.deviceId, r]));
	for (const r of imports) assert.equal(r.key, byDevice.get(r.deviceId as string)?.key, `import record of ${String(r.serial)} is not the ledger's`);
	assert.equal(lines(out, AUDIT_FILE).filter((a) => a.event === "issued").map((a) => a.serial).sort(), [...serials].sort());
	assert.equal(lines(out, MANIFEST_FILE).map((m) => m.serial).sort(), [...serials].sort());
}

/** How often each fault point is reached in an uninterrupted run of the test batch. */
async function hitCounts(): Promise<Map<FaultPoint, number>> {
	const counts = new Map<FaultPoint, number>();
	await generateBatch(base(outDir(), { fault: (p) => counts.set(p, (counts.get(p) ?? 0) + 1) }));
	return counts;
}

const crash = suite("provision: a crash at every step of the commit protocol");

crash("every fault point is reached, per device or per chunk", async () => {
	const counts = await hitCounts();
	assert.equal([...counts.keys()].sort(), [...FAULT_POINTS].sort());
	assert.is(counts.get("device-written"), COUNT);
	assert.is(counts.get("device-renamed"), COUNT);
	assert.is(counts.get("files-synced"), Math.ceil(COUNT / CHUNK));
});

crash("at every hit of every point: no final-named folder of an unrecorded key; the next run deletes the pending ones and completes", async () => {
	const counts = await hitCounts();
	let cases = 0;
	for (const point of FAULT_POINTS) {
		for (let hit = 1; hit <= counts.get(point)!; hit++) {
			const out = outDir();
			let n = 0;
			try {
				await generateBatch(base(out, { fault: (p) => { if (p === point && ++n === hit) throw new Crash(`${p} #${hit}`); } }));
				assert.unreachable(`no crash at ${point} #${hit}`);
			} catch (error) {
				if (!(error instanceof Crash)) throw error;
			}
			const where = `${point} #${hit}`;
			try {
				checkFinalFolders(out);
			} catch (error) {
				throw new Error(`after a crash at ${where}: ${(error as Error).message}`);
			}
			const lost = unrecordedKeys(out);
			const log: string[] = [];
			const result = await generateBatch(base(out, { log: (l) => log.push(l) }));
			assert.is(result.issued + result.skipped, COUNT, where);
			assert.is(result.discarded + result.recovered >= 0, true);
			checkComplete(out);
			// The unrecorded keys are gone from the output directory altogether.
			const bytes = allFileBytes(out);
			for (const key of lost) assert.not.ok(bytes.some((b) => b.includes(key)), `${where}: an unrecorded key survived the resume`);
			if (lost.length > 0) assert.ok(log.some((l) => /deleted \d+ pending device folder/.test(l)), where);
			cases++;
		}
	}
	assert.ok(cases >= 35, `only ${cases} cases`);
});

crash("a stale pending folder of a recorded identity (crash between commit and rename) is rebuilt from the ledger, not trusted", async () => {
	const out = outDir();
	let n = 0;
	try {
		await generateBatch(base(out, { fault: (p) => { if (p === "ledger-committed" && ++n === 1) throw new Crash("x"); } }));
	} catch (error) {
		if (!(error instanceof Crash)) throw error;
	}
	// Simulate a power cut that lost the pending files' data: the ledger has the rows, the files are empty.
	for (const serial of readdirSync(join(out, "devices", ".pending"))) writeFileSync(join(out, "devices", ".pending", serial, "nvs.bin"), "");
	const log: string[] = [];
	const result = await generateBatch(base(out, { log: (l) => log.push(l) }));
	assert.is(result.recovered, CHUNK);
	assert.ok(log.some((l) => /3 device folder\(s\) recorded by the interrupted run were rebuilt from the ledger/.test(l)));
	checkComplete(out);
});

crash.run();

const stop = suite("provision: a requested stop (Ctrl-C) at every step finishes the devices in progress");

stop("at every hit of every point: stopped cleanly (nothing pending, nothing half-done), then resumed to completion", async () => {
	const counts = await hitCounts();
	for (const point of FAULT_POINTS) {
		for (let hit = 1; hit <= counts.get(point)!; hit++) {
			const out = outDir();
			const controller = new AbortController();
			let n = 0;
			const first = await generateBatch(base(out, { signal: controller.signal, fault: (p) => { if (p === point && ++n === hit) controller.abort(); } }));
			const where = `${point} #${hit}`;
			const { rows, finals } = checkFinalFolders(out);
			assert.equal(readdirSync(join(out, "devices", ".pending")), [], where);
			assert.is(rows.length, first.issued, where);
			assert.equal(finals.sort(), rows.map((r) => r.serial).sort(), where);
			assert.is(first.interrupted, first.issued < COUNT, where);
			assert.is(lines(out, IMPORT_FILE).length, first.issued, where);
			const again = await generateBatch(base(out));
			assert.equal([again.issued, again.discarded, again.recovered, again.interrupted], [COUNT - first.issued, 0, 0, false], where);
			checkComplete(out);
		}
	}
});

stop.run();

const workers = suite("provision: worker threads");

workers("two workers issue the same batch shape; a crash after a commit resumes to completion", async () => {
	const out = outDir();
	const result = await generateBatch(base(out, { jobs: 2, count: 40, chunk: 8 }));
	assert.is(result.issued, 40);
	checkComplete(out, 40);
	const out2 = outDir();
	let n = 0;
	try {
		await generateBatch(base(out2, { jobs: 2, count: 40, chunk: 8, fault: (p) => { if (p === "ledger-committed" && ++n === 2) throw new Crash("x"); } }));
	} catch (error) {
		if (!(error instanceof Crash)) throw error;
	}
	checkFinalFolders(out2);
	await generateBatch(base(out2, { jobs: 2, count: 40, chunk: 8 }));
	checkComplete(out2, 40);
});

workers("pipelined chunks (two workers): a crash at any step of a chunk's commit leaves no later chunk's row committed with it", async () => {
	// The ledger takes a chunk's rows as they are issued, in a transaction committed with that chunk's output lengths;
	// the next chunk's rows, issued meanwhile, must wait for the next transaction. A row committed too early would keep
	// its serial from being issued again while its output lines are cut off by the resume (checkComplete finds that).
	for (const point of FAULT_POINTS.filter((p) => p !== "device-written")) {
		for (const hit of [1, 2, 3]) {
			const out = outDir();
			let n = 0;
			try {
				await generateBatch(base(out, { jobs: 2, count: 40, chunk: 8, fault: (p) => { if (p === point && ++n === hit) throw new Crash(point); } }));
			} catch (error) {
				if (!(error instanceof Crash)) throw error;
			}
			checkFinalFolders(out);
			await generateBatch(base(out, { jobs: 2, count: 40, chunk: 8 }));
			checkComplete(out, 40);
		}
	}
});

workers.run();

const orphans = suite("provision: folders left by an older version (keys written before they were recorded)");

orphans("final-named folders no ledger row knows are moved to orphans/, reported by name and in the audit log", async () => {
	const out = outDir();
	await generateBatch(base(out, { count: 2 }));
	for (const serial of ["ENK-5", "OLD-1"]) {
		mkdirSync(join(out, "devices", serial));
		writeFileSync(join(out, "devices", serial, "key.bin"), randomBytes(32));
	}
	const log: string[] = [];
	const result = await generateBatch(base(out, { log: (l) => log.push(l) }));
	assert.is(result.orphans, 2);
	assert.equal(readdirSync(join(out, ORPHANS_DIR)).sort(), ["ENK-5", "OLD-1"]);
	assert.ok(log.some((l) => /orphans: 2 device folder\(s\) held keys that no ledger record knows \((ENK-5, OLD-1|OLD-1, ENK-5)\)/.test(l)), log.join("\n"));
	assert.equal(lines(out, AUDIT_FILE).filter((a) => a.event === "orphan").map((a) => a.serial).sort(), ["ENK-5", "OLD-1"]);
	checkComplete(out);
});

orphans.run();

const killed = suite("provision: a process killed (SIGKILL) or interrupted (SIGINT) mid-batch");

const child = join(here, "fixtures", "interruptChild.ts");
const runChild = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", child, ...args], {
	cwd: repo, encoding: "utf8", env: { ...process.env, TSX_TSCONFIG_PATH: "tsconfig.tools.json", TEST_PLATFORM_KEY_HEX: Buffer.from(platformKey).toString("hex") },
});

killed("SIGKILL at a commit step: the next run finds no unrecorded key under a device's name and completes", async () => {
	for (const [point, hit] of [["files-synced", 1], ["ledger-committed", 2], ["device-renamed", 4]] as const) {
		const out = outDir();
		const r = runChild(["kill", out, point, String(hit), String(COUNT), String(CHUNK)]);
		assert.is(r.signal, "SIGKILL", `${point}: ${r.stderr}`);
		checkFinalFolders(out);
		await generateBatch(base(out));
		checkComplete(out);
	}
});

killed("Ctrl-C in the CLI: the devices in progress are committed, exit 130, the resume command is printed and completes the batch", async () => {
	const out = outDir();
	const keyFile = join(root, "platform.key");
	if (!existsSync(keyFile)) writeFileSync(keyFile, `${Buffer.from(platformKey).toString("hex")}\n`, { mode: 0o600 });
	const args = ["generate", "--board", "lilygo_t_sim7080g_s3", "--out", out, "--count", "60", "--chunk", "5", "--jobs", "2", "--platform-key", keyFile];
	const r = runChild(["sigint", ...args]);
	assert.is(r.status, 130, r.stderr);
	assert.match(r.stderr, /interrupt: finishing the devices in progress/);
	const resume = /Resume with the same command \(recorded serials are skipped\):\n {2}(.+)\n/.exec(r.stderr)?.[1];
	assert.ok(resume, r.stderr);
	assert.is(resume, `node --import tsx tools/provision/cli.ts ${args.join(" ")}`);
	const summary = JSON.parse(r.stdout.trim()) as { issued: number; interrupted: boolean };
	assert.ok(summary.interrupted && summary.issued > 0 && summary.issued < 60, r.stdout);
	const { rows } = checkFinalFolders(out);
	assert.is(rows.length, summary.issued);
	assert.equal(readdirSync(join(out, "devices", ".pending")), []);
	const again = runChild(["cli", ...resume!.split(" ").slice(4)]);
	assert.is(again.status, 0, again.stderr);
	checkComplete(out, 60);
});

killed("without sh and sync on the PATH (no syncfs helper): every file is fsynced instead and the batch completes", async () => {
	const out = outDir();
	const keyFile = join(root, "platform.key");
	if (!existsSync(keyFile)) writeFileSync(keyFile, `${Buffer.from(platformKey).toString("hex")}\n`, { mode: 0o600 });
	const args = ["cli", "generate", "--board", "lilygo_t_sim7080g_s3", "--out", out, "--count", "60", "--chunk", "7", "--jobs", "1", "--platform-key", keyFile];
	const r = spawnSync(process.execPath, ["--import", "tsx", child, ...args], {
		cwd: repo, encoding: "utf8", env: { ...process.env, PATH: join(root, "no-such-dir"), TSX_TSCONFIG_PATH: "tsconfig.tools.json" },
	});
	assert.is(r.status, 0, r.stderr);
	checkComplete(out, 60);
});

killed.after(() => rmSync(root, { recursive: true, force: true }));
killed.run();
