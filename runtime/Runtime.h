/*===- Runtime.h - The C ABI that compiled models call ---------*- C -*-===*/
/*
 * Everything generated code (JIT or ahead-of-time) calls at run time: a
 * parallel-for over a persistent thread pool, GEMM, conv2d and conv2d's
 * gradients, and aligned allocation. The header is plain C (C11 or C++17 and
 * later) and the library, libadjoint_runtime.a, depends on nothing else of
 * Adjoint's: an ahead-of-time compiled model links it with libc, libm,
 * libstdc++ and pthread only. Dimensions and strides are int64_t element
 * counts; arrays are row-major (C order). docs/runtime.md describes the
 * threading model and the determinism guarantee.
 */
#ifndef ADJOINT_RUNTIME_RUNTIME_H
#define ADJOINT_RUNTIME_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*===-------------------------- Threads ----------------------------------===*/

/// A unit of parallel work: processes the indices [begin, end) of a loop,
/// with ctx pointing at whatever the caller passed to adjoint_rt_parallel_for.
typedef void (*adjoint_rt_task)(int64_t begin, int64_t end, void *ctx);

/// Runs fn over [0, n) and returns when every index has been processed.
/// The range is cut into min(T, n / grain) contiguous chunks of near-equal
/// size (at least grain indices each, T the thread count), a pure function
/// of (n, grain, T), so a task whose result depends only on its range gives
/// the same result on every run. The chunks run on the persistent pool, the
/// calling thread taking part. The call runs inline (the same chunks, in
/// order, on the calling thread) when there is one chunk, when it is made
/// from inside a task (nested calls never deadlock), or when another thread
/// is using the pool at that moment. grain < 1 counts as 1; n <= 0 does
/// nothing.
void adjoint_rt_parallel_for(int64_t n, int64_t grain, adjoint_rt_task fn,
                             void *ctx);

/// Sets the number of threads (the calling thread included) that later
/// calls use; n <= 0 means every core (std::thread::hardware_concurrency),
/// and counts above 1024 are capped. The pool is rebuilt when the count
/// changes. Must not be called while another thread is inside a runtime
/// call; a call from inside a task is ignored.
void adjoint_rt_set_num_threads(int32_t n);

/// The current number of threads. Until adjoint_rt_set_num_threads is
/// called it is the value of the environment variable ADJOINT_NUM_THREADS
/// when positive, otherwise every core; the variable is read once, at first
/// use of the runtime.
int32_t adjoint_rt_num_threads(void);

/*===-------------------------- Kernels ----------------------------------===*/

/// C = op(A) @ op(B) in f32, row-major, C [m, n] overwritten; op(A) is
/// [m, k] and op(B) is [k, n]. op transposes when trans_a (trans_b) is
/// nonzero, so A is stored as [k, m] (B as [n, k]). lda, ldb and ldc are
/// the row strides of the stored arrays in elements (at least their widths).
/// Any dimension may be 0; k == 0 gives zeros. Large products are split
/// across the pool in tiles of C; every element is the same sum in the same
/// order whichever tile and thread computes it, so C is bitwise the same for
/// every thread count. The kernels are those of the widest instruction set
/// the CPU has (AVX-512, AVX2 with FMA, or portable C++), or of the one the
/// environment variable ADJOINT_ISA (avx2, generic) names, read once.
void adjoint_rt_gemm_f32(int64_t m, int64_t n, int64_t k, const float *a,
                         int64_t lda, int32_t trans_a, const float *b,
                         int64_t ldb, int32_t trans_b, float *c, int64_t ldc);

/// Called by adjoint_rt_gemm_ex_* on each finished tile of C: rows [r0, r1)
/// and columns [c0, c1), with ctx as given to the GEMM.
typedef void (*adjoint_rt_tile_fn)(int64_t r0, int64_t r1, int64_t c0,
                                   int64_t c1, void *ctx);

