; privilege — ring 3 entered with iret, ring 0 re-entered through interrupt gates with the TSS
; stack switch, gate DPL checks, privileged instructions, IOPL and the I/O permission bitmap,
; POPF's silent IF rule, call gates with parameter copying, conforming code, data segment
; nulling on return to an outer ring.
;
; Intel SDM Vol. 3A 5.5-5.9 (privilege checks, call gates, conforming segments), 6.12.1
; (interrupt to a handler at a higher privilege: stack switch, frame SS, ESP, EFLAGS, CS, EIP),
; 6.12.1.1 (gate DPL < CPL for INT n: #GP(vector * 8 + 2)), Vol. 1 18.5 (I/O permission bitmap:
; every bit of a multi-byte access must be clear), Vol. 2 IRET (data segment registers that are
; not valid at the outer level are loaded with null), POPF (IF unchanged without a fault when
; CPL > IOPL), RET far (imm16 released on both stacks).

%define WITH_IDT
%include "multiboot.inc"
%include "start.inc"
%include "idt.inc"
%include "check.inc"
%include "ring3.inc"

SEL_CGATE3 equ 0x40             ; call gate, DPL 3, -> SEL_CODE32:cg_target, 2 dword parameters
SEL_CGATE0 equ 0x48             ; call gate, DPL 0
SEL_CONF   equ 0x50             ; conforming code segment, DPL 0
PROBE_VEC  equ 0x81             ; DPL 3 interrupt gate that records its frame
DPL0_VEC   equ 0x82             ; DPL 0 interrupt gate

%macro RING3 2                  ; ring-3 function, EFLAGS
  mov eax, %1
  mov edx, %2
  call run_ring3
%endmacro

%macro EXPECT_GP 3              ; name, error code, label of the faulting instruction
  %strcat %%vec %1, ": vector"
  %strcat %%err %1, ": error"
  %strcat %%eip %1, ": eip - insn"
  CHECK %%vec, [exc_vector], 13
  CHECK %%err, [exc_error], %2
  push eax
  mov eax, [exc_eip]
  sub eax, %3
  CHECK %%eip, eax, 0
  pop eax
%endmacro

