; highmem-4m — guest RAM above 4 MiB through 4 MiB pages (CR4.PSE): identity-maps 0 .. 32 MiB
; with eight 4 MiB pages and aliases 4 .. 32 MiB at 0x80000000; writes a pattern through the
; alias at the start, middle and end of every 4 MiB block above 4 MiB, reads it back through the
; identity mapping, and checks the PDEs' accessed/dirty bits. Needs 32 MiB of guest RAM.
; Intel SDM Vol. 3A 4.3 (4 MiB pages: PDE.PS with CR4.PSE), 4.8 (A/D in the PDE).

%define WITH_IDT
%include "multiboot.inc"
%include "start.inc"
%include "idt.inc"
%include "check.inc"

ALIAS equ 0x80000000
PDE_4M equ 0x083 | 0x004        ; present, writable, PS, user

section .text
main:
  ; identity 0 .. 32 MiB and the alias of 4 .. 32 MiB, all with 4 MiB pages
  xor ecx, ecx
.map:
  mov eax, ecx
  shl eax, 22
  or eax, PDE_4M
  mov [pd + ecx * 4], eax
  cmp ecx, 1
  jb .no_alias
  mov [pd + (ALIAS >> 22) * 4 + ecx * 4 - 4], eax
.no_alias:
  inc ecx
  cmp ecx, 8
  jb .map
  mov eax, cr4
  or eax, 0x10
  mov cr4, eax
  mov eax, pd
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax

  ; blocks 1 .. 7 (4 .. 32 MiB)
  mov ebx, 1
.block:
  mov esi, str_block
  call puts
  mov eax, ebx
  shl eax, 22
  call puthex32
  call putnl
  mov edi, ebx
  dec edi
  shl edi, 22
  add edi, ALIAS                ; alias of this block
  mov eax, ebx
  imul eax, eax, 0x01010101
  mov [edi], eax
  mov [edi + 0x200000], eax
  mov [edi + 0x3ffffc], eax
  inc ebx
  cmp ebx, 8
  jb .block

  xor esi, esi
  mov ebx, 1
.verify:
  mov edi, ebx
  shl edi, 22                   ; identity
  mov eax, ebx
  imul eax, eax, 0x01010101
  xor ecx, ecx
  cmp [edi], eax
  jne .bad
  cmp [edi + 0x200000], eax
  jne .bad
  cmp [edi + 0x3ffffc], eax
  jne .bad
  inc esi
.bad:
  inc ebx
  cmp ebx, 8
  jb .verify
  CHECK "blocks read back through the identity mapping", esi, 7
  mov eax, [pd + (ALIAS >> 22) * 4]
  and eax, 0x60
  CHECK "alias PDE of 4 MiB: accessed and dirty", eax, 0x60
  mov eax, [pd + 1 * 4]
  and eax, 0x60
  CHECK "identity PDE of 4 MiB: accessed only", eax, 0x20
  call check_report
  ret

section .data
str_block: db "writing through 4 MiB pages: block at ", 0

section .bss
alignb 4096
pd: resb 4096

%include "end.inc"
