; input-wake — host input wakes a vCPU that waits in HLT for a distant timer.
;
; The PIT runs at its slowest rate (divisor 65536: one tick per 54.9 ms) on IRQ 0, the UART
; raises IRQ 4 for received data (IER bit 0, MCR OUT2). The guest prints a line and halts with
; both unmasked. The host (the test) types one byte while the vCPU sleeps towards the first
; tick: the byte must be taken by IRQ 4 before that tick — the VMM has to wake the halted vCPU
; for host input rather than let it sleep to the next device deadline — and the guest prints
; it with the number of ticks seen, then exits through the debug-exit port.
; Intel 8259A and 8254 data sheets; NS16550A data sheet (IER, MCR OUT2, RBR).

%define WITH_IDT
%include "multiboot.inc"
%include "start.inc"
%include "idt.inc"

section .text
main:
  ; PIC: ICW1..ICW4, vectors 0x20 (master) and 0x28 (slave); unmask IRQ 0 and IRQ 4
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
  mov al, 0xee
  out 0x21, al
  mov al, 0xff
  out 0xa1, al
  mov eax, 0x20
  mov ebx, irq0_handler
  mov cx, SEL_CODE32
  mov dl, GATE_INT
  call idt_set_gate
  mov eax, 0x24
  mov ebx, irq4_handler
  mov cx, SEL_CODE32
  mov dl, GATE_INT
  call idt_set_gate
  ; PIT channel 0: mode 2, divisor 0 (= 65536)
  mov al, 0x34
  out 0x43, al
  xor al, al
  out 0x40, al
  out 0x40, al
  ; UART: received-data interrupt, OUT2 gates IRQ 4 on a PC
  mov dx, COM1 + 1
  mov al, 0x01
  out dx, al
  mov dx, COM1 + 4
  mov al, 0x0b
  out dx, al

  mov esi, str_wait
  call puts
  sti
.halt:
  hlt
  cmp dword [received], 0
  je .halt
  cli
  mov al, 0xff
  out 0x21, al
  mov esi, str_got
  call puts
  mov eax, [rx_byte]
  call puthex8
  mov esi, str_after
  call puts
  mov eax, [ticks]
  call putdec
  mov esi, str_ticks
  call puts
  xor eax, eax
  ret

irq0_handler:
  push eax
  inc dword [ticks]
  mov al, 0x20
  out 0x20, al
  pop eax
  iretd

irq4_handler:
  push eax
  push edx
  mov dx, COM1
  in al, dx
  movzx eax, al
  mov [rx_byte], eax
  inc dword [received]
  mov al, 0x20
  out 0x20, al
  pop edx
  pop eax
  iretd

section .data
str_wait:  db "waiting in hlt for input", 10, 0
str_got:   db "got 0x", 0
str_after: db " after ", 0
str_ticks: db " timer ticks", 10, 0

section .bss
ticks:    resd 1
received: resd 1
rx_byte:  resd 1

%include "end.inc"
