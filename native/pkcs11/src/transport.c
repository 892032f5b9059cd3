/*
 * transport.c: the library's global state and its pool of connections to the client daemon
 * (docs/pkcs11-daemon-protocol.md, "Finding and starting the daemon" and "Connections").
 *
 * Each call borrows an idle connection from the pool (or opens one) and returns it after its one
 * request/response exchange, so threads never wait for each other's round trips: N threads in
 * calls use N sockets. Every connection says which library instance it belongs to (a random id
 * made at C_Initialize), so the daemon keeps one set of sessions and one login per instance.
 * Locking: the pool is guarded by the application's mutex callbacks when it passes them without
 * CKF_OS_LOCKING_OK, otherwise by a pthread mutex; neither is held across I/O. Fork: the pid is
 * recorded with the pool and a child closes its copies of the parent's sockets and starts a new
 * instance (never writes on the parent's). Must never create threads
 * (CKF_LIBRARY_CANT_CREATE_OS_THREADS is always honoured), never raise SIGPIPE in the
 * application, and never leave a zombie behind when it starts the daemon.
 */
#define _XOPEN_SOURCE 700

#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef STRONGROOM_DAEMON_CMD
#define STRONGROOM_DAEMON_CMD "strongroom"
#endif

#define SR_FN_INITIALIZE 1u
#define SR_FN_FINALIZE 2u
#define SR_MAX_RESPONSE (256u * 1024u * 1024u)
#define SR_START_TIMEOUT_MS 10000L
#define SR_MAX_ARGS 64
#define SR_POOL_MAX 64   /* idle connections kept; more threads than this open and close their own */
#define SR_CONN_MAX 1024 /* connections open at once (idle or in a call) */
#define SR_INSTANCE_LEN 16
#define SR_REPLY_TIMEOUT_MS 300000L /* a daemon silent this long is gone: CKR_DEVICE_ERROR */

static pthread_mutex_t g_state = PTHREAD_MUTEX_INITIALIZER;   /* guards g_initialized & co */
static pthread_mutex_t g_io = PTHREAD_MUTEX_INITIALIZER;      /* guards the pool (never held across I/O) */
static pthread_mutex_t g_connect = PTHREAD_MUTEX_INITIALIZER; /* one thread at a time starts the daemon */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static int g_initialized;
static pid_t g_init_pid;
static CK_FLAGS g_flags;
static int g_use_app_locks;
static CK_C_INITIALIZE_ARGS g_app;
static void *g_app_mutex;

/* The pool: every open connection of this process (g_all), the idle ones among them (g_idle),
 * the pid they belong to, and a generation bumped by C_Finalize so that connections in use then
 * are closed rather than returned. */
static int g_all[SR_CONN_MAX];
static int g_all_n;
static int g_idle[SR_POOL_MAX];
static int g_idle_n;
static pid_t g_pool_pid;
static unsigned long g_gen;
static unsigned char g_instance[SR_INSTANCE_LEN];

/* pthread_atfork: the thread that forks holds all three mutexes across fork() so that the child
 * never inherits a mutex locked by a thread it does not have. Our own fork (starting the daemon)
 * happens with g_connect held, so the handlers skip it. */
static volatile int g_spawning;
static pthread_t g_spawner;
static int g_atfork_held;

static void sr_debug(const char *what, const char *detail) {
  const char *d = getenv("STRONGROOM_PKCS11_DEBUG");
  if (d && *d && *d != '0') fprintf(stderr, "libstrongroom-pkcs11: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
}

static void atfork_prepare(void) {
  if (g_spawning && pthread_equal(g_spawner, pthread_self())) return;
  pthread_mutex_lock(&g_connect);
  pthread_mutex_lock(&g_state);
  pthread_mutex_lock(&g_io);
  g_atfork_held = 1;
}

static void atfork_release(void) {
  if (!g_atfork_held) return;
  g_atfork_held = 0;
  pthread_mutex_unlock(&g_io);
  pthread_mutex_unlock(&g_state);
  pthread_mutex_unlock(&g_connect);
}

static void sr_once(void) { pthread_atfork(atfork_prepare, atfork_release, atfork_release); }

/* ---- The pool's bookkeeping (callers hold g_io, or are the only thread: C_Initialize) ---- */

static void all_add(int fd) {
  if (g_all_n < SR_CONN_MAX) g_all[g_all_n++] = fd;
}

static void all_remove(int fd) {
  for (int i = 0; i < g_all_n; i++)
    if (g_all[i] == fd) {
      g_all[i] = g_all[--g_all_n];
      return;
    }
}

/* A fresh instance id: the daemon keeps sessions and login per instance. From /dev/urandom;
 * failing that, the pid, the clock and an address (the id is a name, not a secret: the socket's
 * directory is the owner's alone). */
static void new_instance(void) {
  int ok = 0;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    size_t got = 0;
    while (got < SR_INSTANCE_LEN) {
      ssize_t r = read(fd, g_instance + got, SR_INSTANCE_LEN - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += (size_t)r;
    }
    ok = got == SR_INSTANCE_LEN;
    close(fd);
  }
  if (!ok) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t a = (uint64_t)getpid() ^ ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)(uintptr_t)&ts;
    uint64_t b = (uint64_t)ts.tv_sec ^ ((uint64_t)(uintptr_t)g_instance << 7);
    memcpy(g_instance, &a, 8);
    memcpy(g_instance + 8, &b, 8);
  }
}

