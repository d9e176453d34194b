/** ECMA-419 host provider of the lilygo_t_sim7080g_s3 board: Moddable's IO classes bound to boards/lilygo_t_sim7080g_s3/board. */
import Digital from "embedded:io/digital";
import I2C from "embedded:io/i2c";
import Serial from "embedded:io/serial";
import type { DigitalClass, I2CClass, SerialClass } from "drivers/io";
import { createBoard } from "boards/lilygo_t_sim7080g_s3/board";

const device = createBoard({
	Digital: Digital as unknown as DigitalClass,
	I2C: I2C as unknown as I2CClass,
	Serial: Serial as unknown as SerialClass,
});

export default device;
