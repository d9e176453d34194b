/**
 * Shared by the end-to-end suites: a World in simulated time with the requests the firmware sent captured at the
 * platform (exactly as received: method, path, headers, body), and a node:https client pinned to the World's
 * development CA for sending captured, replayed or forged requests.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import World, { type WorldOptions } from "../../../tools/sim/world";
import { send as sendTls, type Reply } from "../platform/helpers";
import { parseTrack, type TrackPoint } from "../../../tools/sim/modem/track";

export interface Captured {
	readonly method: string;
	readonly path: string;
	readonly headers: Record<string, string>;
	readonly body: Buffer;
	status?: number;
}

export type { Reply };

export function walkTrack(): TrackPoint[] {
	const parsed = parseTrack(readFileSync(new URL("../../../tools/sim/tracks/walk.gpx", import.meta.url), "utf8"));
	if (!parsed.ok) throw new Error("walk.gpx does not parse");
	return [...parsed.points];
}

export interface TestWorld {
	readonly world: World;
	readonly captured: Captured[];
	readonly caPem: string;
	/** Device log lines with their simulated times. */
	readonly log: string[];
	close(): Promise<void>;
}

export async function testWorld(options: WorldOptions = {}): Promise<TestWorld> {
	const caDir = mkdtempSync(join(tmpdir(), "enigm-e2e-ca-"));
	const log: string[] = [];
	const captured: Captured[] = [];
	let world: World | undefined;
	world = await World.create({
		track: walkTrack(),
		caDir,
		...options,
		log: (source, line) => {
			log.push(`${world?.clock.now() ?? 0} [${source}] ${line}`);
			options.log?.(source, line);
		},
	});
	world.platform.server.on("request", (req, res) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => {
			const headers: Record<string, string> = {};
			for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
			const entry: Captured = { method: req.method ?? "", path: req.url ?? "", headers, body: Buffer.concat(chunks) };
			captured.push(entry);
			res.on("finish", () => (entry.status = res.statusCode));
		});
	});
	const w = world;
	return {
		world: w,
		captured,
		caPem: readFileSync(join(caDir, "ca.pem"), "utf8"),
		log,
		async close() {
			await w.close();
			rmSync(caDir, { recursive: true, force: true });
		},
	};
}

/** Sends a request over TLS to the World's platform, trusting only its development CA (framing headers recomputed). */
export function send(t: TestWorld, r: { method: string; path: string; headers: Record<string, string>; body: Buffer }): Promise<Reply> {
	const headers = { ...r.headers };
	delete headers["content-length"];
	delete headers["connection"];
	delete headers["transfer-encoding"];
	return sendTls(t.world.platform.port, { ...r, headers }, t.caPem);
}

/** Presses a deliberate triple and runs until the event streams (or `limitMs` of simulated time passes). */
export async function raiseAlert(world: World, limitMs = 300_000): Promise<boolean> {
	await world.run(3000);
	world.press();
	return world.runUntil(() => world.state === "active.streaming", limitMs);
}

export function openEvent(world: World) {
	return world.events().find((e) => e.state === "open");
}

export function pointCount(world: World): number {
	const e = world.events()[0];
	return e ? world.platform.platform.store.pointCount(e.id) : 0;
}
