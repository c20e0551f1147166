; x87 — FPU basics checked against known bit patterns: FNINIT state (control, status, tag words),
; constants (extended precision as loaded), FADD/FMUL/FDIV/FSQRT rounded to double and to
; extended, FIST/FISTP in the four rounding modes and on overflow, FCOM/FUCOM/FCOMI condition
; codes, FXAM classes, FRNDINT/FSCALE/FXTRACT, masked exceptions (divide by zero, invalid, stack
; overflow) with their status bits and default results, FBSTP, and an unmasked exception
; delivered as #MF at the next waiting instruction (CR0.NE = 1).
;
; Intel SDM Vol. 1 chapter 8 (8.1.3 status word, 8.1.5 control word, 8.1.7 tag word, 8.3.8
; constants with round-to-nearest, 8.5 exceptions, table 8-10/8-11 default results), Vol. 2
; (each instruction), Vol. 3A 6.15 interrupt 16. Transcendentals are left out on purpose: their
; last bit differs between implementations.

%define WITH_IDT
%include "multiboot.inc"
%include "start.inc"
%include "idt.inc"
%include "check.inc"

%macro CHECK64 3                ; name, memory (qword), expected
  %strcat %%lo %1, " (low)"
  %strcat %%hi %1, " (high)"
  CHECK %%hi, [%2 + 4], (%3) >> 32
  CHECK %%lo, [%2], (%3) & 0xffffffff
%endmacro

%macro CHECK80 4                ; name, memory (tword), exponent word, significand
  %strcat %%se %1, " (sign, exponent)"
  push eax
  movzx eax, word [%2 + 8]
  CHECK %%se, eax, %3
  pop eax
  CHECK64 %1, %2, %4
%endmacro

%macro SW 0                     ; EAX = status word
  fnstsw ax
  movzx eax, ax
%endmacro

