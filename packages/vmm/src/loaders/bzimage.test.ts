import { describe, expect, it } from 'vitest';
import { LoaderError, type LoaderErrorCode } from '../errors.js';
import { buildBzImage } from '../scenarios/fixtures/guest-images.js';
import { parseLinuxSetupHeader } from './bzimage.js';

function reason(b: Uint8Array): LoaderErrorCode | 'ok' {
  try {
    parseLinuxSetupHeader(b);
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(LoaderError);
    return (e as LoaderError).code;
  }
}

describe('Linux setup header', () => {
  // The values of Debian 12's vmlinuz-6.1.0-50-686 (sha256 c77cd9c37609b8b1…, spec/linux-boot.md),
  // as this parser read them from the real file.
  it('parses a protocol 2.15 header like Debian 12 i386 (relocatable, pref_address 0x1000000)', () => {
    const h = parseLinuxSetupHeader(
      buildBzImage({
        setupSects: 0x27,
        kernelBytes: 8192,
        kernelAlignment: 0x1000000,
        initSize: 0x100c000,
        kernelVersion: '6.1.0-50-686 (debian-kernel@lists.debian.org)',
      }),
    );
    expect(h).toMatchObject({
      version: 0x020f,
      versionString: '2.15',
      setupSects: 0x27,
      setupSize: 0x5000,
      kernelSize: 8192,
      loadedHigh: true,
      code32Start: 0x100000,
      initrdAddrMax: 0x7fffffff,
      kernelAlignment: 0x1000000,
      relocatable: true,
      minAlignment: 13,
      xloadflags: 4,
      cmdlineSize: 2047,
      payloadOffset: 0x100,
      payloadLength: 0x200,
      prefAddress: 0x1000000,
      initSize: 0x100c000,
      kernelInfoOffset: 0,
      kernelVersion: '6.1.0-50-686 (debian-kernel@lists.debian.org)',
    });
  });

  it('treats setup_sects 0 as 4 and leaves out fields newer than the protocol', () => {
    const h = parseLinuxSetupHeader(buildBzImage({ version: 0x0204, setupSects: 0, jumpTo: 0x230 }));
    expect(h.setupSects).toBe(4);
    expect(h.setupSize).toBe(5 * 512);
    expect(h.kernelAlignment).toBeUndefined();
    expect(h.relocatable).toBe(false);
    expect(h.prefAddress).toBeUndefined();
    expect(h.cmdlineSize).toBe(255);
  });

  it('rejects images that are not bzImages or are too old, truncated or inconsistent', () => {
    const good = buildBzImage({});
    expect(reason(good)).toBe('ok');
    expect(reason(good.subarray(0, 0x200))).toBe('TRUNCATED');
    expect(reason(good.subarray(0, 5 * 512))).toBe('TRUNCATED');
    expect(reason(good.subarray(0, 3 * 512))).toBe('TRUNCATED');
    const flag = good.slice();
    flag[0x1fe] = 0;
    expect(reason(flag)).toBe('BAD_MAGIC');
    const hdrs = good.slice();
    hdrs[0x202] = 0x41;
    expect(reason(hdrs)).toBe('BAD_MAGIC');
    expect(reason(buildBzImage({ version: 0x0202 }))).toBe('UNSUPPORTED_PROTOCOL');
    expect(reason(buildBzImage({ kernelAlignment: 0x300000 }))).toBe('BAD_HEADER');
    expect(reason(buildBzImage({ minAlignment: 22 }))).toBe('BAD_HEADER');
    expect(reason(buildBzImage({ initSize: 0 }))).toBe('BAD_HEADER');
    expect(reason(buildBzImage({ payloadOffset: 4000, payloadLength: 200 }))).toBe('BAD_HEADER');
    expect(reason(buildBzImage({ jumpTo: 0x240 }))).toBe('BAD_HEADER');
    expect(reason(buildBzImage({ relocatable: false, kernelAlignment: 0x300000 }))).toBe('ok');
  });

  it('names the problem in the message', () => {
    expect(() => parseLinuxSetupHeader(buildBzImage({ version: 0x0201 }))).toThrow(
      'Linux boot protocol 2.01 is older than 2.03',
    );
    expect(() => parseLinuxSetupHeader(buildBzImage({ kernelAlignment: 0x3000 }))).toThrow(
      'relocatable kernel with kernel_alignment 0x3000, which is not a power of two',
    );
  });
});