/// adjoint_rt_gemm_f32 that adds the product to C when accumulate is
/// nonzero (C += op(A) @ op(B)), and, when epilogue is not NULL, calls it on
/// each tile of C as soon as the tile is final, from the thread that
/// computed it, while the tile is in that core's cache. Tiles do not
/// overlap and cover C; the epilogue of one tile may run at the same time
/// as another tile's, so it must touch only its own tile's elements (of C
/// and of any other array laid out like C).
void adjoint_rt_gemm_ex_f32(int64_t m, int64_t n, int64_t k, const float *a,
                            int64_t lda, int32_t trans_a, const float *b,
                            int64_t ldb, int32_t trans_b, float *c, int64_t ldc,
                            int32_t accumulate, adjoint_rt_tile_fn epilogue,
                            void *ctx);

/// adjoint_rt_gemm_ex_f32 in f64.
void adjoint_rt_gemm_ex_f64(int64_t m, int64_t n, int64_t k, const double *a,
                            int64_t lda, int32_t trans_a, const double *b,
                            int64_t ldb, int32_t trans_b, double *c,
                            int64_t ldc, int32_t accumulate,
                            adjoint_rt_tile_fn epilogue, void *ctx);

/// Bytes before the packed elements in the buffer adjoint_rt_gemm_fixed_b_*
/// keeps op(B) in: a header the runtime owns.
#define ADJOINT_RT_FIXED_B_HEADER 64

/// adjoint_rt_gemm_ex_f32 for a B that no call changes (a layer's weights in
/// a model compiled with fixed parameters): the first call packs op(B)
/// into `packed`, as the product's kernels read it, and every call reads it
/// from there instead of packing B again. `packed` is a buffer of
/// ADJOINT_RT_FIXED_B_HEADER bytes then `capacity` elements, 64-byte
/// aligned and zeroed before the first call. The buffer holds the B of the
/// first call, whose elements must not change while it is in use; calls
/// may overlap (one packs, the others compute the plain product meanwhile).
/// A call with another b, or under another kernel set (ADJOINT_ISA), a
/// capacity too small, or too few rows to gain computes the plain product.
/// Results are bitwise those of adjoint_rt_gemm_ex_f32.
void adjoint_rt_gemm_fixed_b_f32(int64_t m, int64_t n, int64_t k,
                                 const float *a, int64_t lda, int32_t trans_a,
                                 const float *b, int64_t ldb, int32_t trans_b,
                                 float *c, int64_t ldc, int32_t accumulate,
                                 adjoint_rt_tile_fn epilogue, void *ctx,
                                 void *packed, int64_t capacity);

/// adjoint_rt_gemm_fixed_b_f32 in f64.
void adjoint_rt_gemm_fixed_b_f64(int64_t m, int64_t n, int64_t k,
                                 const double *a, int64_t lda, int32_t trans_a,
                                 const double *b, int64_t ldb, int32_t trans_b,
                                 double *c, int64_t ldc, int32_t accumulate,
                                 adjoint_rt_tile_fn epilogue, void *ctx,
                                 void *packed, int64_t capacity);

/// The elements adjoint_rt_gemm_fixed_b_f32 (f64) packs a k x n op(B)
/// into with the kernels of any instruction set (ahead-of-time code runs
/// those of the CPU it runs on).
int64_t adjoint_rt_packed_b_elements_f32(int64_t k, int64_t n);
int64_t adjoint_rt_packed_b_elements_f64(int64_t k, int64_t n);

/// Called by adjoint_rt_gemm_tiles_* on each finished tile of the product
/// P = op(A) @ op(B), rows [r0, r1) and columns [c0, c1): element (i, j) of
/// the tile is tile[(i - r0)*n + (j - c0)] (rows n elements apart, n the
/// product's width). The tile is the runtime's own and lives until the call
/// returns.
typedef void (*adjoint_rt_product_fn)(int64_t r0, int64_t r1, int64_t c0,
                                      int64_t c1, const void *tile, void *ctx);

/// The product op(A) @ op(B) ([m, n], operands as adjoint_rt_gemm_f32's)
/// computed tile by tile into per-thread buffers, each tile handed to
/// epilogue, never stored whole: for a product that only feeds an
/// elementwise computation, such as a weight gradient that only feeds its
/// optimizer update. Tiles do not overlap, cover the product, and may be
/// handed to epilogue at the same time from different threads. Bitwise the
/// same for every thread count.
void adjoint_rt_gemm_tiles_f32(int64_t m, int64_t n, int64_t k, const float *a,
                               int64_t lda, int32_t trans_a, const float *b,
                               int64_t ldb, int32_t trans_b,
                               adjoint_rt_product_fn epilogue, void *ctx);

