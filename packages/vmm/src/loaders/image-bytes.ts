import { LoaderError } from '../errors.js';

/** Little-endian reads from a guest image that throw {@link LoaderError} `TRUNCATED` past its end. */
export class ImageBytes {
  readonly data: Uint8Array;
  private readonly view: DataView;
  private readonly what: string;

  /** `what` names the image in error messages ("multiboot image", "bzImage"). */
  constructor(data: Uint8Array, what: string) {
    this.data = data;
    this.what = what;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  get length(): number {
    return this.data.length;
  }

  /** Throws `TRUNCATED` unless `[offset, offset + size)` lies inside the image. */
  need(offset: number, size: number, field: string): void {
    if (!(offset >= 0) || !(size >= 0) || offset + size > this.data.length) {
      throw new LoaderError(
        'TRUNCATED',
        `${this.what} is truncated: ${field} needs bytes 0x${offset.toString(16)}..0x${(offset + size).toString(16)} but the image has 0x${this.data.length.toString(16)} bytes`,
      );
    }
  }

  u8(offset: number, field: string): number {
    this.need(offset, 1, field);
    return this.view.getUint8(offset);
  }

  u16(offset: number, field: string): number {
    this.need(offset, 2, field);
    return this.view.getUint16(offset, true);
  }

  u32(offset: number, field: string): number {
    this.need(offset, 4, field);
    return this.view.getUint32(offset, true);
  }

  /** A 64-bit field as a number; throws `NUMERIC_OVERFLOW` above 2⁵³. */
  u64(offset: number, field: string): number {
    const lo = this.u32(offset, field);
    const hi = this.u32(offset + 4, field);
    if (hi >= 0x200000) {
      throw new LoaderError(
        'NUMERIC_OVERFLOW',
        `${this.what}: ${field} (0x${hi.toString(16)}_${lo.toString(16).padStart(8, '0')}) exceeds 2^53`,
      );
    }
    return hi * 0x100000000 + lo;
  }
}

/** `0x…` for messages. */
export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
