import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from './args.js';
import { main } from './main.js';

describe('demo command line', () => {
  it('has defaults', () => {
    expect(parseArgs([])).toEqual({
      help: false,
      guest: undefined,
      memoryMiB: 64,
      separatePd: false,
      cpus: 1,
      trace: [],
    });
  });

  it('parses every option, with and without =', () => {
    expect(
      parseArgs(['--guest', 'k.bin', '--memory=128', '--separate-pd', '--cpus', '2', '--trace', 'npt']),
    ).toEqual({
      help: false,
      guest: 'k.bin',
      memoryMiB: 128,
      separatePd: true,
      cpus: 2,
      trace: ['npt'],
    });
  });

  it('rejects wrong options with a one-line usage error', () => {
    for (const argv of [
      ['--bogus'],
      ['--memory'],
      ['--memory', 'x'],
      ['--memory', '0'],
      ['--cpus', '65'],
      ['--trace', 'all'],
      ['--guest'],
    ]) {
      expect(() => parseArgs(argv)).toThrow(UsageError);
    }
  });

  it('exits 2 with one line on stderr for a wrong option, 0 with usage otherwise', () => {
    const out: string[] = [];
    const err: string[] = [];
    expect(
      main(
        ['--nope'],
        (s) => out.push(s),
        (s) => err.push(s),
      ),
    ).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('')).toBe('genode-ts-demo: unknown option: --nope (see --help)\n');
    expect(
      main(
        ['--help'],
        (s) => out.push(s),
        (s) => err.push(s),
      ),
    ).toBe(0);
    expect(out.join('')).toMatch(/^usage: genode-ts-demo/);
  });
});
