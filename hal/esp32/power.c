/*
 * Deep sleep with the button as the only wake source, the wake cause, and the button level at boot (ESP-IDF v6.0).
 * Moddable has no deep-sleep API (it only exposes the reset reason), hence this native module. Moddable compiles
 * native code with -Wno-implicit-function-declaration, so every ESP-IDF call used here has its header included:
 * a misspelt call must fail to compile, not at link time.
 *
 * ESP-IDF "Sleep Modes": ext0 wakes on one RTC GPIO at a given level and needs the RTC peripherals powered during
 * sleep when internal pulls are used; ext1 wakes on a mask of RTC GPIOs. v6.0 deprecates
 * esp_sleep_get_wakeup_cause() for esp_sleep_get_wakeup_causes(), a bitmask of BIT(esp_sleep_source_t).
 */
#include "xsmc.h"
#include "xsHost.h"

#include <stdint.h>
#include <stdbool.h>

#include "soc/soc_caps.h"
#include "driver/gpio.h"
#include "driver/rtc_io.h"
#include "esp_sleep.h"
#include "esp_system.h"

static bool enigm_valid_pin(int pin)
{
	return (pin >= 0) && (pin < GPIO_NUM_MAX) && GPIO_IS_VALID_GPIO((gpio_num_t)pin) && rtc_gpio_is_valid_gpio((gpio_num_t)pin);
}

static int enigm_pin_arg(xsMachine *the, int index)
{
	if (xsmcArgc <= index)
		xsRangeError("missing pin");
	if (xsIntegerType != xsmcTypeOf(xsArg(index)) && xsNumberType != xsmcTypeOf(xsArg(index)))
		xsRangeError("invalid pin");
	int pin = xsmcToInteger(xsArg(index));
	if (!enigm_valid_pin(pin))
		xsRangeError("pin is not an RTC GPIO");
	return pin;
}

static bool enigm_bool_arg(xsMachine *the, int index, const char *message)
{
	if ((xsmcArgc <= index) || (xsBooleanType != xsmcTypeOf(xsArg(index))))
		xsRangeError("%s", message);
	return xsmcToBoolean(xsArg(index));
}

/* wakeCause(): "button" | "timer" | "powerOn" | "reset" | "other" */
void xs_enigm_power_wake_cause(xsMachine *the)
{
	uint32_t causes = esp_sleep_get_wakeup_causes();
	const char *cause;

	if (causes & (BIT(ESP_SLEEP_WAKEUP_EXT0) | BIT(ESP_SLEEP_WAKEUP_EXT1) | BIT(ESP_SLEEP_WAKEUP_GPIO)))
		cause = "button";
	else if (causes & BIT(ESP_SLEEP_WAKEUP_TIMER))
		cause = "timer";
	else {
		switch (esp_reset_reason()) {
			case ESP_RST_POWERON:
				cause = "powerOn";
				break;
			case ESP_RST_SW:
			case ESP_RST_PANIC:
			case ESP_RST_INT_WDT:
			case ESP_RST_TASK_WDT:
			case ESP_RST_WDT:
			case ESP_RST_BROWNOUT:
			case ESP_RST_EXT:
				cause = "reset";
				break;
			default:
				cause = "other";
				break;
		}
	}
	xsmcSetString(xsResult, (char *)cause);
}

/*
 * sampleButton(pin, pullUp): releases the RTC hold and RTC mux that deep sleep left on the pin, makes it a plain
 * input with the board's pull, and returns its raw level (0 | 1). Called once, as early as the module loads.
 */
void xs_enigm_power_sample_button(xsMachine *the)
{
	int pin = enigm_pin_arg(the, 0);
	bool pullUp = enigm_bool_arg(the, 1, "invalid pullUp");

	rtc_gpio_hold_dis((gpio_num_t)pin);
	rtc_gpio_deinit((gpio_num_t)pin);

	gpio_config_t config = {
		.pin_bit_mask = 1ULL << pin,
		.mode = GPIO_MODE_INPUT,
		.pull_up_en = pullUp ? GPIO_PULLUP_ENABLE : GPIO_PULLUP_DISABLE,
		.pull_down_en = pullUp ? GPIO_PULLDOWN_DISABLE : GPIO_PULLDOWN_ENABLE,
		.intr_type = GPIO_INTR_DISABLE,
	};
	if (ESP_OK != gpio_config(&config))
		xsUnknownError("gpio_config failed");
	xsmcSetInteger(xsResult, gpio_get_level((gpio_num_t)pin) ? 1 : 0);
}

/*
 * deepSleep(pin, activeLow): arms the button as the only wake source and sleeps; does not return on success.
 * The pull that holds the button released is kept through sleep by the RTC IO domain (rtc_gpio_pullup_en and
 * ESP_PD_DOMAIN_RTC_PERIPH on), so a floating pin cannot wake the chip.
 */
