; S44: a guest that never exits on its own: two instructions per iteration, ECX counts them.
%include "reset-page.inc"
bits 16
org 0xf000
entry:
  xor ecx, ecx
.loop:
  inc ecx
  jmp .loop
reset_vector