/* In a child after fork(): every connection is the parent's. Close our copies (the parent's stay
 * open), forget them, and become a new instance. */
static void forget_inherited(void) {
  for (int i = 0; i < g_all_n; i++) close(g_all[i]);
  g_all_n = 0;
  g_idle_n = 0;
  g_gen++;
  g_pool_pid = getpid();
  new_instance();
}

/* ---- C_Initialize / C_Finalize ---- */

CK_RV sr_initialize(const CK_C_INITIALIZE_ARGS *args) {
  pthread_once(&g_once, sr_once);
  CK_FLAGS flags = 0;
  int app_locks = 0;
  if (args) {
    if (args->pReserved != NULL) return CKR_ARGUMENTS_BAD;
    int n = (args->CreateMutex != NULL) + (args->DestroyMutex != NULL) + (args->LockMutex != NULL) +
            (args->UnlockMutex != NULL);
    if (n != 0 && n != 4) return CKR_ARGUMENTS_BAD; /* all four or none (§5.4) */
    flags = args->flags;
    /* Callbacks without CKF_OS_LOCKING_OK: we must use them. With it: we prefer the OS. */
    app_locks = n == 4 && !(flags & CKF_OS_LOCKING_OK);
  }
  pthread_mutex_lock(&g_state);
  if (g_initialized) {
    if (g_init_pid == getpid()) {
      pthread_mutex_unlock(&g_state);
      return CKR_CRYPTOKI_ALREADY_INITIALIZED;
    }
    /* A child after fork() calling C_Initialize again, as the specification asks: forget the
     * parent's connections (close our copies only) and its mutex object. */
    forget_inherited();
    g_use_app_locks = 0;
    g_app_mutex = NULL;
  }
  if (app_locks) {
    void *m = NULL;
    CK_RV rv = args->CreateMutex(&m);
    if (rv != CKR_OK) {
      pthread_mutex_unlock(&g_state);
      return rv;
    }
    g_app = *args;
    g_app_mutex = m;
  }
  g_use_app_locks = app_locks;
  g_flags = flags;
  g_initialized = 1;
  g_init_pid = getpid();
  g_pool_pid = getpid();
  new_instance();
  pthread_mutex_unlock(&g_state);
  return CKR_OK;
}

CK_RV sr_ready(void) {
  pthread_mutex_lock(&g_state);
  int ok = g_initialized;
  pthread_mutex_unlock(&g_state);
  return ok ? CKR_OK : CKR_CRYPTOKI_NOT_INITIALIZED;
}

static CK_RV io_lock(void) {
  if (g_use_app_locks) return g_app.LockMutex(g_app_mutex) == CKR_OK ? CKR_OK : CKR_FUNCTION_FAILED;
  pthread_mutex_lock(&g_io);
  return CKR_OK;
}

static void io_unlock(void) {
  if (g_use_app_locks)
    g_app.UnlockMutex(g_app_mutex);
  else
    pthread_mutex_unlock(&g_io);
}

/* ---- Socket I/O ---- */

