; pmode-entry — leaving protected mode for real mode and entering it again from a real-mode stub.
;
; The 32-bit kernel copies a stub to 0x8000, drops to 16-bit protected mode (64 KiB segments,
; FS kept at 4 GiB), clears CR0.PE and far-jumps to real mode. There the stub: addresses memory
; through segment:offset, takes `int 0x40` and a #DE through the real-mode IVT, uses 32-bit
; operands and (with FS's 4 GiB limit still cached) a 32-bit address above 1 MiB ("unreal
; mode"), gets #GP from an offset beyond DS's cached 64 KiB limit, prints from real mode, then
; enters protected mode through a temporary GDT loaded with the 16-bit form of LGDT (which
; loads a 24-bit base: Intel SDM Vol. 2, LGDT) and returns to the kernel, which checks what the
; stub recorded. Intel SDM Vol. 3A 9.9 (mode switching), 20.1 (real-address mode).

%define WITH_IDT
%include "multiboot.inc"
%include "start.inc"
%include "idt.inc"
%include "check.inc"

STUB      equ 0x8000
RM_STACK  equ 0x7000
HIGH_GDT  equ 0x01000000        ; where the stub's GDT is if LGDT ignored the 24-bit rule

section .text
main:
  ; copy the stub (and its GDT to the would-be address of a 32-bit-base LGDT)
  mov esi, section..rm16.start
  mov edi, STUB
  mov ecx, rm_end - rm_start
  call copy_bytes
  mov esi, rm_gdt
  mov edi, HIGH_GDT + rm_gdt
  mov ecx, rm_gdt_end - rm_gdt
  call copy_bytes
  mov [pm_saved_esp], esp
  jmp SEL_CODE16:rm_from_pm

pm_back:
  mov ax, SEL_DATA32
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  mov ss, ax
  mov esp, [pm_saved_esp]
  lidt [idt_desc]

  MSG "back in protected mode"
  movzx eax, word [rm_cr0]
  and eax, 1
  CHECK "real mode: CR0.PE", eax, 0
  movzx eax, byte [rm_seg_byte]
  CHECK "real mode: 0900:0010 and 0901:0000 alias", eax, 0x5a
  movzx eax, word [rm_int_ip]
  CHECK "real mode: int 0x40 pushed IP", eax, rm_after_int
  movzx eax, word [rm_int_cs]
  CHECK "real mode: int 0x40 pushed CS", eax, 0
  movzx eax, word [rm_int_flags]
  and eax, 0x0200 | 0x0100
  CHECK "real mode: IF and TF clear in the handler", eax, 0
  movzx eax, word [rm_sp_after]
  CHECK "real mode: SP after iret", eax, RM_STACK
  movzx eax, word [rm_de_ip]
  CHECK "real mode: #DE pushed IP (fault)", eax, rm_div
  CHECK "real mode: 32-bit operand rol", [rm_rol], 0xabcdef89
  CHECK "real mode: unreal FS read at 1 MiB", [rm_unreal], 0x1badb002
  movzx eax, word [rm_gp_ip]
  CHECK "real mode: #GP beyond DS limit, pushed IP", eax, rm_gp_insn
  CHECK "stub GDT base (16-bit LGDT loads 24 bits)", [rm_sgdt + 2], rm_gdt
  movzx eax, word [rm_sgdt]
  CHECK "stub GDT limit", eax, rm_gdt_end - rm_gdt - 1
  CHECK "stub reached 32-bit code", [rm_pm32_seen], 0x600d

  mov eax, cr0
  and eax, 0x80000001
  CHECK "CR0.PE again, PG off", eax, 1
  ; the IDT works again
  TRY .r
  ud2
.r:
  CHECK "IDT reloaded: #UD vector", [exc_vector], 6

  call check_report
  ret

section .data
pm_saved_esp: dd 0

; ---------------------------------------------------------------------------------------------
section .rm16 progbits follows=.text vstart=STUB align=16
bits 16
rm_start:
rm_from_pm:                     ; 16-bit protected mode, CS = SEL_CODE16 (base 0)
  mov ax, SEL_DATA16
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, RM_STACK
  mov eax, cr0
  and eax, 0x7ffffffe
  mov cr0, eax
  jmp 0x0000:rm_real

rm_real:
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, RM_STACK
  lidt [rm_ivt_desc]
  mov eax, cr0
  mov [rm_cr0], ax

  mov si, rm_hello
  call rm_puts

  ; segment:offset aliasing
  mov ax, 0x0900
  mov es, ax
  mov byte [es:0x0010], 0x5a
  mov ax, 0x0901
  mov ds, ax
  mov al, [0x0000]
  xor bx, bx
  mov ds, bx
  mov es, bx
  mov [rm_seg_byte], al

  ; int 0x40 through the IVT
  mov word [0x40 * 4], rm_int40
  mov word [0x40 * 4 + 2], 0
  int 0x40
rm_after_int:
  mov [rm_sp_after], sp

  ; #DE through the IVT: the pushed IP is the faulting div
  mov word [0 * 4], rm_de
  mov word [0 * 4 + 2], 0
  xor cx, cx
  mov ax, 1
  xor dx, dx
rm_div:
  div cx                        ; F7 F1, 2 bytes; the handler skips it

  ; 32-bit operand size in real mode
  mov eax, 0x89abcdef
  rol eax, 8
  mov [rm_rol], eax

  ; FS still has the 4 GiB limit of SEL_DATA32 (never reloaded): read the Multiboot magic
  mov eax, [fs:dword LOAD_ADDR]
  mov [rm_unreal], eax

  ; DS was reloaded in real mode: its cached limit is 64 KiB, offset 0x10000 is #GP
  mov word [13 * 4], rm_gp
  mov word [13 * 4 + 2], 0
  mov ebx, 0x10000
rm_gp_insn:
  mov al, [ebx]                 ; 67 8A 03, 3 bytes; the handler skips it

  ; back to protected mode through a GDT loaded in real mode (16-bit LGDT: 24-bit base)
  lgdt [rm_gdt_desc]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp dword 0x08:rm_pm32

rm_int40:
  push bp
  mov bp, sp
  mov ax, [bp + 2]
  mov [rm_int_ip], ax
  mov ax, [bp + 4]
  mov [rm_int_cs], ax
  pushf
  pop ax
  mov [rm_int_flags], ax
  pop bp
  iret

rm_de:
  push bp
  mov bp, sp
  mov ax, [bp + 2]
  mov [rm_de_ip], ax
  add word [bp + 2], 2
  pop bp
  iret

rm_gp:
  push bp
  mov bp, sp
  mov ax, [bp + 2]
  mov [rm_gp_ip], ax
  add word [bp + 2], 3
  pop bp
  iret

rm_puts:                        ; DS:SI = NUL-terminated string
  push ax
  push dx
.next:
  mov dx, COM1_LSR
.wait:
  in al, dx
  test al, LSR_THRE
  jz .wait
  lodsb
  test al, al
  jz .done
  mov dx, COM1
  out dx, al
  jmp .next
.done:
  pop dx
  pop ax
  ret

bits 32
rm_pm32:                        ; 32-bit code under the stub's GDT
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov dword [rm_pm32_seen], 0x600d
  sgdt [rm_sgdt]
  lgdt [gdt_desc]
  jmp SEL_CODE32:pm_back

align 8
rm_gdt:
  dq 0
  GDT_DESC 0, 0xfffff, 0x9a, 0xc
  GDT_DESC 0, 0xfffff, 0x92, 0xc
rm_gdt_end:
rm_gdt_desc:
  dw rm_gdt_end - rm_gdt - 1
  dd HIGH_GDT + rm_gdt          ; the high byte is ignored by the 16-bit form
rm_ivt_desc:
  dw 0x3ff
  dd 0
rm_hello: db "hello from real mode", 10, 0
align 4
rm_cr0:       dw 0
rm_seg_byte:  db 0, 0
rm_int_ip:    dw 0
rm_int_cs:    dw 0xffff
rm_int_flags: dw 0xffff
rm_sp_after:  dw 0
rm_de_ip:     dw 0
rm_gp_ip:     dw 0
rm_rol:       dd 0
rm_unreal:    dd 0
rm_sgdt:      dw 0
              dd 0
              dw 0
rm_pm32_seen: dd 0
rm_end:

%include "end.inc"
