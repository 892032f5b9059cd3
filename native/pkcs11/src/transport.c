/*
 * transport.c: the library's global state and its single connection to the client daemon
 * (docs/pkcs11-daemon-protocol.md, "Finding and starting the daemon").
 *
 * Locking: the application's mutex callbacks when it passes them without CKF_OS_LOCKING_OK,
 * otherwise a pthread mutex; one request/response exchange at a time per process. Fork: the pid
 * is recorded at connect and a child opens its own connection (never writes on the parent's).
 * Must never create threads (CKF_LIBRARY_CANT_CREATE_OS_THREADS is always honoured), never raise
 * SIGPIPE in the application, and never leave a zombie behind when it starts the daemon.
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

static pthread_mutex_t g_state = PTHREAD_MUTEX_INITIALIZER; /* guards g_initialized & co */
static pthread_mutex_t g_io = PTHREAD_MUTEX_INITIALIZER;    /* one exchange at a time */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static int g_initialized;
static pid_t g_init_pid;
static CK_FLAGS g_flags;
static int g_use_app_locks;
static CK_C_INITIALIZE_ARGS g_app;
static void *g_app_mutex;

static int g_fd = -1;
static pid_t g_fd_pid;

/* pthread_atfork: the thread that forks holds both mutexes across fork() so that the child
 * never inherits a mutex locked by a thread it does not have. Our own fork (starting the daemon)
 * happens with g_io held, so the handlers skip it. */
static volatile int g_spawning;
static pthread_t g_spawner;
static int g_atfork_held;

static void sr_debug(const char *what, const char *detail) {
  const char *d = getenv("STRONGROOM_PKCS11_DEBUG");
  if (d && *d && *d != '0') fprintf(stderr, "libstrongroom-pkcs11: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
}

static void atfork_prepare(void) {
  if (g_spawning && pthread_equal(g_spawner, pthread_self())) return;
  pthread_mutex_lock(&g_state);
  pthread_mutex_lock(&g_io);
  g_atfork_held = 1;
}

static void atfork_release(void) {
  if (!g_atfork_held) return;
  g_atfork_held = 0;
  pthread_mutex_unlock(&g_io);
  pthread_mutex_unlock(&g_state);
}

static void sr_once(void) { pthread_atfork(atfork_prepare, atfork_release, atfork_release); }

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
     * parent's connection (close our copy only) and its mutex object. */
    if (g_fd >= 0) close(g_fd);
    g_fd = -1;
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

static void drop_connection(void) {
  if (g_fd >= 0) close(g_fd);
  g_fd = -1;
}

/* One frame out, one frame in. On failure the connection is dropped (framing is lost). */
static CK_RV exchange(const sr_buf *req, sr_reply *rep) {
  unsigned char hdr[4];
  memset(rep, 0, sizeof *rep);
  if (write_all(g_fd, req->p, req->len) != 0 || read_all(g_fd, hdr, 4) != 0) {
    sr_debug("daemon connection lost", strerror(errno));
    drop_connection();
    return CKR_DEVICE_ERROR;
  }
  uint32_t len = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
  if (len < 8 || len > SR_MAX_RESPONSE) {
    sr_debug("malformed response frame", NULL);
    drop_connection();
    return CKR_DEVICE_ERROR;
  }
  unsigned char *frame = malloc(len);
  if (!frame) {
    drop_connection(); /* cannot skip the frame without reading it */
    return CKR_HOST_MEMORY;
  }
  if (read_all(g_fd, frame, len) != 0) {
    free(frame);
    sr_debug("daemon connection lost", NULL);
    drop_connection();
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

/* Connected, with the daemon told about C_Initialize (fn 1, U64 flags) on this connection. */
static CK_RV ensure_connected(void) {
  if (g_fd >= 0 && g_fd_pid == getpid()) return CKR_OK;
  if (g_fd >= 0) { /* inherited across fork(): the parent's connection, never ours to use */
    close(g_fd);
    g_fd = -1;
  }
  char config[PATH_MAX], sock[PATH_MAX];
  if (resolve_paths(config, sizeof config, sock, sizeof sock) != 0) {
    sr_debug("configuration or socket path too long", NULL);
    return CKR_DEVICE_ERROR;
  }
  int fd = connect_once(sock);
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
  if (fd < 0) {
    sr_debug("cannot reach the client daemon at", sock);
    return CKR_DEVICE_ERROR;
  }
  g_fd = fd;
  g_fd_pid = getpid();

  sr_buf hello;
  sr_begin(&hello, SR_FN_INITIALIZE);
  sr_put_u64(&hello, g_flags);
  if (hello.err != CKR_OK) {
    sr_buf_free(&hello);
    drop_connection();
    return CKR_HOST_MEMORY;
  }
  uint32_t rest = (uint32_t)(hello.len - 4);
  for (int i = 0; i < 4; i++) hello.p[i] = (unsigned char)(rest >> (8 * i));
  sr_reply rep;
  CK_RV rv = exchange(&hello, &rep);
  sr_buf_free(&hello);
  if (rv != CKR_OK) return rv;
  CK_RV drv = rep.rv;
  sr_reply_free(&rep);
  if (drv != CKR_OK && drv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    sr_debug("the daemon refused C_Initialize", NULL);
    drop_connection();
    return drv;
  }
  return CKR_OK;
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
  CK_RV rv = io_lock();
  if (rv == CKR_OK) {
    rv = ensure_connected();
    if (rv == CKR_OK) rv = exchange(req, rep);
    io_unlock();
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
    if (g_fd >= 0 && g_fd_pid == getpid()) {
      sr_buf bye;
      sr_reply rep;
      sr_begin(&bye, SR_FN_FINALIZE);
      if (bye.err == CKR_OK) {
        bye.p[0] = 4; /* rest = the u32 function number */
        if (exchange(&bye, &rep) == CKR_OK) sr_reply_free(&rep);
      }
      sr_buf_free(&bye);
    }
    drop_connection();
    io_unlock();
  }
  if (g_use_app_locks && g_init_pid == getpid()) g_app.DestroyMutex(g_app_mutex);
  g_use_app_locks = 0;
  g_app_mutex = NULL;
  g_initialized = 0;
  pthread_mutex_unlock(&g_state);
  return CKR_OK;
}
