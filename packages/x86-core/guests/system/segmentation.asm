; segmentation — limits, expand-down segments, type and presence checks, error codes, LDT,
; LAR/LSL/VERR/VERW, the accessed bit, base wrap-around, a code segment limit.
;
; Intel SDM Vol. 3A 3.4.5 (descriptors), 5.3 (limit checking), 5.4-5.6 (type checking, privilege
; on data/stack loads), 6.13 (error codes: selector with bit 2 = TI), Vol. 2 (MOV Sreg, LAR, LSL,
; VERR/VERW). The faulting instruction is restarted, so every "eip" check prints 0.

%define WITH_IDT
%include "multiboot.inc"
%include "start.inc"
%include "idt.inc"
%include "check.inc"

SEL_LIM    equ 0x40             ; data, base 2 MiB, limit 0xfff (byte granular)
SEL_LIMG   equ 0x48             ; data, base 2 MiB, limit field 0, G = 1 (0xfff)
SEL_EDN    equ 0x50             ; expand-down data, limit 0xfff, B = 1: valid 0x1000 .. 0xffffffff
SEL_EDN16  equ 0x58             ; expand-down data, limit 0xfff, B = 0: valid 0x1000 .. 0xffff
SEL_STK    equ 0x60             ; stack, base 0, limit 4 MiB
SEL_NP     equ 0x68             ; data, not present
SEL_XO     equ 0x70             ; code, execute-only
SEL_XR     equ 0x78             ; code, execute/read
SEL_LDT    equ 0x80             ; an LDT (system descriptor)
SEL_WRAP   equ 0x88             ; data, base 0xfffff000, limit 4 GiB
SEL_CLIM   equ 0x90             ; code, base 0, limit = end of the page of climit_page
SEL_FRESH  equ 0x98             ; data, accessed bit clear
AREA       equ 0x00200000

%macro DESC 5                   ; selector, base, limit, access, flags
  mov eax, %1
  mov ebx, %2
  mov ecx, %3
  mov dl, %4
  mov dh, %5
  call gdt_set
%endmacro

%macro EXPECT 4                 ; name prefix, vector, error, label of the faulting instruction
  %strcat %%vec %1, ": vector"
  %strcat %%err %1, ": error"
  %strcat %%eip %1, ": eip - insn"
  CHECK %%vec, [exc_vector], %2
  CHECK %%err, [exc_error], %3
  push eax
  mov eax, [exc_eip]
  sub eax, %4
  CHECK %%eip, eax, 0
  pop eax
%endmacro

%macro NO_FAULT 1               ; name
  %strcat %%name %1, ": no exception"
  mov dword [exc_resume], 0
  CHECK %%name, [exc_vector], 0xffffffff
%endmacro

section .text
main:
  DESC SEL_LIM,   AREA, 0xfff, 0x92, 0x4
  DESC SEL_LIMG,  AREA, 0, 0x92, 0xc
  DESC SEL_EDN,   AREA, 0xfff, 0x96, 0x4
  DESC SEL_EDN16, AREA, 0xfff, 0x96, 0x0
  DESC SEL_STK,   0, 0x3ff, 0x92, 0xc
  DESC SEL_NP,    AREA, 0xfffff, 0x12, 0xc
  DESC SEL_XO,    0, 0xfffff, 0x98, 0xc
  DESC SEL_XR,    0, 0xfffff, 0x9a, 0xc
  DESC SEL_LDT,   ldt, 15, 0x82, 0x0
  DESC SEL_WRAP,  0xfffff000, 0xfffff, 0x92, 0xc
  mov eax, SEL_CLIM
  xor ebx, ebx
  mov ecx, climit_page
  shr ecx, 12
  mov dl, 0x9a
  mov dh, 0xc
  call gdt_set
  DESC SEL_FRESH, AREA, 0xfffff, 0x92, 0xc

  ; --- expand-up limits -----------------------------------------------------------------------
  mov ax, SEL_LIM
  mov fs, ax
  TRY .l1_r
  mov eax, [fs:0xffc]           ; last dword inside
.l1_r:
  NO_FAULT "limit 0xfff: dword at 0xffc"
  TRY .l2_r
.l2:
  mov eax, [fs:0xffd]           ; its last byte is at 0x1000
.l2_r:
  EXPECT "limit 0xfff: dword at 0xffd", 13, 0, .l2
  TRY .l3_r