section .text
main:
  call tss_init
  mov eax, PROBE_VEC
  mov ebx, probe_handler
  mov cx, SEL_CODE32
  mov dl, GATE_INT3
  call idt_set_gate
  mov eax, DPL0_VEC
  mov ebx, probe_handler
  mov cx, SEL_CODE32
  mov dl, GATE_INT
  call idt_set_gate
  ; call gates (descriptor: offset 15:0, selector, param count, type byte, offset 31:16)
  mov eax, cg_target
  mov [gdt + SEL_CGATE3], ax
  mov word [gdt + SEL_CGATE3 + 2], SEL_CODE32
  mov byte [gdt + SEL_CGATE3 + 4], 2
  mov byte [gdt + SEL_CGATE3 + 5], 0xec        ; present, DPL 3, 32-bit call gate
  shr eax, 16
  mov [gdt + SEL_CGATE3 + 6], ax
  mov eax, cg_target
  mov [gdt + SEL_CGATE0], ax
  mov word [gdt + SEL_CGATE0 + 2], SEL_CODE32
  mov byte [gdt + SEL_CGATE0 + 4], 0
  mov byte [gdt + SEL_CGATE0 + 5], 0x8c        ; present, DPL 0
  shr eax, 16
  mov [gdt + SEL_CGATE0 + 6], ax
  mov eax, SEL_CONF
  xor ebx, ebx
  mov ecx, 0xfffff
  mov dl, 0x9e                  ; present, DPL 0, code, conforming, readable
  mov dh, 0xc
  call gdt_set

  ; --- ring 3 via iret, back via a DPL 3 interrupt gate --------------------------------------------
  RING3 r3_basic, 0x0002
  CHECK "ring 3: returned value", eax, 0x3333
  movzx eax, word [r3_cs]
  CHECK "ring 3: CS", eax, SEL_UCODE32
  movzx eax, word [r3_ss]
  CHECK "ring 3: SS", eax, SEL_UDATA32
  CHECK "int from ring 3: handler ESP = ESP0 - 20", [probe_esp], ring0_stack_top - 20
  CHECK "int from ring 3: frame SS", [probe_frame + 16], SEL_UDATA32
  CHECK "int from ring 3: frame ESP", [probe_frame + 12], user_stack_top - 8
  CHECK "int from ring 3: frame EFLAGS", [probe_frame + 8], 0x0002
  CHECK "int from ring 3: frame CS", [probe_frame + 4], SEL_UCODE32
  CHECK "int from ring 3: frame EIP", [probe_frame + 0], r3_after_probe
  movzx eax, word [probe_ss]
  CHECK "int from ring 3: handler SS = TSS SS0", eax, SEL_DATA32

  ; --- gate DPL and privileged instructions -------------------------------------------------------------
  TRY r3_int0_r
  RING3 r3_int0, 0x0002
  EXPECT_GP "int to DPL 0 gate from ring 3", DPL0_VEC * 8 + 2, r3_int0_i
  TRY r3_cli_r
  RING3 r3_cli, 0x0002
  EXPECT_GP "cli at CPL 3 > IOPL 0", 0, r3_cli_i
  TRY r3_hlt_r
  RING3 r3_hlt, 0x0002
  EXPECT_GP "hlt at CPL 3", 0, r3_hlt_i
  TRY r3_cr0_r
  RING3 r3_cr0, 0x0002
  EXPECT_GP "mov cr0 at CPL 3", 0, r3_cr0_i
  TRY r3_lidt_r
  RING3 r3_lidt, 0x0002
  EXPECT_GP "lidt at CPL 3", 0, r3_lidt_i
  TRY r3_ds_r
  RING3 r3_ds, 0x0002
  EXPECT_GP "mov ds, DPL 0 data at CPL 3", SEL_DATA32, r3_ds_i
  TRY r3_ss_r
  RING3 r3_ss_test, 0x0002
  EXPECT_GP "mov ss, DPL 0 data at CPL 3", SEL_DATA32, r3_ss_i

  ; --- POPF at CPL 3 > IOPL: IF unchanged, no fault ---------------------------------------------------------
  mov dword [exc_count], 0
  RING3 r3_popf, 0x0002
  and eax, 0x3200
  CHECK "popf IF=1 IOPL=3 at CPL 3, IOPL 0: IF and IOPL unchanged", eax, 0
  CHECK "popf at CPL 3: no exception", [exc_count], 0

  ; --- I/O: IOPL 3, then IOPL 0 with the bitmap ------------------------------------------------------------
  mov dword [exc_count], 0
  RING3 r3_io_all, 0x3002
  CHECK "IOPL 3: in/out/cli/sti at CPL 3 without exceptions", [exc_count], 0
  mov edx, 0x80
  call io_allow
  mov edx, 0x81
  call io_allow
  RING3 r3_io_allowed, 0x0002
  CHECK "IOPL 0, bitmap allows 0x80/0x81: byte and word access", [exc_count], 0
  TRY r3_io_word_r
  RING3 r3_io_word, 0x0002
  EXPECT_GP "IOPL 0: word at 0x81 (0x82 denied)", 0, r3_io_word_i
  TRY r3_io_dx_r
  RING3 r3_io_dx, 0x0002
  EXPECT_GP "IOPL 0: out dx=0x3f8 denied", 0, r3_io_dx_i
  mov edx, COM1
  call io_allow
  mov edx, COM1_LSR
  call io_allow
  RING3 r3_print, 0x0002
  CHECK "ring 3 printed through allowed COM1 ports", eax, 0

  ; --- call gates and conforming code ---------------------------------------------------------------
  RING3 r3_callgate, 0x0002
  CHECK "call gate: target CPL", [cg_cpl], 0
  CHECK "call gate: parameter 1 copied", [cg_param1], 0x11111111
  CHECK "call gate: parameter 2 copied", [cg_param2], 0x22222222
  CHECK "call gate: saved CS", [cg_frame_cs], SEL_UCODE32
  CHECK "call gate: saved SS", [cg_frame_ss], SEL_UDATA32
  CHECK "call gate: saved ESP (after the parameters)", [cg_frame_esp], user_stack_top - 8
  CHECK "call gate: ring 3 ESP after retf 8", [r3_esp_after], user_stack_top
  CHECK "call gate: ESP0 used", [cg_esp], ring0_stack_top - 24
  TRY r3_cg0_r
  RING3 r3_cg0, 0x0002
  EXPECT_GP "call gate DPL 0 from ring 3", SEL_CGATE0, r3_cg0_i
  RING3 r3_conf, 0x0002
  movzx eax, word [conf_cs]
  CHECK "conforming code called from ring 3: CS (RPL = CPL 3)", eax, SEL_CONF | 3

  ; --- iret to ring 3 nulls data segment registers with DPL < CPL ------------------------------------
  mov ax, SEL_DATA32
  mov fs, ax
  mov ax, SEL_UDATA32
  mov gs, ax
  call iret_keeping_fs_gs
  mov ax, SEL_DATA32
  mov fs, ax
  mov gs, ax
  movzx eax, word [r3_fs]
  CHECK "iret to ring 3: FS with a DPL 0 data selector became null", eax, 0
  movzx eax, word [r3_gs]
  CHECK "iret to ring 3: GS with a DPL 3 data selector kept", eax, SEL_UDATA32

  ; --- ARPL --------------------------------------------------------------------------------------------
  mov ax, 0x0010
  mov bx, 0x0003
  arpl ax, bx
  setz bl
  movzx ebx, bl
  movzx eax, ax
  CHECK "arpl raises RPL: result", eax, 0x0013
  CHECK "arpl raises RPL: ZF", ebx, 1
  mov ax, 0x0013
  mov bx, 0x0001
  arpl ax, bx
  setz bl
  movzx ebx, bl
  CHECK "arpl keeps higher RPL: ZF", ebx, 0

  call check_report
  ret

