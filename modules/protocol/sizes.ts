/**
 * Byte counts of every message, for the size report (docs/protocol.md §7): bodies and whole HTTP requests as the
 * modem sends them, for a representative event (created present, 9-digit nonce, full fix).
 */
import type { Fix } from "drivers/gnss/fix";
import type { Keystore } from "hal/keystore";
import { HmacSha256 } from "modules/protocol/sha256";
import { capturePoint, encodeClose, encodeLocationBatch, encodeOpen, type Point } from "modules/protocol/messages";
import { serializeRequest } from "modules/protocol/http";
import RequestSigner from "modules/protocol/requestSigner";
import { routes } from "modules/protocol/constants";

export interface MessageSizes {
	readonly openBody: number;
	readonly openRequest: number;
	readonly locationBody1: number;
	readonly locationRequest1: number;
	readonly locationBody10: number;
	readonly locationRequest10: number;
	readonly perPoint: number;
	readonly closeBody: number;
	readonly closeRequest: number;
	readonly signatureHeaders: number;
}

export function messageSizes(host = "platform.example"): MessageSizes {
	const hmac = new HmacSha256(new Uint8Array(32));
	const keystore: Keystore = { deviceId: "0123456789abcdef0123456789abcdef", hmacSha256: (m) => hmac.mac(m), close: () => hmac.close() };
	let nonce = 123_456_789;
	const signer = new RequestSigner({ keystore, counter: { next: () => nonce++ }, host, wallTime: () => 1_763_783_105_000 });
	const event = "9d2e41f07ab35c6680e1d4f2a7c9b053";
	const fix: Fix = { time: 1_763_783_100_000, lat: -33.8567844, lon: 151.2152967, altitude: 58, accuracy: 12, satellites: 11, quality: "3d", source: "gnss" };
	const points: Point[] = [];
	for (let i = 1; i <= 10; i++) points.push(capturePoint(keystore, event, i, { ...fix, time: fix.time + i * 30_000 }));
	const size = (path: string, body: Uint8Array) => {
		const r = signer.sign(path, body);
		if (!r.ok) throw new Error(r.error);
		return serializeRequest(r.request).length;
	};
	const open = encodeOpen({
		event, reason: "button", resumed: false, stages: { press: 0, wake: 850, modem: 4100, attach: 14200, tls: 16900 },
		fix, cell: { mcc: 505, mnc: 1, tac: 12345, cellId: 123456789, rsrp: -97, accessTechnology: "lte-m" },
		battery: { millivolts: 3912, percent: 78 },
	});
	const one = encodeLocationBatch(points.slice(0, 1));
	const ten = encodeLocationBatch(points);
	const close = encodeClose("cancel");
	const closeRequest = size(routes.close(event), close);
	const r = signer.sign(routes.close(event), close);
	let sigHeaders = 0;
	if (r.ok) for (const [n, v] of r.request.headers) if (n.startsWith("Signature")) sigHeaders += n.length + 2 + v.length + 2;
	const sizes = {
		openBody: open.length,
		openRequest: size(routes.open, open),
		locationBody1: one.length,
		locationRequest1: size(routes.locations(event), one),
		locationBody10: ten.length,
		locationRequest10: size(routes.locations(event), ten),
		perPoint: Math.round((ten.length - one.length) / 9),
		closeBody: close.length,
		closeRequest,
		signatureHeaders: sigHeaders,
	};
	hmac.close();
	return sizes;
}
