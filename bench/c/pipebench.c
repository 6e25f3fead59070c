// C reference for anonymous pipes and FIFOs. Roles:
//
//   pipebench pair-thr -k pipe|fifo -s SIZE -t TOTAL -w WARM -a P,C [-d DIR]
//       fork: the child writes SIZE-byte chunks for TOTAL seconds and closes; the parent
//       reads with a max(SIZE, 64 KiB) buffer until EOF. Prints the reader's window.
//   pipebench pair-lat -k pipe|fifo -s SIZE -t TOTAL -w WARM -a P,C [-d DIR]
//       fork: the parent writes SIZE bytes, the child reads all of them and writes SIZE
//       bytes back; each round trip is timed. Prints p50/p99 in microseconds.
//   pipebench write (-f FD | -p PATH) -s SIZE -t TOTAL
//       writer role for a Node reader: SIZE-byte writes for TOTAL seconds, then close.
//   pipebench read (-f FD | -p PATH) -w WARM
//       reader role for a Node writer: reads until EOF, prints the window.
//   pipebench echo -i FD -o FD -s SIZE
//       ponger role for a Node pinger: reads SIZE bytes, writes them back, until EOF.
//
// -a P,C pins the parent to CPU P and the child to CPU C (-1: not pinned). FIFOs are made
// in DIR (which must exist) and removed before exit.
#include "common.h"  // first: defines _GNU_SOURCE

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>


static void write_all(int fd, const char* buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) exit(0);  // the reader is gone: the run is over
      die("write");
    }
    buf += w;
    n -= (size_t)w;
  }
}

// Returns 0 at EOF before any byte, else reads exactly n.
static int read_all(int fd, char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      die("read");
    }
    if (r == 0) {
      if (got == 0) return 0;
      fprintf(stderr, "short read at EOF\n");
      exit(1);
    }
    got += (size_t)r;
  }
  return 1;
}

// An inherited pipe end may arrive with O_NONBLOCK set: a Node parent that wrapped it in a
// libuv handle (as createPipe() does) set the flag on the shared open file description.
// The parent has closed its copy, so the flag is ours to clear.
static void make_blocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) die("fcntl");
  if ((fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) die("fcntl");
}

static void writer_loop(int fd, size_t size, double total) {
  char* buf = malloc(size);
  if (!buf) die("malloc");
  memset(buf, 'x', size);
  double end = now_s() + total;
  // Check the clock every write at 64 KiB, every 64th write for small sizes.
  unsigned every = size >= 4096 ? 1 : 64;
  for (unsigned i = 0;; i++) {
    write_all(fd, buf, size);
    if (i % every == 0 && now_s() >= end) break;
  }
  close(fd);
  free(buf);
}

static void reader_loop(int fd, size_t size, double warm) {
  size_t cap = size > 65536 ? size : 65536;
  char* buf = malloc(cap);
  if (!buf) die("malloc");
  window_t w;
  window_init(&w, warm);
  for (;;) {
    ssize_t r = read(fd, buf, cap);
    if (r < 0) {
      if (errno == EINTR) continue;
      die("read");
    }
    if (r == 0) break;
    window_add(&w, (double)r);
  }
  window_close(&w);
  window_print(&w, "B");
  free(buf);
}

static void pinger_loop(int out, int in, size_t size, double total, double warm) {
  char* buf = malloc(size);
  if (!buf) die("malloc");
  memset(buf, 'p', size);
  samples_t s = {0};
  double begin = -1;  // the end of the first round trip
  for (;;) {
    double t0 = now_s();
    if (begin >= 0 && t0 - begin >= total) break;
    write_all(out, buf, size);
    if (!read_all(in, buf, size)) {
      fprintf(stderr, "ponger closed early\n");
      exit(1);
    }
    double t1 = now_s();
    if (begin < 0) begin = t1;
    if (t1 - begin >= warm) samples_add(&s, (t1 - t0) * 1e6);
  }
  close(out);
  samples_print(&s);
  free(buf);
}

static void echo_loop(int in, int out, size_t size) {
  char* buf = malloc(size);
  if (!buf) die("malloc");
  while (read_all(in, buf, size)) write_all(out, buf, size);
  close(out);
  free(buf);
}

