; paging — 2-level paging: a #PF handler that maps pages on demand, error codes and CR2,
; accessed/dirty bits, CR0.WP, user/supervisor, 4 MiB pages (CR4.PSE), global pages and INVLPG,
; instruction fetch faults (also an instruction straddling into an absent page).
;
; Intel SDM Vol. 3A chapter 4: 4.3 (32-bit paging), 4.6 (access rights, WP), 4.7 (page-fault
; error code), 4.8 (accessed and dirty flags: set on any access / write; bit 6 of a PDE that
; references a page table is ignored), 4.10.4 (INVLPG, MOV to CR3 leaves global entries, CR4.PGE
; change flushes all; a page fault invalidates the faulting translation, so no INVLPG is needed
; after making an absent page present). Whether a global entry survives a CR3 write is not
; architectural (a TLB may drop any entry at any time), so it is not checked.

%define WITH_IDT
%include "multiboot.inc"
%include "start.inc"
%include "idt.inc"
%include "check.inc"
%include "ring3.inc"

PG_P     equ 0x001
PG_W     equ 0x002
PG_U     equ 0x004
PG_A     equ 0x020
PG_D     equ 0x040
PG_PS    equ 0x080
PG_G     equ 0x100

POOL     equ 0x00300000         ; page frames handed out by the #PF handler (identity-visible)
DEMAND   equ 0x40000000         ; demand-paged region (its PDE starts absent)
VA_RO    equ 0x00401000         ; -> 0x00201000, read-only, user
VA_SUP   equ 0x00402000         ; -> 0x00202000, supervisor-only
VA_G     equ 0x00403000         ; -> 0x00203000 / 0x00204000, global
VA_NG    equ 0x00404000         ; -> 0x00205000 / 0x00206000
VA_CODE  equ 0x00405000         ; -> 0x00207000; VA_CODE + 0x1000 absent, remapped on fault to 0x00208000
VA_NONE  equ 0x00407000         ; absent
VA_AD    equ 0x00800000         ; -> 0x00200000 through its own page table (PDE 2)
VA_4M    equ 0x00c00000         ; 4 MiB page -> 0x01000000
PA_4M    equ 0x01000000         ; identity 4 MiB page

section .text
main:
  call tss_init
  call paging_setup
  mov dword [exc_hooks + 14 * 4], pf_hook

  ; --- demand paging ----------------------------------------------------------------------------
  MSG "demand paging: writing 8 pages"
  mov dword [pf_count], 0
  xor ecx, ecx
.dw:
  mov eax, ecx
  shl eax, 12
  lea edi, [DEMAND + eax + 0x10]
  mov eax, ecx
  imul eax, eax, 0x01010101
  mov [edi], eax                ; first touch of page ecx: #PF, mapped, restarted
  inc ecx
  cmp ecx, 8
  jb .dw
  CHECK "demand: faults", [pf_count], 8
  CHECK "demand: frames allocated (page table + 8 pages)", [pool_next], POOL + 9 * 0x1000
  CHECK "demand: fault 0 cr2", [pf_log + 0], DEMAND + 0x10
  CHECK "demand: fault 0 error (write, not present)", [pf_log + 4], PG_W
  CHECK "demand: fault 7 cr2", [pf_log + 7 * 8], DEMAND + 0x7010
  CHECK "demand: fault 7 error", [pf_log + 7 * 8 + 4], PG_W
  ; read back: no faults
  xor esi, esi
  xor ecx, ecx
