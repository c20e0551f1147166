; pit-irq — interrupts from the 8254 PIT through the 8259A PIC pair while the CPU sits in HLT.
;
; Remaps the PICs to vectors 0x20 (master) and 0x28 (slave), unmasks IRQ 0 only, programs PIT
; channel 0 as a rate generator (mode 2) with divisor 11932 (~100 Hz), enables interrupts and
; halts; every wake-up with new ticks prints a line, ten times; then masks everything and exits.
; The handler reads the in-service register once (OCW3 0x0b): bit 0 while IRQ 0 is serviced.
; Lines do not depend on timing: how many ticks arrive while a line is printed does not show.
; Intel 8259A data sheet (ICW1-4, OCW2 EOI 0x20, OCW3), Intel 8254 data sheet (control word
; 0x34: channel 0, lobyte/hibyte, mode 2, binary).

%define WITH_IDT
%include "multiboot.inc"
%include "start.inc"
%include "idt.inc"

PIT_DIVISOR equ 11932
WAKEUPS     equ 10

section .text
main:
  ; PIC: ICW1 (edge, cascade, ICW4), ICW2 (vector base), ICW3 (cascade on IR2), ICW4 (8086 mode)
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
  ; PIT channel 0: mode 2, divisor
  mov al, 0x34
  out 0x43, al
  mov al, PIT_DIVISOR & 0xff
  out 0x40, al
  mov al, PIT_DIVISOR >> 8
  out 0x40, al

  mov esi, str_wait
  call puts
  xor ebx, ebx                  ; ticks seen
  mov edi, 1                    ; wake-ups printed
  sti
.halt:
  hlt
  mov eax, [ticks]
  cmp eax, ebx
  je .halt
  mov ebx, eax
  mov esi, str_tick
  call puts
  mov eax, edi
  call putdec
  call putnl
  inc edi
  cmp edi, WAKEUPS
  jbe .halt
  cli
  mov al, 0xff
  out 0x21, al
  mov esi, str_isr
  call puts
  mov eax, [isr_seen]
  call puthex8
  call putnl
  mov esi, str_ok
  call puts
  xor eax, eax
  ret

irq0_handler:
  push eax
  inc dword [ticks]
  cmp dword [ticks], 1
  jne .eoi
  mov al, 0x0b                  ; OCW3: read the ISR
  out 0x20, al
  in al, 0x20
  movzx eax, al
  mov [isr_seen], eax
  mov al, 0x0a                  ; back to reading the IRR
  out 0x20, al
.eoi:
  mov al, 0x20                  ; non-specific EOI
  out 0x20, al
  pop eax
  iretd

section .data
str_wait: db "PIT at ~100 Hz, IRQ 0 -> vector 0x20, waiting in hlt", 10, 0
str_tick: db "wake-up ", 0
str_isr:  db "ISR during the first tick: ", 0
str_ok:   db "PASS ten wake-ups by timer interrupts", 10, 0

section .bss
ticks:    resd 1
isr_seen: resd 1

%include "end.inc"
