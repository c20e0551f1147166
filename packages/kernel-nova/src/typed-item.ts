import { type Crd, decodeCrd, encodeCrd } from './crd.js';

/**
 * Kinds of typed items (bits 1:0 of an item's flag word), G-kernel numbering (spec/nova.md §4.2).
 */
export const ItemKind = {
  /** Translate: look up what the receiver already holds for the sender's capability. */
  TRANSLATE: 0,
  /** Delegate: map the sender's capability into the receiver's delegation window. */
  DELEGATE: 1,
  /** Translate, or if that yields nothing, delegate (Genode's capability arguments). */
  TRANSLATE_ELSE_DELEGATE: 2,
} as const;
/** A typed-item kind (3 is accepted by the kernel and yields a null result). */
export type ItemKindCode = 0 | 1 | 2 | 3;

/** Flag bits of a typed item's upper word (G-kernel layout). */
export const ItemFlag = {
  /** Also map into the PD's DMA (IOMMU) table. */
  D: 0x100,
  /** Also map into the PD's guest space (nested page table / guest I/O bitmap). */
  G: 0x200,
  /** Write-combined; only honoured with H from the root PD; sticky for further delegations. */
  WC: 0x400,
  /** Source is the kernel ("hypervisor") space; only honoured when the sender is the root PD. */
  H: 0x800,
} as const;

/** Options of a typed item's flag word. */
export interface ItemOptions {
  readonly kind?: ItemKindCode;
  /** Hotspot in selector units (page number for memory, selector for objects). */
  readonly hotspot?: number;
  readonly d?: boolean;
  readonly g?: boolean;
  readonly wc?: boolean;
  readonly h?: boolean;
}

/** A typed item as it sits in a UTCB: the CRD word and the flag/hotspot word. */
export interface TypedItem {
  readonly crd: Crd;
  /** The whole upper word (kind, D/G/WC/H, hotspot). */
  readonly flags: number;
}

/** Build an item's flag word from its parts. */
export function itemFlags(o: ItemOptions = {}): number {
  const low =
    (o.kind ?? ItemKind.DELEGATE) |
    (o.d ? ItemFlag.D : 0) |
    (o.g ? ItemFlag.G : 0) |
    (o.wc ? ItemFlag.WC : 0) |
    (o.h ? ItemFlag.H : 0);
  return (o.hotspot ?? 0) * 4096 + low;
}

/** The kind bits of a flag word. */
export function itemKind(flags: number): ItemKindCode {
  return ((flags % 4096) & 3) as ItemKindCode;
}

/** The low 12 flag bits of a flag word (kind, D, G, WC, H). */
export function itemLowFlags(flags: number): number {
  return Number.isSafeInteger(flags) && flags >= 0 ? flags % 4096 : 0;
}

/** The hotspot of a flag word (selector units). */
export function itemHotspot(flags: number): number {
  return Number.isSafeInteger(flags) && flags >= 0 ? Math.floor(flags / 4096) : 0;
}

/** Encode a typed item into its two words `[crd, flags]`. */
export function encodeItem(crd: Crd, o: ItemOptions = {}): [number, number] {
  return [encodeCrd(crd), itemFlags(o)];
}

/** Decode an item from its two words. */
export function decodeItem(crdWord: number, flags: number): TypedItem {
  return { crd: decodeCrd(crdWord), flags };
}
