// Bare-metal start-up for qemu mps2-an386 (Cortex-M4F): vector table, .data
// copy, .bss zeroing, FPU enable, static constructors, then main(). Faults
// report through semihosting and exit qemu with a failure.
#include <stdint.h>
#include "semihost.h"

extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end, __stack_top;
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);
int main(void);

void Reset_Handler(void) {
  // CPACR: full access to CP10/CP11 (the FPU) before any float instruction.
  volatile uint32_t* cpacr = (volatile uint32_t*)0xE000ED88u;
  *cpacr |= 0xFu << 20;
  __asm volatile("dsb\n isb" ::: "memory");
  uint32_t* src = &__data_load;
  for (uint32_t* dst = &__data_start; dst < &__data_end;) *dst++ = *src++;
  for (uint32_t* dst = &__bss_start; dst < &__bss_end;) *dst++ = 0;
  for (void (**f)(void) = __init_array_start; f < __init_array_end; f++) (*f)();
  semihost_exit(main() == 0);
}

static void Fault_Handler(void) {
  semihost_write0("FAULT\n");
  semihost_exit(0);
}

__attribute__((section(".vector_table"), used)) static const void* const vectors[16] = {
    &__stack_top, (void*)Reset_Handler, (void*)Fault_Handler, (void*)Fault_Handler,
    (void*)Fault_Handler, (void*)Fault_Handler, (void*)Fault_Handler, 0, 0, 0, 0,
    (void*)Fault_Handler, (void*)Fault_Handler, 0, (void*)Fault_Handler, (void*)Fault_Handler,
};
