; Event injection: an interrupt handler for vector 0x20 in the real-mode IVT (guest page 0),
; HLT with interrupts enabled, and an interrupt-window request after STI.
%include "reset-page.inc"
bits 16
org 0xf000
entry:
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x800
  mov word [0x20 * 4], handler    ; IVT[0x20] = f000:handler
  mov word [0x20 * 4 + 2], 0xf000
  mov word [0x400], 0             ; interrupt counter
  sti
.idle:
  hlt                             ; the VMM injects vector 0x20 in its reply when one is pending
  cmp word [0x400], 2
  jb .idle
  cli
  nop
  sti                             ; the VMM requested the interrupt window: exit 0x64 after
  nop                             ; the shadow of STI, i.e. before this instruction's successor
  nop
  hlt
.stay:
  hlt
  jmp .stay
handler:
  inc word [0x400]
  iret
reset_vector
