; exceptions — the IDT: vectors, error codes, fault vs. trap EIP, #DF, #NP on a gate.
;
; Every exception goes through a 32-bit interrupt gate to idt.inc's recorder. "eip" checks print
; the saved EIP minus the address of the faulting instruction: 0 for a fault (the instruction is
; restarted), the instruction's length for a trap. Intel SDM Vol. 3A, 6.15 (exception reference)
; and 6.13 (error code); double fault class table: 6-5.

%define WITH_IDT
%include "multiboot.inc"
%include "start.inc"
%include "idt.inc"
%include "check.inc"

%macro CHECK_EIP 2              ; name, label of the faulting instruction
  push eax
  mov eax, [exc_eip]
  sub eax, %2
  CHECK %1, eax, 0
  pop eax
%endmacro
%macro CHECK_EIP_AFTER 3        ; name, label, expected distance
  push eax
  mov eax, [exc_eip]
  sub eax, %2
  CHECK %1, eax, %3
  pop eax
%endmacro

section .text
main:
  ; --- #DE: divide by zero and quotient overflow -------------------------------------------
  mov eax, 1
  xor edx, edx
  xor ecx, ecx
  TRY .de1_r
.de1:
  div ecx
.de1_r:
  CHECK "#DE div 0: vector", [exc_vector], 0
  CHECK_EIP "#DE div 0: eip - insn", .de1
  CHECK "#DE div 0: eax unchanged", eax, 1

  mov edx, 1
  xor eax, eax
  mov ecx, 1
  TRY .de2_r
.de2:
  div ecx                       ; 2^32 / 1 does not fit in 32 bits
.de2_r:
  CHECK "#DE div overflow: vector", [exc_vector], 0
  CHECK_EIP "#DE div overflow: eip - insn", .de2

  mov eax, 0x80000000
  cdq
  mov ecx, -1
  TRY .de3_r
.de3:
  idiv ecx                      ; -2^31 / -1 = 2^31 does not fit
.de3_r:
  CHECK "#DE idiv INT_MIN/-1: vector", [exc_vector], 0

  mov ax, 0x1234
  mov cl, 0x10
  TRY .de4_r
.de4:
  div cl                        ; 0x1234 / 0x10 = 0x123 does not fit in AL
.de4_r:
  CHECK "#DE div r/m8 overflow: vector", [exc_vector], 0
  and eax, 0xffff
  CHECK "#DE div r/m8: ax unchanged", eax, 0x1234

  ; --- #DB: single step (TF set by popfd traps after the next instruction) -------------------
  mov dword [exc_hooks + 1 * 4], db_hook
  mov dword [exc_count], 0
  pushfd
  or dword [esp], 0x100
  popfd
.db1:
  nop                           ; the trap is taken after this instruction
.db1_after:
  nop
  mov dword [exc_hooks + 1 * 4], 0
  CHECK "#DB single step: traps", [exc_count], 1
  CHECK "#DB single step: vector", [exc_vector], 1
  mov eax, [exc_eip]
  sub eax, .db1_after
  CHECK "#DB single step: eip - next insn", eax, 0
  mov eax, [db_dr6]
  and eax, 0x4000
  CHECK "#DB single step: DR6.BS", eax, 0x4000

  ; --- #BP: int3 and int 3 are traps -------------------------------------------------------
  TRY .bp1_r
.bp1:
  int3
.bp1_r:
  CHECK "#BP int3: vector", [exc_vector], 3
  CHECK_EIP_AFTER "#BP int3: eip - insn", .bp1, 1
  TRY .bp2_r
.bp2:
  int 3
.bp2_r:
  CHECK "#BP int 3 (CD 03): vector", [exc_vector], 3
  CHECK_EIP_AFTER "#BP int 3: eip - insn", .bp2, 2

  ; --- #OF: into traps only with OF = 1 ----------------------------------------------------
  mov al, 0x7f
  add al, 1                     ; OF = 1
  TRY .of1_r
.of1:
  into
