; io-echo — UART receive: polls LSR.DR (bit 0), reads the receiver buffer register (0x3f8) and
; echoes every byte until a '.' arrives, then prints the count and a checksum of the bytes read.
; The host sends the input (the expected file records it: "hello, genode-ts.").
; 16550 data sheet: LSR bit 0 = data ready, RBR at offset 0 with DLAB = 0.

%include "multiboot.inc"
%include "start.inc"

TERMINATOR equ '.'

section .text
main:
  mov esi, str_prompt
  call puts
  xor ebx, ebx                  ; bytes read
  xor edi, edi                  ; checksum
.next:
  mov dx, COM1_LSR
.wait:
  in al, dx
  test al, LSR_DR
  jz .wait
  mov dx, COM1
  in al, dx
  call putc
  inc ebx
  movzx eax, al
  rol edi, 5
  add edi, eax
  cmp al, TERMINATOR
  jne .next
  call putnl
  mov esi, str_count
  call puts
  mov eax, ebx
  call putdec
  mov esi, str_sum
  call puts
  mov eax, edi
  call puthex32
  call putnl
  xor eax, eax
  ret

section .data
str_prompt: db "echo> ", 0
str_count:  db "received ", 0
str_sum:    db " bytes, checksum ", 0

%include "end.inc"
