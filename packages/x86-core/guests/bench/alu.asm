; alu — register-only integer loop (the "600 M-instruction ALU loop" of spec/x86.md).
;
; 20 instructions per iteration: add/adc/sub/sbb/xor/and/or/not/neg/inc/lea/shl/shr/sar/rol/ror/
; imul/cmp+cmovcc, then dec+jnz. Only defined flags are consumed (CF after add/sub/rotates,
; ZF/SF after cmp). Prints the five registers as the checksum.
;   bench size:  ITER = 30,000,000 iterations  (600 M instructions)
;   -DSMALL:     ITER = 100,000 iterations     (2 M instructions)

%include "multiboot.inc"
%include "start.inc"

%ifdef SMALL
ITER equ 100000
%else
ITER equ 30000000
%endif

section .text
main:
  mov ecx, ITER
  mov eax, 0x12345678
  mov ebx, 0x9abcdef0
  mov edx, 0x0f1e2d3c
  mov esi, 0x55aa55aa
  mov edi, 0x01020304
.loop:
  add eax, ebx
  adc esi, edx
  xor ebx, esi
  rol eax, 7
  sub edx, eax
  sbb edi, ecx
  lea esi, [esi + edi * 2 + 0x1234]
  shr ebx, 3
  or ebx, eax
  imul edx, edx, 0x01000193
  ror edi, 11
  and esi, 0xfffefffb
  not eax
  shl edi, 1
  neg ebx
  sar edx, 2
  cmp eax, esi
  cmovl eax, edx
  dec ecx
  jnz .loop

  mov [result], eax
  mov [result + 4], ebx
  mov [result + 8], edx
  mov [result + 12], esi
  mov [result + 16], edi
  mov esi, str_sum
  call puts
  mov esi, result
  mov ecx, 5
.print:
  lodsd
  call puthex32
  dec ecx
  jz .last
  call putsp
  jmp .print
.last:
  call putnl
  xor eax, eax
  ret

section .bss
result: resd 5

section .data
str_sum: db "alu checksum ", 0

%include "end.inc"
