; fib — recursive Fibonacci with cdecl frames (call/ret/push/pop heavy).
;   bench size:  fib(35) = 9227465   (29.9 M calls, ~430 M instructions)
;   -DSMALL:     fib(24) = 46368     (150 K calls, ~2.2 M instructions)

%include "multiboot.inc"
%include "start.inc"

%ifdef SMALL
FIB_N equ 24
%else
FIB_N equ 35
%endif

section .text
main:
  push FIB_N
  call fib
  add esp, 4
  push eax
  mov esi, str_fib
  call puts
  mov eax, FIB_N
  call putdec
  mov esi, str_eq
  call puts
  pop eax
  call putdec
  call putnl
  xor eax, eax
  ret

; uint32_t fib(uint32_t n): n < 2 ? n : fib(n - 1) + fib(n - 2)
fib:
  push ebp
  mov ebp, esp
  push ebx
  mov eax, [ebp + 8]
  cmp eax, 2
  jb .done
  dec eax
  push eax
  call fib
  add esp, 4
  mov ebx, eax
  mov eax, [ebp + 8]
  sub eax, 2
  push eax
  call fib
  add esp, 4
  add eax, ebx
.done:
  pop ebx
  pop ebp
  ret

section .data
str_fib: db "fib(", 0
str_eq:  db ") = ", 0

%include "end.inc"
