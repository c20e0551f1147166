import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError, unescapeInput } from './args.js';

describe('demo command line', () => {
  it('has defaults', () => {
    expect(parseArgs([])).toEqual({
      help: false,
      guest: undefined,
      memoryMiB: undefined,
      separatePd: false,
      cpus: 1,
      trace: [],
      input: undefined,
      budgetM: undefined,
      initrd: undefined,
      cmdline: undefined,
    });
  });

  it('parses every option, with and without =', () => {
    expect(
      parseArgs([
        '--guest',
        'k.bin',
        '--memory=128',
        '--separate-pd',
        '--cpus',
        '2',
        '--trace',
        'npt',
        '--trace=io',
        '--trace',
        'npt',
        '--input',
        'hi\\n',
        '--budget=5',
        '--initrd',
        'initrd.gz',
        '--cmdline=console=ttyS0 quiet',
      ]),
    ).toEqual({
      help: false,
      guest: 'k.bin',
      memoryMiB: 128,
      separatePd: true,
      cpus: 2,
      trace: ['npt', 'io'],
      input: 'hi\n',
      budgetM: 5,
      initrd: 'initrd.gz',
      cmdline: 'console=ttyS0 quiet',
    });
    expect(parseArgs(['-h']).help).toBe(true);
  });

  it('rejects wrong options with a usage error', () => {
    for (const argv of [
      ['--bogus'],
      ['--memory'],
      ['--memory', 'x'],
      ['--memory', '1'],
      ['--memory', '4096'],
      ['--memory', '2048'],
      ['--cpus', '0'],
      ['--cpus', '65'],
      ['--trace', 'all'],
      ['--trace'],
      ['--guest'],
      ['--guest='],
      ['--input'],
      ['--budget', '0'],
      ['--initrd'],
      ['--initrd='],
      ['--cmdline'],
      ['--initrd', 'i.gz'],
      ['--cmdline', 'quiet'],
      ['guest.bin'],
    ]) {
      expect(() => parseArgs(argv), argv.join(' ')).toThrow(UsageError);
    }
  });

  it('decodes escapes in --input', () => {
    expect(unescapeInput('a\\tb\\r\\n\\x41\\\\')).toBe('a\tb\r\nA\\');
    expect(unescapeInput('plain')).toBe('plain');
  });
});