static int write_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int read_all(int fd, unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t r = recv(fd, p, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

/* One frame out, one frame in on fd. On failure the caller closes fd (framing is lost). */
static CK_RV exchange(int fd, const sr_buf *req, sr_reply *rep) {
  unsigned char hdr[4];
  memset(rep, 0, sizeof *rep);
  if (write_all(fd, req->p, req->len) != 0 || read_all(fd, hdr, 4) != 0) {
    sr_debug("daemon connection lost", strerror(errno));
    return CKR_DEVICE_ERROR;
  }
  uint32_t len = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
  if (len < 8 || len > SR_MAX_RESPONSE) {
    sr_debug("malformed response frame", NULL);
    return CKR_DEVICE_ERROR;
  }
  unsigned char *frame = malloc(len);
  if (!frame) return CKR_HOST_MEMORY; /* cannot skip the frame without reading it: fd is lost */
  if (read_all(fd, frame, len) != 0) {
    free(frame);
    sr_debug("daemon connection lost", NULL);
    return CKR_DEVICE_ERROR;
  }
  sr_rd head = {frame, len, 0, 0};
  rep->rv = (CK_RV)sr_get_u64(&head);
  rep->frame = frame;
  rep->rd.p = frame;
  rep->rd.len = len;
  rep->rd.pos = 8;
  rep->rd.bad = 0;
  return CKR_OK;
}

void sr_reply_free(sr_reply *rep) {
  free(rep->frame);
  rep->frame = NULL;
}

/* ---- Discovery ---- */

static uint64_t fnv1a64(const char *s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 0x100000001b3ull;
  }
  return h;
}

static const char *env_nonempty(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

/* Absolute configuration path (realpath when it exists) and the socket path. */
static int resolve_paths(char *config, size_t csz, char *sock, size_t ssz) {
  const char *c = env_nonempty("STRONGROOM_CONFIG");
  if (!c) c = "./strongroom-data/client.json";
  char resolved[PATH_MAX];
  if (realpath(c, resolved) != NULL) {
    if (strlen(resolved) >= csz) return -1;
    strcpy(config, resolved);
  } else if (c[0] == '/') {
    if (strlen(c) >= csz) return -1;
    strcpy(config, c);
  } else {
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return -1;
    if (strncmp(c, "./", 2) == 0) c += 2;
    if ((size_t)snprintf(config, csz, "%s/%s", cwd, c) >= csz) return -1;
  }
  const char *s = env_nonempty("STRONGROOM_PKCS11_SOCKET");
  int n = s ? snprintf(sock, ssz, "%s", s)
            : snprintf(sock, ssz, "/tmp/strongroom-pkcs11-%lu/%016llx.sock", (unsigned long)getuid(),
                       (unsigned long long)fnv1a64(config));
  return n < 0 || (size_t)n >= ssz ? -1 : 0;
}

static int connect_once(const char *path) {
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof sa.sun_path) return -1;
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
  /* Never block forever on a daemon that stopped answering: a reply (or room to send) that takes
   * longer than STRONGROOM_PKCS11_TIMEOUT_MS (default 5 min, far above any HSM operation and its
   * fail-over) ends the call with CKR_DEVICE_ERROR and drops that socket. */
  long ms = SR_REPLY_TIMEOUT_MS;
  const char *t = env_nonempty("STRONGROOM_PKCS11_TIMEOUT_MS");
  if (t) {
    char *end = NULL;
    long v = strtol(t, &end, 10);
    if (end && *end == '\0' && v > 0) ms = v;
  }
  struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  for (;;) {
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) return fd;
    if (errno != EINTR) break;
  }
  close(fd);
  return -1;
}

/* Finds an executable on PATH (done before fork: nothing in the child allocates). */
static int find_program(const char *name, char *out, size_t osz) {
  if (strchr(name, '/')) return (size_t)snprintf(out, osz, "%s", name) < osz ? 0 : -1;
  const char *path = env_nonempty("PATH");
  if (!path) path = "/usr/local/bin:/usr/bin:/bin";
  while (*path) {
    const char *end = strchr(path, ':');
    size_t dl = end ? (size_t)(end - path) : strlen(path);
    int n = snprintf(out, osz, "%.*s/%s", (int)dl, dl ? path : ".", name);
    if (n > 0 && (size_t)n < osz && access(out, X_OK) == 0) return 0;
    if (!end) break;
    path = end + 1;
  }
  return -1;
}

