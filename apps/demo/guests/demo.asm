; demo — the guest that `genode-ts-demo` boots when given no --guest.
;
; Enters 32-bit protected mode with 2-level paging (CR4.PSE): the first 4 MiB identity-mapped
; with 4 KiB pages (this kernel, its stack, its page tables), virtual 0x40000000 .. +4 MiB onto
; guest-physical 4 .. 8 MiB through 1024 4 KiB pages, and virtual 0x80000000 .. +4 MiB onto
; guest-physical 8 .. 12 MiB through one 4 MiB page. It writes a pattern over all 8 MiB, one
; progress line per MiB, reads it back and checksums it, runs a compute loop (20 M instructions)
; for a MIPS figure, and shuts down through the debug-exit port 0xf4 with 0 (1 if the memory
; did not read back). Needs 16 MiB of guest RAM. Deterministic output, no timers.

%define WITH_IDT
%include "multiboot.inc"
%include "start.inc"
%include "idt.inc"

WIN_4K   equ 0x40000000         ; -> 4 MiB, 4 KiB pages
WIN_4M   equ 0x80000000         ; -> 8 MiB, one 4 MiB page
MIB      equ 0x00100000
COMPUTE  equ 2000000            ; iterations of the 10-instruction loop

section .text
main:
  mov esi, str_banner
  call puts
  call paging_on
  mov esi, str_paging
  call puts

  ; write: 8 MiB, dword pattern = address ^ 0x5a5a5a5a, a line per MiB
  xor ebx, ebx                  ; MiB index 0 .. 7
.write_mib:
  call mib_base                 ; EDI = virtual base of MiB ebx
  mov ecx, MIB / 4
.write:
  mov eax, edi
  xor eax, 0x5a5a5a5a
  mov [edi], eax
  add edi, 4
  dec ecx
  jnz .write
  mov esi, str_wrote
  call puts
  lea eax, [ebx + 1]
  call putdec
  mov esi, str_of8
  call puts
  call region_name
  call puts
  call putnl
  inc ebx
  cmp ebx, 8
  jb .write_mib

  ; read back and checksum
  xor ebx, ebx
  xor esi, esi                  ; checksum
  xor ebp, ebp                  ; mismatches
.read_mib:
  call mib_base
  mov ecx, MIB / 4
.read:
  mov eax, [edi]
  mov edx, edi
  xor edx, 0x5a5a5a5a
  cmp eax, edx
  je .same
  inc ebp
.same:
  rol esi, 1
  add esi, eax
  add edi, 4
  dec ecx
  jnz .read
  inc ebx
  cmp ebx, 8
  jb .read_mib
  push esi
  mov esi, str_read
  call puts
  mov eax, ebp
  call putdec
  mov esi, str_sum
  call puts
  pop eax
  call puthex32
  call putnl

  ; compute loop
  mov esi, str_compute
  call puts
  mov ecx, COMPUTE
  mov eax, 1
  mov edx, 0x9e3779b9
.compute:
  add eax, edx
  rol eax, 3
  xor edx, eax
  lea edx, [edx + eax * 2 + 1]
  ror edx, 7
  sub eax, ecx
  xor eax, edx
  add edx, 0x7f4a7c15
  dec ecx
  jnz .compute
  push eax
  mov esi, str_result
  call puts
  pop eax
  xor eax, edx
  call puthex32
  call putnl

  mov esi, str_bye
  call puts
  xor eax, eax
  test ebp, ebp
  jz .ok
  mov eax, 1
.ok:
  ret

; mib_base: EBX = MiB 0 .. 7 -> EDI = its virtual address (0-3: the 4 KiB window, 4-7: the 4 MiB page)
mib_base:
  mov edi, ebx
  and edi, 3
  shl edi, 20
  add edi, WIN_4K
  cmp ebx, 4
  jb .done
  add edi, WIN_4M - WIN_4K
.done:
  ret

; region_name: ESI = the description of MiB EBX
region_name:
  mov esi, str_region_4k
  cmp ebx, 4
  jb .done
  mov esi, str_region_4m
.done:
  ret

paging_on:
  mov edi, pt_low
  mov eax, 0x003
  mov ecx, 1024
.low:
  mov [edi], eax
  add eax, 0x1000
  add edi, 4
  dec ecx
  jnz .low
  mov edi, pt_win
  mov eax, 0x00400000 | 0x003
  mov ecx, 1024
.win:
  mov [edi], eax
  add eax, 0x1000
  add edi, 4
  dec ecx
  jnz .win
  mov dword [pd + 0], pt_low + 0x003
  mov dword [pd + (WIN_4K >> 22) * 4], pt_win + 0x003
  mov dword [pd + (WIN_4M >> 22) * 4], 0x00800000 | 0x083    ; PS
  mov eax, cr4
  or eax, 0x10
  mov cr4, eax
  mov eax, pd
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80010000            ; PG, WP
  mov cr0, eax
  ret

section .data
str_banner:    db "genode-ts demo guest: 32-bit protected mode", 10, 0
str_paging:    db "paging on: 4 KiB pages at 0x40000000 -> 4 MiB, a 4 MiB page at 0x80000000 -> 8 MiB", 10, 0
str_wrote:     db "wrote MiB ", 0
str_of8:       db " of 8 (", 0
str_region_4k: db "4 KiB pages)", 0
str_region_4m: db "4 MiB page)", 0
str_read:      db "read back 8 MiB: ", 0
str_sum:       db " mismatches, checksum ", 0
str_compute:   db "compute loop: 20 M instructions", 10, 0
str_result:    db "compute result ", 0
str_bye:       db "shutting down through port 0xf4", 10, 0

section .bss
alignb 4096
pd:     resb 4096
pt_low: resb 4096
pt_win: resb 4096

%include "end.inc"