.l3:
  mov byte [fs:0x1000], 1
.l3_r:
  EXPECT "limit 0xfff: byte at 0x1000", 13, 0, .l3
  mov ax, SEL_LIMG
  mov fs, ax
  TRY .l4_r
  mov al, [fs:0xfff]
.l4_r:
  NO_FAULT "limit G=1 field 0: byte at 0xfff"
  TRY .l5_r
.l5:
  mov al, [fs:0x1000]
.l5_r:
  EXPECT "limit G=1 field 0: byte at 0x1000", 13, 0, .l5

  ; --- expand-down ------------------------------------------------------------------------------
  mov ax, SEL_EDN
  mov fs, ax
  TRY .e1_r
.e1:
  mov al, [fs:0xfff]
.e1_r:
  EXPECT "expand-down B=1: byte at 0xfff", 13, 0, .e1
  TRY .e2_r
  mov eax, [fs:0x1000]
.e2_r:
  NO_FAULT "expand-down B=1: dword at 0x1000"
  TRY .e3_r
  mov eax, [fs:0xfffff000]      ; linear 0x1ff000 (wraps)
.e3_r:
  NO_FAULT "expand-down B=1: dword at 0xfffff000"
  mov ax, SEL_EDN16
  mov fs, ax
  TRY .e4_r
  mov eax, [fs:0xfffc]
.e4_r:
  NO_FAULT "expand-down B=0: dword at 0xfffc"
  TRY .e5_r
.e5:
  mov eax, [fs:0xfffe]          ; crosses 0xffff
.e5_r:
  EXPECT "expand-down B=0: dword at 0xfffe", 13, 0, .e5

  ; --- SS limit -> #SS(0) ------------------------------------------------------------------------
  mov ax, SEL_STK
  mov ss, ax
  TRY .s1_r
.s1:
  mov eax, [ss:0x00500000]
.s1_r:
  EXPECT "SS limit 4 MiB: read at 5 MiB", 12, 0, .s1
  mov ebp, 0x00400000
  TRY .s2_r
.s2:
  mov eax, [ebp]                ; EBP-based addressing defaults to SS
.s2_r:
  EXPECT "SS limit: [ebp] at 4 MiB", 12, 0, .s2
  mov ax, SEL_DATA32
  mov ss, ax

  ; --- loading segment registers -------------------------------------------------------------
  mov ax, SEL_NP
  TRY .n1_r
.n1:
  mov ds, ax
.n1_r:
  EXPECT "mov ds, not-present", 11, SEL_NP, .n1
  TRY .n2_r
.n2:
  mov ss, ax
.n2_r:
  EXPECT "mov ss, not-present", 12, SEL_NP, .n2
  mov ax, SEL_XR
  TRY .n3_r
.n3:
  mov ss, ax
.n3_r:
  EXPECT "mov ss, code segment", 13, SEL_XR, .n3
  xor eax, eax
  TRY .n4_r
.n4:
  mov ss, ax
.n4_r:
  EXPECT "mov ss, null", 13, 0, .n4
  mov ax, SEL_DATA32 | 3
  TRY .n5_r
.n5:
  mov ss, ax
.n5_r:
  EXPECT "mov ss, RPL 3 at CPL 0", 13, SEL_DATA32, .n5
  mov ax, SEL_XO
  TRY .n6_r
.n6:
  mov ds, ax
.n6_r:
  EXPECT "mov ds, execute-only code", 13, SEL_XO, .n6
  mov ax, SEL_LDT
  TRY .n7_r
.n7:
  mov es, ax
.n7_r:
  EXPECT "mov es, LDT descriptor", 13, SEL_LDT, .n7
  mov ax, SEL_XR
  mov gs, ax
  TRY .n8_r
  mov eax, [gs:mb_header]
.n8_r:
  NO_FAULT "read via execute/read code segment"
  CHECK "read via execute/read code segment: value", eax, 0x1badb002
  TRY .n9_r
.n9:
  mov [gs:scratch], eax