static char fifo_a[4096], fifo_b[4096];

static void remove_fifos(void) {
  if (fifo_a[0]) unlink(fifo_a);
  if (fifo_b[0]) unlink(fifo_b);
}

static void on_signal(int sig) {
  remove_fifos();
  signal(sig, SIG_DFL);
  raise(sig);
}

static void make_fifo(char* path, const char* dir, const char* name) {
  snprintf(path, 4096, "%s/c-%d-%s", dir, (int)getpid(), name);
  if (mkfifo(path, 0600) != 0) die("mkfifo");
}

static int open_path(const char* path, int flags) {
  int fd;
  do fd = open(path, flags);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) die(path);
  return fd;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: pipebench pair-thr|pair-lat|write|read|echo [options]\n");
    return 2;
  }
  const char* role = argv[1];
  const char* kind = "pipe";
  const char* dir = "/tmp";
  const char* path = NULL;
  size_t size = 65536;
  double total = 1.2, warm = 0.2;
  int pcpu = -1, ccpu = -1, fd = -1, in = -1, out = -1;
  int opt;
  optind = 2;
  while ((opt = getopt(argc, argv, "k:s:t:w:a:d:f:p:i:o:")) != -1) {
    switch (opt) {
      case 'k': kind = optarg; break;
      case 's': size = (size_t)parse_size(optarg); break;
      case 't': total = atof(optarg); break;
      case 'w': warm = atof(optarg); break;
      case 'a': parse_affinity(optarg, &pcpu, &ccpu); break;
      case 'd': dir = optarg; break;
      case 'f': fd = atoi(optarg); break;
      case 'p': path = optarg; break;
      case 'i': in = atoi(optarg); break;
      case 'o': out = atoi(optarg); break;
      default: return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);

  if (strcmp(role, "write") == 0) {
    if (path) fd = open_path(path, O_WRONLY);
    else make_blocking(fd);
    writer_loop(fd, size, total);
    return 0;
  }
  if (strcmp(role, "read") == 0) {
    if (path) fd = open_path(path, O_RDONLY);
    else make_blocking(fd);
    reader_loop(fd, size, warm);
    return 0;
  }
  if (strcmp(role, "echo") == 0) {
    make_blocking(in);
    make_blocking(out);
    echo_loop(in, out, size);
    return 0;
  }

  int fifo = strcmp(kind, "fifo") == 0;
  if (fifo) {
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    atexit(remove_fifos);
  }
  pin(pcpu);

  if (strcmp(role, "pair-thr") == 0) {
    int p[2];
    if (fifo) make_fifo(fifo_a, dir, "thr");
    else if (pipe(p) != 0) die("pipe");
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      pin(ccpu);
      int w = fifo ? open_path(fifo_a, O_WRONLY) : (close(p[0]), p[1]);
      writer_loop(w, size, total);
      _exit(0);
    }
    int r = fifo ? open_path(fifo_a, O_RDONLY) : (close(p[1]), p[0]);
    reader_loop(r, size, warm);
    wait_child(pid);
    return 0;
  }

  if (strcmp(role, "pair-lat") == 0) {
    int ping[2], pong[2];
    if (fifo) {
      make_fifo(fifo_a, dir, "ping");
      make_fifo(fifo_b, dir, "pong");
    } else if (pipe(ping) != 0 || pipe(pong) != 0) {
      die("pipe");
    }
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      pin(ccpu);
      int i, o;
      if (fifo) {
        i = open_path(fifo_a, O_RDONLY);
        o = open_path(fifo_b, O_WRONLY);
      } else {
        close(ping[1]);
        close(pong[0]);
        i = ping[0];
        o = pong[1];
      }
      echo_loop(i, o, size);
      _exit(0);
    }
    int o, i;
    if (fifo) {
      o = open_path(fifo_a, O_WRONLY);
      i = open_path(fifo_b, O_RDONLY);
    } else {
      close(ping[0]);
      close(pong[1]);
      o = ping[1];
      i = pong[0];
    }
    pinger_loop(o, i, size, total, warm);
    wait_child(pid);
    return 0;
  }

  fprintf(stderr, "unknown role '%s'\n", role);
  return 2;
}
