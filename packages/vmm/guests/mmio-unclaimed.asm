; mmio-unclaimed — reads of a physical address that no RAM or device claims (0xe0000000, in the
; PCI hole far from RAM, the local/IO APIC and the BIOS) float to all ones: byte 0xff, word
; 0xffff, dword 0xffffffff; writes there are dropped (a read afterwards still gives all ones).
; Paging is off, so the address is physical.

%define WITH_IDT
%include "multiboot.inc"
%include "start.inc"
%include "idt.inc"
%include "check.inc"

UNCLAIMED equ 0xe0000000

section .text
main:
  mov eax, [UNCLAIMED]
  CHECK "dword read at 0xe0000000", eax, 0xffffffff
  movzx eax, word [UNCLAIMED + 0x10]
  CHECK "word read at 0xe0000010", eax, 0xffff
  movzx eax, byte [UNCLAIMED + 0x123]
  CHECK "byte read at 0xe0000123", eax, 0xff
  mov dword [UNCLAIMED + 0x20], 0x12345678
  mov eax, [UNCLAIMED + 0x20]
  CHECK "read after a write at 0xe0000020", eax, 0xffffffff
  call check_report
  ret

%include "end.inc"
