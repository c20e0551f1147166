; io — 10 M `out` instructions to port 0x80 (the POST/delay port, no side effects anywhere).
;
; Each iteration is one `out dx, al` and 17 register ALU instructions folding a checksum, then
; dec+jnz: 20 instructions, so the bench size retires the 200 M instructions a timed run needs,
; with the `out` in every iteration. Subtract the ALU share (19 instructions per iteration at
; the alu kernel's MIPS) to get the cost of one `out`.
;   bench size:  ITER = 10,000,000  (200 M instructions, 10 M outs)
;   -DSMALL:     ITER = 100,000     (2 M instructions, 100 K outs)

%include "multiboot.inc"
%include "start.inc"

%ifdef SMALL
ITER equ 100000
%else
ITER equ 10000000
%endif
IO_PORT equ 0x80

section .text
main:
  mov ecx, ITER
  mov dx, IO_PORT
  mov eax, 0x600dcafe
  mov ebx, 0x13579bdf
  mov esi, 0x2468ace0
  mov edi, 0x0badf00d
  mov ebp, 0x8badf00d
.loop:
  out dx, al
  add eax, ecx
  xor ebx, eax
  rol ebx, 3
  add esi, ebx
  sub edi, esi
  ror edi, 5
  xor ebp, edi
  lea eax, [eax + ebp + 7]
  add eax, ebx
  xor esi, ecx
  shl ebx, 1
  adc ebx, 0
  not esi
  add edi, eax
  rol ebp, 9
  sub eax, esi
  xor ebx, ebp
  dec ecx
  jnz .loop
  jmp print_checksum

%include "bench-checksum.inc"
%include "end.inc"
