; Touches one dword per page from ESI (inclusive) to EDI (exclusive), storing EBX, then HLT.
; Every page the NPT lacks is an NPT exit (0xfc) the VMM resolves; the VMM restarts it.
%include "flat32.inc"
entry:
  mov [esi], ebx
  add esi, 0x1000
  cmp esi, edi
  jb entry
  hlt
  jmp entry
