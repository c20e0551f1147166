; task-switch — hardware task switching: JMP and CALL to a TSS, IRET with NT back to the caller,
; a task gate in the IDT for INT n and for an exception with an error code, the busy flag, the
; previous-task link, NT, CR0.TS, and the state saved into the outgoing TSS.
;
; Intel SDM Vol. 3A chapter 7 (7.3 task switching, table 7-2 busy/NT/link/TS effects, 7.4 task
; linking), 6.12.2 (interrupt tasks: the error code is pushed on the new task's stack).

%define WITH_IDT
%include "multiboot.inc"
%include "start.inc"
%include "idt.inc"
%include "check.inc"
%include "ring3.inc"

SEL_TSSB  equ 0x40
SEL_TSSC  equ 0x48
TASK_VEC  equ 0x50

T_LINK   equ 0
T_CR3    equ 28
T_EIP    equ 32
T_EFLAGS equ 36
T_EBX    equ 52
T_ESP    equ 56
T_ES     equ 72
T_CS     equ 76
T_SS     equ 80
T_DS     equ 84
T_FS     equ 88
T_GS     equ 92

%macro TSS_DESC 2               ; selector, TSS address
  mov eax, %1
  mov ebx, %2
  mov ecx, 103
  mov dl, 0x89
  mov dh, 0
  call gdt_set
%endmacro

%macro TSS_INIT 3               ; TSS, entry, stack top
  mov dword [%1 + T_EIP], %2
  mov dword [%1 + T_ESP], %3
  mov dword [%1 + T_EFLAGS], 0x0002
  mov dword [%1 + T_CS], SEL_CODE32
  mov dword [%1 + T_SS], SEL_DATA32
  mov dword [%1 + T_DS], SEL_DATA32
  mov dword [%1 + T_ES], SEL_DATA32
  mov dword [%1 + T_FS], SEL_DATA32
  mov dword [%1 + T_GS], SEL_DATA32
  mov eax, cr3
  mov [%1 + T_CR3], eax
%endmacro

%macro TYPE_OF 2                ; register, selector: the descriptor's type nibble
  movzx %1, byte [gdt + %2 + 5]
  and %1, 0x0f
%endmacro

section .text
main:
  call tss_init                 ; the main task's TSS (SEL_TSS), TR loaded
  TSS_DESC SEL_TSSB, tss_b
  TSS_DESC SEL_TSSC, tss_c
  TSS_INIT tss_b, task_b, stack_b_top
  TSS_INIT tss_c, task_c, stack_c_top
  mov dword [tss_b + T_EBX], 0xbbbbbbbb
  mov eax, TASK_VEC
  xor ebx, ebx
  mov cx, SEL_TSSB
  mov dl, GATE_TASK
  call idt_set_gate

  ; --- JMP to a TSS and back ---------------------------------------------------------------------
  mov ebx, 0x12345678
  jmp SEL_TSSB:0
after_jmp:
  CHECK "jmp: main EBX restored from its TSS", ebx, 0x12345678
  CHECK "jmp: task B started with its TSS EBX", [b_ebx], 0xbbbbbbbb
  CHECK "jmp: task B ESP from its TSS", [b_esp], stack_b_top
  movzx eax, word [b_tr]
  CHECK "jmp: TR in task B", eax, SEL_TSSB
  mov eax, [b_eflags]
  and eax, 0x4000
  CHECK "jmp: NT in task B", eax, 0
  CHECK "jmp: task B busy while running", [b_type_b], 0xb
  CHECK "jmp: main task not busy while B runs", [b_type_main], 0x9
  CHECK "jmp: main TSS saved EIP (after the jmp)", [tss + T_EIP], after_jmp
  CHECK "jmp: main TSS saved EBX", [tss + T_EBX], 0x12345678
  TYPE_OF eax, SEL_TSSB
  CHECK "jmp back: task B not busy", eax, 0x9
  TYPE_OF eax, SEL_TSS
  CHECK "jmp back: main busy again", eax, 0xb
  mov eax, cr0
  and eax, 8
  CHECK "task switch sets CR0.TS", eax, 8
  clts
  str ax
  movzx eax, ax
  CHECK "TR back to main", eax, SEL_TSS

  ; --- CALL to a TSS, IRET back -------------------------------------------------------------------
  call SEL_TSSB:0
  mov eax, [b_eflags]
  and eax, 0x4000
  CHECK "call: NT in task B", eax, 0x4000
  CHECK "call: task B link = main", [b_link], SEL_TSS
  CHECK "call: main stays busy", [b_type_main], 0xb
  CHECK "call: task B busy", [b_type_b], 0xb
  CHECK "call: jmp to the busy main task from B: vector", [b_busy_vector], 13
  CHECK "call: jmp to the busy main task from B: error", [b_busy_error], SEL_TSS
  TYPE_OF eax, SEL_TSSB
  CHECK "iret: task B not busy afterwards", eax, 0x9
  mov eax, [tss_b + T_EFLAGS]
  and eax, 0x4000
  CHECK "iret: NT cleared in task B's saved EFLAGS", eax, 0
  pushfd
  pop eax
  and eax, 0x4000
  CHECK "iret: NT in main", eax, 0
  clts

  ; --- task gate: INT n ------------------------------------------------------------------------------
  int TASK_VEC
  CHECK "int via task gate: task B ran", [b_round], 3
  mov eax, [b_eflags]
  and eax, 0x4000
  CHECK "int via task gate: NT in task B", eax, 0x4000
  CHECK "int via task gate: link", [b_link], SEL_TSS
  clts

  ; --- exception through a task gate, error code on the new task's stack --------------------------
  mov eax, 13
  xor ebx, ebx
  mov cx, SEL_TSSC
  mov dl, GATE_TASK
  call idt_set_gate
  mov ax, 0x1f8
gp_insn:
  mov ds, ax                    ; #GP(0x1f8) -> task C, which skips this 2-byte instruction
  mov eax, 13
  call idt_stub_of
  mov cx, SEL_CODE32
  mov dl, GATE_INT
  call idt_set_gate
  CHECK "#GP via task gate: error code on task C's stack", [c_error], 0x1f8
  CHECK "#GP via task gate: task C ESP after the error code", [c_esp], stack_c_top - 4
  CHECK "#GP via task gate: main TSS EIP = faulting instruction", [c_main_eip], gp_insn
  CHECK "#GP via task gate: link", [c_link], SEL_TSS
  clts

  call check_report
  ret

; ------------------------------------------------------------------------------------------------------
task_b:                         ; round 1: entered by jmp
  mov [b_ebx], ebx
  mov [b_esp], esp
  call b_record
  mov ebx, 0xdeadbeef
  jmp SEL_TSS:0
  ; round 2: entered by call
  call b_record
  mov dword [b_round], 2
  TRY .busy_r
  jmp SEL_TSS:0                 ; main is busy: #GP(selector)
.busy_r:
  mov eax, [exc_vector]
  mov [b_busy_vector], eax
  mov eax, [exc_error]
  mov [b_busy_error], eax
  iretd
  ; round 3: entered through the task gate
  call b_record
  mov dword [b_round], 3
  iretd

b_record:
  str ax
  mov [b_tr], ax
  pushfd
  pop eax
  mov [b_eflags], eax
  mov eax, [tss_b + T_LINK]
  mov [b_link], eax
  TYPE_OF eax, SEL_TSSB
  mov [b_type_b], eax
  TYPE_OF eax, SEL_TSS
  mov [b_type_main], eax
  ret

task_c:                         ; #GP handler task
  mov [c_esp], esp
  pop eax
  mov [c_error], eax
  mov eax, [tss + T_EIP]
  mov [c_main_eip], eax
  add dword [tss + T_EIP], 2
  mov eax, [tss_c + T_LINK]
  mov [c_link], eax
  iretd
  jmp task_c

section .bss
b_ebx:         resd 1
b_esp:         resd 1
b_tr:          resd 1
b_eflags:      resd 1
b_link:        resd 1
b_type_b:      resd 1
b_type_main:   resd 1
b_round:       resd 1
b_busy_vector: resd 1
b_busy_error:  resd 1
c_error:       resd 1
c_esp:         resd 1
c_main_eip:    resd 1
c_link:        resd 1
alignb 16
tss_b: resb 104
tss_c: resb 104
stack_b: resb 4096
stack_b_top:
stack_c: resb 4096
stack_c_top:

%include "end.inc"
