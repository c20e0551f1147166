; S41–S43, S45: the exits of a guest that starts at the reset vector (real mode).
; Guest-physical 0xfffff000 (one page). Exit sequence with HLT, CPUID and IOIO intercepts:
;   NPT (the fetch at 0xfffffff0) → HLT → HLT → CPUID → IOIO 0x3f8 out → (0x3f8 now passes
;   through) → IOIO 0x3f9 out → IOIO 0x80 out → HLT
%include "reset-page.inc"
bits 16
org 0xf000
entry:
  hlt                             ; skipped by the VMM (rip += inst_len)
  hlt                             ; the VMM pauses the vCPU until sm_ctrl(up)
  xor eax, eax
  cpuid                           ; 0x72 with the CPUID intercept; the VMM answers EAX = 0x4f564e
  mov ebp, eax                    ; keep the answer
  mov dx, 0x3f8
  mov al, 'N'
  out dx, al                      ; 0x7b: port 0x3f8 is not the guest's yet
  mov al, 'O'
  out dx, al                      ; passes through (delegated with G by then)
  in al, dx                       ; passes through
  mov cl, al
  inc dx
  out dx, al                      ; 0x7b: port 0x3f9 never delegated
  out 0x80, al                    ; 0x7b: immediate port form
  hlt
.stay:
  hlt
  jmp .stay
reset_vector