.of1_r:
  CHECK "#OF into with OF=1: vector", [exc_vector], 4
  CHECK_EIP_AFTER "#OF into: eip - insn", .of1, 1
  mov al, 1
  add al, 1                     ; OF = 0
  mov dword [exc_count], 0
  TRY .of2_r
  into
.of2_r:
  mov dword [exc_resume], 0
  CHECK "#OF into with OF=0: exceptions", [exc_count], 0

  ; --- #BR: bound ---------------------------------------------------------------------------
  mov eax, 150
  TRY .br1_r
.br1:
  bound eax, [bounds]           ; bounds are [10, 100]
.br1_r:
  CHECK "#BR bound above: vector", [exc_vector], 5
  CHECK_EIP "#BR bound: eip - insn", .br1
  mov eax, 5
  TRY .br2_r
  bound eax, [bounds]
.br2_r:
  CHECK "#BR bound below: vector", [exc_vector], 5
  mov eax, 100
  mov dword [exc_count], 0
  TRY .br3_r
  bound eax, [bounds]
.br3_r:
  mov dword [exc_resume], 0
  CHECK "#BR bound inside: exceptions", [exc_count], 0
  mov ax, -3
  TRY .br4_r
  bound ax, [bounds16]          ; signed 16-bit bounds [-2, 2]
.br4_r:
  CHECK "#BR bound r16 signed: vector", [exc_vector], 5

  ; --- #UD ------------------------------------------------------------------------------------
  TRY .ud1_r
.ud1:
  ud2
.ud1_r:
  CHECK "#UD ud2: vector", [exc_vector], 6
  CHECK_EIP "#UD ud2: eip - insn", .ud1
  TRY .ud2_r
.ud2:
  db 0xf0, 0x01, 0xd8           ; lock add eax, ebx: LOCK with a register destination
.ud2_r:
  CHECK "#UD lock add reg: vector", [exc_vector], 6
  CHECK_EIP "#UD lock: eip - insn", .ud2
  TRY .ud3_r
.ud3:
  db 0x8d, 0xc0                 ; lea eax, eax (register operand)
.ud3_r:
  CHECK "#UD lea reg: vector", [exc_vector], 6

  ; --- #NM: x87 instruction with CR0.TS = 1 --------------------------------------------------
  fninit
  mov eax, cr0
  or eax, 8                     ; TS
  mov cr0, eax
  TRY .nm1_r
.nm1:
  fld1
.nm1_r:
  CHECK "#NM fld1 with TS: vector", [exc_vector], 7
  CHECK_EIP "#NM: eip - insn", .nm1
  clts
  mov dword [exc_count], 0
  fld1
  fstp st0
  CHECK "#NM after clts: exceptions", [exc_count], 0

  ; --- #GP ------------------------------------------------------------------------------------
  TRY .gp1_r
.gp1:
  mov [cs:gp_target], eax       ; code segments are not writable
.gp1_r:
  CHECK "#GP write via CS: vector", [exc_vector], 13
  CHECK "#GP write via CS: error", [exc_error], 0
  CHECK_EIP "#GP write via CS: eip - insn", .gp1

  mov ax, 0x1f8                 ; beyond the GDT limit
  TRY .gp2_r
.gp2:
  mov ds, ax
.gp2_r:
  CHECK "#GP mov ds, sel > limit: vector", [exc_vector], 13
  CHECK "#GP mov ds, sel > limit: error", [exc_error], 0x1f8
  CHECK_EIP "#GP mov ds: eip - insn", .gp2

  xor eax, eax
  mov es, ax                    ; loading null is fine ...
  TRY .gp3_r
.gp3:
  mov eax, [es:0x1000]          ; ... using it is #GP(0)
.gp3_r:
  mov ax, SEL_DATA32
  mov es, ax
  CHECK "#GP access via null ES: vector", [exc_vector], 13
  CHECK "#GP access via null ES: error", [exc_error], 0

  TRY .gp4_r
.gp4:
  jmp SEL_DATA32:0              ; far jump to a data segment
