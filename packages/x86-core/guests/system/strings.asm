; strings — MOVS/STOS/LODS/CMPS/SCAS/INS/OUTS with REP/REPE/REPNE, both directions, 8/16/32-bit
; elements, a segment override on the source, 16-bit addressing (SI/DI/CX with the upper halves
; untouched and wrap-around at 64 KiB), a zero count, and a REP MOVS interrupted by a page fault
; and restarted (ECX/ESI/EDI show the progress at the fault).
;
; Intel SDM Vol. 2 (MOVS, STOS, LODS, CMPS, SCAS, INS, OUTS, REP/REPE/REPNE: a fault in the middle
; leaves the registers at the faulting element, the instruction restarts from there; with a
; count of 0 nothing is read or written and the flags are unchanged), Vol. 1 3.7.5.
; Note on counts: v86 retires a REP string instruction once per chunk that ends where an operand
; crosses a 4 KiB page (it re-executes the instruction for the next chunk).

%define WITH_IDT
%include "multiboot.inc"
%include "start.inc"
%include "idt.inc"
%include "check.inc"

AREA     equ 0x00200000
SEL_AREA equ 0x40               ; data segment, base AREA, 4 GiB
FLAGS_M  equ 0x08d5             ; OF SF ZF AF PF CF

%macro FLAGS_TO 1
  pushfd
  pop %1
  and %1, FLAGS_M
%endmacro

