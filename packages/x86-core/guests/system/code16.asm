; code16 — 16-bit protected-mode code: 16-bit ModRM addressing (and its 64 KiB wrap), operand-size
; (0x66) and address-size (0x67) prefixes both ways, 16- and 32-bit pushes, near calls, LOOP with
; CX vs ECX, a 32-bit far call from 16-bit code and back, an interrupt through a 32-bit gate from
; 16-bit code on a 16-bit stack, sign extension, 16-bit flags; and 16-bit addressing from 32-bit
; code.
;
; Intel SDM Vol. 1 3.6 (operand/address size attributes), Vol. 2 2.1.5 (16-bit ModRM table 2-1),
; PUSH/CALL/LOOP/INT (stack width follows SS.B; the frame width follows the gate).

%define WITH_IDT
%include "multiboot.inc"
%include "start.inc"
%include "idt.inc"
%include "check.inc"

AREA    equ 0x00200000
SEL_C16 equ 0x40                ; 16-bit code, base = the .c16 section, limit 64 KiB
SEL_D16 equ 0x48                ; 16-bit data/stack, base AREA, limit 64 KiB
INT16   equ 0x60

; results written by the 16-bit code at AREA + R_*
R_BXSI   equ 0x00
R_BPDI   equ 0x04
R_BP0    equ 0x08
R_WRAP   equ 0x0c
R_66     equ 0x10
R_67SIB  equ 0x14
R_PUSH16 equ 0x18
R_PUSH32 equ 0x1c
R_PUSHI8 equ 0x20
R_PUSHSG equ 0x24
R_CALLSP equ 0x28
R_CALL66 equ 0x2c
R_LOOP   equ 0x30
R_LOOP67 equ 0x34
R_FAR    equ 0x38
R_CWD    equ 0x40
R_CWDE   equ 0x44
R_OF16   equ 0x48
R_LEA    equ 0x4c
R_LEA66  equ 0x50
R_MOVSX  equ 0x54
R_IMUL   equ 0x58
R_INTFR  equ 0x5c

section .text
main:
  mov eax, SEL_C16
  mov ebx, section..c16.start
  mov ecx, 0xffff
  mov dl, 0x9a
  mov dh, 0
  call gdt_set
  mov eax, SEL_D16
  mov ebx, AREA
  mov ecx, 0xffff
  mov dl, 0x92
  mov dh, 0
  call gdt_set
  mov eax, INT16
  mov ebx, int16_handler
  mov cx, SEL_CODE32
  mov dl, GATE_INT
  call idt_set_gate
  ; operands for the addressing tests
  mov dword [AREA + 0x1234 + 0x10 + 0x05], 0x0000abcd      ; [bx+si+5]: bx 0x1234, si 0x10
  mov dword [AREA + 0x0300 + 0x0020], 0x0000bd01           ; [bp+di] (SS): bp 0x300, di 0x20
  mov dword [AREA + 0x0400], 0x0000b0b0                    ; [bp+0]
  mov dword [AREA + 0x0010], 0x00005a5a                    ; [bx+si] wraps: 0xfff0 + 0x20
  mov dword [AREA + 0x2000 + 3 * 4 + 8], 0x51b51b00        ; [ebx+ecx*4+8]

  mov [saved_esp], esp
  jmp SEL_C16:c16_entry
c16_done:
  mov ax, SEL_DATA32
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov esp, [saved_esp]

  CHECK "16-bit [bx+si+5]", [AREA + R_BXSI], 0xabcd
  CHECK "16-bit [bp+di] (SS)", [AREA + R_BPDI], 0xbd01
  CHECK "16-bit [bp+0]", [AREA + R_BP0], 0xb0b0
  CHECK "16-bit [bx+si] wraps at 64 KiB", [AREA + R_WRAP], 0x5a5a
  CHECK "0x66: 32-bit add in 16-bit code", [AREA + R_66], 0x9abcdef0
  CHECK "0x67: [ebx+ecx*4+8] in 16-bit code", [AREA + R_67SIB], 0x51b51b00
  CHECK "push ax: SP - 2", [AREA + R_PUSH16], 2
  CHECK "0x66 push eax: SP - 4", [AREA + R_PUSH32], 4
  CHECK "push imm8 in 16-bit code: SP - 2, value sign-extended", [AREA + R_PUSHI8], 0xfff00002
  CHECK "push es in 16-bit code: SP - 2", [AREA + R_PUSHSG], 2
  CHECK "call in 16-bit code: SP - 2", [AREA + R_CALLSP], 2
  CHECK "0x66 call in 16-bit code: SP - 4", [AREA + R_CALL66], 4
  CHECK "loop uses CX (ECX upper half kept)", [AREA + R_LOOP], 0x12340000
  CHECK "0x67 loop uses ECX", [AREA + R_LOOP67], 0
  CHECK "32-bit far call from 16-bit code and back", [AREA + R_FAR], 0x3232
  CHECK "int through a 32-bit gate from 16-bit code: handler ESP = 0xfff0 - 12", [int_esp], 0xfff0 - 12
  CHECK "int frame: EIP (offset in the 16-bit segment)", [int_frame_eip], c16_after_int
  CHECK "int frame: CS", [int_frame_cs], SEL_C16
  CHECK "cwd: dx:ax", [AREA + R_CWD], 0xffff8000
  CHECK "0x66 cwde in 16-bit code", [AREA + R_CWDE], 0xffff8001
  CHECK "16-bit add 0x7fff + 1: OF SF AF PF (16-bit flags)", [AREA + R_OF16], 0x0894
  CHECK "lea ax, [bx+si+0x1234] (16-bit)", [AREA + R_LEA], 0x2478
  CHECK "0x66 lea eax, [bx+si-0x10]: 16-bit address wraps, zero-extended", [AREA + R_LEA66], 0x0000fff8
  CHECK "0x66 movsx eax, byte", [AREA + R_MOVSX], 0xffffff80
  CHECK "imul ax, bx, -3 (16-bit)", [AREA + R_IMUL], 0x0000fffa

  ; 16-bit addressing and operands from 32-bit code
  mov ax, SEL_D16
  mov ds, ax
  mov ebx, 0x11110000 | 0x1234  ; upper halves ignored by 16-bit addressing
  mov esi, 0x22220000 | 0x0010
  a16 mov eax, [bx + si + 5]
  mov cx, SEL_DATA32
  mov ds, cx
  CHECK "a16 [bx+si+5] from 32-bit code", eax, 0xabcd
  mov eax, 0xffffffff
  o16 mov ax, 0x1234
  CHECK "o16 mov ax keeps the upper half", eax, 0xffff1234

  call check_report
  ret

