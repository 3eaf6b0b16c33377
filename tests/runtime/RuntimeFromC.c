/*===- RuntimeFromC.c - Runtime.h compiled as C11 and called from C ------===*/
#include "runtime/Runtime.h"

static void square(int64_t begin, int64_t end, void *ctx) {
  double *v = (double *)ctx;
  for (int64_t i = begin; i < end; ++i)
    v[i] = (double)(i * i);
}

/* Calls every function of the ABI once; returns 0 when all results are
   right, otherwise the number of the first failed check. */
int adjoint_runtime_from_c(void) {
  double v[100];
  adjoint_rt_parallel_for(100, 7, square, v);
  for (int i = 0; i < 100; ++i)
    if (v[i] != (double)(i * i))
      return 1;
  if (adjoint_rt_num_threads() < 1)
    return 2;

  /* [[1,2,3],[4,5,6]] @ [[1,0],[0,1],[1,1]] = [[4,5],[10,11]] */
  const float a[6] = {1, 2, 3, 4, 5, 6};
  const float b[6] = {1, 0, 0, 1, 1, 1};
  float c[4];
  adjoint_rt_gemm_f32(2, 2, 3, a, 3, 0, b, 2, 0, c, 2);
  if (c[0] != 4 || c[1] != 5 || c[2] != 10 || c[3] != 11)
    return 3;
  const double ad[6] = {1, 2, 3, 4, 5, 6};
  const double bd[6] = {1, 0, 0, 1, 1, 1};
  double cd[4];
  adjoint_rt_gemm_f64(2, 2, 3, ad, 3, 0, bd, 2, 0, cd, 2);
  if (cd[0] != 4 || cd[1] != 5 || cd[2] != 10 || cd[3] != 11)
    return 4;

  /* A 3x3 image and a 2x2 kernel summing each window. */
  const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const float w[4] = {1, 1, 1, 1};
  float y[4];
  adjoint_rt_conv2d_f32(x, w, y, 1, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1, 1,
                        2, 2);
  if (y[0] != 12 || y[1] != 16 || y[2] != 24 || y[3] != 28)
    return 5;
  const double xd[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const double wd[4] = {1, 1, 1, 1};
  double yd[4];
  adjoint_rt_conv2d_f64(xd, wd, yd, 1, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1,
                        1, 2, 2);
  if (yd[0] != 12 || yd[1] != 16 || yd[2] != 24 || yd[3] != 28)
    return 6;

  /* The gradients of the same convolution for dy = ones: each input
     position gets the number of windows covering it, each weight the sum of
     the inputs it meets. */
  const float dy[4] = {1, 1, 1, 1};
  float dx[9], dw[4];
  adjoint_rt_conv2d_input_grad_f32(dy, w, dx, 1, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0,
                                   0, 0, 1, 1, 1, 2, 2);
  if (dx[0] != 1 || dx[1] != 2 || dx[4] != 4 || dx[8] != 1)
    return 8;
  adjoint_rt_conv2d_weight_grad_f32(x, dy, dw, 1, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0,
                                    0, 0, 1, 1, 1, 2, 2);
  if (dw[0] != 12 || dw[1] != 16 || dw[2] != 24 || dw[3] != 28)
    return 9;
  const double dyd[4] = {1, 1, 1, 1};
  double dxd[9], dwd[4];
  adjoint_rt_conv2d_input_grad_f64(dyd, wd, dxd, 1, 1, 3, 3, 1, 2, 2, 1, 1, 0,
                                   0, 0, 0, 1, 1, 1, 2, 2);
  if (dxd[0] != 1 || dxd[1] != 2 || dxd[4] != 4 || dxd[8] != 1)
    return 10;
  adjoint_rt_conv2d_weight_grad_f64(xd, dyd, dwd, 1, 1, 3, 3, 1, 2, 2, 1, 1, 0,
                                    0, 0, 0, 1, 1, 1, 2, 2);
  if (dwd[0] != 12 || dwd[1] != 16 || dwd[2] != 24 || dwd[3] != 28)
    return 11;

  void *p = adjoint_rt_alloc(100);
  if (!p || (uintptr_t)p % 64 != 0)
    return 7;
  adjoint_rt_free(p);
  return 0;
}
