import type { Fix } from "drivers/gnss/fix";
import type { CloseReason } from "modules/sos/messages";

/**
 * What the SOS runner needs from the rest of the firmware, as interfaces: modules/ never reaches a driver
 * directly (the layout's import rule). main.ts adapts the modem, GNSS and protocol layers to these; tests and the
 * simulator pass scripted implementations. Every method resolves with a result, never rejects.
 */
export type StepResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface RadioPort {
	/**
	 * Power the modem with its RF off (AT+CFUN=4): the boot then overlaps the rest of the gesture, and nothing
	 * reaches the air unless wake() follows. A powerDown() after it is a false start's only cost.
	 */
	prepare(): Promise<StepResult>;
	/** Power the modem, register on the network, bring up data and the platform connection. */
	wake(): Promise<StepResult>;
	/** Close connections and power the radios down (rails off on PMU boards). */
	powerDown(): Promise<void>;
}

export type FixResult = { readonly ok: true; readonly fix: Fix } | { readonly ok: false; readonly reason: string };

export interface GnssPort {
	/** One GNSS window: resolves with a fix or, when the window times out, `ok: false`. */
	acquire(): Promise<FixResult>;
}

/** An authenticated platform answer, or why there was none. */
export type PlatformReply =
	| { readonly ok: true; readonly state: "open" | "closed" | "revoked" | "suspended"; readonly intervalMs?: number }
	| { readonly ok: false; readonly reason: string; readonly retryable: boolean };

export interface PlatformPort {
	/** `test`: send `reason: "test"` (account association; the platform notifies nobody). */
	openEvent(eventId: string, resumed: boolean, test?: boolean): Promise<PlatformReply>;
	/** A fix, or a serving-cell report when `fix` is undefined. Undelivered points are kept and sent later. */
	sendLocation(eventId: string, fix?: Fix): Promise<PlatformReply>;
	closeEvent(eventId: string, reason: CloseReason): Promise<PlatformReply>;
	/**
	 * The event is over on the device (dormant again, or revoked): whatever it still owes the platform will never be
	 * sent, and is counted as dropped. Called whether or not a close request went out.
	 */
	eventEnded?(eventId: string): void;
}
