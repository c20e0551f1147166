export { GENODE_VMM_PAGE_SIZE_SLIP, PAGE_SIZE, PAGE_SIZE_LOG2 } from './types.js';
