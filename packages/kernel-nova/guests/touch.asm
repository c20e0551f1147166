; S25: reads of guest-physical 0x42004 (page 0x42) through DS = 0x4000; HLT between them.
%include "reset-page.inc"
bits 16
org 0xf000
entry:
  mov ax, 0x4000
  mov ds, ax
  mov eax, [0x2004]               ; page 0x42 is in the NPT (eager G delegation): no exit
  mov ebx, [0x2004]               ; again, from the TLB
  hlt                             ; the VMM revokes page 0x42 and skips the HLT
  mov ecx, [0x2004]               ; exits 0xfc again: nothing stale survived the revoke
  hlt
.stay:
  hlt
  jmp .stay
reset_vector
