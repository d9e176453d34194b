/** ECMA-419 host provider of the lilygo_t_sim7000g board: Moddable's IO classes bound to boards/lilygo_t_sim7000g/board. */
import Digital from "embedded:io/digital";
import Serial from "embedded:io/serial";
import type { DigitalClass, SerialClass } from "drivers/io";
import { createBoard } from "boards/lilygo_t_sim7000g/board";

const device = createBoard({
	Digital: Digital as unknown as DigitalClass,
	Serial: Serial as unknown as SerialClass,
});

export default device;
