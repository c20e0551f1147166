// The guest corpus in ../guests (owned by the guests helper): every source has its committed
// binary, every binary matches the sha256 its expected result was recorded for, every expected
// file is well-formed and self-consistent, and v86 (the reference this package benchmarks
// against) still reproduces the recorded serial output, exit value and exact instruction count of
// every small guest it agreed on. Nothing here needs nasm, QEMU or Bochs.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runOnV86 } from '../bench/v86-runner.js';

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
  timing?: boolean;
}

interface Expected {
  name: string;
  kind: string;
  source: string;
  defines: string[];
  binary: string;
  sha256: string;
  memoryMiB: number;
  input: string | null;
  serial: string;
  exit: { kind: string; value?: number };
  instructions: number | null;
  agreed: string[];
  decidedBy: string;
  notes: string[];
  references: Record<
    string,
    { version: string; agrees: boolean; exit: { kind: string }; deviations: string[] }
  >;
}

const manifest = JSON.parse(readFileSync(join(corpus, 'guests.json'), 'utf8')) as { guests: ManifestEntry[] };
const expectedPath = (name: string): string => join(corpus, 'expected', `${name.replace(/\//g, '--')}.json`);
const readExpected = (name: string): Expected =>
  JSON.parse(readFileSync(expectedPath(name), 'utf8')) as Expected;

function asmFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    if (d.isDirectory())
      return ['lib', 'tools', 'expected'].includes(d.name) ? [] : asmFiles(join(dir, d.name));
    return d.name.endsWith('.asm') ? [join(dir, d.name)] : [];
  });
}

describe('guest corpus (packages/x86-core/guests)', () => {
  it('lists every assembly source in guests.json, and every guest once', () => {
    const sources = new Set(manifest.guests.map((g) => g.source));
    for (const file of asmFiles(corpus))
      expect(sources, relative(corpus, file)).toContain(relative(corpus, file));
    const names = manifest.guests.map((g) => g.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('has the benchmark kernels of spec/x86.md in a bench and a small size', () => {
    for (const k of ['alu', 'sieve', 'sieve-paging', 'fib', 'io', 'cpuid']) {
      expect(manifest.guests.find((g) => g.name === `bench/${k}`)?.kind, k).toBe('bench');
      expect(manifest.guests.find((g) => g.name === `bench/${k}-small`)?.kind, k).toBe('bench-small');
    }
  });

  it('has no expected file without a guest', () => {
    const known = new Set(manifest.guests.map((g) => `${g.name.replace(/\//g, '--')}.json`));
    for (const f of readdirSync(join(corpus, 'expected'))) expect(known, f).toContain(f);
  });

  for (const g of manifest.guests) {
    describe(g.name, () => {
      it('has its source, its binary and an expected result recorded for exactly this binary', () => {
        expect(existsSync(join(corpus, g.source)), g.source).toBe(true);
        expect(existsSync(join(corpus, g.binary)), g.binary).toBe(true);
        expect(existsSync(expectedPath(g.name)), 'expected file').toBe(true);
        const e = readExpected(g.name);
        const sha = createHash('sha256')
          .update(readFileSync(join(corpus, g.binary)))
          .digest('hex');
        expect(e.sha256).toBe(sha);
        expect([e.name, e.source, e.binary, e.kind]).toEqual([g.name, g.source, g.binary, g.kind]);
        expect(e.defines).toEqual(g.defines);
        expect(e.memoryMiB).toBe(g.memoryMiB ?? 32);
        expect(e.input).toBe(g.input ?? null);
      });

      it('has a well-formed, self-consistent expected result', () => {
        const e = readExpected(g.name);
        const image = readFileSync(join(corpus, g.binary));
        // Multiboot header with the a.out kludge at offset 0, loaded at 1 MiB
        expect(image.readUInt32LE(0)).toBe(0x1badb002);
        expect(image.readUInt32LE(4)).toBe(0x00010000);
        expect((image.readUInt32LE(0) + image.readUInt32LE(4) + image.readUInt32LE(8)) >>> 0).toBe(0);
        expect(image.readUInt32LE(16)).toBe(0x00100000);
        expect(image.readUInt32LE(20) - image.readUInt32LE(16)).toBe(image.length);

        expect(e.serial.startsWith('START\n')).toBe(true);
        expect(e.exit.kind).toBe(g.ends ?? 'debug-exit');
        if (e.exit.kind === 'debug-exit') {
          expect(e.exit.value).toBe(0);
          expect(e.serial.endsWith('DONE\n')).toBe(true);
        }
        expect(e.serial).not.toMatch(/^FAIL/m);
        const summary = /^PASS all (\d+) checks$/m.exec(e.serial);
        if (g.kind === 'system') {
          expect(summary, 'a self-checking guest ends with its summary').not.toBeNull();
          const passes = e.serial
            .split('\n')
            .filter((l) => l.startsWith('PASS ') && !l.startsWith('PASS all '));
          expect(passes.length).toBe(Number(summary?.[1]));
        }
        expect(Object.keys(e.references)).toEqual(expect.arrayContaining(['qemu', 'v86']));
        for (const [name, r] of Object.entries(e.references)) {
          expect(r.version, name).toMatch(/\d/);
          expect(e.agreed.includes(name), name).toBe(r.agrees);
          if (r.agrees) expect(r.deviations, name).toEqual([]);
        }
        expect(e.agreed.length + e.notes.length, 'agreed by a reference or explained').toBeGreaterThan(0);
        if (e.instructions !== null) {
          expect(Number.isInteger(e.instructions) && e.instructions > 0).toBe(true);
          expect(e.agreed).toContain('v86');
        }
        if (g.kind === 'bench') expect(e.instructions).toBeGreaterThanOrEqual(200_000_000);
        if (g.kind === 'bench-small') {
          expect(e.instructions).toBeGreaterThanOrEqual(1_000_000);
          expect(e.instructions).toBeLessThanOrEqual(5_000_000);
        }
      });
    });
  }
});

describe('v86 reproduces the recorded results (bench/v86-runner.ts)', () => {
  const small = manifest.guests.filter(
    (g) =>
      g.kind !== 'bench' && existsSync(expectedPath(g.name)) && readExpected(g.name).instructions !== null,
  );
  for (const g of small) {
    it(`${g.name}: serial output, exit value and exact instruction count`, async () => {
      const e = readExpected(g.name);
      const r = await runOnV86({
        image: new Uint8Array(readFileSync(join(corpus, g.binary))),
        memoryBytes: e.memoryMiB << 20,
        timeoutMs: 60_000,
      });
      expect(Buffer.from(r.serial).toString('latin1')).toBe(e.serial);
      expect([r.reason, r.exitValue]).toEqual(['debug-exit', 0]);
      expect(r.instructionsExact).toBe(true);
      expect(r.instructions).toBe(e.instructions);
    }, 60_000);
  }
});
