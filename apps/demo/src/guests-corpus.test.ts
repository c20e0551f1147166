// The demo's bundled guest in ../guests (owned by the guests helper): the committed binary is the
// one its expected result was recorded for (sha256), and that result is well-formed: the serial
// output the demo must pass through byte for byte, and a clean debug exit.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const corpus = join(dirname(fileURLToPath(import.meta.url)), '..', 'guests');

describe('demo guest (apps/demo/guests)', () => {
  const manifest = JSON.parse(readFileSync(join(corpus, 'guests.json'), 'utf8')) as {
    guests: { name: string; source: string; binary: string; memoryMiB?: number }[];
  };

  it('is listed with its source and binary', () => {
    expect(manifest.guests.map((g) => g.name)).toEqual(['demo', 'exits']);
    for (const g of manifest.guests) {
      expect(readFileSync(join(corpus, g.source), 'utf8')).toContain('%include "multiboot.inc"');
    }
  });

  it('matches its recorded expected result', () => {
    const image = readFileSync(join(corpus, 'demo.bin'));
    const e = JSON.parse(readFileSync(join(corpus, 'expected', 'demo.json'), 'utf8'));
    expect(e.sha256).toBe(createHash('sha256').update(image).digest('hex'));
    expect(image.readUInt32LE(0)).toBe(0x1badb002);
    expect(e.memoryMiB).toBe(16);
    expect(e.exit).toEqual({ kind: 'debug-exit', value: 0 });
    expect(e.serial.startsWith('START\n')).toBe(true);
    expect(e.serial.endsWith('DONE\n')).toBe(true);
    expect(e.serial).toContain('read back 8 MiB: 0 mismatches');
    expect(e.agreed).toEqual(expect.arrayContaining(['qemu', 'v86']));
    expect(Number.isInteger(e.instructions)).toBe(true);
  });

  it('has the exit-path guest with its recorded expected result', () => {
    const image = readFileSync(join(corpus, 'exits.bin'));
    const e = JSON.parse(readFileSync(join(corpus, 'expected', 'exits.json'), 'utf8'));
    expect(e.sha256).toBe(createHash('sha256').update(image).digest('hex'));
    expect(e.exit).toEqual({ kind: 'debug-exit', value: 0 });
    expect(e.serial).toContain('PASS all 11 checks\n');
    // no reference raises #GP for a reserved MSR index (the SDM does): recorded as deviations
    for (const r of ['qemu', 'v86', 'bochs']) expect(e.references[r].deviations).toHaveLength(2);
  });
});
