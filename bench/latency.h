/*
 * latency.h: per-thread latency samples and their p50/p99, shared by the C benchmark harnesses
 * (pkcs11-bench.c, transport-floor.c). Header-only, C99. Benchmark code only.
 */
#ifndef STRONGROOM_BENCH_LATENCY_H
#define STRONGROOM_BENCH_LATENCY_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One thread's samples, in seconds. */
typedef struct {
  double *lat;
  size_t n, cap;
} lat_samples;

static void lat_push(lat_samples *s, double seconds) {
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 65536;
    s->lat = realloc(s->lat, s->cap * sizeof *s->lat);
    if (!s->lat) {
      fprintf(stderr, "bench: out of memory for latency samples\n");
      exit(1);
    }
  }
  s->lat[s->n++] = seconds;
}

static int lat_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Merges the threads' samples (freeing them) into the total count and p50/p99 in seconds. */
static size_t lat_summary(lat_samples *const *per_thread, int threads, double *p50, double *p99) {
  size_t total = 0;
  for (int i = 0; i < threads; i++) total += per_thread[i]->n;
  double *all = malloc((total ? total : 1) * sizeof *all);
  if (!all) {
    fprintf(stderr, "bench: out of memory for latency samples\n");
    exit(1);
  }
  size_t at = 0;
  for (int i = 0; i < threads; i++) {
    if (per_thread[i]->n) memcpy(all + at, per_thread[i]->lat, per_thread[i]->n * sizeof *all);
    at += per_thread[i]->n;
    free(per_thread[i]->lat);
    per_thread[i]->lat = NULL;
  }
  qsort(all, total, sizeof *all, lat_cmp);
  *p50 = total ? all[(size_t)(0.50 * (double)(total - 1))] : 0;
  *p99 = total ? all[(size_t)(0.99 * (double)(total - 1))] : 0;
  free(all);
  return total;
}

#endif
