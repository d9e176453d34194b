/**
 * Real NMEA 0183 sentences from public documents, each with where it came from. Checksums are cross-checked in
 * nmea.test.ts by an XOR written there, independent of the parser.
 */

// D. DePriest, "NMEA data" (gpsinformation.org/dale/nmea.htm), the classic worked examples for GGA, RMC and
// GSA, reproduced in gpsd's "NMEA Revealed" and countless parsers. GGA and RMC share the epoch 12:35:19.
export const DEPRIEST_GGA = "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47";
export const DEPRIEST_RMC = "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A";
export const DEPRIEST_GSA = "$GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1*39";

// u-blox 6/M8 Receiver Description including Protocol Specification, NMEA chapter, GGA/RMC/GSA examples
// (different epochs: they illustrate single sentences).
export const UBLOX_GGA = "$GPGGA,092725.00,4717.11399,N,00833.91590,E,1,08,1.01,499.6,M,48.0,M,,*5B";
export const UBLOX_RMC = "$GPRMC,083559.00,A,4717.11437,N,00833.91522,E,0.004,77.52,091202,,,A*57";
export const UBLOX_GSA = "$GPGSA,A,3,23,29,07,08,09,18,26,28,,,,,1.94,1.18,1.54*0D";

// Quectel module AT+QGNSSRD? output, one multi-constellation epoch (GN talker, GPS + BeiDou GSA), published at
// w2.electrodragon.com/Network-dat/location-dat/NEMA-dat/NEMA-dat.md. Order: RMC, VTG, GGA, GSA, GSA, GSV..., GLL.
export const QUECTEL_EPOCH = [
	"$GNRMC,075620.000,A,2234.2809,N,11353.2465,E,0.20,253.84,140525,,,A*7F",
	"$GNVTG,253.84,T,,M,0.20,N,0.38,K,A*22",
	"$GNGGA,075620.000,2234.2809,N,11353.2465,E,1,12,0.91,52.5,M,-2.9,M,,*5F",
	"$GPGSA,A,3,12,19,13,15,05,29,194,06,,,,,1.20,0.91,0.79*3E",
	"$BDGSA,A,3,03,10,07,13,,,,,,,,,1.20,0.91,0.79*11",
	"$GPGSV,3,1,10,50,59,148,30,13,55,166,44,05,52,310,38,15,29,211,34*7F",
	"$GNGLL,2234.2809,N,11353.2465,E,075620.000,A,A*45",
] as const;

// Same page, a u-blox receiver's differential epoch (GGA quality 2, RMC mode D, DGPS station 0000).
export const ELECTRODRAGON_RMC = "$GPRMC,140037.00,A,2234.27140,N,11353.24961,E,0.455,,170126,,,D*79";
export const ELECTRODRAGON_GGA = "$GPGGA,140037.00,2234.27140,N,11353.24961,E,2,04,1.86,80.5,M,-2.9,M,,0000*74";
export const ELECTRODRAGON_GSA = "$GPGSA,A,3,05,11,12,13,,,,,,,,,6.80,1.86,6.54*00";

// u-blox NEO-6M output right after power-on, no fix (chris.cnie.de/avr/neo-6.html).
export const NEO6_NOFIX = [
	"$GPTXT,01,01,02,u-blox ag - www.u-blox.com*50",
	"$GPRMC,,V,,,,,,,,,,N*53",
	"$GPVTG,,,,,,,,,N*30",
	"$GPGGA,,,,,,0,00,99.99,,,,,,*48",
	"$GPGSA,A,1,,,,,,,,,,,,,99.99,99.99,99.99*30",
	"$GPGSV,1,1,00*79",
	"$GPGLL,,,,,,V,N*64",
] as const;

// SIMCom SIM66 Series NMEA Message User Guide V1.01, §2.3.5 RMC example (NMEA 4.10: mode A + nav status V).
export const SIM66_RMC_410 = "$GPRMC,060845.00,A,4004.74005,N,11614.19613,E,0.000,,180817,,,A,V*0B";
// Same guide, §2.4.5 RMC example: as printed, its checksum is wrong (XOR is 0x28, printed 2C) - a real bad one.
export const SIM66_RMC_BAD_CHECKSUM = "$GPRMC,123400.000,A,4002.217821,N,11618.105743,E,0.026,181.631,180411,,E,A*2C";

// ST Teseo no-fix RMC with NMEA 4.10 nav status, quoted in dakejahl/nmea_parser src/nmea_format.hpp.
export const TESEO_RMC_NOFIX = "$GNRMC,,V,,,,,,,,,,N,V*37";

// Southern and western hemispheres: DePriest's other RMC examples (NMEA 2.x, 11 fields).
export const RMC_SOUTH = "$GPRMC,081836,A,3751.65,S,14507.36,E,000.0,360.0,130998,011.3,E*62";
export const RMC_WEST = "$GPRMC,225446,A,4916.45,N,12311.12,W,000.5,054.7,191194,020.3,E*68";

// MultiTech Universal IP AT Commands Reference Guide (S000457H), p. 93, GGA example with milliseconds.
export const MULTITECH_GGA = "$GPGGA,111636.932,2447.0949,N,12100.5223,E,1,11,0.8,118.2,M,,,,0000*02";
