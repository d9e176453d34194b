/**
 * The reference Enigm platform: `startPlatformServer()` for tests and tools/sim, and the CLI.
 *
 *   node --import tsx tools/platform/server.ts [serve] [--db file] [--port N] [--import-key file] [--webhook url] ...
 *   node --import tsx tools/platform/server.ts import <records.jsonl> --import-key file [--db file]
 *   node --import tsx tools/platform/server.ts close-event <deviceId> <eventId> [--reason text] [--db file]
 *   node --import tsx tools/platform/server.ts revoke <deviceId> | replace <old> <new> | claim-code <deviceId>
 *   node --import tsx tools/platform/server.ts account <name> | claim <accountId> <code> | devices | events
 *
 * See tools/platform/README.md.
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Clock } from "hal/clock";
import Store from "./store";
import Platform, { PlatformError } from "./platform";
import Routes from "./routes";
import { loadOrCreateKeyFile, readKeyFile } from "./keys";
import { ensureDevCa } from "./devCa";
import { FanoutNotifier, LogNotifier, type Notifier, WebhookNotifier } from "./notifier";

/** Wall-clock Clock: `now()` in Unix ms, timers that do not keep the process alive. */
export const systemClock: Clock = Object.freeze({
	now: () => Date.now(),
	set(callback: () => void, ms: number) {
		const t = setTimeout(callback, Math.min(Math.max(0, ms), 2 ** 31 - 1));
		t.unref();
		return t;
	},
	clear(handle: unknown) {
		if (handle) clearTimeout(handle as NodeJS.Timeout);
	},
});

export interface PlatformServerOptions {
	/** SQLite file, or ":memory:". */
	readonly db: string;
	readonly storageKey: Buffer;
	readonly importKey?: Buffer;
	/** TLS key and certificate (PEM). */
	readonly tls: { readonly key: string; readonly cert: string };
	/** 0 for a random port. */
	readonly port?: number;
	/** Loopback only: 127.0.0.1 (default) or ::1. */
	readonly host?: string;
	readonly clock?: Clock;
	readonly notifier?: Notifier;
	readonly log?: (line: string) => void;
	readonly maxEventMs?: number;
	readonly interval?: number;
	readonly nonceWindow?: number;
}

export interface PlatformServer {
	readonly platform: Platform;
	readonly server: Server;
	readonly port: number;
	/** e.g. https://localhost:8443 */
	readonly url: string;
	close(): Promise<void>;
}

export async function startPlatformServer(o: PlatformServerOptions): Promise<PlatformServer> {
	const host = o.host ?? "127.0.0.1";
	if (host !== "127.0.0.1" && host !== "::1" && host !== "localhost") throw new RangeError("the reference platform listens on loopback only");
	const log = o.log ?? ((line: string) => process.stdout.write(`${line}\n`));
	const store = new Store(o.db);
	const platform = new Platform({
		store,
		storageKey: o.storageKey,
		...(o.importKey ? { importKey: o.importKey } : {}),
		clock: o.clock ?? systemClock,
		notifier: o.notifier ?? new LogNotifier(log),
		log,
		...(o.maxEventMs !== undefined ? { maxEventMs: o.maxEventMs } : {}),
		...(o.interval !== undefined ? { interval: o.interval } : {}),
		...(o.nonceWindow !== undefined ? { nonceWindow: o.nonceWindow } : {}),
	});
	const routes = new Routes(platform);
	const server = createServer({ key: o.tls.key, cert: o.tls.cert, minVersion: "TLSv1.2" }, routes.handle);
	// LTE-M links are slow but a request is a few KiB: a minute bounds a stalled client without cutting a real one.
	server.keepAliveTimeout = 30_000;
	server.headersTimeout = 60_000;
	server.requestTimeout = 60_000;
	try {
		await new Promise<void>((resolve, reject) => {
			server.once("error", reject);
			server.listen(o.port ?? 0, host, () => {
				server.off("error", reject);
				resolve();
			});
		});
	} catch (e) {
		platform.close();
		store.close();
		throw e;
	}
	const port = (server.address() as AddressInfo).port;
	return {
		platform,
		server,
		port,
		url: `https://localhost:${port}`,
		async close() {
			await new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			});
			await platform.idle();
			platform.close();
			store.close();
		},
	};
}

// --- CLI ---

interface Args {
	readonly positional: string[];
	readonly flags: Map<string, string | true>;
}

function parseArgs(argv: readonly string[]): Args {
	const positional: string[] = [];
	const flags = new Map<string, string | true>();
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i]!;
		if (a.startsWith("--")) {
			const eq = a.indexOf("=");
			if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
			else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) flags.set(a.slice(2), argv[++i]!);
			else flags.set(a.slice(2), true);
		} else positional.push(a);
	}
	return { positional, flags };
}

function flag(args: Args, name: string): string | undefined {
	const v = args.flags.get(name);
	if (v === true) throw new RangeError(`--${name} needs a value`);
	return v;
}

function openPlatform(args: Args, log: (line: string) => void): Platform {
	const cache = join(process.cwd(), ".cache", "platform");
	const store = new Store(flag(args, "db") ?? join(cache, "platform.db"));
	const importKeyFile = flag(args, "import-key");
	const webhook = flag(args, "webhook");
	const notifiers: Notifier[] = [new LogNotifier(log)];
	if (webhook) notifiers.push(new WebhookNotifier({ url: webhook }));
	return new Platform({
		store,
		storageKey: loadOrCreateKeyFile(flag(args, "storage-key") ?? join(cache, "storage.key")),
		...(importKeyFile ? { importKey: readKeyFile(importKeyFile) } : {}),
		clock: systemClock,
		notifier: notifiers.length === 1 ? notifiers[0]! : new FanoutNotifier(notifiers),
		log,
	});
}

