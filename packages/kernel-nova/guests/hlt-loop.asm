; An exit per iteration: HLT, skipped by the VMM; ECX counts the iterations.
%include "flat32.inc"
entry:
  inc ecx
  hlt
  jmp entry
