/**
 * The microcontroller's own power states. Radio rails belong to the modem drivers (PMU or GPIO); this is about
 * the ESP32: why it woke, the button level at boot, and deep sleep with the button as the wake source.
 */
export type WakeCause =
	| "button"      // ext0/ext1 wake from the button's RTC GPIO: the press that woke us is press number one
	| "timer"       // RTC timer wake (not used while dormant; reserved for a bounded retry)
	| "powerOn"     // first power-up or battery insertion
	| "reset"       // software or watchdog reset, brownout: an event in progress must resume
	| "other";

export interface Power {
	/** Why this boot happened. */
	readonly wakeCause: WakeCause;
	/** Button level sampled as early as possible at boot (1 = pressed, after the board's polarity is applied). */
	readonly buttonPressedAtBoot: boolean;
	/** Milliseconds between the wake edge and the moment `buttonPressedAtBoot` was sampled, if the platform knows. */
	readonly bootLatencyMs: number;
	/**
	 * Enters deep sleep with the button as the only wake source. On the device this never returns; simulated
	 * platforms record the request and return, and the caller stops doing work.
	 */
	deepSleep(): void;
}
