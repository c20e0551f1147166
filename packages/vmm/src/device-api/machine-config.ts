import { DeviceConfigError } from '../errors.js';

/** One device in a parsed machine configuration. */
export interface DeviceSpecText {
  /** The device model's name (`uart`). */
  readonly device: string;
  /** Positional values, in order (`0x3f8`, `4`); an empty string keeps the default. */
  readonly positional: readonly string[];
  /** `key=value` pairs, in order. */
  readonly named: readonly (readonly [string, string])[];
  /** The item as written, for error messages. */
  readonly text: string;
}

const NAME = /^[a-z][a-z0-9-]*$/;

/**
 * Parses a textual machine configuration: devices separated by white space, each
 * `name[:value,value,key=value…]`; `#` starts a comment that runs to the end of the line.
 * Positional values come before named ones. Throws {@link DeviceConfigError} `SYNTAX` naming the
 * offending item.
 *
 * @example
 * ```ts
 * parseMachineConfig('uart:0x3f8,4 pic pit rtc:time=0 debugexit:0xf4');
 * // [{ device: 'uart', positional: ['0x3f8', '4'], named: [] }, { device: 'pic', … }, …]
 * ```
 */
export function parseMachineConfig(text: string): DeviceSpecText[] {
  const items = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join(' ')
    .split(/\s+/)
    .filter((s) => s !== '');
  return items.map((item) => {
    const colon = item.indexOf(':');
    const device = colon < 0 ? item : item.slice(0, colon);
    if (!NAME.test(device)) {
      throw new DeviceConfigError(
        'SYNTAX',
        `'${item}': '${device}' is not a device name (letters, digits and '-', starting with a letter)`,
      );
    }
    const positional: string[] = [];
    const named: [string, string][] = [];
    if (colon >= 0) {
      const args = item.slice(colon + 1).split(',');
      for (const arg of args) {
        const eq = arg.indexOf('=');
        if (eq < 0) {
          if (named.length > 0) {
            throw new DeviceConfigError(
              'SYNTAX',
              `'${item}': positional value '${arg}' after a named one (write positional values first)`,
            );
          }
          positional.push(arg);
        } else {
          const key = arg.slice(0, eq);
          const value = arg.slice(eq + 1);
          if (!NAME.test(key) || value === '') {
            throw new DeviceConfigError('SYNTAX', `'${item}': '${arg}' is not of the form key=value`);
          }
          named.push([key, value]);
        }
      }
    }
    return { device, positional, named, text: item };
  });
}
