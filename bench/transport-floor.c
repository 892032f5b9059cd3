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

#include "latency.h"

static const char *SOCK;
static size_t BYTES;
static double DEADLINE;

typedef lat_samples worker;

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
    lat_push(w, now() - t0);
  }
  close(fd);
  free(req);
  free(rep);
  return NULL;
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
  worker *samples[16];
  for (int i = 0; i < threads; i++) samples[i] = &w[i];
  double p50, p99;
  size_t total = lat_summary(samples, threads, &p50, &p99);
  printf("{\"threads\":%d,\"ops\":%zu,\"seconds\":%.3f,\"opsPerSec\":%.1f,\"p50us\":%.1f,\"p99us\":%.1f}\n", threads, total, elapsed,
         (double)total / elapsed, p50 * 1e6, p99 * 1e6);
  return 0;
}
