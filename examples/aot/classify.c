/*===- classify.c - Fashion-MNIST with a model compiled ahead of time -*- C
 * -*-===*/
/*
 * Classifies the 10,000 Fashion-MNIST test images with the model that
 * `adjoint compile` turned into fashion_mlp.o and fashion_mlp.h, and prints
 * the accuracy. Plain C11: the model, whose batch is symbolic, is called
 * through its C interface once for all the images, fashion_mlp_run_batch
 * with a batch of 10,000.
 *
 * Usage: classify_c [DIR]   DIR holds t10k-images-idx3-ubyte.gz and
 *                           t10k-labels-idx1-ubyte.gz (default: Debian's
 *                           /usr/share/datasets/fashion-mnist)
 */
#include "fashion_mlp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum { kPixels = 28 * 28 };

/* The class count, from the size of probs for one image. */
#define CLASSES ((size_t)fashion_mlp_PROBS_BYTES(1) / sizeof(float))

/* Reads the whole of gzip file `path`; NULL (with a message) on failure. */
static unsigned char *readGzip(const char *path, size_t *size) {
  gzFile file = gzopen(path, "rb");
  if (!file) {
    fprintf(stderr, "classify: cannot open %s\n", path);
    return NULL;
  }
  size_t capacity = 1 << 20, used = 0;
  unsigned char *data = malloc(capacity);
  for (;;) {
    if (data && used == capacity) {
      unsigned char *grown = realloc(data, capacity *= 2);
      if (!grown)
        free(data);
      data = grown;
    }
    if (!data) {
      fprintf(stderr, "classify: out of memory reading %s\n", path);
      gzclose(file);
      return NULL;
    }
    int got = gzread(file, data + used, (unsigned)(capacity - used));
    if (got < 0) {
      fprintf(stderr, "classify: %s is not a valid gzip file\n", path);
      free(data);
      gzclose(file);
      return NULL;
    }
    if (got == 0)
      break;
    used += (size_t)got;
  }
  gzclose(file);
  *size = used;
  return data;
}

static uint32_t bigEndian32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
}

/* Reads IDX file DIR/NAME of unsigned bytes with `rank` dimensions; returns
   its payload (inside *file, to be freed) and the leading dimension in *n. */
static const unsigned char *readIdx(const char *dir, const char *name,
                                    unsigned rank, size_t itemBytes,
                                    unsigned char **file, size_t *n) {
  char path[4096];
  size_t size = 0;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  *file = readGzip(path, &size);
  if (!*file)
    return NULL;
  size_t header = 4 + 4 * (size_t)rank;
  if (size < header || bigEndian32(*file) != (0x800u | rank)) {
    fprintf(stderr, "classify: %s is not an IDX file of %u-d bytes\n", path,
            rank);
    return NULL;
  }
  *n = bigEndian32(*file + 4);
  if (size - header != *n * itemBytes) {
    fprintf(stderr, "classify: %s has %zu bytes of data, not %zu\n", path,
            size - header, *n * itemBytes);
    return NULL;
  }
  return *file + header;
}

/* 64-byte aligned storage of at least `bytes` bytes (zeroed). */
static void *alignedBuffer(size_t bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  void *p = aligned_alloc(64, rounded ? rounded : 64);
  if (p)
    memset(p, 0, rounded ? rounded : 64);
  return p;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
  unsigned char *imageFile = NULL, *labelFile = NULL;
  size_t numImages = 0, numLabels = 0;
  const unsigned char *pixels = readIdx(dir, "t10k-images-idx3-ubyte.gz", 3,
                                        kPixels, &imageFile, &numImages);
  const unsigned char *labels =
      readIdx(dir, "t10k-labels-idx1-ubyte.gz", 1, 1, &labelFile, &numLabels);
  if (!pixels || !labels || numImages != numLabels) {
    if (pixels && labels)
      fprintf(stderr, "classify: %zu images but %zu labels\n", numImages,
              numLabels);
    free(imageFile);
    free(labelFile);
    return 1;
  }

  /* The inputs and outputs of fashion_mlp_run_batch, in the order the
     header lists them (the model's): x, y; probs, logits, loss. */
  size_t n = numImages;
  const void *inputs[fashion_mlp_NUM_INPUTS] = {0};
  void *outputs[fashion_mlp_NUM_OUTPUTS] = {0};
  int numInputs = 0, numOutputs = 0;
  float *x = alignedBuffer(fashion_mlp_X_BYTES(n));
  inputs[numInputs++] = x;
#ifdef fashion_mlp_Y_BYTES
  /* The model also computes its loss, so it takes the labels too. */
  int64_t *y = alignedBuffer(fashion_mlp_Y_BYTES(n));
  inputs[numInputs++] = y;
#endif
  float *probs = alignedBuffer(fashion_mlp_PROBS_BYTES(n));
  outputs[numOutputs++] = probs;
#ifdef fashion_mlp_LOGITS_BYTES
  outputs[numOutputs++] = alignedBuffer(fashion_mlp_LOGITS_BYTES(n));
#endif
#ifdef fashion_mlp_LOSS_BYTES
  outputs[numOutputs++] = alignedBuffer(fashion_mlp_LOSS_BYTES);
#endif
  void *arena = alignedBuffer(fashion_mlp_arena_bytes((int64_t)n));
  int ready = arena && numInputs == fashion_mlp_NUM_INPUTS &&
              numOutputs == fashion_mlp_NUM_OUTPUTS;
  for (int i = 0; i < fashion_mlp_NUM_INPUTS; ++i)
    ready = ready && inputs[i];
  for (int i = 0; i < fashion_mlp_NUM_OUTPUTS; ++i)
    ready = ready && outputs[i];
  if (!ready) {
    fprintf(stderr, "classify: the model has inputs or outputs this program "
                    "does not know, or memory ran out\n");
    return 1;
  }

  for (size_t i = 0; i < n * kPixels; ++i)
    x[i] = (float)pixels[i] / 255.0f;
#ifdef fashion_mlp_Y_BYTES
  for (size_t i = 0; i < n; ++i)
    y[i] = labels[i];
#endif
  if (fashion_mlp_run_batch((int64_t)n, inputs, outputs, arena) != 0) {
    fprintf(stderr, "classify: the model failed\n");
    return 1;
  }
  size_t correct = 0;
  for (size_t i = 0; i < n; ++i) {
    const float *row = probs + i * CLASSES;
    size_t best = 0;
    for (size_t c = 1; c < CLASSES; ++c)
      if (row[c] > row[best])
        best = c;
    correct += best == labels[i];
  }
  printf("classified %zu test images in one call\n", n);
  printf("accuracy: %.4f (%zu/%zu)\n", (double)correct / (double)numImages,
         correct, numImages);

  for (int i = 0; i < fashion_mlp_NUM_INPUTS; ++i)
    free((void *)inputs[i]);
  for (int i = 0; i < fashion_mlp_NUM_OUTPUTS; ++i)
    free(outputs[i]);
  free(arena);
  free(imageFile);
  free(labelFile);
  return 0;
}
