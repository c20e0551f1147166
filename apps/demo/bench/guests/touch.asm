; touch — writes one dword into every 4 KiB page of guest RAM from 2 MiB to the top of memory
; (the top from the Multiboot information's mem_upper), reads every page back, and prints how
; many pages it touched. Paging off: every page is one NPT fault unless the VMM maps larger
; blocks. A benchmark guest (apps/demo/bench), not part of the demo's corpus.

%include "multiboot.inc"
%include "start.inc"

FIRST equ 0x200000

section .text
main:
  mov ebp, [ebx + 8]            ; mem_upper: KiB of RAM from 1 MiB (Multiboot info flags bit 0)
  shl ebp, 10
  add ebp, 0x100000             ; end of RAM
  mov edi, FIRST
  xor ecx, ecx
.write:
  mov [edi], edi
  add edi, 4096
  inc ecx
  cmp edi, ebp
  jb .write
  mov edi, FIRST
  xor edx, edx                  ; mismatches
.read:
  cmp [edi], edi
  je .same
  inc edx
.same:
  add edi, 4096
  cmp edi, ebp
  jb .read
  mov esi, str_touched
  call puts
  mov eax, ecx
  call putdec
  mov esi, str_pages
  call puts
  mov eax, edx
  call putdec
  mov esi, str_mismatches
  call puts
  mov eax, edx
  test eax, eax
  jz .ok
  mov eax, 1
.ok:
  ret

section .data
str_touched:    db "touched ", 0
str_pages:      db " pages, ", 0
str_mismatches: db " mismatches", 10, 0

%include "end.inc"
