import { describe, expect, it } from 'vitest';
import { DeviceConfigError } from '../errors.js';
import { parseMachineConfig } from './machine-config.js';

describe('parseMachineConfig', () => {
  it('parses names, positional and named values, comments and line breaks', () => {
    const items = parseMachineConfig('uart:0x3f8,4 pic\n# a comment\npit rtc:time=0 debugexit:0xf4,size=4  ');
    expect(items.map((i) => [i.device, i.positional, i.named])).toEqual([
      ['uart', ['0x3f8', '4'], []],
      ['pic', [], []],
      ['pit', [], []],
      ['rtc', [], [['time', '0']]],
      ['debugexit', ['0xf4'], [['size', '4']]],
    ]);
    expect(parseMachineConfig('   ')).toEqual([]);
  });

  it('keeps empty positional values (they select the default)', () => {
    expect(parseMachineConfig('uart:,3')[0]!.positional).toEqual(['', '3']);
  });

  it('rejects malformed items with SYNTAX naming the item', () => {
    const bad = (text: string, message: RegExp) => {
      try {
        parseMachineConfig(text);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(DeviceConfigError);
        expect((e as DeviceConfigError).code).toBe('SYNTAX');
        expect((e as Error).message).toMatch(message);
      }
    };
    bad('Uart', /'Uart' is not a device name/);
    bad('uart:base=0x3f8,4', /positional value '4' after a named one/);
    bad('uart:base=', /'base=' is not of the form key=value/);
    bad('uart:=1', /is not of the form/);
  });
});
