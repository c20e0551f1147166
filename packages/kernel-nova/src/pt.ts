import { ObjType } from './constants.js';
import type { Ec } from './ec.js';
import { Kobject } from './kobject.js';

/** A portal: an entry (IP) into the PD of its bound local EC, with an MTD and a portal id. */
export class Pt extends Kobject {
  readonly type: typeof ObjType.PT = ObjType.PT;
  readonly ec: Ec;
  readonly mtd: number;
  readonly ip: number;
  /** Portal id delivered in RDI (pt_ctrl sets it). */
  pid = 0;

  constructor(id: number, ec: Ec, mtd: number, ip: number) {
    super(id);
    this.ec = ec;
    this.mtd = mtd;
    this.ip = ip;
  }
}
