; exits — the VMM's less common exit paths, self-checked, in one guest:
;
; 1. CPUID leaf 0 (a CPUID exit when the VMM intercepts it; the vendor differs between
;    references, so only the highest basic leaf is checked).
; 2. String I/O: `rep outsb` of a string to the POST port 0x80, `rep insb` of four bytes from an
;    unclaimed port (all ones) — the VMM emulates INS/OUTS with the whole register state.
; 3. MSRs: WRMSR/RDMSR of IA32_SYSENTER_CS (0x174) read back; RDMSR of an MSR no processor
;    implements (0x00123456: a reserved index) raises #GP(0).
; 4. A timer interrupt while the guest computes without any exit: the PIT (mode 2, ~1 kHz)
;    raises IRQ 0 while the CPU spins on a memory counter; the VMM must stop the vCPU to inject.
; 5. The interrupt window: with IF = 0 the guest computes for longer than a PIT period (the VMM
;    stops the vCPU for the pending interrupt, finds IF = 0 and asks for the interrupt window),
;    checks that IRQ 0 is pending in the PIC's IRR, then STI: the interrupt is taken right after
;    the instruction following STI.
;
; Output does not depend on timing. Intel SDM vol. 2 (CPUID, RDMSR, WRMSR, INS, OUTS, STI),
; vol. 4 (MSRs); Intel 8259A and 8254 data sheets.

%define WITH_IDT
%include "multiboot.inc"
%include "start.inc"
%include "idt.inc"
%include "check.inc"

PIT_DIVISOR equ 1193            ; ~1 kHz
SPIN_TICKS  equ 3
DELAY       equ 1500000         ; `loop` iterations, 1.5 ms at one instruction per ns

section .text
main:
  ; 1. CPUID
  xor eax, eax
  cpuid
  mov ebx, 0
  cmp eax, 1
  setae bl
  CHECK "cpuid highest basic leaf >= 1", ebx, 1

  ; 2. string I/O
  mov esi, str_outs
  mov ecx, str_outs_len
  mov dx, 0x80                  ; the POST port: accepts every byte (a UART would drop bytes
  cld                           ; written faster than it sends them)
  rep outsb
  CHECK "rep outsb leaves ecx", ecx, 0
  CHECK "rep outsb advances esi", esi, str_outs + str_outs_len
  mov edi, buffer
  mov ecx, 4
  mov dx, 0x2f0                 ; nobody decodes it
  rep insb
  CHECK "rep insb from an unclaimed port", [buffer], 0xffffffff
  CHECK "rep insb advances edi", edi, buffer + 4

  ; 3. MSRs
  mov ecx, 0x174
  mov eax, 0x1234
  xor edx, edx
  wrmsr
  xor eax, eax
  rdmsr
  CHECK "rdmsr SYSENTER_CS after wrmsr", eax, 0x1234
  TRY .gp_done
  mov ecx, 0x00123456
  rdmsr
.gp_done:
  CHECK "rdmsr of an absent MSR: vector", [exc_vector], 13
  CHECK "rdmsr of an absent MSR: error code", [exc_error], 0

  ; 4. a timer interrupt during guest computation
  call pic_pit_init
  sti
.spin:
  cmp dword [ticks], SPIN_TICKS
  jb .spin
  cli
  CHECK "timer ticks taken while computing", [ticks], SPIN_TICKS

  ; 5. the interrupt window: IRQ 0 pending while IF = 0
  mov ebx, [ticks]
  mov ecx, DELAY                ; longer than a PIT period, without an exit
.delay:
  loop .delay
  mov al, 0x0a                  ; OCW3: read the IRR
  out 0x20, al
.wait_irr:
  in al, 0x20
  test al, 1
  jz .wait_irr
  CHECK "no interrupt while IF = 0", [ticks], ebx
  sti
  nop                           ; the STI shadow: the interrupt comes after this instruction
  mov eax, [ticks]
  cli
  sub eax, ebx
  CHECK "interrupt taken after sti; nop", eax, 1
  mov al, 0xff                  ; mask everything again
  out 0x21, al

  call check_report
  ret

pic_pit_init:
  mov al, 0x11
  out 0x20, al
  out 0xa0, al
  mov al, 0x20
  out 0x21, al
  mov al, 0x28
  out 0xa1, al
  mov al, 0x04
  out 0x21, al
  mov al, 0x02
  out 0xa1, al
  mov al, 0x01
  out 0x21, al
  out 0xa1, al
  mov al, 0xfe                  ; only IRQ 0
  out 0x21, al
  mov al, 0xff
  out 0xa1, al
  mov eax, 0x20
  mov ebx, irq0_handler
  mov cx, SEL_CODE32
  mov dl, GATE_INT
  call idt_set_gate
  mov al, 0x34                  ; channel 0, lobyte/hibyte, mode 2
  out 0x43, al
  mov al, PIT_DIVISOR & 0xff
  out 0x40, al
  mov al, PIT_DIVISOR >> 8
  out 0x40, al
  ret

irq0_handler:
  push eax
  inc dword [ticks]
  mov al, 0x20                  ; non-specific EOI
  out 0x20, al
  pop eax
  iretd

section .data
str_outs:     db "rep outsb through the string I/O path"
str_outs_len  equ $ - str_outs

section .bss
buffer: resd 2
ticks:  resd 1

%include "end.inc"