section .text
main:
  mov eax, SEL_AREA
  mov ebx, AREA
  mov ecx, 0xfffff
  mov dl, 0x92
  mov dh, 0xc
  call gdt_set

  ; --- rep movsb forward ---------------------------------------------------------------------------
  cld
  mov esi, src_text
  mov edi, AREA
  mov ecx, 13
  rep movsb
  CHECK "rep movsb: ecx", ecx, 0
  mov eax, esi
  sub eax, src_text
  CHECK "rep movsb: esi advanced", eax, 13
  mov eax, edi
  sub eax, AREA
  CHECK "rep movsb: edi advanced", eax, 13
  CHECK "rep movsb: bytes 0-3", [AREA], 0x69727473          ; "stri"
  CHECK "rep movsb: bytes 9-12", [AREA + 9], 0x736b726f     ; "orks"

  ; --- rep movsd backwards -----------------------------------------------------------------------------
  std
  mov esi, src_dwords + 12
  mov edi, AREA + 0x100 + 12
  mov ecx, 4
  rep movsd
  cld
  mov eax, esi
  sub eax, src_dwords
  CHECK "std rep movsd: esi = first - 4", eax, -4
  mov eax, edi
  sub eax, AREA + 0x100
  CHECK "std rep movsd: edi = first - 4", eax, -4
  CHECK "std rep movsd: dword 0", [AREA + 0x100], 0x11111111
  CHECK "std rep movsd: dword 3", [AREA + 0x10c], 0x44444444

  ; --- rep stosw, stosb backwards, lods ---------------------------------------------------------------
  mov edi, AREA + 0x200
  mov ax, 0xbeef
  mov ecx, 5
  rep stosw
  CHECK "rep stosw: word 4", [AREA + 0x208], 0x0000beef
  mov eax, edi
  sub eax, AREA + 0x200
  CHECK "rep stosw: edi advanced", eax, 10
  std
  mov edi, AREA + 0x20f
  mov al, 0x77
  mov ecx, 3
  rep stosb
  cld
  CHECK "std rep stosb: bytes 0x20c-0x20f", [AREA + 0x20c], 0x77777700
  mov eax, edi
  sub eax, AREA + 0x20c
  CHECK "std rep stosb: edi = last - 1", eax, 0
  mov esi, src_dwords
  lodsd
  CHECK "lodsd: eax", eax, 0x11111111
  std
  lodsb
  cld
  movzx eax, al
  CHECK "std lodsb: al (byte 4)", eax, 0x22
  mov eax, esi
  sub eax, src_dwords
  CHECK "std lodsb: esi", eax, 3

  ; --- repe cmpsb / repne scasb ------------------------------------------------------------------------
  mov esi, str_a
  mov edi, str_b
  mov ecx, 6
  repe cmpsb
  FLAGS_TO eax
  CHECK "repe cmpsb: ecx after mismatch at index 3", ecx, 2
  mov ebx, esi
  sub ebx, str_a
  CHECK "repe cmpsb: esi", ebx, 4
  CHECK "repe cmpsb: flags of 'd' - 'x' (CF SF AF)", eax, 0x0091
  mov esi, str_a
  mov edi, str_a
  mov ecx, 6
  repe cmpsb
  FLAGS_TO eax
  CHECK "repe cmpsb equal: ecx", ecx, 0
  CHECK "repe cmpsb equal: flags (ZF PF)", eax, 0x0044
  mov edi, str_a
  mov al, 'e'
  mov ecx, 6
  repne scasb
  FLAGS_TO ebx
  CHECK "repne scasb 'e': ecx", ecx, 1
  mov eax, edi
  sub eax, str_a
  CHECK "repne scasb 'e': edi after the match", eax, 5
  CHECK "repne scasb 'e': flags (ZF PF)", ebx, 0x0044
  mov edi, str_a
  mov al, 'z'
  mov ecx, 6
  repne scasb
  FLAGS_TO ebx
  CHECK "repne scasb not found: ecx", ecx, 0
  and ebx, 0x40
  CHECK "repne scasb not found: ZF", ebx, 0

  ; --- a count of zero ------------------------------------------------------------------------------
  mov eax, 0x7fffffff
  add eax, 1                    ; OF SF AF PF set
  pushfd
  mov esi, str_a
  mov edi, str_b
  mov ecx, 0
  repe cmpsb
  pushfd
  pop eax
  pop edx
  and eax, FLAGS_M
  and edx, FLAGS_M
  CHECK "repe cmpsb with ecx 0: flags unchanged", eax, edx
  mov eax, esi
  sub eax, str_a
  CHECK "repe cmpsb with ecx 0: esi unchanged", eax, 0
  mov dword [AREA + 0x300], 0x12345678
  mov edi, AREA + 0x300
  xor ecx, ecx
  mov al, 0
  rep stosb
  CHECK "rep stosb with ecx 0: memory unchanged", [AREA + 0x300], 0x12345678

  ; --- segment override on the source; ES:EDI cannot be overridden ------------------------------------
  mov dword [AREA + 0x400], 0xcafef00d
  mov ax, SEL_AREA
  mov fs, ax
  mov esi, 0x400
  mov edi, AREA + 0x404
  mov ecx, 4
  db 0x64, 0xf3, 0xa4            ; fs rep movsb
  CHECK "rep fs: movsb: copied from FS:0x400", [AREA + 0x404], 0xcafef00d
  mov ax, SEL_DATA32
  mov fs, ax

  ; --- 16-bit addressing in 32-bit code ---------------------------------------------------------------
  mov ax, SEL_AREA
  mov ds, ax
  mov es, ax
  mov dword [0x100], 0x44332211
  mov esi, 0x12340100
  mov edi, 0x56780500
  mov ecx, 0x9abc0003
  a16 rep movsb
  mov ax, SEL_DATA32
  mov ds, ax
  mov es, ax
  CHECK "a16 rep movsb: esi (upper half kept)", esi, 0x12340103
  CHECK "a16 rep movsb: edi (upper half kept)", edi, 0x56780503
  CHECK "a16 rep movsb: ecx (cx = 0, upper half kept)", ecx, 0x9abc0000
  CHECK "a16 rep movsb: copied to AREA + 0x500", [AREA + 0x500], 0x00332211
  mov ax, SEL_AREA
  mov ds, ax
  mov byte [0xffff], 0xa5
  mov esi, 0x0000ffff
  a16 lodsb
  mov bx, SEL_DATA32
  mov ds, bx
  movzx eax, al
  CHECK "a16 lodsb at si 0xffff: al", eax, 0xa5
  CHECK "a16 lodsb at si 0xffff: esi wraps to 0", esi, 0

  ; --- outs / ins -------------------------------------------------------------------------------------
  ; (not to COM1: a 16550 without FIFO drops bytes written faster than it sends them)
  mov esi, str_outs
  mov ecx, str_outs_end - str_outs
  mov dx, 0x80
  rep outsb
  CHECK "rep outsb to port 0x80: ecx", ecx, 0
  mov eax, esi
  sub eax, str_outs
  CHECK "rep outsb to port 0x80: esi advanced", eax, str_outs_end - str_outs
  mov edi, AREA + 0x600
  mov dx, COM1_LSR              ; reading the LSR has no side effect
  mov ecx, 2
  rep insb
  mov eax, edi
  sub eax, AREA + 0x600
  CHECK "rep insb from the LSR: edi advanced", eax, 2

  ; --- rep movsb interrupted by a page fault --------------------------------------------------------
  call paging_on
  mov dword [exc_hooks + 14 * 4], pf_hook
  mov esi, mb_header
  mov edi, DEMAND_VA + 0x800    ; 0x800 bytes in the first (present) page, then the absent one
  mov ecx, 0x1000
  rep movsb
  CHECK "rep movsb across an absent page: faults", [pf_count], 1
  CHECK "at the fault: ecx = bytes left", [pf_ecx], 0x800
  CHECK "at the fault: edi = first byte of the absent page", [pf_edi], DEMAND_VA + 0x1000
  CHECK "at the fault: cr2", [exc_cr2], DEMAND_VA + 0x1000
  CHECK "after the restart: ecx", ecx, 0
  CHECK "after the restart: last dword copied", [DEMAND_VA + 0x17fc], [mb_header + 0xffc]
  CHECK "after the restart: first dword of the second page", [DEMAND_VA + 0x1000], [mb_header + 0x800]
  mov eax, cr0
  and eax, 0x7fffffff
  mov cr0, eax

  call check_report
  ret

DEMAND_VA equ 0x00400000        ; page 0 -> 0x00300000, page 1 mapped by the #PF hook -> 0x00301000

pf_hook:
  mov eax, [esp + 4]
  inc dword [pf_count]
  mov ecx, [eax + EXC_ECX]
  mov [pf_ecx], ecx
  mov ecx, [eax + EXC_EDI]
  mov [pf_edi], ecx
  mov dword [pt1 + 4], 0x00301000 | 3
  ret

paging_on:
  mov edi, pt0
  mov eax, 3
  mov ecx, 1024
.id:
  mov [edi], eax
  add eax, 0x1000
  add edi, 4
  dec ecx
  jnz .id
  mov dword [pt1], 0x00300000 | 3
  mov dword [pd], pt0 + 3
  mov dword [pd + 4], pt1 + 3
  mov eax, pd
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  ret

section .data
src_text:   db "strings works!", 0
align 4
src_dwords: dd 0x11111111, 0x22222222, 0x33333333, 0x44444444
str_a:      db "abcdef"
str_b:      db "abcxef"
str_outs:   db "rep outsb to port 0x80"
str_outs_end:

section .bss
pf_count: resd 1
pf_ecx:   resd 1
pf_edi:   resd 1
alignb 4096
pd:  resb 4096
pt0: resb 4096
pt1: resb 4096

%include "end.inc"
