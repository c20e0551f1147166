import { DeviceRegistry } from '../device-api/device-registry.js';
import { debugExitDevice } from './debug-exit.js';
import { i8042Device } from './i8042.js';
import { picDevice } from './pic-8259-pair.js';
import { pitDevice } from './pit-8254.js';
import { postPortDevice } from './post-port.js';
import { rtcDevice } from './rtc-mc146818.js';
import { port92Device } from './system-control-a.js';
import { uartDevice } from './uart-16550.js';

/**
 * The machine Linux needs without a BIOS, as a textual configuration (spec/linux-boot.md §7): PIC,
 * PIT with port 0x61, COM1, RTC, the POST port, port 0x92, the i8042 and the debug-exit port.
 */
export const PC_MACHINE_CONFIG = 'pic pit uart:0x3f8,4 rtc post port92 i8042 debugexit:0xf4';

/**
 * A registry with every device model of this package: `uart`, `pic`, `pit`, `rtc`, `debugexit`,
 * `post`, `port92`, `i8042`. Returns a new registry each call, so callers may `define` their own
 * plugins on it.
 *
 * @example
 * ```ts
 * const board = new Motherboard({ clock: new VirtualClock() });
 * const devices = standardDevices().build(board, PC_MACHINE_CONFIG);
 * ```
 */
export function standardDevices(): DeviceRegistry {
  return new DeviceRegistry([
    uartDevice,
    picDevice,
    pitDevice,
    rtcDevice,
    debugExitDevice,
    postPortDevice,
    port92Device,
    i8042Device,
  ]);
}
