; boot-info — a tiny guest in the Linux bzImage format (boot protocol 2.15) for the VMM's bzImage
; loader: the real-mode part is only the setup header; the protected-mode part (loaded at 1 MiB,
; entered at code32_start in 32-bit flat protected mode with ESI = boot_params, as
; Documentation/arch/x86/boot.rst "32-bit Boot Protocol" specifies) prints on COM1 what the loader
; handed over — the entry state (ESI, CS, DS, SS, GDTR, EFLAGS.IF, CR0), the setup-header fields
; the loader writes (type_of_loader, loadflags, heap_end_ptr), the command line, the e820 table,
; ramdisk_image/size and the first 16 bytes of the initrd — and shuts down through the
; isa-debug-exit port (0xf4) with 0.
;
;   nasm -f bin -o boot-info.bin boot-info.asm        (./build.sh)

COM1      equ 0x3f8
DEBUG_EXIT equ 0xf4
LOAD_ADDR equ 0x100000

; boot_params offsets (arch/x86/include/uapi/asm/bootparam.h)
BP_E820_ENTRIES  equ 0x1e8
BP_TYPE_OF_LOADER equ 0x210
BP_LOADFLAGS     equ 0x211
BP_RAMDISK_IMAGE equ 0x218
BP_RAMDISK_SIZE  equ 0x21c
BP_HEAP_END_PTR  equ 0x224
BP_CMD_LINE_PTR  equ 0x228
BP_E820_TABLE    equ 0x2d0

section setup start=0 vstart=0
bits 16
  times 0x1f1 - ($ - $$) db 0
setup_sects:      db 1                          ; 0x1f1: one setup sector (the real-mode part is 1 KiB)
root_flags:       dw 0
syssize:          dd (pm_end - pm_start + 15) / 16
ram_size:         dw 0
vid_mode:         dw 0xffff
root_dev:         dw 0
boot_flag:        dw 0xaa55                     ; 0x1fe
                  jmp short header_end          ; 0x200: the header's extent (0x26c)
header:           db 'HdrS'                     ; 0x202
version:          dw 0x020f                     ; 0x206: protocol 2.15
realmode_swtch:   dd 0
start_sys_seg:    dw 0x1000
kernel_version:   dw version_string - 0x200     ; 0x20e
type_of_loader:   db 0                          ; 0x210: the loader writes 0xff
loadflags:        db 0x01                       ; 0x211: LOADED_HIGH
setup_move_size:  dw 0x8000
code32_start:     dd LOAD_ADDR                  ; 0x214
ramdisk_image:    dd 0
ramdisk_size:     dd 0
bootsect_kludge:  dd 0
heap_end_ptr:     dw 0                          ; 0x224
ext_loader_ver:   db 0
ext_loader_type:  db 0
cmd_line_ptr:     dd 0                          ; 0x228
initrd_addr_max:  dd 0x7fffffff                 ; 0x22c
kernel_alignment: dd 0x1000                     ; 0x230
relocatable:      db 0                          ; 0x234
min_alignment:    db 12
xloadflags:       dw 0
cmdline_size:     dd 255                        ; 0x238
hardware_subarch: dd 0
hw_subarch_data:  dq 0
payload_offset:   dd 0                          ; 0x248
payload_length:   dd pm_end - pm_start
setup_data:       dq 0
pref_address:     dq LOAD_ADDR                  ; 0x258
init_size:        dd 0x10000                    ; 0x260
handover_offset:  dd 0
kernel_info_off:  dd 0                          ; 0x268
header_end:                                     ; 0x26c
version_string:   db 'boot-info 1.0 (genode-ts bzImage loader test)', 0
  times 0x400 - ($ - $$) db 0

section pm start=0x400 vstart=LOAD_ADDR
bits 32
pm_start:
  mov ebp, esi                                  ; boot_params
  mov esp, stack_top
  ; COM1: 8N1 at 115200 (the UART powers up with 5-bit words: LCR 0)
  mov dx, COM1 + 3
  mov al, 0x80                                  ; DLAB
  out dx, al
  mov dx, COM1
  mov al, 1                                     ; divisor 1
  out dx, al
  mov dx, COM1 + 1
  xor al, al
  out dx, al
  mov dx, COM1 + 3
  mov al, 3                                     ; 8N1, DLAB off
  out dx, al
  mov esi, s_hello
  call puts
  ; the entry state
  mov esi, s_esi
  call puts
  mov eax, ebp
  call puthex32
  mov esi, s_cs
  call puts
  mov ax, cs
  call puthex16
  mov esi, s_ds
  call puts
  mov ax, ds
  call puthex16
  mov esi, s_ss
  call puts
  mov ax, ss
  call puthex16
  mov esi, s_gdtr
  call puts
  sgdt [gdtr]
  mov eax, [gdtr + 2]
  call puthex32
  mov al, '/'
  call putc
  mov ax, [gdtr]
  call puthex16
  mov esi, s_if
  call puts
  pushfd
  pop eax
  shr eax, 9
  and al, 1
  call puthex8
  mov esi, s_cr0
  call puts
  mov eax, cr0
  call puthex32
  call putnl
  ; the loader's header fields
  mov esi, s_loader
  call puts
  mov al, [ebp + BP_TYPE_OF_LOADER]
  call puthex8
  mov esi, s_loadflags
  call puts
  mov al, [ebp + BP_LOADFLAGS]
  call puthex8
  mov esi, s_heap
  call puts
  mov ax, [ebp + BP_HEAP_END_PTR]
  call puthex16
  call putnl
  ; the command line
  mov esi, s_cmdline
  call puts
  mov eax, [ebp + BP_CMD_LINE_PTR]
  call puthex32
  mov al, ' '
  call putc
  mov al, '"'
  call putc
  mov esi, [ebp + BP_CMD_LINE_PTR]
  call puts
  mov al, '"'
  call putc
  call putnl
  ; the e820 table
  mov esi, s_e820
  call puts
  movzx ecx, byte [ebp + BP_E820_ENTRIES]
  mov eax, ecx
  call puthex8
  call putnl
  lea ebx, [ebp + BP_E820_TABLE]