export const USAGE = `usage: npm run platform -- [command] [options]

commands:
  serve (default)                      serve https://localhost:8443 (loopback) with the development CA
      --port N  --host ADDR  --db FILE  --storage-key FILE  --import-key FILE  --ca-dir DIR
      --webhook URL  --max-event-minutes N  --interval S  --nonce-window N
  import <records.jsonl> --import-key FILE      import a provisioning batch's platform records
  devices                              list devices and their lifecycle state (JSON)
  events [deviceId]                    list events (JSON)
  account <display name>               create an account
  claim-code <deviceId>                issue a one-time claim code
  claim <accountId> <code>             claim a device for an account
  close-event <deviceId> <eventId> [--reason text]
  revoke <deviceId> [--reason text]    revoke a device (final)
  replace <oldDeviceId> <newDeviceId>  move an account's device to a replacement identity
  help, --help, -h                     this text
`;

async function main(argv: readonly string[]): Promise<number> {
	if (argv.includes("--help") || argv.includes("-h") || argv[0] === "help") {
		process.stdout.write(USAGE);
		return 0;
	}
	const args = parseArgs(argv);
	const log = (line: string) => process.stdout.write(`${line}\n`);
	const [command = "serve", ...rest] = args.positional;
	if (command === "serve") {
		const cache = join(process.cwd(), ".cache", "platform");
		const ca = ensureDevCa(flag(args, "ca-dir"));
		const importKeyFile = flag(args, "import-key");
		const webhook = flag(args, "webhook");
		const notifiers: Notifier[] = [new LogNotifier(log)];
		if (webhook) notifiers.push(new WebhookNotifier({ url: webhook }));
		const minutes = flag(args, "max-event-minutes");
		const interval = flag(args, "interval");
		const window = flag(args, "nonce-window");
		const s = await startPlatformServer({
			db: flag(args, "db") ?? join(cache, "platform.db"),
			storageKey: loadOrCreateKeyFile(flag(args, "storage-key") ?? join(cache, "storage.key")),
			...(importKeyFile ? { importKey: readKeyFile(importKeyFile) } : {}),
			tls: { key: ca.key, cert: ca.cert },
			port: Number(flag(args, "port") ?? 8443),
			host: flag(args, "host") ?? "127.0.0.1",
			notifier: notifiers.length === 1 ? notifiers[0]! : new FanoutNotifier(notifiers),
			log,
			...(minutes ? { maxEventMs: Number(minutes) * 60_000 } : {}),
			...(interval ? { interval: Number(interval) } : {}),
			...(window ? { nonceWindow: Number(window) } : {}),
		});
		log(`enigm platform listening on ${s.url} (CA ${ca.caPath}, SHA-256 ${ca.caFingerprint256})`);
		log(`dashboard: ${s.url}/dashboard`);
		const stop = () => {
			void s.close().then(() => process.exit(0));
		};
		process.once("SIGINT", stop);
		process.once("SIGTERM", stop);
		return -1;
	}
	const commands = ["import", "close-event", "revoke", "replace", "claim-code", "account", "claim", "devices", "events"];
	if (!commands.includes(command)) throw new RangeError(`unknown command ${command}\n${USAGE}`);
	const p = openPlatform(args, log);
	const out = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
	try {
		switch (command) {
			case "import": {
				const file = rest[0];
				if (!file) throw new RangeError("usage: import <records.jsonl> --import-key <file>");
				const summary = p.importRecords(readFileSync(file, "utf8"));
				out(summary);
				return summary.failed.length ? 1 : 0;
			}
			case "close-event":
				if (!rest[0] || !rest[1]) throw new RangeError("usage: close-event <deviceId> <eventId> [--reason text]");
				out(p.closeByUser(rest[0], rest[1], flag(args, "reason") ?? "user"));
				break;
			case "revoke":
				if (!rest[0]) throw new RangeError("usage: revoke <deviceId> [--reason text]");
				p.revoke(rest[0], flag(args, "reason") ?? "revoked by admin");
				break;
			case "replace":
				if (!rest[0] || !rest[1]) throw new RangeError("usage: replace <oldDeviceId> <newDeviceId>");
				p.replace(rest[0], rest[1]);
				break;
			case "claim-code":
				if (!rest[0]) throw new RangeError("usage: claim-code <deviceId>");
				out(p.issueClaimCode(rest[0]));
				break;
			case "account":
				if (!rest[0]) throw new RangeError("usage: account <display name>");
				out({ account_id: p.createAccount(rest.join(" ")) });
				break;
			case "claim":
				if (!rest[0] || !rest[1]) throw new RangeError("usage: claim <accountId> <code>");
				out({ device_id: p.claim(rest[0], rest[1]) });
				break;
			case "devices":
				out(p.store.deviceViews());
				break;
			case "events":
				out(p.store.events(rest[0]));
				break;
			default:
				throw new RangeError(`unknown command ${command}\n${USAGE}`);
		}
		await p.idle();
		return 0;
	} finally {
		p.close();
		p.store.close();
	}
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
	main(process.argv.slice(2)).then(
		(code) => {
			if (code >= 0) process.exitCode = code;
		},
		(e: unknown) => {
			process.stderr.write(`error: ${e instanceof PlatformError || e instanceof RangeError || e instanceof Error ? e.message : "failed"}\n`);
			process.exitCode = 2;
		},
	);
}
