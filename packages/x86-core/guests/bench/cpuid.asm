; cpuid — 10 M `cpuid` instructions (leaf 0).
;
; Each iteration is `xor eax, eax` + `cpuid`, a load of the loop counter (CPUID clobbers ECX) and
; 15 register ALU instructions folding a checksum from it (never from CPUID's outputs, which differ
; between processors), then a memory dec + jnz: 20 instructions, so the bench size retires the
; 200 M instructions a timed run needs.
;   bench size:  ITER = 10,000,000  (200 M instructions, 10 M cpuids)
;   -DSMALL:     ITER = 100,000     (2 M instructions, 100 K cpuids)

%include "multiboot.inc"
%include "start.inc"

%ifdef SMALL
ITER equ 100000
%else
ITER equ 10000000
%endif

section .text
main:
  mov ecx, ITER
  mov esi, 0x2468ace0
  mov edi, 0x0badf00d
  mov ebp, 0x8badf00d
.loop:
  xor eax, eax
  cpuid                         ; clobbers EAX, EBX, ECX (!), EDX
  mov ecx, [loop_count]
  add esi, ecx
  xor edi, esi
  rol edi, 3
  add ebp, edi
  sub esi, ebp
  ror esi, 5
  xor ebp, esi
  lea edi, [edi + ebp + 7]
  not esi
  add edi, ecx
  rol ebp, 9
  xor esi, edi
  sub ebp, ecx
  rol esi, 1
  add edi, esi
  dec dword [loop_count]
  jnz .loop
  mov eax, ITER
  mov ebx, [loop_count]
  jmp print_checksum

section .data
loop_count: dd ITER

%include "bench-checksum.inc"
%include "end.inc"