; ------------------------------------------------------------------------------------------------------
; ring-3 code
r3_basic:
  mov [r3_cs], cs
  mov [r3_ss], ss
  push dword 0x5a5a5a5a
  push dword 0xa5a5a5a5
  int PROBE_VEC
r3_after_probe:
  add esp, 8
  mov eax, 0x3333
  int RING3_VECTOR

r3_int0:
r3_int0_i:
  int DPL0_VEC
r3_int0_r:
  int RING3_VECTOR
r3_cli:
r3_cli_i:
  cli
r3_cli_r:
  int RING3_VECTOR
r3_hlt:
r3_hlt_i:
  hlt
r3_hlt_r:
  int RING3_VECTOR
r3_cr0:
r3_cr0_i:
  mov cr0, eax
r3_cr0_r:
  int RING3_VECTOR
r3_lidt:
r3_lidt_i:
  lidt [idt_desc]
r3_lidt_r:
  int RING3_VECTOR
r3_ds:
  mov ax, SEL_DATA32
r3_ds_i:
  mov ds, ax
r3_ds_r:
  int RING3_VECTOR
r3_ss_test:
  mov ax, SEL_DATA32
r3_ss_i:
  mov ss, ax
r3_ss_r:
  int RING3_VECTOR

r3_popf:
  pushfd
  or dword [esp], 0x3200        ; IF = 1, IOPL = 3
  popfd
  pushfd
  pop eax
  int RING3_VECTOR

