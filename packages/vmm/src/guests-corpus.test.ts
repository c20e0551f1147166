// The VMM's focused guests in ../guests (owned by the guests helper; built with the shared nasm
// library of packages/x86-core/guests/lib): every source has its committed binary, each binary
// matches the sha256 its expected result (serial output, exit, memory, input) was recorded for,
// and the expected files are well-formed. Nothing here needs nasm or an emulator.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const corpus = join(dirname(fileURLToPath(import.meta.url)), '..', 'guests');

interface ManifestEntry {
  name: string;
  source: string;
  binary: string;
  defines: string[];
  kind: string;
  memoryMiB?: number;
  input?: string;
  ends?: string;
}

const manifest = JSON.parse(readFileSync(join(corpus, 'guests.json'), 'utf8')) as { guests: ManifestEntry[] };
const expectedPath = (name: string): string => join(corpus, 'expected', `${name}.json`);

describe('VMM guests (packages/vmm/guests)', () => {
  it('lists every assembly source in guests.json', () => {
    const sources = new Set(manifest.guests.map((g) => g.source));
    for (const f of readdirSync(corpus).filter((n) => n.endsWith('.asm'))) expect(sources, f).toContain(f);
  });

  it('has the guests issue #6 asks for', () => {
    const names = manifest.guests.map((g) => g.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'io-echo',
        'pit-irq',
        'mmio-unclaimed',
        'npt-boundaries',
        'highmem-4m',
        'triple-fault',
        'runaway',
      ]),
    );
  });

  for (const g of manifest.guests) {
    it(`${g.name}: binary, sha256 and a well-formed expected result`, () => {
      expect(existsSync(join(corpus, g.source))).toBe(true);
      const image = readFileSync(join(corpus, g.binary));
      const e = JSON.parse(readFileSync(expectedPath(g.name), 'utf8'));
      expect(e.sha256).toBe(createHash('sha256').update(image).digest('hex'));
      expect([e.name, e.source, e.binary]).toEqual([g.name, g.source, g.binary]);
      expect(e.memoryMiB).toBe(g.memoryMiB ?? 32);
      expect(e.input).toBe(g.input ?? null);
      expect(image.readUInt32LE(0)).toBe(0x1badb002);
      expect(image.readUInt32LE(4)).toBe(0x00010000);
      expect(typeof e.serial).toBe('string');
      expect(e.serial.startsWith('START\n')).toBe(true);
      expect(e.serial).not.toMatch(/^FAIL/m);
      expect(e.exit.kind).toBe(g.ends ?? 'debug-exit');
      if (e.exit.kind === 'debug-exit') {
        expect(e.exit.value).toBe(0);
        expect(e.serial.endsWith('DONE\n')).toBe(true);
      } else {
        expect(e.serial.includes('DONE')).toBe(false);
      }
      expect(e.agreed.length + e.notes.length).toBeGreaterThan(0);
      for (const r of Object.values(e.references) as { version: string }[]) expect(r.version).toMatch(/\d/);
    });
  }
});
