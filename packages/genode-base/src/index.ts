export { GenodeError, type GenodeErrorCode } from './errors.js';
export { alignDown, alignUp, isAligned, PAGE_MASK, PAGE_SIZE, PAGE_SIZE_LOG2 } from './page.js';
