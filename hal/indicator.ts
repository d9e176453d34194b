/** User feedback: an LED and/or a haptic motor. Patterns are named by meaning, not by blink timing. */
export type IndicatorPattern =
	| "off"
	| "accepted"    // triple press recognised: the user knows the device heard them
	| "working"     // waking radios, connecting
	| "alerted"     // platform acknowledged the alert: contacts are being notified
	| "failed"      // alert could not be delivered (yet); retrying
	| "refused";    // revoked device: it will not raise an alert

export interface Indicator {
	show(pattern: IndicatorPattern): void;
}
