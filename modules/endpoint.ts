import type { Store } from "hal/store";

/**
 * The platform a device talks to, as manufacturing provisioned it (tools/provision `--platform-host`,
 * `--platform-ca`): NVS strings `platform_host` ("host" or "host:port", port 443 when absent) and `platform_ca`
 * (the PEM of the CA the modem's TLS session pins). Public values, kept with the identity so one firmware image
 * serves every deployment.
 */
export interface Endpoint {
	readonly host: string;
	readonly port: number;
	readonly caPem: Uint8Array;
}

export type EndpointRead =
	| { readonly ok: true; readonly endpoint?: Endpoint }
	| { readonly ok: false; readonly reason: string };

const hostPattern = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:([1-9][0-9]{0,4}))?$/;
const pemPattern = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?$/;

/** Reads the provisioned endpoint; `endpoint` is absent when the device was provisioned without one. */
export function readEndpoint(store: Store): EndpointRead {
	const host = store.get("platform_host");
	const ca = store.get("platform_ca");
	if (host === undefined && ca === undefined) return { ok: true };
	if (typeof host !== "string" || typeof ca !== "string") return { ok: false, reason: "platform_host and platform_ca must both be strings" };
	const match = hostPattern.exec(host);
	if (!match) return { ok: false, reason: "platform_host is not host[:port]" };
	const port = match[3] !== undefined ? Number(match[3]) : 443;
	if (port > 65535) return { ok: false, reason: "platform_host port out of range" };
	if (!pemPattern.test(ca)) return { ok: false, reason: "platform_ca is not one PEM certificate" };
	const caPem = new Uint8Array(ca.length);
	for (let i = 0; i < ca.length; i++) caPem[i] = ca.charCodeAt(i);
	return { ok: true, endpoint: { host: match[3] !== undefined ? host.slice(0, host.indexOf(":")) : host, port, caPem } };
}
