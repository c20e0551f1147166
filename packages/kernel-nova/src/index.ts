export {
  type Crd,
  type CrdKind,
  CrdType,
  checkQpd,
  crd,
  DEFAULT_QPD,
  decodeCrd,
  decodeQpd,
  encodeCrd,
  encodeQpd,
  ioCrd,
  MemPerm,
  memCrd,
  NULL_CRD,
  objCrd,
  type Qpd,
} from './crd.js';
export { Hypercall, type HypercallNumber } from './hypercall.js';
export { Status, type StatusCode, statusName } from './status.js';
