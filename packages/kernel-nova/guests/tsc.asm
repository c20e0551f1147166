; The time model: RDTSC before and after a HLT that the VMM turns into a 1 ms sleep.
%include "reset-page.inc"
bits 16
org 0xf000
entry:
  rdtsc                           ; TSC = virtual TSC + offset
  mov esi, eax
  mov edi, edx
  hlt                             ; the VMM waits on a timeout, then skips the HLT
  rdtsc
  mov ebx, eax
  mov ecx, edx
  hlt
.stay:
  hlt
  jmp .stay
reset_vector