r3_io_all:
  in al, 0x80
  out 0x80, al
  mov dx, 0x82
  in ax, dx
  cli
  sti
  cli
  int RING3_VECTOR
r3_io_allowed:
  in al, 0x80
  out 0x81, al
  in ax, 0x80                   ; ports 0x80 and 0x81
  int RING3_VECTOR
r3_io_word:
r3_io_word_i:
  in ax, 0x81                   ; ports 0x81 and 0x82
r3_io_word_r:
  int RING3_VECTOR
r3_io_dx:
  mov dx, COM1
  mov al, '!'
r3_io_dx_i:
  out dx, al
r3_io_dx_r:
  int RING3_VECTOR
r3_print:
  mov esi, str_ring3
  call puts                     ; in/out on COM1 only
  xor eax, eax
  int RING3_VECTOR

r3_callgate:
  push dword 0x22222222
  push dword 0x11111111
  call SEL_CGATE3:0
  mov [r3_esp_after], esp       ; retf 8 released the parameters on this stack too
  int RING3_VECTOR
r3_cg0:
r3_cg0_i:
  call SEL_CGATE0:0
r3_cg0_r:
  int RING3_VECTOR
r3_conf:
  call SEL_CONF:conf_target
  int RING3_VECTOR

r3_segs:
  mov [r3_fs], fs
  mov [r3_gs], gs
  int RING3_VECTOR

; ------------------------------------------------------------------------------------------------------
; ring-0 targets
probe_handler:                  ; records ESP, SS and the 5-dword frame, returns
  mov [probe_esp], esp
  mov [probe_ss], ss
  push eax
  push ds
  mov ax, SEL_DATA32
  mov ds, ax
  mov eax, [esp + 8]
  mov [probe_frame + 0], eax
  mov eax, [esp + 12]
  mov [probe_frame + 4], eax
  mov eax, [esp + 16]
  mov [probe_frame + 8], eax
  mov eax, [esp + 20]
  mov [probe_frame + 12], eax
  mov eax, [esp + 24]
  mov [probe_frame + 16], eax
  pop ds
  pop eax
  iretd

cg_target:                      ; through SEL_CGATE3 from ring 3
  mov [ss:cg_esp], esp
  push ds
  push eax
  mov ax, SEL_DATA32
  mov ds, ax
  mov eax, cs
  and eax, 3
  mov [cg_cpl], eax
  mov eax, [esp + 8 + 8]
  mov [cg_param1], eax
  mov eax, [esp + 8 + 12]
  mov [cg_param2], eax
  mov eax, [esp + 8 + 4]
  mov [cg_frame_cs], eax
  mov eax, [esp + 8 + 16]
  mov [cg_frame_esp], eax
  mov eax, [esp + 8 + 20]
  mov [cg_frame_ss], eax
  pop eax
  pop ds
  retf 8

conf_target:
  mov [conf_cs], cs
  retf

; like run_ring3 (returns through int RING3_VECTOR), but leaves FS and GS as they are
iret_keeping_fs_gs:
  pushad
  mov [ring3_saved_esp], esp
  push dword SEL_UDATA32
  push dword user_stack_top
  push dword 0x0002
  push dword SEL_UCODE32
  push dword r3_segs
  mov ax, SEL_UDATA32
  mov ds, ax
  mov es, ax
  iretd

section .data
str_ring3: db "hello from ring 3", 10, 0

section .bss
r3_cs:        resd 1
r3_ss:        resd 1
r3_fs:        resd 1
r3_gs:        resd 1
r3_esp_after: resd 1
probe_esp:    resd 1
probe_ss:     resd 1
probe_frame:  resd 5
cg_esp:       resd 1
cg_cpl:       resd 1
cg_param1:    resd 1
cg_param2:    resd 1
cg_frame_cs:  resd 1
cg_frame_esp: resd 1
cg_frame_ss:  resd 1
conf_cs:      resd 1

%include "end.inc"
