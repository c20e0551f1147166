; npt-boundaries — touches guest-physical memory on both sides of 4 KiB, 2 MiB and 4 MiB
; boundaries in a fixed order, including accesses that straddle a boundary, so that a VMM's nested
; page faults (and the block sizes it maps) are reproducible. Paging is off: every address is
; guest-physical. Needs 16 MiB of guest RAM. Each write is announced before it happens; then
; everything is read back.

%include "multiboot.inc"
%include "start.inc"

section .text
main:
  mov esi, points
.write:
  mov ebx, [esi]
  test ebx, ebx
  jz .read
  push esi
  mov esi, str_write
  call puts
  mov eax, ebx
  call puthex32
  call putnl
  pop esi
  mov eax, ebx
  xor eax, 0xa5a5a5a5
  mov [ebx], eax                ; may straddle the boundary
  add esi, 4
  jmp .write
.read:
  mov esi, points
  xor edi, edi
.next:
  mov ebx, [esi]
  test ebx, ebx
  jz .done
  mov eax, [ebx]
  rol edi, 7
  xor edi, eax
  push esi
  push eax
  mov esi, str_read
  call puts
  mov eax, ebx
  call puthex32
  mov esi, str_eq
  call puts
  pop eax
  call puthex32
  call putnl
  pop esi
  add esi, 4
  jmp .next
.done:
  mov esi, str_sum
  call puts
  mov eax, edi
  call puthex32
  call putnl
  xor eax, eax
  ret

section .data
align 4
points:
  dd 0x001ffffc, 0x00200000     ; 2 MiB boundary
  dd 0x003ffffc, 0x00400000     ; 4 MiB boundary
  dd 0x005ffffc, 0x00600000     ; 2 MiB boundary inside the second 4 MiB block
  dd 0x00700ffc, 0x00701000     ; 4 KiB boundary inside a 2 MiB block
  dd 0x00801ffe                 ; straddles 4 KiB
  dd 0x009ffffe                 ; straddles 2 MiB
  dd 0x00bffffe                 ; straddles 4 MiB
  dd 0x00fffffc                 ; last dword of 16 MiB
  dd 0
str_write: db "write ", 0
str_read:  db "read ", 0
str_eq:    db " = ", 0
str_sum:   db "checksum ", 0

%include "end.inc"
