; MSR accesses (always intercepted: exit 0x7c, exitinfo1 0 = RDMSR, 1 = WRMSR) and a triple
; fault (an empty IVT: INT3 → #GP → #DF → shutdown, exit 0x7f).
%include "reset-page.inc"
bits 16
org 0xf000
entry:
  mov ecx, 0x10                   ; IA32_TIME_STAMP_COUNTER
  rdmsr
  wrmsr
  lidt [cs:empty_idt]
  int3
  hlt
empty_idt:
  dw 0                            ; limit 0: not even vector 0 fits
  dd 0
reset_vector