/* fork + setsid + fork + exec, stdio to /dev/null. Returns 0 when exec succeeded. */
static int spawn_daemon(const char *config, const char *sock) {
  const char *env_cmd = env_nonempty("STRONGROOM_DAEMON_CMD");
  char cmd[4096];
  if ((size_t)snprintf(cmd, sizeof cmd, "%s", env_cmd ? env_cmd : STRONGROOM_DAEMON_CMD) >= sizeof cmd) return -1;
  char *argv[SR_MAX_ARGS + 6];
  int argc = 0;
  char *save = NULL;
  for (char *t = strtok_r(cmd, " ", &save); t && argc < SR_MAX_ARGS; t = strtok_r(NULL, " ", &save)) argv[argc++] = t;
  if (argc == 0) return -1;
  argv[argc++] = "client-daemon";
  argv[argc++] = "--config";
  argv[argc++] = (char *)config;
  argv[argc++] = "--socket";
  argv[argc++] = (char *)sock;
  argv[argc] = NULL;
  char prog[PATH_MAX];
  if (find_program(argv[0], prog, sizeof prog) != 0) {
    sr_debug("daemon command not found", argv[0]);
    return -1;
  }
  long maxfd = sysconf(_SC_OPEN_MAX);
  if (maxfd < 0 || maxfd > 65536) maxfd = 65536;
  int errpipe[2];
  if (pipe(errpipe) != 0) return -1;
  (void)fcntl(errpipe[0], F_SETFD, FD_CLOEXEC);
  (void)fcntl(errpipe[1], F_SETFD, FD_CLOEXEC);

  g_spawner = pthread_self();
  g_spawning = 1;
  pid_t pid = fork();
  if (pid != 0) g_spawning = 0; /* the child keeps it set: its own fork() below must skip the handlers */
  if (pid < 0) {
    close(errpipe[0]);
    close(errpipe[1]);
    return -1;
  }
  if (pid == 0) {
    /* Child: async-signal-safe calls only from here on. */
    int err;
    setsid();
    pid_t p2 = fork();
    if (p2 != 0) _exit(p2 < 0 ? 1 : 0); /* the daemon is re-parented: no zombie in the app */
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
    }
    for (long fd = 3; fd < maxfd; fd++)
      if (fd != errpipe[1]) close((int)fd);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    execv(prog, argv);
    err = errno;
    if (write(errpipe[1], &err, sizeof err) < 0) _exit(127);
    _exit(127);
  }
  close(errpipe[1]);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int err = 0;
  ssize_t r;
  do r = read(errpipe[0], &err, sizeof err);
  while (r < 0 && errno == EINTR);
  close(errpipe[0]);
  if (r == (ssize_t)sizeof err) {
    sr_debug("could not start the daemon", strerror(err));
    return -1;
  }
  return 0;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Connects to the daemon, starting it when nobody answers (one thread at a time: the others
 * wait and then find it running). Returns the socket or -1. */
static int connect_daemon(void) {
  char config[PATH_MAX], sock[PATH_MAX];
  if (resolve_paths(config, sizeof config, sock, sizeof sock) != 0) {
    sr_debug("configuration or socket path too long", NULL);
    return -1;
  }
  int fd = connect_once(sock);
  if (fd >= 0) return fd;
  pthread_mutex_lock(&g_connect);
  fd = connect_once(sock);
  if (fd < 0) {
    sr_debug("starting the client daemon for", sock);
    if (spawn_daemon(config, sock) == 0) {
      long deadline = now_ms() + SR_START_TIMEOUT_MS;
      long wait = 20;
      while (fd < 0 && now_ms() < deadline) {
        sleep_ms(wait);
        if (wait < 200) wait *= 2;
        fd = connect_once(sock);
      }
    }
  }
  pthread_mutex_unlock(&g_connect);
  if (fd < 0) sr_debug("cannot reach the client daemon at", sock);
  return fd;
}

/* A new connection, introduced to the daemon (fn 1: U64 flags, BYTES instance id) so that it
 * joins this instance's sessions. Returns CKR_OK with *out set, or the failure. */
static CK_RV open_connection(const unsigned char instance[SR_INSTANCE_LEN], int *out) {
  int fd = connect_daemon();
  if (fd < 0) return CKR_DEVICE_ERROR;
  sr_buf hello;
  sr_begin(&hello, SR_FN_INITIALIZE);
  sr_put_u64(&hello, g_flags);
  sr_put_bytes(&hello, instance, SR_INSTANCE_LEN);
  if (hello.err != CKR_OK) {
    sr_buf_free(&hello);
    close(fd);
    return CKR_HOST_MEMORY;
  }
  uint32_t rest = (uint32_t)(hello.len - 4);
  for (int i = 0; i < 4; i++) hello.p[i] = (unsigned char)(rest >> (8 * i));
  sr_reply rep;
  CK_RV rv = exchange(fd, &hello, &rep);
  sr_buf_free(&hello);
  if (rv != CKR_OK) {
    close(fd);
    return rv;
  }
  CK_RV drv = rep.rv;
  sr_reply_free(&rep);
  if (drv != CKR_OK && drv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    sr_debug("the daemon refused C_Initialize", NULL);
    close(fd);
    return drv;
  }
  *out = fd;
  return CKR_OK;
}

