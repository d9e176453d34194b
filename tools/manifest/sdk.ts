/**
 * Stand-ins for the Moddable SDK manifests the firmware includes, so CI resolves manifests without the SDK. Each
 * keeps, from the SDK 8.2.3 file (commit 48ee02d) it is named after, only what decides the firmware's module map:
 * its includes (order kept), the module names it maps (source `sdk:<SDK path>`), its platform sections and
 * preloads. Where the SDK maps a project file (`$(SUBPLATFORMDIRECTORY)/host/provider`, the external target's own
 * manifest through `$(SUBPLATFORMMANIFEST)`), the stand-in does too. `types` names the TypeScript declarations of
 * an SDK module (node_modules/@moddable/typings or typings/), used for the per-target type check.
 */
import type { Manifest } from "./resolve";

export const sdkManifests: Readonly<Record<string, Manifest>> = {
	// examples/manifest_base.json: the device manifest per platform ("esp32": $(BUILD)/devices/esp32/manifest.json;
	// "lin"/"mac"/"win": $(BUILD_SIMULATOR)/manifest.json).
	"$(MODDABLE)/examples/manifest_base.json": {
		platforms: {
			esp32: { include: "$(BUILD)/devices/esp32/manifest.json" },
			lin: { include: "$(BUILD_SIMULATOR)/manifest.json" },
			mac: { include: "$(BUILD_SIMULATOR)/manifest.json" },
			win: { include: "$(BUILD_SIMULATOR)/manifest.json" },
		},
	},
	// build/devices/esp32/manifest.json: preference, time and timer; "esp32/*" includes the subplatform manifest.
	"$(BUILD)/devices/esp32/manifest.json": {
		include: ["$(MODULES)/files/preference/manifest.json"],
		modules: { time: "sdk:$(MODULES)/base/time/time", timer: "sdk:$(MODULES)/base/timer/timer" },
		preload: ["time", "timer"],
		platforms: { "esp32/*": { include: "$(SUBPLATFORMMANIFEST)" } },
	},
	// build/simulators/manifest.json
	"$(BUILD_SIMULATOR)/manifest.json": {
		modules: { time: "sdk:$(MODULES)/base/time/time", timer: "sdk:$(MODULES)/base/timer/timer" },
		preload: ["time", "timer"],
	},
	// modules/io/manifest.json -> manifests/<platform>/manifest.json
	"$(MODDABLE)/modules/io/manifest.json": {
		platforms: {
			esp32: { include: "$(IO)/manifests/esp32/manifest.json" },
			lin: { include: "$(IO)/manifests/lin/manifest.json" },
			mac: { include: "$(IO)/manifests/lin/manifest.json" },
			win: { include: "$(IO)/manifests/lin/manifest.json" },
		},
	},
	// modules/io/manifests/esp32/manifest.json and the $(IO)/<class>/manifest.json files it includes.
	"$(IO)/manifests/esp32/manifest.json": {
		modules: {
			"embedded:io/analog": "sdk:$(IO)/analog/esp32/analog",
			"embedded:io/digital": "sdk:$(IO)/digital/digital",
			"embedded:io/digitalbank": "sdk:$(IO)/digital/digitalbank",
			"embedded:io/i2c": "sdk:$(IO)/i2c/_i2c",
			"embedded:io/pulsewidth": "sdk:$(IO)/pulsewidth/esp32/pulsewidth",
			"embedded:io/pulsecount": "sdk:$(IO)/pulsecount/esp32/pulsecount",
			"embedded:io/pwm": "sdk:$(IO)/pwm/pwm",
			"embedded:io/serial": "sdk:$(IO)/serial/esp32/serial",
			"embedded:io/spi": "sdk:$(IO)/spi/spi",
			system: "sdk:$(IO)/system/system",
		},
		platforms: {
			"esp32/*": {
				modules: {
					"embedded:provider/builtin": "$(SUBPLATFORMDIRECTORY)/host/provider",
					"embedded:io/socket/tcp": "sdk:$(IO)/socket/lwip/tcp",
					"embedded:io/socket/udp": "sdk:$(IO)/socket/lwip/udp",
					"embedded:io/socket/listener": "sdk:$(IO)/socket/lwip/listener",
				},
				preload: ["embedded:io/socket/tcp", "embedded:io/socket/udp", "embedded:io/socket/listener"],
			},
		},
	},
	// modules/io/manifests/lin/manifest.json (+ modules/io/serial/manifest.json): no digital or I2C on lin.
	"$(IO)/manifests/lin/manifest.json": {
		modules: {
			system: "sdk:$(IO)/manifests/lin/system",
			"embedded:io/serial": "sdk:$(IO)/serial/lin/serial",
			"embedded:io/socket/tcp": "sdk:$(MODDABLE)/modules/io/socket/lin/tcp",
			"embedded:io/socket/listener": "sdk:$(MODDABLE)/modules/io/socket/lin/listener",
			"embedded:io/socket/udp": "sdk:$(MODDABLE)/modules/io/socket/lin/udp",
		},
		preload: ["system", "embedded:io/socket/tcp", "embedded:io/socket/listener", "embedded:io/socket/udp"],
	},
	// modules/files/preference/manifest.json: "preference" per platform; lin also includes files/file.
	"$(MODDABLE)/modules/files/preference/manifest.json": {
		platforms: {
			esp32: { modules: { preference: "sdk:$(MODULES)/files/preference/esp32/preference" }, preload: ["preference"] },
			lin: { include: ["$(MODULES)/files/file/manifest.json"], modules: { preference: "sdk:$(MODULES)/files/preference/lin/preference" } },
			mac: { modules: { preference: "sdk:$(MODULES)/files/preference/mac/preference" }, preload: ["preference"] },
			win: { modules: { preference: "sdk:$(MODULES)/files/preference/win/preference" }, preload: ["preference"] },
		},
	},
	"$(MODULES)/files/file/manifest.json": {
		modules: { file: "sdk:$(MODULES)/files/file/file" },
	},
};

