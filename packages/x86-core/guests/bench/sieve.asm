; sieve — sieve of Eratosthenes over a byte array, repeated (spec/x86.md: "1 MiB sieve ×20").
;
; Each pass clears the array with dword stores, strikes out the multiples of every prime p with
; p*p < N, then counts the primes below N and sums them. The checksum is the count of the last
; pass and the sum of all sums (mod 2^32). No string instructions, so the retired-instruction
; count is architectural.
;   bench size:  N = 1 MiB, 20 passes  (~300 M instructions)
;   -DSMALL:     N = 64 KiB, 2 passes  (~2 M instructions)
;   -DPAGING:    the same with 2-level paging on: the first 8 MiB identity-mapped with 4 KiB pages
;                and the array seen at virtual 0x40000000 (4 KiB pages onto the physical array).

%include "multiboot.inc"
%include "start.inc"

%ifdef SMALL
N      equ 65536
PASSES equ 2
%else
N      equ 1048576
PASSES equ 20
%endif

%ifdef PAGING
ARRAY_VIRT equ 0x40000000
%endif

section .text
main:
%ifdef PAGING
  call paging_on
  mov ebp, ARRAY_VIRT
%else
  mov ebp, sieve_array
%endif
  mov dword [passes_left], PASSES
  mov dword [sum_total], 0

.pass:
  ; clear N bytes, a dword at a time
  mov edi, ebp
  lea edx, [ebp + N]
  xor eax, eax
.clear:
  mov [edi], eax
  add edi, 4
  cmp edi, edx
  jb .clear

  ; strike out multiples: for i = 2; i*i < N; i++ if !a[i] for j = i*i; j < N; j += i a[j] = 1
  mov ebx, 2
.outer:
  mov eax, ebx
  imul eax, ebx
  cmp eax, N
  jae .count
  cmp byte [ebp + ebx], 0
  jne .next_i
  lea edi, [ebp + eax]
.strike:
  mov byte [edi], 1
  add edi, ebx
  cmp edi, edx
  jb .strike
.next_i:
  inc ebx
  jmp .outer

  ; count and sum the primes in [2, N)
.count:
  xor ecx, ecx
  xor esi, esi
  mov ebx, 2
.scan:
  cmp byte [ebp + ebx], 0
  jne .composite
  inc ecx
  add esi, ebx
.composite:
  inc ebx
  cmp ebx, N
  jb .scan

  mov [count_last], ecx
  add [sum_total], esi
  dec dword [passes_left]
  jnz .pass

  mov esi, str_count
  call puts
  mov eax, [count_last]
  call putdec
  mov esi, str_sum
  call puts
  mov eax, [sum_total]
  call puthex32
  call putnl
  xor eax, eax
  ret

%ifdef PAGING
; paging_on: page directory with two identity page tables (0 .. 8 MiB) and one table for
; ARRAY_VIRT .. ARRAY_VIRT + N mapping onto sieve_array; then CR3 and CR0.PG.
paging_on:
  ; identity: 2048 PTEs
  mov edi, pt_identity
  mov eax, 0x003                ; present, writable
  mov ecx, 2048
.id:
  mov [edi], eax
  add eax, 0x1000
  add edi, 4
  dec ecx
  jnz .id
  mov dword [page_dir + 0], pt_identity + 0x003
  mov dword [page_dir + 4], pt_identity + 0x1000 + 0x003
  ; the array window
  mov edi, pt_array
  mov eax, sieve_array + 0x003
  mov ecx, (N + 0xfff) >> 12
.arr:
  mov [edi], eax
  add eax, 0x1000
  add edi, 4
  dec ecx
  jnz .arr
  mov dword [page_dir + (ARRAY_VIRT >> 22) * 4], pt_array + 0x003
  mov eax, page_dir
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  jmp .flush
.flush:
  ret
%endif

section .data
%ifdef PAGING
str_count: db "sieve-paging primes ", 0
%else
str_count: db "sieve primes ", 0
%endif
str_sum:   db " checksum ", 0

section .bss
passes_left: resd 1
count_last:  resd 1
sum_total:   resd 1
alignb 4096
sieve_array: resb N
%ifdef PAGING
alignb 4096
page_dir:    resb 4096
pt_identity: resb 8192
pt_array:    resb 4096
%endif

%include "end.inc"
