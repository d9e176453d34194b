/**
 * The microcontroller's own power states. Radio rails belong to the modem drivers (PMU or GPIO); this is about
 * the ESP32: why it woke, what the button did while the chip was booting, and deep sleep with the button as the
 * wake source.
 */
export type WakeCause =
	| "button"      // ext0/ext1 wake from the button's RTC GPIO: the press that woke us is press number one
	| "timer"       // RTC timer wake (not used while dormant; reserved for a bounded retry)
	| "powerOn"     // first power-up or battery insertion
	| "reset"       // software or watchdog reset, brownout: an event in progress must resume
	| "other";

/** A button level change, in the Clock's timebase (ms since boot; may be negative: before the clock started). */
export interface ButtonEdge {
	readonly time: number;
	readonly pressed: boolean;
}

export interface Power {
	/** Why this boot happened. */
	readonly wakeCause: WakeCause;
	/** Button level sampled as early as possible at boot, after the board's polarity is applied. */
	readonly buttonPressedAtBoot: boolean;
	/**
	 * Button edges between the wake and the moment the button driver attached, oldest first, as far as the
	 * platform captured them (a native GPIO interrupt installed at start-up on the device). For a button wake the
	 * first edge is the press that woke the chip. Empty when the platform captured nothing: the driver then
	 * assumes the wake press from `wakeCause` and `buttonPressedAtBoot`.
	 */
	bootButtonEdges(): ButtonEdge[];
	/**
	 * Enters deep sleep with the button as the only wake source. On the device this never returns; simulated
	 * platforms record the request and return, and the caller stops doing work.
	 */
	deepSleep(): void;
	/** Automatic light sleep while awake; absent where the platform has none (the firmware then stays awake). */
	readonly lightSleep?: LightSleep;
}

/**
 * Automatic light sleep between the firmware's waits (ESP-IDF Programming Guide, API Reference > System > Power
 * Management: CONFIG_PM_ENABLE, esp_pm_configure() with light_sleep_enable, FreeRTOS tickless idle): the chip
 * sleeps whenever FreeRTOS has nothing to run, unless a lock is held, and wakes on its timers, the button's GPIO
 * and the modem's UART. While it sleeps its UART receives nothing; a UART wake-up source counts RX edges and loses
 * "the character which triggers wakeup (and any characters before it)" (ESP-IDF v6.0 "Sleep Modes", UART Wakeup
 * (Light-sleep Only)) and, depending on the baud rate, a few after it (driver/uart.h, uart_set_wakeup_threshold()).
 * The simulated world loses bytes the same way (tools/sim/lightSleepUart). So the firmware holds a lock
 * (esp_pm_lock_acquire(ESP_PM_NO_LIGHT_SLEEP)) for as long as it expects bytes from the modem: each driver
 * operation, from its first command to its last awaited reply or URC.
 */
export interface LightSleep {
	/** Turns automatic light sleep on (once, after boot); until then the chip never light-sleeps. */
	enable(): void;
	/** Keeps the chip out of light sleep until the matching release(). Counted: holds nest. */
	hold(): void;
	/** Ends one hold; more releases than holds throw RangeError. */
	release(): void;
}
