import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LoaderError } from '../errors.js';
import { type GuestMemory, isInRam, type MemoryMapEntry } from '../memory/guest-memory.js';
import { pcMemoryMap } from '../memory/pc-memory-map.js';
import { buildBzImage, pattern } from '../scenarios/fixtures/guest-images.js';
import { LINUX_ZERO_PAGE_ADDRESS, loadBzImage } from './bzimage-loader.js';

/** Long runs: GENODE_TS_LONG=1 (the default suite runs a fixed-seed subset). */
const LONG = process.env.GENODE_TS_LONG === '1';
const RUNS = LONG ? 20_000 : 400;

const MAP: MemoryMapEntry[] = pcMemoryMap(48 << 20);

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
  buildBzImage({ kernel: pattern(0x800), prefAddress: 0x100000, initSize: 0x10000 }),
  buildBzImage({
    setupSects: 39,
    kernel: pattern(0x400, 3),
    kernelAlignment: 0x1000000,
    initSize: 0x100c000,
  }),
  buildBzImage({ version: 0x0204, setupSects: 0, jumpTo: 0x230 }),
];

// Offsets of the setup-header fields a mutation should hit often.
const FIELDS = [
  0x1f1, 0x1fe, 0x200, 0x201, 0x202, 0x206, 0x211, 0x214, 0x22c, 0x230, 0x234, 0x235, 0x238, 0x248, 0x24c,
  0x258, 0x25c, 0x260,
];
const interesting = fc.constantFrom(
  0,
  1,
  0xff,
  0x7fffffff,
  0x80000000,
  0xffffffff,
  0x100000,
  0x1000000,
  0x3fff,
);

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('field' as const),
    at: fc.constantFrom(...FIELDS),
    value: fc.oneof(interesting, fc.nat()),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), value: fc.constant(0) }),
);

const mutated = fc
  .tuple(fc.constantFrom(...seeds.keys()), fc.array(mutation, { minLength: 1, maxLength: 6 }))
  .map(([i, ms]) => {
    let b = seeds[i]!.slice();
    for (const m of ms) {
      if (b.length === 0) break;
      if (m.kind === 'byte') b[m.at % b.length] = m.value;
      else if (m.kind === 'field' && m.at + 4 <= b.length) {
        new DataView(b.buffer).setUint32(m.at, m.value >>> 0, true);
      } else if (m.kind === 'truncate') b = b.slice(0, m.at % b.length);
    }
    return b;
  });

const options = fc.record({
  cmdline: fc.string({ maxLength: 300 }),
  initrd: fc.option(fc.uint8Array({ maxLength: 0x3000 }), { nil: undefined }),
});

function check(image: Uint8Array, opts: { cmdline: string; initrd: Uint8Array | undefined }): void {
  const mem = new RecordingMemory();
  let result: ReturnType<typeof loadBzImage> | undefined;
  try {
    result = loadBzImage(mem, image, {
      cmdline: opts.cmdline,
      ...(opts.initrd ? { initrd: opts.initrd } : {}),
    });
  } catch (e) {
    if (!(e instanceof LoaderError)) throw e;
    expect(mem.writes).toEqual([]);
    return;
  }
  expect(mem.outside).toBe(0);
  for (const [a, n] of mem.writes) {
    expect(result.chunks.some((c) => a >= c.address && a + n <= c.address + c.length)).toBe(true);
  }
  expect(isInRam(MAP, result.entry, 1)).toBe(true);
  expect(result.cpu.esi).toBe(LINUX_ZERO_PAGE_ADDRESS);
  if (result.ramdiskSize > 0) {
    expect(result.ramdiskImage % 4096).toBe(0);
    expect(result.ramdiskImage + result.ramdiskSize - 1).toBeLessThanOrEqual(result.header.initrdAddrMax);
    // clear of the kernel and of its decompression area
    const lo = Math.min(result.kernelAddress, result.kernelRuntime.start);
    const hi = Math.max(result.kernelAddress + result.header.kernelSize, result.kernelRuntime.end);
    expect(result.ramdiskImage >= hi || result.ramdiskImage + result.ramdiskSize <= lo).toBe(true);
  }
}

describe('bzImage loader fuzzing (fixed seeds; GENODE_TS_LONG=1 for long runs)', () => {
  it('mutated valid images: loaded inside RAM or rejected with a LoaderError before any write', () => {
    fc.assert(fc.property(mutated, options, check), { seed: 0xb21, numRuns: RUNS });
  });

  it('pure random bytes never load', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 0x1400 }), (bytes) => {
        const mem = new RecordingMemory();
        expect(() => loadBzImage(mem, bytes)).toThrow(LoaderError);
        expect(mem.writes).toEqual([]);
      }),
      { seed: 7, numRuns: LONG ? 5000 : 200 },
    );
  });

  it('the unmutated seeds load', () => {
    for (const s of seeds) expect(() => loadBzImage(new RecordingMemory(), s)).not.toThrow();
  });
});
