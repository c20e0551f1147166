; runaway — prints two lines, then loops forever with interrupts off, never halting and never
; writing to the debug-exit port: the VMM's instruction budget must stop it.

%include "multiboot.inc"
%include "start.inc"

section .text
main:
  mov esi, str_loop
  call puts
  cli
  xor eax, eax
.forever:
  inc eax
  jmp .forever

section .data
str_loop: db "looping forever", 10, 0

%include "end.inc"