.dr:
  mov eax, ecx
  shl eax, 12
  add esi, [DEMAND + eax + 0x10]
  rol esi, 3
  inc ecx
  cmp ecx, 8
  jb .dr
  CHECK "demand: read back without faults", [pf_count], 8
  CHECK "demand: read-back checksum", esi, 0xadadadad
  mov eax, [DEMAND + 0x8000]    ; a read fault maps a zeroed page
  CHECK "demand: read fault value", eax, 0
  CHECK "demand: read fault error", [pf_log + 8 * 8 + 4], 0
  mov eax, [pd + (DEMAND >> 22) * 4]
  and eax, PG_P | PG_W | PG_U
  CHECK "demand: PDE created by the handler", eax, PG_P | PG_W | PG_U

  ; --- accessed and dirty ------------------------------------------------------------------------
  mov eax, [VA_AD]
  mov eax, [pt_ad]
  and eax, PG_A | PG_D
  CHECK "A/D: PTE after read", eax, PG_A
  mov eax, [pd + 2 * 4]
  and eax, PG_A | PG_D
  CHECK "A/D: PDE after read", eax, PG_A
  mov dword [VA_AD + 4], 1
  mov eax, [pt_ad]
  and eax, PG_A | PG_D
  CHECK "A/D: PTE after write", eax, PG_A | PG_D
  mov eax, [pd + 2 * 4]
  and eax, PG_A | PG_D
  CHECK "A/D: PDE after write (bit 6 ignored, stays 0)", eax, PG_A
  and dword [pt_ad], ~(PG_A | PG_D)
  invlpg [VA_AD]
  mov dword [VA_AD + 8], 2      ; a write without a read first sets both
  mov eax, [pt_ad]
  and eax, PG_A | PG_D
  CHECK "A/D: PTE after a first write", eax, PG_A | PG_D

  ; --- write protection ----------------------------------------------------------------------------
  mov dword [VA_RO], 0x11111111 ; CR0.WP = 0: supervisor writes ignore R/W
  CHECK "WP=0: supervisor write to read-only page", [0x00201000], 0x11111111
  mov eax, cr0
  or eax, 0x00010000
  mov cr0, eax
  TRY .wp_r
.wp:
  mov dword [VA_RO + 4], 0x22222222
.wp_r:
  CHECK "WP=1: supervisor write to read-only: vector", [exc_vector], 14
  CHECK "WP=1: error (present, write)", [exc_error], PG_P | PG_W
  CHECK "WP=1: cr2", [exc_cr2], VA_RO + 4
  mov eax, [exc_eip]
  sub eax, .wp
  CHECK "WP=1: eip - insn", eax, 0
  CHECK "WP=1: memory unchanged", [0x00201004], 0

  ; --- user / supervisor (from ring 3) -------------------------------------------------------------
  TRY u1_r
  mov eax, u1
  mov edx, 0x0002
  call run_ring3
  CHECK "ring 3 write to read-only: error (P, W, U)", [exc_error], PG_P | PG_W | PG_U
  CHECK "ring 3 write to read-only: cr2", [exc_cr2], VA_RO + 8
  TRY u2_r
  mov eax, u2
  mov edx, 0x0002
  call run_ring3
  CHECK "ring 3 read of supervisor page: error (P, U)", [exc_error], PG_P | PG_U
  CHECK "ring 3 read of supervisor page: cr2", [exc_cr2], VA_SUP
  TRY u3_r
  mov eax, u3
  mov edx, 0x0002
  call run_ring3
  CHECK "ring 3 write to absent page: error (W, U)", [exc_error], PG_W | PG_U
  CHECK "ring 3 write to absent page: cr2", [exc_cr2], VA_NONE + 0x20
  mov eax, u4
  mov edx, 0x0002
  call run_ring3
  CHECK "ring 3 read of user read-only page", eax, 0x11111111

  ; --- 4 MiB pages -----------------------------------------------------------------------------------
  mov dword [VA_4M + 0x1234], 0xc0ffee42
  CHECK "4 MiB page: written through 0x00c00000, read at 16 MiB", [PA_4M + 0x1234], 0xc0ffee42
  mov eax, [pd + (VA_4M >> 22) * 4]
  and eax, PG_A | PG_D | PG_PS
  CHECK "4 MiB page: PDE A, D, PS", eax, PG_A | PG_D | PG_PS
  mov eax, [pd + (PA_4M >> 22) * 4]
  and eax, PG_A | PG_D | PG_PS
  CHECK "4 MiB page read only: PDE A, PS", eax, PG_A | PG_PS
  mov dword [PA_4M + 0x3ffffc], 0x0badcafe
  CHECK "4 MiB page: last dword", [VA_4M + 0x3ffffc], 0x0badcafe

  ; --- global pages, INVLPG, CR3 reload, CR4.PGE toggle -----------------------------------------------
  mov dword [0x00203000], 0xaaaa0001
  mov dword [0x00204000], 0xbbbb0002
  mov dword [0x00205000], 0xcccc0003
  mov dword [0x00206000], 0xdddd0004
  mov eax, cr4
  or eax, 0x80                  ; PGE
  mov cr4, eax
  CHECK "global page: first mapping", [VA_G], 0xaaaa0001
  mov dword [pt1 + ((VA_G >> 12) & 0x3ff) * 4], 0x00204000 | PG_G | PG_P | PG_W | PG_U
  invlpg [VA_G]
  CHECK "global page: new mapping after INVLPG", [VA_G], 0xbbbb0002
  CHECK "non-global page: first mapping", [VA_NG], 0xcccc0003
  mov dword [pt1 + ((VA_NG >> 12) & 0x3ff) * 4], 0x00206000 | PG_P | PG_W | PG_U
  mov eax, cr3
  mov cr3, eax
  CHECK "non-global page: new mapping after CR3 reload", [VA_NG], 0xdddd0004
  mov dword [pt1 + ((VA_G >> 12) & 0x3ff) * 4], 0x00203000 | PG_G | PG_P | PG_W | PG_U
  mov eax, cr4
  and eax, ~0x80
  mov cr4, eax
  or eax, 0x80
  mov cr4, eax
  CHECK "global page: new mapping after CR4.PGE toggle", [VA_G], 0xaaaa0001

  ; --- instruction fetch faults ------------------------------------------------------------------------
  mov dword [pf_count], 0
  TRY .f1_r
  call VA_NONE