section .text
main:
  mov eax, cr0
  and eax, ~(0x4 | 0x8)         ; EM = 0, TS = 0
  or eax, 0x2                   ; MP = 1
  mov cr0, eax

  ; --- FNINIT state ----------------------------------------------------------------------------
  fninit
  SW
  CHECK "fninit: status word", eax, 0
  fnstcw [cw]
  movzx eax, word [cw]
  CHECK "fninit: control word", eax, 0x037f
  fnstenv [env]
  movzx eax, word [env + 8]
  CHECK "fninit: tag word (all empty)", eax, 0xffff
  fld1
  SW
  and eax, 0x3800
  CHECK "fld1: TOP = 7", eax, 0x3800
  fnstenv [env]
  movzx eax, word [env + 8]
  CHECK "fld1: tag word (physical 7 valid)", eax, 0x3fff
  fstp qword [q]
  CHECK64 "fld1 as double", q, 0x3ff0000000000000

  ; --- constants (extended) ---------------------------------------------------------------------------
  fldpi
  fstp tword [t]
  CHECK80 "fldpi", t, 0x4000, 0xc90fdaa22168c235
  fldl2e
  fstp tword [t]
  CHECK80 "fldl2e", t, 0x3fff, 0xb8aa3b295c17f0bc
  fldl2t
  fstp tword [t]
  CHECK80 "fldl2t", t, 0x4000, 0xd49a784bcd1b8afe
  fldlg2
  fstp tword [t]
  CHECK80 "fldlg2", t, 0x3ffd, 0x9a209a84fbcff799
  fldln2
  fstp tword [t]
  CHECK80 "fldln2", t, 0x3ffe, 0xb17217f7d1cf79ac
  fldz
  fchs
  fstp qword [q]
  CHECK64 "fldz, fchs: -0.0", q, 0x8000000000000000

  ; --- arithmetic ------------------------------------------------------------------------------------------
  fld1
  fdiv dword [f_three]
  fst qword [q]
  CHECK64 "1 / 3 as double", q, 0x3fd5555555555555
  fstp tword [t]
  CHECK80 "1 / 3 as extended", t, 0x3ffd, 0xaaaaaaaaaaaaaaab
  fld qword [d_tenth]
  fadd qword [d_fifth]
  fstp qword [q]
  CHECK64 "0.1 + 0.2 (extended sum, stored as double)", q, 0x3fd3333333333334
  fld dword [f_1_5]
  fmul dword [f_2_5]
  fstp qword [q]
  CHECK64 "1.5 * 2.5", q, 0x400e000000000000
  fld qword [d_two]
  fsqrt
  fst qword [q]
  CHECK64 "sqrt(2) as double", q, 0x3ff6a09e667f3bcd
  fstp tword [t]
  CHECK80 "sqrt(2) as extended", t, 0x3fff, 0xb504f333f9de6484
  fild dword [i_7]
  fidiv word [i16_2]
  fsubr qword [d_two]           ; 2 - 3.5
  fabs
  fstp qword [q]
  CHECK64 "fild, fidiv, fsubr, fabs: |2 - 7/2|", q, 0x3ff8000000000000
  SW
  and eax, 0x003f
  CHECK "no exception flags so far (PE masked aside)", eax, 0x0020

  ; --- FIST in the four rounding modes ----------------------------------------------------------------------
  fninit
  mov word [cw], 0x037f         ; nearest
  call fist_set
  CHECK "round to nearest: 2.5, 3.5, -2.5, -2.7", [ints], 0xfdfe0402
  mov word [cw], 0x077f         ; down
  call fist_set
  CHECK "round down: 2.5, 3.5, -2.5, -2.7", [ints], 0xfdfd0302
  mov word [cw], 0x0b7f         ; up
  call fist_set
  CHECK "round up: 2.5, 3.5, -2.5, -2.7", [ints], 0xfefe0403
  mov word [cw], 0x0f7f         ; chop
  call fist_set
  CHECK "chop: 2.5, 3.5, -2.5, -2.7", [ints], 0xfefe0302
  fninit
  fld dword [f_40000]
  fistp word [w]
  movzx eax, word [w]
  CHECK "fistp word of 40000: integer indefinite", eax, 0x8000
  SW
  and eax, 0x0001
  CHECK "fistp overflow: IE", eax, 1
  fninit
  fild qword [i64_big]
  fistp qword [q]
  CHECK64 "fild, fistp qword 2^62 + 1 (exact in 64 bits)", q, 0x4000000000000001

  ; --- comparisons -----------------------------------------------------------------------------------------
  fninit
  fld1
  fcom dword [f_2_5]
  SW
  and eax, 0x4500
  CHECK "fcom 1 < 2.5: C0", eax, 0x0100
  fcom dword [f_one]
  SW
  and eax, 0x4500
  CHECK "fcom 1 = 1: C3", eax, 0x4000
  fcom dword [f_0_5]
  SW
  and eax, 0x4500
  CHECK "fcom 1 > 0.5: none", eax, 0x0000
  fucom st0                     ; st0 against itself
  SW
  and eax, 0x4500
  CHECK "fucom equal: C3", eax, 0x4000
  fld dword [f_qnan]
  fucomp st1
  SW
  and eax, 0x4501
  CHECK "fucomp QNaN: unordered, no IE", eax, 0x4500
  fld dword [f_2_5]
  fcomi st0, st1                ; 2.5 > 1
  pushfd
  pop eax
  and eax, 0x45
  CHECK "fcomi 2.5 > 1: ZF PF CF", eax, 0
  fxch
  fcomip st0, st1               ; 1 < 2.5
  pushfd
  pop eax
  and eax, 0x45
  CHECK "fcomip 1 < 2.5: CF", eax, 1
  fldz                          ; st0 = 0, st1 = 2.5
  stc
  fcmovb st0, st1
  fstp dword [fl]
  CHECK "fcmovb with CF = 1: moved", [fl], 0x40200000
  fldz
  clc
  fcmovb st0, st1
  fstp dword [fl]
  CHECK "fcmovb with CF = 0: not moved", [fl], 0
  fstp st0

  ; --- FXAM classes --------------------------------------------------------------------------------------
  fninit
  fxam
  SW
  and eax, 0x4700
  CHECK "fxam empty: C3 C0", eax, 0x4100
  fldz
  fxam
  SW
  and eax, 0x4700
  CHECK "fxam +0: C3", eax, 0x4000
  fstp st0
  fld dword [f_minf]
  fxam
  SW
  and eax, 0x4700
  CHECK "fxam -inf: C2 C1 C0", eax, 0x0700
  fstp st0
  fld dword [f_qnan]
  fxam
  SW
  and eax, 0x4700
  CHECK "fxam NaN: C0", eax, 0x0100
  fstp st0
  fld dword [f_2_5]
  fxam
  SW
  and eax, 0x4700
  CHECK "fxam +2.5: C2", eax, 0x0400
  fstp st0

  ; --- FRNDINT, FSCALE, FXTRACT, FPREM --------------------------------------------------------------------
  fninit
  fld dword [f_2_5]
  frndint
  fstp dword [fl]
  CHECK "frndint 2.5 (nearest even)", [fl], 0x40000000
  fild dword [i_3]
  fld1
  fscale                        ; 1 * 2^3
  fstp dword [fl]
  CHECK "fscale 1 by 3", [fl], 0x41000000
  fstp st0
  fld dword [f_12]
  fxtract                       ; st0 = 1.5, st1 = 3
  fstp dword [fl]
  CHECK "fxtract 12: significand", [fl], 0x3fc00000
  fstp dword [fl]
  CHECK "fxtract 12: exponent", [fl], 0x40400000
  fild dword [i_3]
  fild dword [i_7]
  fprem                         ; 7 mod 3
  fstp dword [fl]
  CHECK "fprem 7 mod 3", [fl], 0x3f800000
  fstp st0

  ; --- masked exceptions ------------------------------------------------------------------------------------
  fninit
  fld1
  fdiv dword [f_zero]
  fstp qword [q]
  CHECK64 "1 / 0 masked: +inf", q, 0x7ff0000000000000
  SW
  and eax, 0x003f
  CHECK "1 / 0: ZE", eax, 0x0004
  fninit
  fld dword [f_mone]
  fsqrt
  fstp qword [q]
  CHECK64 "sqrt(-1) masked: indefinite", q, 0xfff8000000000000
  SW
  and eax, 0x003f
  CHECK "sqrt(-1): IE", eax, 0x0001
  fninit
  mov ecx, 9