/// adjoint_rt_gemm_tiles_f32 in f64.
void adjoint_rt_gemm_tiles_f64(int64_t m, int64_t n, int64_t k, const double *a,
                               int64_t lda, int32_t trans_a, const double *b,
                               int64_t ldb, int32_t trans_b,
                               adjoint_rt_product_fn epilogue, void *ctx);

/// adjoint_rt_gemm_f32 in f64.
void adjoint_rt_gemm_f64(int64_t m, int64_t n, int64_t k, const double *a,
                         int64_t lda, int32_t trans_a, const double *b,
                         int64_t ldb, int32_t trans_b, double *c, int64_t ldc);

/// Attention in f32 for each of `entries` batch entries, row-major:
/// out [sq, dv] = softmax(scale * q [sq, d] @ k [sk, d]^T) @ v [sk, dv],
/// the softmax along the keys, query i seeing only keys j <= i when
/// `causal`. Computed by blocks of queries and keys (the [sq, sk] scores
/// are never stored whole), split across the pool; bitwise the same for
/// every thread count.
void adjoint_rt_attention_f32(int64_t entries, int64_t sq, int64_t sk,
                              int64_t d, int64_t dv, const float *q,
                              const float *k, const float *v, float *out,
                              double scale, int32_t causal);

/// adjoint_rt_attention_f32 in f64.
void adjoint_rt_attention_f64(int64_t entries, int64_t sq, int64_t sk,
                              int64_t d, int64_t dv, const double *q,
                              const double *k, const double *v, double *out,
                              double scale, int32_t causal);

/// 2-D cross-correlation in f32: x [n, c, h, w_] (NCHW), w [o, c/groups, kh,
/// kw] (OIHW), y [n, o, out_h, out_w] overwritten (dense arrays).
/// y[b,oc,oy,ox] = sum over ic < c/groups, i < kh, j < kw of
/// x[b, g*c/groups + ic, oy*stride_h - pad_top + i*dil_h,
///   ox*stride_w - pad_left + j*dil_w] * w[oc, ic, i, j], g = oc/(o/groups),
/// input outside the image reading as 0. The caller checks the shapes: c and
/// o are multiples of groups, and out_h, out_w follow from the other sizes.
/// pad_bottom and pad_right only determine out_h and out_w, which are passed
/// in. The result is bitwise the same for every thread count.
void adjoint_rt_conv2d_f32(const float *x, const float *w, float *y, int64_t n,
                           int64_t c, int64_t h, int64_t w_, int64_t o,
                           int64_t kh, int64_t kw, int64_t stride_h,
                           int64_t stride_w, int64_t pad_top, int64_t pad_left,
                           int64_t pad_bottom, int64_t pad_right, int64_t dil_h,
                           int64_t dil_w, int64_t groups, int64_t out_h,
                           int64_t out_w);

/// adjoint_rt_conv2d_f32 in f64.
void adjoint_rt_conv2d_f64(const double *x, const double *w, double *y,
                           int64_t n, int64_t c, int64_t h, int64_t w_,
                           int64_t o, int64_t kh, int64_t kw, int64_t stride_h,
                           int64_t stride_w, int64_t pad_top, int64_t pad_left,
                           int64_t pad_bottom, int64_t pad_right, int64_t dil_h,
                           int64_t dil_w, int64_t groups, int64_t out_h,
                           int64_t out_w);

/// adjoint_rt_conv2d_f32 that, when epilogue is not NULL, calls
/// epilogue(b, b + 1, 0, o*out_h*out_w, ctx) on each image b of y as soon as
/// it is final, from the thread that computed it, while the image is in
/// that core's cache. Epilogues of different images may run at the same
/// time.
void adjoint_rt_conv2d_ex_f32(
    const float *x, const float *w, float *y, int64_t n, int64_t c, int64_t h,
    int64_t w_, int64_t o, int64_t kh, int64_t kw, int64_t stride_h,
    int64_t stride_w, int64_t pad_top, int64_t pad_left, int64_t pad_bottom,
    int64_t pad_right, int64_t dil_h, int64_t dil_w, int64_t groups,
    int64_t out_h, int64_t out_w, adjoint_rt_tile_fn epilogue, void *ctx);