.f1_r:
  add esp, 4                    ; the call's return address
  CHECK "fetch from absent page: vector", [exc_vector], 14
  CHECK "fetch from absent page: error", [exc_error], 0
  CHECK "fetch from absent page: cr2", [exc_cr2], VA_NONE
  CHECK "fetch from absent page: eip", [exc_eip], VA_NONE
  ; mov eax, 0x11223344 at VA_CODE + 0xffe: B8 44 | 33 22 11, then ret (C3)
  mov dword [0x00207ffc], 0x44b80000
  mov dword [0x00208000], 0xc3112233
  mov dword [pf_remap_va], VA_CODE + 0x1000
  mov dword [pf_remap_pa], 0x00208000
  mov dword [pf_count], 0
  xor eax, eax
  call VA_CODE + 0xffe
  CHECK "straddling instruction: result after remap", eax, 0x11223344
  CHECK "straddling instruction: faults", [pf_count], 1
  CHECK "straddling instruction: cr2 (first byte in the absent page)", [pf_log], VA_CODE + 0x1000
  CHECK "straddling instruction: eip (instruction start)", [exc_eip], VA_CODE + 0xffe

  call check_report
  ret

; ring-3 pieces: one access each, then back to ring 0
u1:
  mov dword [VA_RO + 8], 3
u1_r:
  int RING3_VECTOR
u2:
  mov eax, [VA_SUP]
u2_r:
  int RING3_VECTOR
u3:
  mov dword [VA_NONE + 0x20], 4
u3_r:
  int RING3_VECTOR
u4:
  mov eax, [VA_RO]
  int RING3_VECTOR

; pf_hook(frame): logs CR2 and the error code; then maps the page if it is the remap page or in
; the demand region, else resumes at exc_resume
pf_hook:
  push ebp
  mov ebp, [esp + 8]
  mov eax, [pf_count]
  cmp eax, 16
  jae .logged
  mov ecx, [exc_cr2]
  mov [pf_log + eax * 8], ecx
  mov ecx, [exc_error]
  mov [pf_log + eax * 8 + 4], ecx