.gp4_r:
  CHECK "#GP jmp far to data segment: vector", [exc_vector], 13
  CHECK "#GP jmp far to data segment: error", [exc_error], SEL_DATA32

  ; --- #NP on a not-present gate, and the benign/contributory double-fault rule -------------
  and byte [idt + 3 * 8 + 5], 0x7f          ; vector 3 not present
  TRY .np1_r
.np1:
  int3
.np1_r:
  or byte [idt + 3 * 8 + 5], 0x80
  CHECK "#NP int3 via absent gate: vector", [exc_vector], 11
  CHECK "#NP int3 via absent gate: error (IDT, vector 3)", [exc_error], 3 * 8 + 2
  CHECK_EIP "#NP int3 via absent gate: eip - insn", .np1

  and byte [idt + 13 * 8 + 5], 0x7f         ; #GP not present: #GP while delivering #GP -> #NP -> #DF
  mov ax, 0x1f8
  TRY .df1_r
.df1:
  mov ds, ax
.df1_r:
  or byte [idt + 13 * 8 + 5], 0x80
  CHECK "#DF #GP with absent #GP gate: vector", [exc_vector], 8
  CHECK "#DF error code", [exc_error], 0

  and byte [idt + 0 * 8 + 5], 0x7f          ; #DE not present: #NP while delivering #DE -> #DF
  xor ecx, ecx
  TRY .df2_r
  div ecx
.df2_r:
  or byte [idt + 0 * 8 + 5], 0x80
  CHECK "#DF #DE with absent #DE gate: vector", [exc_vector], 8

  ; --- #PF: a not-present page, read then write; CR2 -----------------------------------------
  call paging_on
  TRY .pf1_r
.pf1:
  mov eax, [PF_ADDR + 0x123]
.pf1_r:
  CHECK "#PF read absent: vector", [exc_vector], 14
  CHECK "#PF read absent: error", [exc_error], 0
  CHECK "#PF read absent: cr2", [exc_cr2], PF_ADDR + 0x123
  CHECK_EIP "#PF read absent: eip - insn", .pf1
  TRY .pf2_r
  mov dword [PF_ADDR + 0xffe], 1            ; straddles into the next (also absent) page
.pf2_r:
  CHECK "#PF write absent: error", [exc_error], 2
  CHECK "#PF write absent: cr2", [exc_cr2], PF_ADDR + 0xffe
  mov dword [pt0 + (PF_ADDR >> 12) * 4], PF_PHYS + 3      ; map the first page only
  invlpg [PF_ADDR]
  TRY .pf3_r
  mov dword [PF_ADDR + 0xffe], 0x11223344
.pf3_r:
  CHECK "#PF write straddling into absent page: error", [exc_error], 2
  CHECK "#PF write straddling: cr2 (the second page)", [exc_cr2], PF_ADDR + 0x1000
  CHECK "#PF straddling write did not happen", [PF_PHYS + 0xffc], 0
  mov eax, cr0
  and eax, 0x7fffffff
  mov cr0, eax

  call check_report
  ret

; #DB hook: records DR6, clears TF in the frame
db_hook:
  mov eax, dr6
  mov [db_dr6], eax
  xor eax, eax
  mov dr6, eax
  mov eax, [esp + 4]
  and dword [eax + EXC_EFLAGS], ~0x100
  ret

PF_ADDR equ 0x00300000          ; absent in the page table below
PF_PHYS equ 0x00380000

; paging_on: identity-maps 0 .. 4 MiB except PF_ADDR .. PF_ADDR + 8 KiB, then CR0.PG
paging_on:
  mov edi, pt0
  mov eax, 3
  mov ecx, 1024
.fill:
  mov [edi], eax
  add eax, 0x1000
  add edi, 4
  dec ecx
  jnz .fill
  mov dword [pt0 + (PF_ADDR >> 12) * 4], 0
  mov dword [pt0 + (PF_ADDR >> 12) * 4 + 4], 0
  mov dword [pd], pt0 + 3
  mov eax, pd
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  ret

section .data
align 4
bounds:   dd 10, 100
bounds16: dw -2, 2
gp_target: dd 0

section .bss
db_dr6: resd 1
alignb 4096
pd:  resb 4096
pt0: resb 4096

%include "end.inc"