void xs_enigm_power_deep_sleep(xsMachine *the)
{
	int pin = enigm_pin_arg(the, 0);
	bool activeLow = enigm_bool_arg(the, 1, "invalid activeLow");
	esp_err_t err;

	esp_sleep_disable_wakeup_source(ESP_SLEEP_WAKEUP_ALL);

	if (ESP_OK != rtc_gpio_init((gpio_num_t)pin))
		xsUnknownError("rtc_gpio_init failed");
	rtc_gpio_set_direction((gpio_num_t)pin, RTC_GPIO_MODE_INPUT_ONLY);
	if (activeLow) {
		rtc_gpio_pulldown_dis((gpio_num_t)pin);
		rtc_gpio_pullup_en((gpio_num_t)pin);
	}
	else {
		rtc_gpio_pullup_dis((gpio_num_t)pin);
		rtc_gpio_pulldown_en((gpio_num_t)pin);
	}

#if SOC_PM_SUPPORT_EXT0_WAKEUP
	esp_sleep_pd_config(ESP_PD_DOMAIN_RTC_PERIPH, ESP_PD_OPTION_ON);
	err = esp_sleep_enable_ext0_wakeup((gpio_num_t)pin, activeLow ? 0 : 1);
#elif SOC_PM_SUPPORT_EXT1_WAKEUP
	err = esp_sleep_enable_ext1_wakeup_io(1ULL << pin, activeLow ? ESP_EXT1_WAKEUP_ANY_LOW : ESP_EXT1_WAKEUP_ANY_HIGH);
#else
	#error "this chip has neither ext0 nor ext1 wake-up (ESP32-C3 and others wake through GPIO wake-up instead)"
#endif
	if (ESP_OK != err)
		xsUnknownError("wake-up source refused");

	esp_deep_sleep_start();
}

/*
 * Automatic light sleep (ESP-IDF Programming Guide, API Reference > System > Power Management): with
 * CONFIG_PM_ENABLE and CONFIG_FREERTOS_USE_TICKLESS_IDLE (boards' sdkconfig.defaults), esp_pm_configure() with
 * light_sleep_enable lets the chip light-sleep whenever FreeRTOS idles; FreeRTOS timers wake it (tickless idle).
 * A lock of type ESP_PM_NO_LIGHT_SLEEP keeps it awake while held; acquire/release are counted per lock.
 * The button is armed as a GPIO wake-up so a press during light sleep wakes the chip ("Sleep Modes", GPIO Wakeup,
 * light sleep only). No UART wake-up: the firmware holds the lock whenever it expects bytes from the modem, and a
 * UART wake loses "the character which triggers wakeup (and any characters before it)" (ESP-IDF v6.0
 * docs/en/api-reference/system/sleep_modes.rst, "UART Wakeup (Light-sleep Only)"; the ESP32-S3 has only that
 * active-edge-threshold mode, soc_caps.h SOC_UART_WAKEUP_SUPPORT_ACTIVE_THRESH_MODE) and a few after it
 * (driver/uart.h, uart_set_wakeup_threshold()); on the classic ESP32 UART1 wakes the chip only through GPIO9, not
 * the T-SIM7000G's GPIO26. Unsolicited lines that arrive between operations are therefore lost: the drivers ask
 * the modem for the state they would have told (ModemBase.confirmData). tools/sim/lightSleepUart models this.
 * Not yet run on hardware: the bench's light-sleep figures rest on this code doing what the guide describes.
 */
#include "esp_pm.h"
#include "sdkconfig.h"

static esp_pm_lock_handle_t enigm_awake_lock = NULL;

/* lightSleepEnable(pin, activeLow) */
void xs_enigm_power_light_sleep_enable(xsMachine *the)
{
#if CONFIG_PM_ENABLE && CONFIG_FREERTOS_USE_TICKLESS_IDLE
	int pin = enigm_pin_arg(the, 0);
	bool activeLow = enigm_bool_arg(the, 1, "invalid activeLow");

	if (NULL == enigm_awake_lock) {
		if (ESP_OK != esp_pm_lock_create(ESP_PM_NO_LIGHT_SLEEP, 0, "enigm-modem", &enigm_awake_lock))
			xsUnknownError("esp_pm_lock_create failed");
	}
	if (ESP_OK != gpio_wakeup_enable((gpio_num_t)pin, activeLow ? GPIO_INTR_LOW_LEVEL : GPIO_INTR_HIGH_LEVEL))
		xsUnknownError("gpio_wakeup_enable failed");
	if (ESP_OK != esp_sleep_enable_gpio_wakeup())
		xsUnknownError("esp_sleep_enable_gpio_wakeup failed");
	esp_pm_config_t config = {
		.max_freq_mhz = CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ,
		.min_freq_mhz = CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ,
		.light_sleep_enable = true,
	};
	if (ESP_OK != esp_pm_configure(&config))
		xsUnknownError("esp_pm_configure failed");
	xsmcSetTrue(xsResult);
#else
	xsmcSetFalse(xsResult); /* built without power management: the chip stays awake */
#endif
}

void xs_enigm_power_light_sleep_hold(xsMachine *the)
{
	if (enigm_awake_lock && (ESP_OK != esp_pm_lock_acquire(enigm_awake_lock)))
		xsUnknownError("esp_pm_lock_acquire failed");
}

void xs_enigm_power_light_sleep_release(xsMachine *the)
{
	if (enigm_awake_lock && (ESP_OK != esp_pm_lock_release(enigm_awake_lock)))
		xsUnknownError("esp_pm_lock_release failed");
}
