import { describe, expect, it } from 'vitest';
import { BusError, DeviceConfigError } from '../errors.js';
import { Motherboard } from '../motherboard.js';
import { type DeviceDefinition, type DeviceHooks, defineDevice } from './define-device.js';
import { DeviceRegistry } from './device-registry.js';

const SCRATCH_PARAMS = {
  base: { type: 'number', help: 'I/O port', default: 0x510, hex: true, min: 0, max: 0xffff },
  width: { type: 'enum', help: 'register width', values: ['8', '16'], default: '8' },
  sticky: { type: 'boolean', help: 'keep the value across resets', default: false },
  label: { type: 'string', help: 'a name shown by describe' },
} as const;

interface Scratch extends DeviceHooks {
  value: number;
}

/** The example plugin of defineDevice's documentation, extended by a few parameter types. */
const scratchDevice: DeviceDefinition<typeof SCRATCH_PARAMS, Scratch> = defineDevice({
  name: 'scratch',
  summary: 'one read/write register',
  params: SCRATCH_PARAMS,
  create({ board, name }, { base, width, sticky, label }) {
    const dev: Scratch = {
      value: 0,
      reset: () => {
        if (!sticky) dev.value = 0;
      },
      describe: () => `${name} (${label}): ${dev.value}`,
    };
    board.io.register({
      owner: name,
      base,
      length: width === '16' ? 2 : 1,
      impl: width === '16' ? { min: 2, max: 2 } : { min: 1, max: 1 },
      handler: {
        read: (a) => {
          a.value = dev.value;
          return true;
        },
        write: (a) => {
          dev.value = a.value;
          return true;
        },
      },
    });
    return dev;
  },
});

const bare = defineDevice({
  name: 'bare',
  summary: 'a plugin without hooks',
  params: {},
  create: () => ({}),
});

function expectConfigError(fn: () => unknown, code: DeviceConfigError['code'], message: string | RegExp) {
  try {
    fn();
    expect.unreachable();
  } catch (e) {
    expect(e).toBeInstanceOf(DeviceConfigError);
    expect((e as DeviceConfigError).code).toBe(code);
    expect((e as Error).message).toMatch(message);
  }
}

describe('DeviceRegistry', () => {
  const registry = new DeviceRegistry([scratchDevice, bare]);

  it('builds devices from text with positional and named parameters and default names', () => {
    const board = new Motherboard();
    const built = registry.build(board, 'scratch:0x520,16,label=a scratch:label=b,sticky=yes bare');
    expect(built.map((d) => d.name)).toEqual(['scratch0', 'scratch1', 'bare0']);
    expect(built[0]!.params).toEqual({ base: 0x520, width: '16', sticky: false, label: 'a' });
    expect(built[1]!.params).toEqual({ base: 0x510, width: '8', sticky: true, label: 'b' });
    board.io.write(0x520, 2, 0x1234);
    expect(board.io.read(0x520, 2)).toBe(0x1234);
    board.io.write(0x510, 1, 7);
    board.reset();
    expect(board.io.read(0x520, 2)).toBe(0);
    expect(board.io.read(0x510, 1)).toBe(7);
    expect(board.device('scratch0')!.describe()).toBe('scratch0 (a): 0');
    // Missing hooks are no-ops.
    expect(board.device('bare0')!.describe()).toBe('');
    expect(() => board.device('bare0')!.reset()).not.toThrow();
    expect(board.modelsOf(scratchDevice).map((m) => m.value)).toEqual([0, 7]);
  });

  it('names the unknown device and lists the known ones', () => {
    expectConfigError(
      () => registry.parse('scratch:label=x serial'),
      'UNKNOWN_DEVICE',
      "unknown device 'serial' in 'serial' (known devices: scratch, bare)",
    );
  });

  it('names device, parameter and text for bad values', () => {
    expectConfigError(
      () => registry.parse('scratch:0x10000,label=x'),
      'BAD_PARAMETER',
      "device 'scratch': parameter 'base' = '0x10000' is not an integer in 0x0..0xffff",
    );
    expectConfigError(
      () => registry.parse('scratch:port,label=x'),
      'BAD_PARAMETER',
      "parameter 'base' = 'port' is not a number in 0x0..0xffff",
    );
    expectConfigError(
      () => registry.parse('scratch:,32,label=x'),
      'BAD_PARAMETER',
      "parameter 'width' = '32' is not one of 8, 16",
    );
    expectConfigError(
      () => registry.parse('scratch:sticky=maybe,label=x'),
      'BAD_PARAMETER',
      /'sticky' = 'maybe' is not a boolean/,
    );
    expectConfigError(
      () => registry.parse('scratch:speed=9600,label=x'),
      'UNKNOWN_PARAMETER',
      "device 'scratch' has no parameter 'speed' (it has: base, width, sticky, label)",
    );
    expectConfigError(
      () => registry.parse('scratch'),
      'MISSING_PARAMETER',
      "device 'scratch': parameter 'label' is required (a name shown by describe)",
    );
    expectConfigError(
      () => registry.parse('bare:1'),
      'TOO_MANY_PARAMETERS',
      "device 'bare' takes at most 0 parameters, got 1: '1'",
    );
    expectConfigError(
      () => registry.parse('scratch:0x520,label=a,base=0x530'),
      'DUPLICATE_PARAMETER',
      "parameter 'base' is given twice",
    );
  });

  it('checks the whole configuration before attaching anything', () => {
    const board = new Motherboard();
    expect(() => registry.build(board, 'scratch:label=a scratch:bad')).toThrow(DeviceConfigError);
    expect(board.devices).toHaveLength(0);
    expect(board.io.regions()).toHaveLength(0);
  });

  it('reports a bus conflict between configured devices with both names', () => {
    const board = new Motherboard();
    expect(() => registry.build(board, 'scratch:label=a scratch:label=b')).toThrow(BusError);
    expect(() => registry.build(new Motherboard(), 'scratch:label=a scratch:label=b')).toThrow(
      "port I/O range 0x510-0x510 of 'scratch1' overlaps 0x510-0x510 of 'scratch0'",
    );
  });

  it('lists devices and parameters for --help', () => {
    expect(registry.help()).toBe(
      [
        'scratch  one read/write register',
        '           base    number, default 0x510: I/O port',
        '           width   8|16, default 8: register width',
        '           sticky  boolean, default false: keep the value across resets',
        '           label   string, required: a name shown by describe',
        'bare     a plugin without hooks',
        '',
      ].join('\n'),
    );
  });

  it('refuses duplicate definitions and duplicate instance names', () => {
    expectConfigError(
      () => new DeviceRegistry([bare, bare]),
      'DUPLICATE_DEVICE',
      "device model 'bare' is defined twice",
    );
    const board = new Motherboard();
    board.add(bare, {}, { name: 'x' });
    expectConfigError(
      () => board.add(bare, {}, { name: 'x' }),
      'DUPLICATE_DEVICE',
      "a device named 'x' is already attached",
    );
  });

  it('checks typed parameters given through the API', () => {
    const board = new Motherboard();
    expectConfigError(
      () => board.add(scratchDevice, { base: 1.5, label: 'x' }),
      'BAD_PARAMETER',
      /'base' = '1.5' is not an integer/,
    );
    expectConfigError(
      // @ts-expect-error an undeclared parameter
      () => board.add(scratchDevice, { label: 'x', nope: 1 }),
      'UNKNOWN_PARAMETER',
      /has no parameter 'nope'/,
    );
  });
});
