/**
 * `embedded:provider/builtin` (ECMA-419 host provider): the simulated host's IO classes and default buses, shaped
 * like Moddable's `build/devices/esp32/targets/*\/host/provider.js`.
 */
import Digital from "./digital";
import I2C from "./i2c";
import Serial from "./serial";

const device = Object.freeze({
	io: Object.freeze({ Digital, I2C, Serial }),
	pin: Object.freeze({}),
	I2C: Object.freeze({ default: Object.freeze({ io: I2C, data: 21, clock: 22, port: 0 }) }),
	Serial: Object.freeze({ default: Object.freeze({ io: Serial, port: 0, receive: 3, transmit: 1 }) }),
});

export default device;
