; bochs-boot — a floppy boot sector that loads a Multiboot a.out-kludge kernel for Bochs (which has
; no -kernel option), used only by bench/v86-record-expected.ts to run the corpus on Bochs as a
; third reference. Reads the sectors after itself to 0x10000 with the BIOS (int 13h), enables A20
; (port 0x92), enters 32-bit protected mode, copies the image to its load address, zeroes its
; BSS, and jumps to its entry with EAX = 0x2BADB002 and EBX = an empty Multiboot information
; structure (flags 0) at 0x9000. The recorder patches the sector count into the word at 0x1fc.

bits 16
org 0x7c00

STAGE   equ 0x10000
MBI     equ 0x9000

start:
  cli
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7c00
  mov [drive], dl
  mov ax, STAGE >> 4
  mov es, ax
  mov si, 1                     ; LBA of the first kernel sector
.sector:
  cmp si, [sectors]
  ja .loaded
  mov ax, si
  xor dx, dx
  mov cx, 18
  div cx                        ; AX = track index, DX = sector - 1
  mov cl, dl
  inc cl
  xor dx, dx
  mov di, 2
  div di                        ; AX = cylinder, DX = head
  mov ch, al
  mov dh, dl
  mov dl, [drive]
  mov di, 5                     ; retries
.retry:
  xor bx, bx
  mov ax, 0x0201
  push cx
  push dx
  int 0x13
  pop dx
  pop cx
  jnc .next
  dec di
  jz .fail
  xor ax, ax
  int 0x13
  jmp .retry
.next:
  mov ax, es
  add ax, 512 >> 4
  mov es, ax
  inc si
  jmp .sector
.fail:
  hlt
  jmp .fail
.loaded:
  in al, 0x92
  or al, 2
  and al, 0xfe
  out 0x92, al
  lgdt [gdt_desc]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp 0x08:pm32

bits 32
pm32:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  mov ss, ax
  mov esp, 0x7c00
  mov esi, STAGE
.find:
  cmp dword [esi], 0x1badb002
  jne .next4
  mov eax, [esi]
  add eax, [esi + 4]
  add eax, [esi + 8]
  jz .found
.next4:
  add esi, 4
  cmp esi, STAGE + 8192
  jb .find
  hlt
.found:
  mov ebx, esi                  ; the header
  mov eax, [ebx + 12]           ; header_addr
  sub eax, [ebx + 16]           ; - load_addr
  sub esi, eax                  ; file position of load_addr
  mov edi, [ebx + 16]
  mov ecx, [ebx + 20]           ; load_end_addr
  sub ecx, edi
  cld
  rep movsb
  mov ecx, [ebx + 24]           ; bss_end_addr
  sub ecx, edi
  jbe .bss_done
  xor eax, eax
  rep stosb
.bss_done:
  mov edi, MBI
  mov ecx, 88
  xor eax, eax
  rep stosb
  mov edx, [ebx + 28]           ; entry
  mov eax, 0x2badb002
  mov ebx, MBI
  jmp edx

align 8
gdt:
  dq 0
  dq 0x00cf9a000000ffff
  dq 0x00cf92000000ffff
gdt_desc:
  dw gdt_desc - gdt - 1
  dd gdt
drive: db 0

times 0x1fc - ($ - $$) db 0
sectors: dw 0
  dw 0xaa55
