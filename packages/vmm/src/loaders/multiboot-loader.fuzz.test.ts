import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LoaderError } from '../errors.js';
import { type GuestMemory, isInRam, type MemoryMapEntry } from '../memory/guest-memory.js';
import { buildAout, buildElf, pattern, writeMultibootHeader } from '../scenarios/fixtures/guest-images.js';
import { loadMultiboot } from './multiboot-loader.js';

/** Long runs: GENODE_TS_LONG=1 (the default suite runs a fixed-seed subset). */
const LONG = process.env.GENODE_TS_LONG === '1';
const RUNS = LONG ? 20_000 : 400;

const MAP: MemoryMapEntry[] = [
  { base: 0, length: 0xa0000, type: 'ram' },
  { base: 0xa0000, length: 0x60000, type: 'reserved' },
  { base: 0x100000, length: 0x300000, type: 'ram' },
];

/** Guest memory that records every write and flags any outside RAM instead of throwing. */
class RecordingMemory implements GuestMemory {
  readonly map = MAP;
  readonly writes: [number, number][] = [];
  outside = 0;
  write(address: number, data: Uint8Array): void {
    if (!isInRam(MAP, address, data.length)) this.outside++;
    this.writes.push([address, data.length]);
  }
  read(_address: number, length: number): Uint8Array {
    return new Uint8Array(length);
  }
}

const seeds: Uint8Array[] = [
  buildElf({
    entry: 0xc0100010,
    segments: [
      { paddr: 0x100000, vaddr: 0xc0100000, data: pattern(0x300) },
      { paddr: 0x101000, vaddr: 0xc0101000, data: pattern(0x80, 5), memsz: 0x1000 },
    ],
  }),
  buildAout({
    body: pattern(0x400),
    headerOffset: 0x20,
    loadAddr: 0x200000,
    bssEndAddr: 0x201000,
    entryAddr: 0x200010,
  }),
  buildAout({ body: pattern(0x200), loadAddr: 0x180000, loadEndAddr: 0x180100, entryAddr: 0x180000 }),
];

const interesting = fc.constantFrom(
  0,
  1,
  0x7fffffff,
  0x80000000,
  0xffffffff,
  0xfffff000,
  0x100000,
  0x9000,
  0xa0000,
  0x400000,
);

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('word' as const), at: fc.nat(), value: fc.oneof(interesting, fc.nat()) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), value: fc.constant(0) }),
);

const mutated = fc
  .tuple(fc.constantFrom(...seeds.keys()), fc.array(mutation, { minLength: 1, maxLength: 6 }))
  .map(([i, ms]) => {
    let b = seeds[i]!.slice();
    for (const m of ms) {
      if (b.length === 0) break;
      const at = m.at % b.length;
      if (m.kind === 'byte') b[at] = m.value;
      else if (m.kind === 'word' && at + 4 <= b.length) {
        new DataView(b.buffer).setUint32(at & ~3, m.value >>> 0, true);
      } else if (m.kind === 'truncate') b = b.slice(0, at);
    }
    return b;
  });

/** Random bytes with a valid-checksum Multiboot header (random flags and address fields) at a random place. */
const randomWithHeader = fc
  .tuple(
    fc.uint8Array({ minLength: 12, maxLength: 0x3000 }),
    fc.nat(),
    fc.oneof(fc.constantFrom(0, 1, 2, 3, 0x10000, 0x10003, 0x10002), fc.nat()),
    fc.array(fc.oneof(interesting, fc.nat()), { minLength: 5, maxLength: 5 }),
  )
  .map(([bytes, at, flags, fields]) => {
    const b = bytes.slice();
    const off = (at % Math.max(1, Math.min(b.length - 12, 0x2000))) & ~3;
    if (off + 32 <= b.length) {
      writeMultibootHeader(b, off, {
        flags,
        headerAddr: fields[0]!,
        loadAddr: fields[1]!,
        loadEndAddr: fields[2]!,
        bssEndAddr: fields[3]!,
        entryAddr: fields[4]!,
      });
    }
    return b;
  });

const options = fc.record({
  cmdline: fc.string({ maxLength: 40 }),
  modules: fc.array(
    fc.record({ data: fc.uint8Array({ maxLength: 3000 }), string: fc.string({ maxLength: 10 }) }),
    {
      maxLength: 3,
    },
  ),
  infoAddress: fc.oneof(fc.constant(0x9000), fc.nat({ max: 0x500000 })),
});

function check(
  image: Uint8Array,
  opts: { cmdline: string; modules: { data: Uint8Array; string: string }[]; infoAddress: number },
): void {
  const mem = new RecordingMemory();
  let result: ReturnType<typeof loadMultiboot> | undefined;
  try {
    result = loadMultiboot(mem, image, opts);
  } catch (e) {
    if (!(e instanceof LoaderError)) throw e;
    expect(mem.writes).toEqual([]);
    return;
  }
  expect(mem.outside).toBe(0);
  // Every write lies inside a planned chunk, and the planned chunks are disjoint and in RAM.
  for (const [a, n] of mem.writes) {
    expect(result.chunks.some((c) => a >= c.address && a + n <= c.address + c.length)).toBe(true);
  }
  expect(isInRam(MAP, result.entry, 1)).toBe(true);
  expect(result.cpu.eax).toBe(0x2badb002);
}

describe('Multiboot loader fuzzing (fixed seeds; GENODE_TS_LONG=1 for long runs)', () => {
  it('mutated valid images: loaded inside RAM or rejected with a LoaderError before any write', () => {
    fc.assert(fc.property(mutated, options, check), { seed: 0x6e0de, numRuns: RUNS });
  });

  it('random bytes with a Multiboot header: the same', () => {
    fc.assert(fc.property(randomWithHeader, options, check), { seed: 0x7a5c, numRuns: RUNS });
  });

  it('pure random bytes never load', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 0x2400 }), (bytes) => {
        const mem = new RecordingMemory();
        expect(() => loadMultiboot(mem, bytes)).toThrow(LoaderError);
        expect(mem.writes).toEqual([]);
      }),
      { seed: 42, numRuns: LONG ? 5000 : 200 },
    );
  });

  it('the unmutated seeds load', () => {
    for (const s of seeds) expect(() => loadMultiboot(new RecordingMemory(), s)).not.toThrow();
  });
});