.entry:
  test ecx, ecx
  jz .ramdisk
  mov esi, s_indent
  call puts
  mov eax, [ebx + 4]
  call puthex32
  mov eax, [ebx]
  call puthex32
  mov al, ' '
  call putc
  mov eax, [ebx + 12]
  call puthex32
  mov eax, [ebx + 8]
  call puthex32
  mov al, ' '
  call putc
  mov eax, [ebx + 16]
  call puthex8
  call putnl
  add ebx, 20
  dec ecx
  jmp .entry
.ramdisk:
  mov esi, s_ramdisk
  call puts
  mov eax, [ebp + BP_RAMDISK_IMAGE]
  call puthex32
  mov esi, s_size
  call puts
  mov eax, [ebp + BP_RAMDISK_SIZE]
  call puthex32
  call putnl
  ; the first 16 bytes of the initrd (fewer if it is shorter)
  mov esi, s_initrd
  call puts
  mov ebx, [ebp + BP_RAMDISK_IMAGE]
  mov ecx, [ebp + BP_RAMDISK_SIZE]
  cmp ecx, 16
  jbe .bytes
  mov ecx, 16
.bytes:
  test ecx, ecx
  jz .done
  mov al, ' '
  call putc
  mov al, [ebx]
  call puthex8
  inc ebx
  dec ecx
  jmp .bytes
.done:
  call putnl
  mov esi, s_done
  call puts
  mov dx, DEBUG_EXIT
  xor al, al
  out dx, al
.hang:
  cli
  hlt
  jmp .hang

; putc: AL to COM1 (waits for THRE in LSR).
putc:
  push edx
  push eax
  mov dx, COM1 + 5
.wait:
  in al, dx
  test al, 0x20
  jz .wait
  pop eax
  mov dx, COM1
  out dx, al
  pop edx
  ret

; puts: the NUL-terminated string at ESI.
puts:
  push eax
  push esi
.next:
  mov al, [esi]
  test al, al
  jz .end
  call putc
  inc esi
  jmp .next
.end:
  pop esi
  pop eax
  ret

putnl:
  push eax
  mov al, 10
  call putc
  pop eax
  ret

; puthex32 / puthex16 / puthex8: EAX / AX / AL as upper-case hex digits.
puthex32:
  push ecx
  mov ecx, 8
  jmp puthex
puthex16:
  push ecx
  mov ecx, 4
  shl eax, 16
  jmp puthex
puthex8:
  push ecx
  mov ecx, 2
  shl eax, 24
puthex:
  push eax
  push ebx
  mov ebx, eax
.digit:
  rol ebx, 4
  mov al, bl
  and al, 0x0f
  add al, '0'
  cmp al, '9'
  jbe .out
  add al, 'A' - '0' - 10
.out:
  call putc
  dec ecx
  jnz .digit
  pop ebx
  pop eax
  pop ecx
  ret

s_hello:     db 'BZIMAGE boot-info', 10, 0
s_esi:       db 'entry: esi=', 0
s_cs:        db ' cs=', 0
s_ds:        db ' ds=', 0
s_ss:        db ' ss=', 0
s_gdtr:      db ' gdtr=', 0
s_if:        db ' if=', 0
s_cr0:       db ' cr0=', 0
s_loader:    db 'type_of_loader=', 0
s_loadflags: db ' loadflags=', 0
s_heap:      db ' heap_end_ptr=', 0
s_cmdline:   db 'cmdline@', 0
s_e820:      db 'e820 entries: ', 0
s_indent:    db '  ', 0
s_ramdisk:   db 'ramdisk_image=', 0
s_size:      db ' ramdisk_size=', 0
s_initrd:    db 'initrd:', 0
s_done:      db 'DONE', 10, 0
align 4
gdtr:        dw 0
             dd 0
  times 256 db 0
stack_top:
pm_end:
