/** Protocol constants fixed by docs/protocol.md; the platform uses the same values. */
import { component, type ComponentId } from "modules/protocol/signature";

export const signatureLabel = "enigm";
export const algorithm = "hmac-sha256";
export const requestTag = "enigm-key-v1";
export const responseTag = "enigm-platform-v1";
export const contentType = "application/json";

/** docs/protocol.md §4 */
export const requestComponents: readonly ComponentId[] = Object.freeze([
	component("@method"),
	component("@authority"),
	component("@path"),
	component("content-type"),
	component("content-digest"),
]);

/** docs/protocol.md §5 */
export const responseComponents: readonly ComponentId[] = Object.freeze([
	component("@status"),
	component("content-type"),
	component("content-digest"),
	component("@method", [["req", true]]),
	component("@path", [["req", true]]),
	component("signature", [["req", true], ["key", signatureLabel]]),
]);

export const routes = Object.freeze({
	open: "/v1/events",
	locations: (eventId: string) => `/v1/events/${eventId}/locations`,
	close: (eventId: string) => `/v1/events/${eventId}/close`,
});