; 32-bit interrupt handler reached from 16-bit code
int16_handler:                  ; SS:ESP is SEL_D16:0xffe4 here
  push ds
  push eax
  mov ax, SEL_DATA32
  mov ds, ax
  lea eax, [esp + 8]
  mov [int_esp], eax
  mov eax, [esp + 8]
  mov [int_frame_eip], eax
  mov eax, [esp + 12]
  mov [int_frame_cs], eax
  pop eax
  pop ds
  iretd

; 32-bit target of a far call from 16-bit code
far32:
  mov ax, 0x3232
  retf

section .bss
saved_esp: resd 1
section .data
int_frame_eip: dd 0
int_frame_cs:  dd 0
int_esp:       dd 0

; ------------------------------------------------------------------------------------------------------
section .c16 progbits follows=.text vstart=0 align=16
bits 16
c16_entry:
  mov ax, SEL_D16
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov esp, 0xfff0               ; all of ESP: the 32-bit handlers address the stack with ESP

  mov bx, 0x1234
  mov si, 0x0010
  mov ax, [bx + si + 5]
  mov [R_BXSI], ax
  mov bp, 0x0300
  mov di, 0x0020
  mov ax, [bp + di]
  mov [R_BPDI], ax
  mov bp, 0x0400
  mov ax, [bp + 0]
  mov [R_BP0], ax
  mov bx, 0xfff0
  mov si, 0x0020
  mov ax, [bx + si]
  mov [R_WRAP], ax

  mov eax, 0x12345678
  mov ebx, 0x88888878
  add eax, ebx
  mov [R_66], eax
  mov ebx, 0x2000
  mov ecx, 3
  mov eax, [ebx + ecx * 4 + 8]
  mov [R_67SIB], eax

  mov dx, sp
  push ax
  sub dx, sp
  mov [R_PUSH16], dx
  pop ax
  mov dx, sp
  push eax
  sub dx, sp
  mov [R_PUSH32], dx
  pop eax
  mov dx, sp
  push byte -16
  sub dx, sp
  pop ax
  mov [R_PUSHI8], dx
  mov [R_PUSHI8 + 2], ax
  mov dx, sp
  push es
  sub dx, sp
  mov [R_PUSHSG], dx
  pop es

  mov dx, sp
  call near_callee
  mov [R_CALLSP], ax
  mov dx, sp
  call dword near_callee32       ; 66 E8 rel32: pushes EIP (4 bytes)
  mov [R_CALL66], ax

  mov ecx, 0x12340005
.l16:
  loop .l16
  mov [R_LOOP], ecx
  mov ecx, 0x00010002           ; with a 32-bit count the loop runs 0x10002 times
.l32:
  a32 loop .l32
  mov [R_LOOP67], ecx

  xor eax, eax
  call dword SEL_CODE32:far32
  mov [R_FAR], ax

  int INT16
c16_after_int:

  mov ax, 0x8000
  cwd
  mov [R_CWD], ax
  mov [R_CWD + 2], dx
  mov ax, 0x8001
  cwde
  mov [R_CWDE], eax
  mov ax, 0x7fff
  add ax, 1
  pushf
  pop ax
  and ax, 0x08d5
  mov [R_OF16], ax
  mov bx, 0x1234
  mov si, 0x0010
  lea ax, [bx + si + 0x1234]
  mov [R_LEA], ax
  mov si, 0x0008
  mov ebx, 0xffff0000           ; BX = 0, the upper half is not part of a 16-bit address
  lea eax, [bx + si - 0x10]
  mov [R_LEA66], eax
  mov al, 0x80
  movsx eax, al
  mov [R_MOVSX], eax
  mov bx, 2
  imul ax, bx, -3
  mov [R_IMUL], ax

  jmp dword SEL_CODE32:c16_done

near_callee:                    ; AX = how far SP moved for the call
  mov ax, dx
  sub ax, sp
  ret
near_callee32:
  mov ax, dx
  sub ax, sp
  o32 ret

%include "end.inc"