/* Borrows a connection: an idle one, or a new one. *gen receives the pool's generation. */
static CK_RV borrow(int *out, unsigned long *gen) {
  unsigned char instance[SR_INSTANCE_LEN];
  CK_RV rv = io_lock();
  if (rv != CKR_OK) return rv;
  if (g_pool_pid != getpid()) forget_inherited(); /* forked without C_Initialize: ours start now */
  *gen = g_gen;
  int fd = g_idle_n > 0 ? g_idle[--g_idle_n] : -1;
  memcpy(instance, g_instance, sizeof instance);
  io_unlock();
  if (fd >= 0) {
    *out = fd;
    return CKR_OK;
  }
  rv = open_connection(instance, &fd);
  if (rv != CKR_OK) return rv;
  if (io_lock() != CKR_OK) {
    close(fd);
    return CKR_FUNCTION_FAILED;
  }
  if (*gen != g_gen || g_all_n >= SR_CONN_MAX) { /* finalized or forked meanwhile, or too many */
    io_unlock();
    close(fd);
    return *gen != g_gen ? CKR_CRYPTOKI_NOT_INITIALIZED : CKR_DEVICE_MEMORY;
  }
  all_add(fd);
  io_unlock();
  *out = fd;
  return CKR_OK;
}

/* Returns a borrowed connection to the pool, or closes it when it failed, when C_Finalize (or a
 * fork) came in between, or when the pool is full. */
static void give_back(int fd, unsigned long gen, int failed) {
  int keep = 0;
  if (io_lock() == CKR_OK) {
    if (!failed && gen == g_gen && g_pool_pid == getpid() && g_idle_n < SR_POOL_MAX) {
      g_idle[g_idle_n++] = fd;
      keep = 1;
    } else if (gen == g_gen) {
      all_remove(fd);
    }
    io_unlock();
  }
  if (!keep) close(fd);
}

CK_RV sr_call(sr_buf *req, sr_reply *rep) {
  memset(rep, 0, sizeof *rep);
  if (req->err != CKR_OK) {
    CK_RV e = req->err;
    sr_buf_free(req);
    return e;
  }
  uint32_t rest = (uint32_t)(req->len - 4);
  for (int i = 0; i < 4; i++) req->p[i] = (unsigned char)(rest >> (8 * i));
  int fd;
  unsigned long gen;
  CK_RV rv = borrow(&fd, &gen);
  if (rv == CKR_OK) {
    rv = exchange(fd, req, rep);
    give_back(fd, gen, rv != CKR_OK);
  }
  sr_buf_free(req);
  return rv;
}

CK_RV sr_finalize(void) {
  pthread_mutex_lock(&g_state);
  if (!g_initialized) {
    pthread_mutex_unlock(&g_state);
    return CKR_CRYPTOKI_NOT_INITIALIZED;
  }
  if (io_lock() == CKR_OK) {
    if (g_pool_pid != getpid()) forget_inherited();
    /* Tell the daemon on one idle connection: it ends every session of this instance. */
    if (g_idle_n > 0) {
      int fd = g_idle[g_idle_n - 1];
      sr_buf bye;
      sr_reply rep;
      sr_begin(&bye, SR_FN_FINALIZE);
      if (bye.err == CKR_OK) {
        bye.p[0] = 4; /* rest = the u32 function number */
        if (exchange(fd, &bye, &rep) == CKR_OK) sr_reply_free(&rep);
      }
      sr_buf_free(&bye);
    }
    /* Idle connections close now; connections still in a call (an application calling
     * C_Finalize while other threads call in: the specification leaves it undefined) close
     * when their call returns, since the generation moves on. */
    for (int i = 0; i < g_idle_n; i++) {
      all_remove(g_idle[i]);
      close(g_idle[i]);
    }
    g_idle_n = 0;
    g_all_n = 0;
    g_gen++;
    io_unlock();
  }
  if (g_use_app_locks && g_init_pid == getpid()) g_app.DestroyMutex(g_app_mutex);
  g_use_app_locks = 0;
  g_app_mutex = NULL;
  g_initialized = 0;
  pthread_mutex_unlock(&g_state);
  return CKR_OK;
}