.logged:
  inc dword [pf_count]
  mov eax, [exc_cr2]
  and eax, 0xfffff000
  cmp eax, [pf_remap_va]
  jne .demand
  mov ecx, [pf_remap_pa]
  or ecx, PG_P | PG_W | PG_U
  mov [pt1 + ((VA_CODE + 0x1000) >> 12 & 0x3ff) * 4], ecx
  jmp .done
.demand:
  cmp eax, DEMAND
  jb .resume
  cmp eax, DEMAND + 0x400000
  jae .resume
  mov ebx, eax
  shr ebx, 22
  test dword [pd + ebx * 4], PG_P
  jnz .have_pt
  call alloc_frame
  or eax, PG_P | PG_W | PG_U
  mov [pd + ebx * 4], eax
.have_pt:
  mov edi, [pd + ebx * 4]
  and edi, 0xfffff000
  mov edx, [exc_cr2]
  shr edx, 12
  and edx, 0x3ff
  call alloc_frame
  or eax, PG_P | PG_W
  mov [edi + edx * 4], eax
  jmp .done
.resume:
  mov eax, [exc_resume]
  test eax, eax
  jz .unexpected
  mov dword [exc_resume], 0
  mov [ebp + EXC_EIP], eax
.done:
  pop ebp
  ret
.unexpected:
  MSG "FAIL unexpected page fault"
  mov al, 1
  jmp debug_exit

; alloc_frame: EAX = a zeroed page frame from the pool
alloc_frame:
  push ecx
  push edi
  mov eax, [pool_next]
  add dword [pool_next], 0x1000
  mov edi, eax
  mov ecx, 1024
.z:
  mov dword [edi], 0
  add edi, 4
  dec ecx
  jnz .z
  pop edi
  pop ecx
  ret

paging_setup:
  ; identity 0 .. 4 MiB, user-accessible, through pt0
  mov edi, pt0
  mov eax, PG_P | PG_W | PG_U
  mov ecx, 1024
.id:
  mov [edi], eax
  add eax, 0x1000
  add edi, 4
  dec ecx
  jnz .id
  mov dword [pd + 0], pt0 + PG_P + PG_W + PG_U
  ; 4 .. 8 MiB: the test pages
  mov dword [pt1 + ((VA_RO >> 12) & 0x3ff) * 4],  0x00201000 | PG_P | PG_U
  mov dword [pt1 + ((VA_SUP >> 12) & 0x3ff) * 4], 0x00202000 | PG_P | PG_W
  mov dword [pt1 + ((VA_G >> 12) & 0x3ff) * 4],   0x00203000 | PG_G | PG_P | PG_W | PG_U
  mov dword [pt1 + ((VA_NG >> 12) & 0x3ff) * 4],  0x00205000 | PG_P | PG_W | PG_U
  mov dword [pt1 + ((VA_CODE >> 12) & 0x3ff) * 4], 0x00207000 | PG_P | PG_W | PG_U
  mov dword [pd + 1 * 4], pt1 + PG_P + PG_W + PG_U
  ; 8 MiB: the A/D page through its own table
  mov dword [pt_ad], 0x00200000 | PG_P | PG_W | PG_U
  mov dword [pd + 2 * 4], pt_ad + PG_P + PG_W + PG_U
  ; 4 MiB pages
  mov dword [pd + (VA_4M >> 22) * 4], PA_4M | PG_PS | PG_P | PG_W | PG_U
  mov dword [pd + (PA_4M >> 22) * 4], PA_4M | PG_PS | PG_P | PG_W | PG_U
  mov eax, cr4
  or eax, 0x10                  ; PSE
  mov cr4, eax
  mov eax, pd
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  ret

section .data
pool_next:   dd POOL
pf_remap_va: dd 0xffffffff
pf_remap_pa: dd 0

section .bss
pf_count: resd 1
pf_log:   resd 32
alignb 4096
pd:    resb 4096
pt0:   resb 4096
pt1:   resb 4096
pt_ad: resb 4096

%include "end.inc"
