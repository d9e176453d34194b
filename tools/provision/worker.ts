/**
 * Provisioning worker thread: issues devices (secrets, image, pending folder) for batch.ts, which keeps the ledger
 * and the JSON-lines outputs on the main thread. One worker per core; each message is a contiguous slice of a
 * chunk, answered with the rows in the same order. The platform key lives in the worker's memory only.
 */
import { parentPort } from "node:worker_threads";
import { issueSlice, recycleBuffers, type IssueContext, type Job, type Slice } from "./device";
import { loadNative } from "./nativeEngine";

export interface WorkRequest {
	id: number;
	jobs: Job[];
	/** The issue time of the chunk these jobs belong to. */
	createdAt: string;
}

/**
 * A slice without its serials: the main thread has them (the piece it sent), so they do not come back as 64 new strings
 * per piece that would live in its heap until the chunk commits.
 */
export type WorkReply = { id: number; slice: Omit<Slice, "serials"> } | { id: number; error: string };

/** The batch's context, sent once the batch knows it (the worker boots meanwhile: batch.ts Pool). */
export interface WorkerSetup {
	ctx: IssueContext;
}

let ctx: IssueContext | undefined;

parentPort!.on("message", (req: WorkRequest | WorkerSetup | { recycle: ArrayBuffer[] } | "close") => {
	if (typeof req === "object" && "ctx" in req) {
		ctx = req.ctx;
		ctx.platformKey = new Uint8Array(ctx.platformKey);
		// Loaded now rather than by the first piece.
		if (ctx.nativePath !== undefined) loadNative(ctx.nativePath);
		parentPort!.postMessage("ready");
		return;
	}
	if (typeof req === "object" && "recycle" in req) {
		recycleBuffers(req.recycle);
		return;
	}
	if (req === "close") {
		ctx?.platformKey.fill(0);
		parentPort!.close();
		return;
	}
	try {
		if (!ctx) throw new Error("work before the batch context");
		const { serials: _, ...slice } = issueSlice(ctx, req.jobs, req.createdAt);
		parentPort!.postMessage({ id: req.id, slice } satisfies WorkReply, [slice.rows.buffer as ArrayBuffer, ...slice.lines.map((l) => l.buffer as ArrayBuffer)]);
	} catch (error) {
		// Error messages here name files and serials, never key material.
		const e = error as NodeJS.ErrnoException;
		parentPort!.postMessage({ id: req.id, error: e.code && e.path ? `${e.code}: ${e.path}` : `${e.name}: ${e.message}` } satisfies WorkReply);
	}
});
