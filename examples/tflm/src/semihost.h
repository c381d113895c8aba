// Arm semihosting (bkpt 0xAB), as qemu implements it with -semihosting-config enable=on.
#pragma once
#ifdef __cplusplus
extern "C" {
#endif
static inline int semihost_call(int op, const void* arg) {
  register int r0 __asm("r0") = op;
  register const void* r1 __asm("r1") = arg;
  __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}
// SYS_WRITE0: a NUL-terminated string to the host's console.
static inline void semihost_write0(const char* s) { semihost_call(0x04, s); }
// SYS_EXIT with ADP_Stopped_ApplicationExit (qemu exits 0) or, on failure,
// ADP_Stopped_RunTimeErrorUnknown (qemu exits 1).
__attribute__((noreturn)) static inline void semihost_exit(int ok) {
  semihost_call(0x18, (const void*)(ok ? 0x20026 : 0x20023));
  for (;;) {
  }
}
#ifdef __cplusplus
}
#endif
