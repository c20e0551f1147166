; triple-fault — an exception with an empty IDT: #UD cannot be delivered (#GP), neither can #GP
; (double fault), nor #DF: the processor shuts down (a PC resets it). Prints two lines first.
; Intel SDM Vol. 3A 6.15, interrupt 8: "a triple fault ... the processor enters shutdown".

%include "multiboot.inc"
%include "start.inc"

section .text
main:
  mov esi, str_now
  call puts
  call serial_flush             ; the shutdown must not cut the line short
  lidt [empty_idt]
  ud2
  mov esi, str_survived         ; never printed
  call puts
  mov eax, 1
  ret

section .data
str_now:      db "loading an empty IDT, then ud2: triple fault", 10, 0
str_survived: db "FAIL still running", 10, 0
align 4
empty_idt:
  dw 0
  dd 0
  dw 0

%include "end.inc"
