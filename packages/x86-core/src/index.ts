export { X86Error, type X86ErrorCode } from './errors.js';
export { SvmExit, type SvmExitCode, svmExitName } from './svm-exit.js';
