import { describe, expect, it } from 'vitest';
import { LoaderError } from '../errors.js';
import { writeMultibootHeader } from '../scenarios/fixtures/guest-images.js';
import { findMultibootHeader } from './multiboot-header.js';

function image(size: number, headers: [number, Parameters<typeof writeMultibootHeader>[2]][]): Uint8Array {
  const b = new Uint8Array(size);
  for (const [at, h] of headers) writeMultibootHeader(b, at, h);
  return b;
}

describe('Multiboot header search', () => {
  it('takes the first aligned header with a valid checksum, skipping one with a bad checksum', () => {
    const h = findMultibootHeader(
      image(0x400, [
        [0x40, { checksum: 5 }],
        [0x80, { flags: 0x2 }],
      ]),
    );
    expect(h).toEqual({ offset: 0x80, flags: 0x2, checksum: -(0x1badb002 + 2) >>> 0 });
  });

  it('accepts a header that ends exactly at 8192 bytes and refuses one that does not fit', () => {
    expect(findMultibootHeader(image(0x3000, [[8192 - 12, { flags: 0 }]])).offset).toBe(8180);
    expect(() => findMultibootHeader(image(0x3000, [[8184, { flags: 0 }]]))).toThrow(
      /offset 0x1ff8, not completely within/,
    );
    expect(() => findMultibootHeader(image(0x3000, [[8164, { flags: 0x10000 }]]))).toThrow(
      /offset 0x1fe4 with address fields is not completely within/,
    );
    expect(findMultibootHeader(image(0x3000, [[8160, { flags: 0x10000, loadAddr: 7 }]])).loadAddr).toBe(7);
  });

  it('ignores unaligned magic and reports a magic cut off by the end of a short image', () => {
    expect(() => findMultibootHeader(image(0x100, [[0x42, {}]]))).toThrow(LoaderError);
    const short = image(0x20, [[0x10, {}]]).subarray(0, 0x18);
    expect(() => findMultibootHeader(short)).toThrow(/cut off by the end of the image/);
  });
});