.push:
  fld1
  dec ecx
  jnz .push
  SW
  and eax, 0x0241
  CHECK "9th push: IE SF C1 (overflow)", eax, 0x0241
  fstp qword [q]
  CHECK64 "9th push: indefinite on top", q, 0xfff8000000000000

  ; --- FBSTP ------------------------------------------------------------------------------------------------
  fninit
  fild dword [i_12345]
  fchs
  fbstp [t]
  CHECK "fbstp -12345: digits", [t], 0x00012345
  movzx eax, byte [t + 9]
  CHECK "fbstp -12345: sign byte", eax, 0x80

  ; --- unmasked exception: #MF at the next waiting instruction ----------------------------------------------
  mov eax, cr0
  or eax, 0x20                  ; NE
  mov cr0, eax
  fninit
  mov word [cw], 0x037b         ; ZE unmasked
  fldcw [cw]
  fld1
  fdiv dword [f_zero]           ; sets ZE and ES; nothing is raised yet
  SW
  and eax, 0x0084
  CHECK "unmasked 1 / 0: ZE and ES pending", eax, 0x0084
  TRY .mf_r
.mf:
  fwait
.mf_r:
  CHECK "fwait with a pending exception: #MF vector", [exc_vector], 16
  mov eax, [exc_eip]
  sub eax, .mf
  CHECK "#MF: eip - fwait", eax, 0
  fninit

  call check_report
  ret

; fist_set: loads the control word [cw], stores 2.5, 3.5, -2.5, -2.7 as bytes of [ints]
fist_set:
  fldcw [cw]
  fld dword [f_2_5]
  fistp word [w]
  mov al, [w]
  mov [ints], al
  fld dword [f_3_5]
  fistp word [w]
  mov al, [w]
  mov [ints + 1], al
  fld dword [f_m2_5]
  fistp word [w]
  mov al, [w]
  mov [ints + 2], al
  fld dword [f_m2_7]
  fistp word [w]
  mov al, [w]
  mov [ints + 3], al
  ret

section .data
align 8
d_tenth: dq 0x3fb999999999999a
d_fifth: dq 0x3fc999999999999a
d_two:   dq 0x4000000000000000
i64_big: dq 0x4000000000000001
f_one:   dd 0x3f800000
f_three: dd 0x40400000
f_1_5:   dd 0x3fc00000
f_2_5:   dd 0x40200000
f_3_5:   dd 0x40600000
f_m2_5:  dd 0xc0200000
f_m2_7:  dd 0xc02ccccd
f_0_5:   dd 0x3f000000
f_12:    dd 0x41400000
f_zero:  dd 0
f_mone:  dd 0xbf800000
f_minf:  dd 0xff800000
f_qnan:  dd 0x7fc00000
f_40000: dd 0x471c4000
i_7:     dd 7
i_3:     dd 3
i_12345: dd 12345
i16_2:   dw 2

section .bss
alignb 16
env:  resb 28
t:    resb 16
q:    resq 1
fl:   resd 1
ints: resd 1
cw:   resw 1
w:    resw 1

%include "end.inc"
