; vm86 — virtual-8086 mode: entered with IRET (EFLAGS.VM), left through the protected-mode IDT.
;
; Run 1 (IOPL 0): CLI, STI, PUSHF, POPF, INT n, IRET and HLT fault with #GP(0); a monitor (the #GP
; hook below) emulates them with a virtual IF and reflects INT n through the real-mode IVT to a
; handler in v86 code. I/O follows the TSS I/O bitmap only (COM1 allowed: the v86 code prints by
; itself; port 0x80 denied: #GP, the monitor skips the instruction). MOV from CR0 faults.
; Addresses are segment * 16 + offset up to 0x10FFEF (FFFF:0010 is linear 1 MiB).
; Run 2 (IOPL 3): CLI/STI/PUSHF run directly and INT n goes through a DPL 3 IDT gate to a ring-0
; handler that finds a 9-dword frame (EIP CS EFLAGS ESP SS ES DS FS GS) on the TSS ring-0 stack
; and DS..GS loaded with null.
; Intel SDM Vol. 3A chapter 20 (20.2 virtual-8086 mode, 20.2.7 sensitive instructions, 20.3
; interrupt and exception handling, figure 20-? frame), Vol. 1 18.5.2 (I/O in v86 mode).

%define WITH_IDT
%include "multiboot.inc"
%include "start.inc"
%include "idt.inc"
%include "check.inc"
%include "ring3.inc"

STUB      equ 0x9000            ; the v86 code, copied below 1 MiB
V86_SP    equ 0x8ff0
EXIT_INT  equ 0xff              ; run 1: the monitor leaves v86 mode on `int 0xff`
PM_INT    equ 0x81              ; run 2: DPL 3 gate, records its frame and returns to v86
PM_EXIT   equ 0x82              ; run 2: DPL 3 gate, leaves v86 mode
F_IF      equ 0x0200
F_VM      equ 0x00020000

section .text
main:
  call tss_init
  mov esi, section..v86.start
  mov edi, STUB
  mov ecx, v86_end - v86_start
  call copy_bytes
  mov edx, COM1
  call io_allow
  mov edx, COM1_LSR
  call io_allow
  mov dword [exc_hooks + 13 * 4], monitor
  mov eax, PM_INT
  mov ebx, pm_int_handler
  mov cx, SEL_CODE32
  mov dl, GATE_INT3
  call idt_set_gate
  mov eax, PM_EXIT
  mov ebx, v86_leave
  mov cx, SEL_CODE32
  mov dl, GATE_INT3
  call idt_set_gate

  ; --- run 1: IOPL 0 ----------------------------------------------------------------------------
  mov eax, v86_run1
  mov edx, F_VM | 0x0002
  call run_v86
  MSG "back from v86 mode (run 1)"
  CHECK "run 1: #GP faults seen by the monitor", [mon_faults], 15
  CHECK "run 1: trapped opcodes, first four (FA FB 9C 9D)", [mon_ops], 0x9d9cfbfa
  CHECK "run 1: trapped opcodes, next four (CD CF F4 E6)", [mon_ops + 4], 0xe6f4cfcd
  CHECK "run 1: trapped opcodes, next four (E4 0F FA 9C)", [mon_ops + 8], 0x9cfa0fe4
  CHECK "run 1: trapped opcodes, last three (CD CF CD)", [mon_ops + 12], 0x00cdcfcd
  CHECK "run 1: #GP error codes all 0", [mon_error_or], 0
  movzx eax, word [v_flags_sti]
  and eax, F_IF
  CHECK "run 1: pushf after emulated sti shows IF", eax, F_IF
  movzx eax, word [v_flags_cli]
  and eax, F_IF
  CHECK "run 1: pushf after emulated cli shows no IF", eax, 0
  movzx eax, word [v_int21_seen]
  CHECK "run 1: int 0x21 reflected through the IVT ran", eax, 0x2121
  movzx eax, word [v_int21_ax]
  CHECK "run 1: AX at the reflected handler (second call)", eax, 0x4c01
  movzx eax, word [v_after_int]
  CHECK "run 1: returned from the reflected handler", eax, 0xbeef
  CHECK "run 1: hlt trapped", [mon_hlt], 1
  CHECK "run 1: denied out port", [mon_port_out], 0x80
  CHECK "run 1: denied in port", [mon_port_in], 0x81
  movzx eax, byte [v_in_value]
  CHECK "run 1: emulated in value", eax, 0x5a
  CHECK "run 1: 32-bit operand in v86", [v_eax], 0x12345678
  movzx eax, word [v_ffff]
  CHECK "run 1: FFFF:0010 is linear 1 MiB", eax, 0xb002
  movzx eax, word [v_sp_end]
  CHECK "run 1: SP balanced", eax, V86_SP

  ; --- run 2: IOPL 3 ------------------------------------------------------------------------------------
  mov dword [mon_faults], 0
  mov eax, v86_run2
  mov edx, F_VM | 0x3002
  call run_v86
  MSG "back from v86 mode (run 2)"
  CHECK "run 2: no #GP with IOPL 3", [mon_faults], 0
  movzx eax, word [v_flags_iopl3]
  and eax, F_IF | 0x3000
  CHECK "run 2: sti + pushf direct (IF, IOPL 3)", eax, F_IF | 0x3000
  CHECK "run 2: int via IDT: handler ESP = ESP0 - 36", [pm_esp], ring0_stack_top - 36
  CHECK "run 2: DS in the handler is null", [pm_ds], 0
  CHECK "run 2: frame EIP", [pm_frame + 0], v_after_pm_int
  CHECK "run 2: frame CS", [pm_frame + 4], 0
  mov eax, [pm_frame + 8]
  and eax, F_VM | 0x3000
  CHECK "run 2: frame EFLAGS VM, IOPL", eax, F_VM | 0x3000
  CHECK "run 2: frame ESP", [pm_frame + 12], V86_SP
  CHECK "run 2: frame SS", [pm_frame + 16], 0
  CHECK "run 2: frame ES", [pm_frame + 20], 0x1234
  CHECK "run 2: frame DS", [pm_frame + 24], 0
  CHECK "run 2: frame FS", [pm_frame + 28], 0x5678
  CHECK "run 2: frame GS", [pm_frame + 32], 0x9abc
  movzx eax, word [v_es_after]
  CHECK "run 2: ES restored by iret to v86", eax, 0x1234

  call check_report
  ret

; run_v86: EAX = IP (CS = 0), EDX = EFLAGS; returns when the v86 code leaves (v86_leave)
run_v86:
  pushad
  mov [v86_saved_esp], esp
  push dword 0                  ; GS
  push dword 0                  ; FS
  push dword 0                  ; DS
  push dword 0                  ; ES
  push dword 0                  ; SS
  push dword V86_SP             ; ESP
  push edx                      ; EFLAGS
  push dword 0                  ; CS
  push eax                      ; EIP
  iretd
v86_leave:                      ; on the ring-0 stack, from the monitor or through PM_EXIT
  mov ax, SEL_DATA32
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  mov esp, [v86_saved_esp]
  popad
  ret

; pm_int_handler: records ESP, DS and the v86 frame, returns to v86 mode
pm_int_handler:
  mov [ss:pm_esp], esp
  mov [ss:pm_ds], ds
  push eax
  push ecx
  push esi
  push edi
  mov ax, SEL_DATA32
  mov ds, ax
  mov es, ax
  lea esi, [esp + 16]
  mov edi, pm_frame
  mov ecx, 9
.copy:
  mov eax, [ss:esi]
  mov [edi], eax
  add esi, 4
  add edi, 4
  dec ecx
  jnz .copy
  pop edi
  pop esi
  pop ecx
  pop eax
  iretd

; monitor(frame): the #GP hook; emulates the sensitive instructions of v86 code
monitor:
  push ebp
  mov ebp, [esp + 8]
  test dword [ebp + EXC_EFLAGS], F_VM
  jz .not_v86
  inc dword [mon_faults]
  mov eax, [ebp + EXC_ERROR]
  or [mon_error_or], eax
  movzx esi, word [ebp + EXC_CS]
  shl esi, 4
  movzx eax, word [ebp + EXC_EIP]
  add esi, eax                  ; linear address of the instruction
  movzx eax, byte [esi]
  mov ecx, [mon_nops]
  cmp ecx, 16
  jae .logged
  mov [mon_ops + ecx], al
  inc dword [mon_nops]
.logged:
  cmp al, 0xfa
  je .cli
  cmp al, 0xfb
  je .sti
  cmp al, 0x9c
  je .pushf
  cmp al, 0x9d
  je .popf
  cmp al, 0xcd
  je .int
  cmp al, 0xcf
  je .iret
  cmp al, 0xf4
  je .hlt
  cmp al, 0xe6
  je .out_imm
  cmp al, 0xe4
  je .in_imm
  cmp al, 0x0f
  je .priv0f
  MSG "FAIL monitor: unknown opcode"
  mov al, 1
  jmp debug_exit
.cli:
  mov dword [mon_vif], 0
  jmp .skip1
.sti:
  mov dword [mon_vif], F_IF
  jmp .skip1
.pushf:
  mov eax, [ebp + EXC_EFLAGS]
  and eax, ~F_IF & 0xffff
  or eax, [mon_vif]
  call .push16
  jmp .skip1
.popf:
  call .pop16
  mov ecx, eax
  and ecx, F_IF
  mov [mon_vif], ecx
  and eax, 0x0dd5               ; OF DF TF SF ZF AF PF CF
  and dword [ebp + EXC_EFLAGS], ~0x0dd5
  or [ebp + EXC_EFLAGS], eax
  jmp .skip1
.int:
  movzx ebx, byte [esi + 1]
  cmp ebx, EXIT_INT
  je v86_leave
  mov eax, [ebp + EXC_EFLAGS]
  and eax, ~F_IF & 0xffff
  or eax, [mon_vif]
  call .push16
  mov eax, [ebp + EXC_CS]
  call .push16
  mov eax, [ebp + EXC_EIP]
  add eax, 2
  call .push16
  movzx eax, word [ebx * 4]
  mov [ebp + EXC_EIP], eax
  movzx eax, word [ebx * 4 + 2]
  mov [ebp + EXC_CS], eax
  mov dword [mon_vif], 0
  jmp .done
.iret:
  call .pop16
  mov [ebp + EXC_EIP], eax
  call .pop16
  mov [ebp + EXC_CS], eax
  call .pop16
  mov ecx, eax
  and ecx, F_IF
  mov [mon_vif], ecx
  and eax, 0x0dd5
  and dword [ebp + EXC_EFLAGS], ~0x0dd5
  or [ebp + EXC_EFLAGS], eax
  jmp .done
.hlt:
  inc dword [mon_hlt]
  jmp .skip1
.out_imm:
  movzx eax, byte [esi + 1]
  mov [mon_port_out], eax
  jmp .skip2
.in_imm:
  movzx eax, byte [esi + 1]
  mov [mon_port_in], eax
  mov byte [ebp + EXC_EAX], 0x5a
  jmp .skip2
.priv0f:
  add dword [ebp + EXC_EIP], 3  ; mov r32, crN (0F 20 /r)
  jmp .done
.skip2:
  inc dword [ebp + EXC_EIP]
.skip1:
  inc dword [ebp + EXC_EIP]
.done:
  pop ebp
  ret
.not_v86:
  mov eax, [exc_resume]
  test eax, eax
  jz .unexpected
  mov dword [exc_resume], 0
  mov [ebp + EXC_EIP], eax
  jmp .done
.unexpected:
  MSG "FAIL unexpected #GP outside v86 mode"
  mov al, 1
  jmp debug_exit
; v86 stack helpers (SS:SP of the frame), EAX = value
.push16:
  sub word [ebp + EXC_ESP], 2
  movzx edi, word [ebp + EXC_SS]
  shl edi, 4
  movzx ecx, word [ebp + EXC_ESP]
  mov [edi + ecx], ax
  ret
.pop16:
  movzx edi, word [ebp + EXC_SS]
  shl edi, 4
  movzx ecx, word [ebp + EXC_ESP]
  movzx eax, word [edi + ecx]
  add word [ebp + EXC_ESP], 2
  ret

section .data
mon_vif: dd F_IF

section .bss
v86_saved_esp: resd 1
mon_faults:    resd 1
mon_error_or:  resd 1
mon_nops:      resd 1
mon_ops:       resb 16
mon_hlt:       resd 1
mon_port_out:  resd 1
mon_port_in:   resd 1
pm_esp:        resd 1
pm_ds:         resd 1
pm_frame:      resd 9

; ------------------------------------------------------------------------------------------------------
section .v86 progbits follows=.text vstart=STUB align=16
bits 16
v86_start:
v86_run1:
  mov si, v_hello
  call v_puts                   ; COM1 is allowed in the I/O bitmap
  cli
  sti
  pushf
  pop ax
  mov [v_flags_sti], ax
  push ax
  popf
  mov word [0x21 * 4], v_int21
  mov word [0x21 * 4 + 2], 0
  mov ax, 0x4c00
  int 0x21
  mov [v_after_int], bx
  hlt
  out 0x80, al
  in al, 0x81
  mov [v_in_value], al
  mov eax, cr0                  ; privileged: #GP, skipped by the monitor
  mov eax, 0x12345678
  mov [v_eax], eax
  mov ax, 0xffff
  mov es, ax
  mov ax, [es:0x0010]
  mov [v_ffff], ax
  xor ax, ax
  mov es, ax
  cli
  pushf
  pop ax
  mov [v_flags_cli], ax
  mov [v_sp_end], sp
  mov ax, 0x4c01
  int 0x21                      ; once more, with the virtual IF clear
  int EXIT_INT

v_int21:                        ; reflected by the monitor
  mov [v_int21_ax], ax
  mov word [v_int21_seen], 0x2121
  mov bx, 0xbeef
  iret

v86_run2:
  cli
  sti
  pushf
  pop ax
  mov [v_flags_iopl3], ax
  mov ax, 0x1234
  mov es, ax
  mov ax, 0x5678
  mov fs, ax
  mov ax, 0x9abc
  mov gs, ax
  int PM_INT
v_after_pm_int:
  mov [cs:v_es_after], es
  int PM_EXIT

v_puts:
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

v_hello: db "hello from virtual-8086 mode", 10, 0
align 4
v_flags_sti:   dw 0
v_flags_cli:   dw 0
v_flags_iopl3: dw 0
v_after_int:   dw 0
v_int21_ax:    dw 0
v_int21_seen:  dw 0
v_in_value:    dw 0
v_ffff:        dw 0
v_sp_end:      dw 0
v_es_after:    dw 0
v_eax:         dd 0
v86_end:

%include "end.inc"