.n9_r:
  EXPECT "write via execute/read code segment", 13, 0, .n9
  mov ax, SEL_DATA32
  mov gs, ax

  ; --- accessed bit --------------------------------------------------------------------------
  movzx eax, byte [gdt + SEL_FRESH + 5]
  CHECK "descriptor before load: access byte", eax, 0x92
  mov ax, SEL_FRESH
  mov fs, ax
  movzx eax, byte [gdt + SEL_FRESH + 5]
  CHECK "descriptor after load: access byte (A set)", eax, 0x93

  ; --- LDT ----------------------------------------------------------------------------------------
  mov ax, SEL_LDT
  lldt ax
  mov dword [AREA + 0x40], 0xfeedf00d
  mov ax, 0x0004                ; LDT entry 0: not a null selector
  mov fs, ax
  mov eax, [fs:0x40]
  CHECK "LDT selector 0x0004 (entry 0) read", eax, 0xfeedf00d
  mov ax, 0x0014                ; entry 2, beyond the LDT limit (15)
  TRY .t1_r
.t1:
  mov fs, ax
.t1_r:
  EXPECT "LDT selector beyond limit", 13, 0x14, .t1
  sldt ax
  movzx eax, ax
  CHECK "sldt", eax, SEL_LDT

  ; --- LAR / LSL / VERR / VERW -------------------------------------------------------------------
  mov ax, SEL_LIM
  lsl eax, ax
  CHECK "lsl byte-granular", eax, 0xfff
  mov ax, SEL_LIMG
  lsl eax, ax
  CHECK "lsl G=1 field 0", eax, 0xfff
  mov ax, SEL_STK
  lsl eax, ax
  CHECK "lsl G=1 field 0x3ff", eax, 0x3fffff
  ; LAR's bits 19:16 are undefined (SDM Vol. 2A, LAR): masked off
  mov ax, SEL_FRESH
  lar eax, ax
  and eax, 0xfff0ffff
  CHECK "lar data (accessed), bits 19:16 masked", eax, 0x00c09300
  mov ax, SEL_LDT
  lar eax, ax
  and eax, 0xfff0ffff
  CHECK "lar LDT descriptor", eax, 0x00008200
  mov ax, SEL_NP
  lar eax, ax
  and eax, 0xfff0ffff
  CHECK "lar not-present data", eax, 0x00c01200
  mov eax, 0x12345678
  mov bx, 0x1f8                 ; beyond the GDT limit: ZF = 0, destination unchanged
  lar eax, bx
  pushfd
  pop ebx
  and ebx, 0x40
  CHECK "lar beyond GDT limit: ZF", ebx, 0
  CHECK "lar beyond GDT limit: dest unchanged", eax, 0x12345678
  mov ax, SEL_XO
  verr ax
  setz al
  movzx eax, al
  CHECK "verr execute-only: ZF", eax, 0
  mov ax, SEL_XR
  verr ax
  setz al
  movzx eax, al
  CHECK "verr execute/read: ZF", eax, 1
  mov ax, SEL_XR
  verw ax
  setz al
  movzx eax, al
  CHECK "verw code: ZF", eax, 0
  mov ax, SEL_LIM
  verw ax
  setz al
  movzx eax, al
  CHECK "verw data: ZF", eax, 1

  ; --- base wrap-around --------------------------------------------------------------------------
  mov ax, SEL_WRAP
  mov fs, ax
  mov dword [fs:AREA + 0x1100], 0xabad1dea          ; linear 0xfffff000 + 0x201100 = 0x200100
  CHECK "base 0xfffff000 wraps: linear 2 MiB + 0x100", [AREA + 0x100], 0xabad1dea
  mov ax, SEL_DATA32
  mov fs, ax

  ; --- code segment limit --------------------------------------------------------------------------
  jmp SEL_CLIM:climit_page
climit_back:
  EXPECT "jmp beyond CS limit", 13, 0, climit_jmp
  mov eax, [climit_ran]
  CHECK "code inside CS limit ran", eax, 1

  call check_report
  ret

section .text
align 4096
climit_page:                    ; CS = SEL_CLIM, limit = the end of this page
  mov dword [climit_ran], 1
  TRY climit_resume
climit_jmp:
  jmp climit_beyond
climit_resume:
  jmp SEL_CODE32:climit_back
align 4096
climit_beyond:
  mov dword [climit_ran], 2
  jmp SEL_CODE32:climit_back

section .data
align 8
ldt:
  GDT_DESC AREA, 0xfffff, 0x92, 0xc
  GDT_DESC AREA, 0xfffff, 0x92, 0xc
scratch: dd 0
climit_ran: dd 0

%include "end.inc"