/// adjoint_rt_conv2d_ex_f32 in f64.
void adjoint_rt_conv2d_ex_f64(
    const double *x, const double *w, double *y, int64_t n, int64_t c,
    int64_t h, int64_t w_, int64_t o, int64_t kh, int64_t kw, int64_t stride_h,
    int64_t stride_w, int64_t pad_top, int64_t pad_left, int64_t pad_bottom,
    int64_t pad_right, int64_t dil_h, int64_t dil_w, int64_t groups,
    int64_t out_h, int64_t out_w, adjoint_rt_tile_fn epilogue, void *ctx);

/// The gradient of adjoint_rt_conv2d_f32 with respect to its input, in f32:
/// dx [n, c, h, w_] overwritten with d(sum(dy * y))/dx for y = conv2d(x, w),
/// where dy is [n, o, out_h, out_w] and the other arguments are conv2d's
/// (the transposed convolution: each dy[b,oc,oy,ox] * w[oc,ic,i,j] is added
/// to the input position conv2d read it with; positions no window reads get
/// 0). The result is bitwise the same for every thread count.
void adjoint_rt_conv2d_input_grad_f32(
    const float *dy, const float *w, float *dx, int64_t n, int64_t c, int64_t h,
    int64_t w_, int64_t o, int64_t kh, int64_t kw, int64_t stride_h,
    int64_t stride_w, int64_t pad_top, int64_t pad_left, int64_t pad_bottom,
    int64_t pad_right, int64_t dil_h, int64_t dil_w, int64_t groups,
    int64_t out_h, int64_t out_w);

/// adjoint_rt_conv2d_input_grad_f32 in f64.
void adjoint_rt_conv2d_input_grad_f64(
    const double *dy, const double *w, double *dx, int64_t n, int64_t c,
    int64_t h, int64_t w_, int64_t o, int64_t kh, int64_t kw, int64_t stride_h,
    int64_t stride_w, int64_t pad_top, int64_t pad_left, int64_t pad_bottom,
    int64_t pad_right, int64_t dil_h, int64_t dil_w, int64_t groups,
    int64_t out_h, int64_t out_w);

/// The gradient of adjoint_rt_conv2d_f32 with respect to its weights, in
/// f32: dw [o, c/groups, kh, kw] overwritten with d(sum(dy * y))/dw for
/// y = conv2d(x, w), where x is [n, c, h, w_] and dy is [n, o, out_h,
/// out_w]: dw[oc,ic,i,j] = sum over b, oy, ox of dy[b,oc,oy,ox] * (the input
/// element conv2d multiplies by w[oc,ic,i,j] there). The result is bitwise
/// the same for every thread count.
void adjoint_rt_conv2d_weight_grad_f32(
    const float *x, const float *dy, float *dw, int64_t n, int64_t c, int64_t h,
    int64_t w_, int64_t o, int64_t kh, int64_t kw, int64_t stride_h,
    int64_t stride_w, int64_t pad_top, int64_t pad_left, int64_t pad_bottom,
    int64_t pad_right, int64_t dil_h, int64_t dil_w, int64_t groups,
    int64_t out_h, int64_t out_w);

/// adjoint_rt_conv2d_weight_grad_f32 in f64.
void adjoint_rt_conv2d_weight_grad_f64(
    const double *x, const double *dy, double *dw, int64_t n, int64_t c,
    int64_t h, int64_t w_, int64_t o, int64_t kh, int64_t kw, int64_t stride_h,
    int64_t stride_w, int64_t pad_top, int64_t pad_left, int64_t pad_bottom,
    int64_t pad_right, int64_t dil_h, int64_t dil_w, int64_t groups,
    int64_t out_h, int64_t out_w);

/*===-------------------------- Memory -----------------------------------===*/

/// Allocates bytes of memory aligned to 64 bytes (one cache line, one
/// AVX-512 vector). Returns NULL only when bytes > 0 and the allocation
/// failed; bytes <= 0 returns a valid pointer that must still be freed.
void *adjoint_rt_alloc(int64_t bytes);

/// Frees memory from adjoint_rt_alloc; NULL is ignored.
void adjoint_rt_free(void *p);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ADJOINT_RUNTIME_RUNTIME_H */
