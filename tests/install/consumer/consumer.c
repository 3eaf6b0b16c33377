/*===- consumer.c - A C program on the installed runtime alone ---*- C -*-===*/
/*
 * Includes the installed <adjoint/runtime/Runtime.h>, links
 * libadjoint_runtime.a, runs a small GEMM on two threads and prints "ok"
 * when the product is right.
 */
#include <adjoint/runtime/Runtime.h>

#include <stdio.h>

int main(void) {
  const float a[2 * 3] = {1, 2, 3, 4, 5, 6};
  const float b[3 * 2] = {7, 8, 9, 10, 11, 12};
  const float expected[2 * 2] = {58, 64, 139, 154};
  float c[2 * 2] = {0};
  adjoint_rt_set_num_threads(2);
  adjoint_rt_gemm_f32(2, 2, 3, a, 3, 0, b, 2, 0, c, 2);
  for (int i = 0; i < 4; ++i)
    if (c[i] != expected[i]) {
      printf("c[%d] = %g, expected %g\n", i, (double)c[i], (double)expected[i]);
      return 1;
    }
  printf("ok: %d threads\n", (int)adjoint_rt_num_threads());
  return 0;
}
