/**
 * How emergency contacts hear about an event. A contact sees only the emergency context below: who (the name the
 * account holder chose), what happened and where. Never the device id or serial, the account id, other contacts,
 * other events or anything about the device's keys.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export interface EmergencyContext {
	readonly kind: "opened" | "closed";
	/** Random per-event reference (not the device's event id), what a contact quotes or opens. */
	readonly reference: string;
	/** The account holder's display name. */
	readonly person: string;
	readonly reason: string;
	/** Unix seconds. */
	readonly openedAt: number;
	readonly closedAt?: number;
	readonly closedBy?: string;
	/** Last known position, degrees and metres. */
	readonly position?: { readonly lat: number; readonly lon: number; readonly accuracy: number; readonly time: number };
	readonly cell?: { readonly mcc: number; readonly mnc: number; readonly tac: number; readonly ci: number };
	/** This contact's own capability link to the live event view (opening notification only; issue 12). */
	readonly link?: string;
}

export interface Recipient {
	readonly name: string;
	readonly channel: string;
	readonly address: string;
}

export interface Notifier {
	/** Resolves when delivered; rejects with an Error whose message is safe to log. */
	notify(recipient: Recipient, context: EmergencyContext): Promise<void>;
}

/** Writes one line per notification (development and QA). */
export class LogNotifier implements Notifier {
	readonly #log: (line: string) => void;
	constructor(log: (line: string) => void) {
		this.#log = log;
	}
	async notify(recipient: Recipient, context: EmergencyContext): Promise<void> {
		const where = context.position ? ` at ${context.position.lat.toFixed(5)},${context.position.lon.toFixed(5)} ±${context.position.accuracy}m` : "";
		this.#log(`notify ${recipient.channel}:${recipient.name} emergency ${context.kind} for ${context.person} ref ${context.reference}${where}${context.link ? ` link ${context.link}` : ""}`);
	}
}

export interface WebhookOptions {
	readonly url: string;
	/** Extra CA (PEM) for an https webhook. */
	readonly ca?: string | Buffer;
	readonly timeoutMs?: number;
}

/** POSTs `{"recipient":{...},"emergency":{...}}` as JSON to a configured URL (an SMS/e-mail gateway in production). */
export class WebhookNotifier implements Notifier {
	readonly #url: URL;
	readonly #ca: string | Buffer | undefined;
	readonly #timeoutMs: number;
	constructor(options: WebhookOptions) {
		const url = new URL(options.url);
		if (url.protocol !== "http:" && url.protocol !== "https:") throw new RangeError("invalid webhook url");
		this.#url = url;
		this.#ca = options.ca;
		this.#timeoutMs = options.timeoutMs ?? 10_000;
	}
	notify(recipient: Recipient, context: EmergencyContext): Promise<void> {
		const body = Buffer.from(JSON.stringify({ recipient, emergency: context }), "utf8");
		const send = this.#url.protocol === "https:" ? httpsRequest : httpRequest;
		return new Promise((resolve, reject) => {
			const req = send(
				this.#url,
				{
					method: "POST",
					headers: { "content-type": "application/json", "content-length": body.length },
					timeout: this.#timeoutMs,
					...(this.#ca ? { ca: this.#ca } : {}),
				},
				(res) => {
					res.resume();
					res.on("end", () => {
						const status = res.statusCode ?? 0;
						if (status >= 200 && status < 300) resolve();
						else reject(new Error(`webhook answered ${status}`));
					});
				},
			);
			req.on("timeout", () => req.destroy(new Error("webhook timed out")));
			req.on("error", (e) => reject(new Error(`webhook failed: ${e.message}`)));
			req.end(body);
		});
	}
}

/** Sends to every notifier; fails if any fails (each failure is recorded by the caller). */
export class FanoutNotifier implements Notifier {
	readonly #targets: readonly Notifier[];
	constructor(targets: readonly Notifier[]) {
		this.#targets = targets;
	}
	async notify(recipient: Recipient, context: EmergencyContext): Promise<void> {
		const results = await Promise.allSettled(this.#targets.map((t) => t.notify(recipient, context)));
		const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
		if (failed) throw failed.reason instanceof Error ? failed.reason : new Error("notifier failed");
	}
}
