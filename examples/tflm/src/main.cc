// One TFLite Micro inference of the int8 visual wake words model on qemu
// mps2-an386, for a side-by-side with etch's examples/firmware. Prints, through
// semihosting, the arena TFLM used, the stack high-water of the inference and
// the output; the qemu insncount plugin counts the instructions between
// bench_start and bench_end (the Invoke() alone, as etch's firmware counts its
// forward()).
#include <stdint.h>
#include <string.h>

#include "semihost.h"
#include "tensorflow/lite/micro/kernels/conv.h"
#include "tensorflow/lite/micro/kernels/depthwise_conv.h"
#include "tensorflow/lite/micro/kernels/fully_connected.h"
#include "tensorflow/lite/micro/kernels/pooling.h"
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"

extern const unsigned char g_model[];
extern const signed char g_input[];
extern const unsigned int g_input_len;
extern const signed char g_expected[2];

#ifndef ARENA_SIZE
#define ARENA_SIZE 100548
#endif
alignas(16) static uint8_t tensor_arena[ARENA_SIZE];

// The function-local statics below register their destructors; this firmware
// never returns from main, so the registration is a no-op.
extern "C" {
void* __dso_handle = nullptr;
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }
}

extern "C" __attribute__((noinline)) void bench_start(void) { __asm volatile("" ::: "memory"); }
extern "C" __attribute__((noinline)) void bench_end(void) { __asm volatile("" ::: "memory"); }

static void put(const char* s) { semihost_write0(s); }
static void put_int(long v) {
  char buf[16];
  char* p = buf + sizeof buf;
  *--p = 0;
  unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
  do *--p = (char)('0' + u % 10); while (u /= 10);
  if (v < 0) *--p = '-';
  put(p);
}

// Stack measurement, as examples/firmware/src/lib.rs does it: paint the free
// stack below the current frame, run, find the lowest word overwritten.
extern "C" uint32_t __stack_limit, __stack_top;
static const uint32_t kPaint = 0xC5ACCE55u;
static const uint32_t kMargin = 64;  // bytes left unpainted below the painter's sp
__attribute__((noinline)) static void paint_stack(void) {
  uint32_t sp;
  __asm volatile("mov %0, sp" : "=r"(sp));
  for (volatile uint32_t* p = &__stack_limit; (uint32_t)p < sp - kMargin; p++) *p = kPaint;
}
static uint32_t stack_used(void) {
  volatile uint32_t* p = &__stack_limit;
  while (p < &__stack_top && *p == kPaint) p++;
  return (uint32_t)&__stack_top - (uint32_t)p;
}

int main(void) {
  const tflite::Model* model = tflite::GetModel(g_model);
  if (model->version() != TFLITE_SCHEMA_VERSION) {
    put("schema version mismatch\n");
    return 1;
  }
  // Only the four ops the model uses, in their int8-only CMSIS-NN forms.
  static tflite::MicroMutableOpResolver<4> resolver;
  resolver.AddConv2D(tflite::Register_CONV_2D_INT8());
  resolver.AddDepthwiseConv2D(tflite::Register_DEPTHWISE_CONV_2D_INT8());
  resolver.AddAveragePool2D(tflite::Register_AVERAGE_POOL_2D_INT8());
  resolver.AddFullyConnected(tflite::Register_FULLY_CONNECTED_INT8());
  static tflite::MicroInterpreter interpreter(model, resolver, tensor_arena, ARENA_SIZE);
  if (interpreter.AllocateTensors() != kTfLiteOk) {
    put("AllocateTensors failed\n");
    return 1;
  }
  TfLiteTensor* in = interpreter.input(0);
  if (in->bytes != g_input_len) {
    put("input size mismatch\n");
    return 1;
  }
  memcpy(in->data.int8, g_input, g_input_len);

  paint_stack();
  bench_start();
  TfLiteStatus status = interpreter.Invoke();
  bench_end();
  uint32_t stack = stack_used();
  if (status != kTfLiteOk) {
    put("Invoke failed\n");
    return 1;
  }
  const int8_t* out = interpreter.output(0)->data.int8;
  put("tflm vww_int8: arena_used_bytes ");
  put_int((long)interpreter.arena_used_bytes());
  put(" B, arena configured ");
  put_int(ARENA_SIZE);
  put(" B, stack high-water ");
  put_int((long)stack);
  put(" B, output [");
  put_int(out[0]);
  put(", ");
  put_int(out[1]);
  put("], expected (TFLite reference) [");
  put_int(g_expected[0]);
  put(", ");
  put_int(g_expected[1]);
  put("]\n");
  int ok = out[0] == g_expected[0] && out[1] == g_expected[1];
  put(ok ? "match\n" : "MISMATCH\n");
  return ok ? 0 : 1;
}