/** Spellings of the same SDK manifest (mcconfig resolves $(MODULES) to $(MODDABLE)/modules first). */
export function sdkManifestKey(path: string): string {
	return path.replace("$(MODULES)/files/preference/manifest.json", "$(MODDABLE)/modules/files/preference/manifest.json");
}

/** Declarations of SDK modules for the type check (paths relative to the repository root). */
export const sdkTypes: Readonly<Record<string, readonly string[]>> = {
	"embedded:io/digital": ["node_modules/@moddable/typings/embedded_io/_common.d.ts", "node_modules/@moddable/typings/embedded_io/digital.d.ts"],
	"embedded:io/i2c": ["node_modules/@moddable/typings/embedded_io/_common.d.ts", "node_modules/@moddable/typings/embedded_io/i2c.d.ts"],
	"embedded:io/serial": ["node_modules/@moddable/typings/embedded_io/_common.d.ts", "typings/embedded_io/serial.d.ts"],
	"embedded:io/socket/tcp": ["node_modules/@moddable/typings/embedded_io/_common.d.ts", "node_modules/@moddable/typings/embedded_io/socket/tcp.d.ts"],
	preference: ["node_modules/@moddable/typings/preference.d.ts"],
	time: ["node_modules/@moddable/typings/time.d.ts"],
	timer: ["node_modules/@moddable/typings/timer.d.ts"],
	file: ["typings/file.d.ts"],
	"mc/config": ["node_modules/@moddable/typings/mc/config.d.ts"],
};

/**
 * Declarations every target gets: the XS globals (trace, native, harden...). Not typings/embedded_provider: an
 * ambient `declare module` would win over the mapped host/provider file, and hide a target that maps none.
 */
export const globalTypes: readonly string[] = ["node_modules/@moddable/typings/xs.d.ts", "typings/xs-native.d.ts"];
