/*
 * transport-floor.c: the client half of the transport floor (bench/transport-floor.ts).
 * `transport-floor <socket> <threads> <seconds> <bytes>`: each thread connects to the unix socket
 * and loops { write one frame of <bytes>, read the echoed frame } until the deadline, the way a
 * PKCS#11 call blocks on its daemon round trip. Frames: u32 little-endian length, then bytes.
 * Prints one JSON line: threads, round trips, seconds, per second, p50/p99 microseconds.
 * C99 + pthreads, nothing else.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *SOCK;
static size_t BYTES;
static double DEADLINE;

typedef struct {
  double *lat;
  size_t n, cap;
} worker;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int io(int fd, unsigned char *p, size_t n, int wr) {
  while (n > 0) {
    ssize_t r = wr ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

static void *run(void *arg) {
  worker *w = arg;
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", SOCK);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    perror("transport-floor: connect");
    exit(1);
  }
  unsigned char *req = calloc(1, 4 + BYTES), *rep = malloc(4 + BYTES);
  for (int i = 0; i < 4; i++) req[i] = (unsigned char)(BYTES >> (8 * i));
  for (double t0 = now(); t0 < DEADLINE; t0 = now()) {
    if (io(fd, req, 4 + BYTES, 1) != 0 || io(fd, rep, 4 + BYTES, 0) != 0) {
      fprintf(stderr, "transport-floor: connection lost\n");
      exit(1);
    }
    if (w->n == w->cap) {
      w->cap = w->cap ? w->cap * 2 : 65536;
      w->lat = realloc(w->lat, w->cap * sizeof *w->lat);
    }
    w->lat[w->n++] = now() - t0;
  }
  close(fd);
  free(req);
  free(rep);
  return NULL;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s <socket> <threads> <seconds> <bytes>\n", argv[0]);
    return 2;
  }
  SOCK = argv[1];
  int threads = atoi(argv[2]);
  if (threads < 1 || threads > 16) threads = 1;
  double seconds = atof(argv[3]);
  BYTES = (size_t)atol(argv[4]);
  worker w[16];
  pthread_t th[16];
  memset(w, 0, sizeof w);
  double start = now();
  DEADLINE = start + seconds;
  for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, run, &w[i]);
  for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
  double elapsed = now() - start;
  size_t total = 0;
  for (int i = 0; i < threads; i++) total += w[i].n;
  double *all = malloc((total ? total : 1) * sizeof *all);
  size_t at = 0;
  for (int i = 0; i < threads; i++) {
    memcpy(all + at, w[i].lat, w[i].n * sizeof *all);
    at += w[i].n;
    free(w[i].lat);
  }
  qsort(all, total, sizeof *all, cmp);
  double p50 = total ? all[(size_t)(0.50 * (double)(total - 1))] : 0;
  double p99 = total ? all[(size_t)(0.99 * (double)(total - 1))] : 0;
  printf("{\"threads\":%d,\"ops\":%zu,\"seconds\":%.3f,\"opsPerSec\":%.1f,\"p50us\":%.1f,\"p99us\":%.1f}\n", threads, total, elapsed,
         (double)total / elapsed, p50 * 1e6, p99 * 1e6);
  free(all);
  return 0;
}
