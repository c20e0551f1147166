; integer-ext — the 486/Pentium/P6 additions and a few tricky integer forms: CMPXCHG, CMPXCHG8B
; (and its #UD register form), XADD, BSWAP, CMOVcc and SETcc over two flag states, SHLD/SHRD
; (count masking, count 0 leaves the flags alone), BSF/BSR, BT* with a memory bit string and
; negative offsets, ENTER with a nesting level, CPUID's Linux-required bitstr, RDTSC moving forward.
;
; Intel SDM Vol. 2 (each instruction's page). Undefined results are not checked: BSF/BSR's
; destination for a zero source, AF after shifts, OF after SHLD/SHRD with a count other than 1.

%define WITH_IDT
%include "multiboot.inc"
%include "start.inc"
%include "idt.inc"
%include "check.inc"

F_CF equ 0x001
F_PF equ 0x004
F_ZF equ 0x040
F_SF equ 0x080
F_OF equ 0x800

%macro FLAGS 2                  ; register, mask
  pushfd
  pop %1
  and %1, %2
%endmacro

; COND_MASK flags: EAX bit n = 1 when CMOVcc with cc = n moved (cc 0 = O ... 15 = G), with
; EFLAGS = flags. Only flag-neutral instructions between the CMOVs (mov, lea).
%macro COND_MASK 1
  xor eax, eax
  push dword %1
  popfd
%assign cc 0
%rep 16
  mov edx, 0
  db 0x0f, 0x40 + cc, 0x15       ; cmovcc edx, [bitval + cc * 4]
  dd bitval + cc * 4
  lea eax, [eax + edx]
%assign cc cc + 1
%endrep
%endmacro

; SET_MASK flags: the same with SETcc (into setbuf, then collected)
%macro SET_MASK 1
  push dword %1
  popfd
%assign cc 0
%rep 16
  db 0x0f, 0x90 + cc, 0x05       ; setcc [setbuf + cc]
  dd setbuf + cc
%assign cc cc + 1
%endrep
  xor eax, eax
%assign cc 0
%rep 16
  movzx edx, byte [setbuf + cc]
  shl edx, cc
  or eax, edx
%assign cc cc + 1
%endrep
%endmacro

section .text
main:
  ; --- CMPXCHG ------------------------------------------------------------------------------------
  mov dword [m32], 100
  mov eax, 100
  mov ecx, 200
  lock cmpxchg [m32], ecx
  FLAGS ebx, F_ZF
  CHECK "cmpxchg equal: ZF", ebx, F_ZF
  CHECK "cmpxchg equal: memory = source", [m32], 200
  mov eax, 5
  cmpxchg [m32], ecx
  FLAGS ebx, F_ZF | F_CF | F_SF
  CHECK "cmpxchg not equal: ZF clear, flags of 5 - 200 (CF SF)", ebx, F_CF | F_SF
  CHECK "cmpxchg not equal: EAX = memory", eax, 200
  mov al, 0x7f
  mov byte [m8], 0x7f
  mov cl, 0x01
  cmpxchg [m8], cl
  movzx eax, byte [m8]
  CHECK "cmpxchg r/m8 equal", eax, 1

  ; --- CMPXCHG8B ------------------------------------------------------------------------------------
  mov dword [m64], 0x11111111
  mov dword [m64 + 4], 0x22222222
  mov eax, 0x11111111
  mov edx, 0x22222222
  mov ebx, 0x33333333
  mov ecx, 0x44444444
  lock cmpxchg8b [m64]
  FLAGS esi, F_ZF
  CHECK "cmpxchg8b equal: ZF", esi, F_ZF
  CHECK "cmpxchg8b equal: low", [m64], 0x33333333
  CHECK "cmpxchg8b equal: high", [m64 + 4], 0x44444444
  mov eax, 0
  mov edx, 0
  cmpxchg8b [m64]
  FLAGS esi, F_ZF
  CHECK "cmpxchg8b not equal: ZF", esi, 0
  CHECK "cmpxchg8b not equal: EAX", eax, 0x33333333
  CHECK "cmpxchg8b not equal: EDX", edx, 0x44444444
  TRY .c8r
.c8:
  db 0x0f, 0xc7, 0xc8           ; cmpxchg8b eax: register operand
.c8r:
  CHECK "cmpxchg8b with a register operand: #UD", [exc_vector], 6
  mov eax, [exc_eip]
  sub eax, .c8
  CHECK "cmpxchg8b #UD: eip - insn", eax, 0

  ; --- XADD, XCHG, BSWAP --------------------------------------------------------------------------
  mov dword [m32], 0xfffffffe
  mov eax, 3
  lock xadd [m32], eax
  FLAGS ebx, F_CF | F_ZF | F_OF
  CHECK "xadd: memory = sum", [m32], 1
  CHECK "xadd: register = old memory", eax, 0xfffffffe
  CHECK "xadd: flags of the add (CF)", ebx, F_CF
  mov ax, 0x7fff
  mov cx, 1
  xadd ax, cx
  FLAGS ebx, F_OF | F_SF
  movzx eax, ax
  CHECK "xadd r16: sum", eax, 0x8000
  CHECK "xadd r16: OF SF", ebx, F_OF | F_SF
  mov eax, 0xaaaaaaaa
  xchg [m32], eax
  CHECK "xchg mem: register", eax, 1
  mov eax, 0x12345678
  bswap eax
  CHECK "bswap eax", eax, 0x78563412
  mov edi, 0x01020304
  bswap edi
  CHECK "bswap edi", edi, 0x04030201

  ; --- CMOVcc / SETcc over two flag states -----------------------------------------------------------
  COND_MASK 0x0002 | F_ZF | F_PF | F_CF
  CHECK "cmovcc with ZF PF CF (NO B E BE NS P GE LE)", eax, 0x6656
  COND_MASK 0x0002 | F_SF | F_OF
  CHECK "cmovcc with SF OF (O NB NE A S NP GE G)", eax, 0xa9a9
  SET_MASK 0x0002 | F_SF
  CHECK "setcc with SF (NO NB NE A S NP L LE)", eax, 0x59aa
  SET_MASK 0x0002 | F_ZF | F_OF
  CHECK "setcc with ZF OF (O NB E BE NS NP L LE)", eax, 0x5a59

  ; --- SHLD / SHRD --------------------------------------------------------------------------------
  mov eax, 0x12345678
  mov ebx, 0x9abcdef0
  shld eax, ebx, 4
  FLAGS ecx, F_CF
  CHECK "shld 4: result", eax, 0x23456789
  CHECK "shld 4: CF (bit 28 of the old value)", ecx, F_CF
  mov eax, 0x12345678
  shrd eax, ebx, 8
  FLAGS ecx, F_CF
  CHECK "shrd 8: result", eax, 0xf0123456
  CHECK "shrd 8: CF (bit 7 of the old value)", ecx, 0
  mov eax, 0x80000001
  mov ebx, 0
  shld eax, ebx, 1
  FLAGS ecx, F_CF | F_OF
  CHECK "shld 1: result", eax, 2
  CHECK "shld 1: CF, OF (sign changed)", ecx, F_CF | F_OF
  mov eax, 0x12345678
  mov cl, 33                    ; masked to 1
  shld eax, ebx, cl
  CHECK "shld cl=33 acts as 1", eax, 0x2468acf0
  stc
  mov eax, 0x12345678
  mov cl, 32                    ; masked to 0: no change, flags unchanged
  shrd eax, ebx, cl
  FLAGS edx, F_CF
  CHECK "shrd cl=32 (0): result unchanged", eax, 0x12345678
  CHECK "shrd cl=32 (0): CF unchanged", edx, F_CF
  mov ax, 0x1234
  mov bx, 0xabcd
  shld ax, bx, 4
  movzx eax, ax
  CHECK "shld r16 4", eax, 0x234a

  ; --- BSF / BSR --------------------------------------------------------------------------------------
  mov ebx, 0x00012000
  bsf eax, ebx
  FLAGS ecx, F_ZF
  CHECK "bsf 0x00012000", eax, 13
  CHECK "bsf nonzero: ZF", ecx, 0
  bsr eax, ebx
  CHECK "bsr 0x00012000", eax, 16
  mov ebx, 0
  bsf eax, ebx
  FLAGS ecx, F_ZF
  CHECK "bsf 0: ZF", ecx, F_ZF
  mov bx, 0x8000
  bsr ax, bx
  movzx eax, ax
  CHECK "bsr r16 0x8000", eax, 15

  ; --- BT family on a bit string -----------------------------------------------------------------------
  mov dword [bitstr + 0], 0
  mov dword [bitstr + 4], 0
  mov dword [bitstr + 8], 0
  mov dword [bitstr + 12], 0
  mov eax, 100
  bts [bitstr + 4], eax           ; bit 100 from bits + 4: byte bits + 16, bit 4
  FLAGS ecx, F_CF
  CHECK "bts [m], 100: old bit", ecx, 0
  CHECK "bts [m], 100: dword at +16", [bitstr + 16], 0x10
  mov eax, -1
  bts [bitstr + 4], eax           ; bit -1: bit 7 of bits + 3
  CHECK "bts [m], -1: dword at +0", [bitstr + 0], 0x80000000
  mov eax, 100
  btc [bitstr + 4], eax
  FLAGS ecx, F_CF
  CHECK "btc [m], 100: old bit", ecx, F_CF
  CHECK "btc [m], 100: cleared", [bitstr + 16], 0
  mov eax, 0x00000100
  mov ecx, 40                   ; register form: offset mod 32 = 8
  bt eax, ecx
  FLAGS edx, F_CF
  CHECK "bt reg, 40 (mod 32)", edx, F_CF
  mov eax, 0xffffffff
  btr eax, 31
  CHECK "btr imm", eax, 0x7fffffff

  ; --- ENTER with nesting ----------------------------------------------------------------------------
  mov ebp, outer_frame + 4       ; [ebp - 4] is the outer frame's display entry
  mov esi, esp
  enter 16, 2
  mov eax, esi
  sub eax, esp
  mov ebx, esi
  sub ebx, ebp
  mov ecx, [ebp - 4]            ; the copied frame pointer (old EBP)
  mov edx, [ebp - 8]            ; the new frame pointer itself
  mov edi, ebp
  leave
  CHECK "enter 16, 2: ESP moved by 4 + 4 + 4 + 16", eax, 28
  CHECK "enter 16, 2: EBP = old ESP - 4", ebx, 4
  CHECK "enter 16, 2: copied frame pointer", ecx, 0x0badb0b0
  sub edx, edi
  CHECK "enter 16, 2: pushed new frame pointer", edx, 0
  CHECK "leave: EBP restored", ebp, outer_frame + 4
  sub esi, esp
  CHECK "leave: ESP restored", esi, 0

  ; --- CPUID and RDTSC ------------------------------------------------------------------------------
  mov eax, 1
  cpuid
  and edx, 0x00008111           ; FPU, TSC, CX8, CMOV: what a Debian 686 kernel needs (and TSC)
  CHECK "cpuid 1: EDX has FPU TSC CX8 CMOV", edx, 0x00008111
  rdtsc
  mov esi, eax
  mov edi, edx
  mov ecx, 1000
.spin:
  dec ecx
  jnz .spin
  rdtsc
  sub eax, esi
  sbb edx, edi
  xor ebx, ebx
  test edx, edx
  js .tsc_done
  jnz .tsc_fwd
  test eax, eax
  jz .tsc_done
.tsc_fwd:
  mov ebx, 1
.tsc_done:
  CHECK "rdtsc moves forward", ebx, 1

  call check_report
  ret

section .data
align 8
m64:  dq 0
m32:  dd 0
m8:   dd 0
bitstr: times 8 dd 0
outer_frame: dd 0x0badb0b0, 0
bitval:
%assign i 0
%rep 16
  dd 1 << i
%assign i i + 1
%endrep
setbuf: times 16 db 0

%include "end.inc"
