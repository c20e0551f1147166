; Event injection: an interrupt handler for vector 0x20 in the real-mode IVT (guest page 0),
; the stack on guest page 0x10, HLT with interrupts enabled (the VMM injects in its reply, or
; first requests the interrupt window), and the handler counting at guest-physical 0x400.
%include "reset-page.inc"
bits 16
org 0xf000
entry:
  xor ax, ax
  mov ds, ax
  mov ax, 0x1000
  mov ss, ax
  mov sp, 0x800                   ; stack at guest-physical 0x10800 (page 0x10)
  mov word [0x20 * 4], handler    ; IVT[0x20] = f000:handler (runs at the alias 0xf0000 + handler)
  mov word [0x20 * 4 + 2], 0xf000
  mov word [0x400], 0             ; interrupt counter
  sti
.idle:
  hlt                             ; the VMM injects vector 0x20 when it has an interrupt
  cmp word [0x400], 2
  jb .idle
  cli
  hlt
.stay:
  hlt
  jmp .stay
handler:
  inc word [0x400]
  iret
reset_vector
