/**
 * The device's provisioned NVS content, shared with the firmware (hal/keystore reads it through Moddable's
 * Preference, domain = NVS namespace). Only u8, i32, string and blob entries: Preference on ESP32 reads those
 * four types and throws on any other (moddable.md). Numbers are i32, never u8: modPreference.c (esp32) returns a u8
 * entry as a boolean (nvs_get_u8 -> xsmcSetBoolean), so a u8 5 would read back as `true` (docs/protocol.md §1).
 */
import { KeyStoreCode, type KeyStore } from "./boards";
import { moddableReadableTypes, type NvsItem, type ParsedImage } from "./nvs";

export const NAMESPACE = "enigm";
export const SCHEMA = 1;
export const DEVICE_ID = /^[0-9a-f]{32}$/;

/**
 * The platform a batch of devices talks to, written into each image (`platform_host`, `platform_ca` strings): the
 * host name the modem connects to and signs (`@authority`, `:port` when not 443) and the PEM of the CA its TLS
 * session pins. Both are public; a device built without them falls back to its firmware's manifest config.
 */
export interface PlatformEndpoint {
	host: string;
	ca: string;
}

export const PLATFORM_HOST = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:[1-9][0-9]{0,4})?$/;

/** Why an endpoint cannot go into an image, or undefined. NVS strings hold at most 4000 bytes with their NUL. */
export function endpointProblem(e: PlatformEndpoint): string | undefined {
	if (!PLATFORM_HOST.test(e.host)) return "platform host must be a lowercase host name, with :port when not 443";
	const port = e.host.includes(":") ? Number(e.host.slice(e.host.indexOf(":") + 1)) : 443;
	if (port > 65535) return "platform port must be 1..65535";
	if (!/^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?$/.test(e.ca)) return "platform CA must be one PEM certificate";
	if (e.ca.length > 3999) return "platform CA PEM exceeds the 4000-byte NVS string limit";
	return undefined;
}

export interface DeviceIdentity {
	deviceId: string;
	board: string;
	keyStore: KeyStore;
	/** 32-byte HMAC key; stored in NVS only when keyStore is "nvs". */
	hmacKey?: Uint8Array;
	/** eFuse key block n of BLOCK_KEYn (= hmac_key_id_t HMAC_KEYn) when keyStore is "efuse". */
	efuseBlock?: number;
	platform?: PlatformEndpoint;
}

/** Entries in write order: schema, board, device_id, key_store, then hmac_key (NVS) or efuse_block (eFuse). */
export function deviceNvsItems(d: DeviceIdentity): NvsItem[] {
	if (!DEVICE_ID.test(d.deviceId)) throw new RangeError("device id must be 32 lowercase hex characters");
	const items: NvsItem[] = [
		{ namespace: NAMESPACE, key: "schema", type: "i32", value: SCHEMA },
		{ namespace: NAMESPACE, key: "board", type: "string", value: d.board },
		{ namespace: NAMESPACE, key: "device_id", type: "string", value: d.deviceId },
		{ namespace: NAMESPACE, key: "key_store", type: "i32", value: KeyStoreCode[d.keyStore] },
	];
	if (d.keyStore === "nvs") {
		if (d.hmacKey?.length !== 32) throw new RangeError("NVS key store needs a 32-byte key");
		items.push({ namespace: NAMESPACE, key: "hmac_key", type: "blob", value: d.hmacKey });
	} else {
		if (d.hmacKey !== undefined) throw new RangeError("an eFuse-stored key must not go into NVS");
		const block = d.efuseBlock ?? -1;
		if (!Number.isInteger(block) || block < 0 || block > 5) throw new RangeError("eFuse key block must be 0..5");
		items.push({ namespace: NAMESPACE, key: "efuse_block", type: "i32", value: block });
	}
	if (d.platform) {
		const problem = endpointProblem(d.platform);
		if (problem) throw new RangeError(problem);
		items.push({ namespace: NAMESPACE, key: "platform_host", type: "string", value: d.platform.host });
		items.push({ namespace: NAMESPACE, key: "platform_ca", type: "string", value: d.platform.ca });
	}
	return items;
}

/** Problems with the `enigm` namespace of a parsed image (empty when it is a valid provisioned device). */
export function checkDeviceImage(image: ParsedImage): string[] {
	const problems: string[] = [];
	const mine = image.entries.filter((e) => e.namespace === NAMESPACE);
	if (mine.length === 0) return [`no "${NAMESPACE}" namespace`];
	for (const e of mine)
		if (!moddableReadableTypes.has(e.type)) problems.push(`${e.key}: type ${e.type} is not readable by Moddable Preference`);
	const get = (key: string) => mine.find((e) => e.key === key);
	const expect = (key: string, type: string) => {
		const e = get(key);
		if (!e) problems.push(`${key}: missing`);
		else if (e.type !== type) problems.push(`${key}: expected ${type}, found ${e.type}`);
		return e;
	};
	const schema = expect("schema", "i32");
	if (schema && schema.value !== SCHEMA) problems.push(`schema: expected ${SCHEMA}`);
	expect("board", "string");
	const id = expect("device_id", "string");
	if (id && typeof id.value === "string" && !DEVICE_ID.test(id.value)) problems.push("device_id: not 32 lowercase hex characters");
	const store = expect("key_store", "i32");
	if (store?.value === KeyStoreCode.nvs) {
		const key = expect("hmac_key", "blob");
		if (key && key.value instanceof Uint8Array && key.value.length !== 32) problems.push("hmac_key: not 32 bytes");
		if (get("efuse_block")) problems.push("efuse_block: present with key_store = 1 (NVS)");
	} else if (store?.value === KeyStoreCode.efuse) {
		const block = expect("efuse_block", "i32");
		if (block && typeof block.value === "number" && (block.value < 0 || block.value > 5)) problems.push("efuse_block: not 0..5");
		if (get("hmac_key")) problems.push("hmac_key: present although the key is in eFuse");
	} else if (store) problems.push("key_store: not 1 (NVS) or 2 (eFuse)");
	const host = get("platform_host");
	const ca = get("platform_ca");
	if (Boolean(host) !== Boolean(ca)) problems.push("platform_host and platform_ca: one without the other");
	else if (host && ca) {
		if (host.type !== "string" || ca.type !== "string") problems.push("platform_host/platform_ca: expected string");
		else {
			const problem = endpointProblem({ host: String(host.value), ca: String(ca.value) });
			if (problem) problems.push(`platform endpoint: ${problem}`);
		}
	}
	return problems;
}
