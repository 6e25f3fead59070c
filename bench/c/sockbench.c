// C reference for unix domain sockets (AF_UNIX): stream, seqpacket and datagram socket pairs,
// and descriptor passing (SCM_RIGHTS). Roles usable with a Node peer take an inherited fd
// (-f) or connect to a path (-p, a stream socket a Node net.Server listens on).
//
//   sockbench pair-thr -k TYPE -s SIZE -t TOTAL -w WARM -a P,C   fork: child writes, parent reads
//   sockbench pair-lat -k TYPE -s SIZE -t TOTAL -w WARM -a P,C   fork: parent pings, child echoes
//   sockbench fd-pair -t TOTAL -w WARM -a P,C                    fork: child passes fds, parent receives
//   sockbench write (-f FD | -p PATH) -s SIZE -t TOTAL            writer role
//   sockbench echo (-f FD | -p PATH)                              echo role
//   sockbench fd-send -f FD -t TOTAL                              fd-passing sender role
//
// TYPE: stream | seqpacket | dgram. Default socket buffers everywhere (the Node side gets
// the same). Throughput is counted in messages of SIZE bytes (a stream reader counts
// bytes / SIZE). A message socket ends with a 1-byte end marker (SIZE is never 1); a stream
// socket with end-of-stream. fd passing: every message is 1 byte carrying ONE fd (a dup of
// /dev/null's, the same number each time); the receiver closes every fd it gets; a message
// without an fd ends the run. Units: fds.
#include "common.h"  // first: defines _GNU_SOURCE

#include <fcntl.h>
#include <getopt.h>
#include <sys/socket.h>
#include <sys/un.h>

#define BUF (256 * 1024)
static char buf[BUF];

static int type_of(const char* s) {
  if (strcmp(s, "stream") == 0) return SOCK_STREAM;
  if (strcmp(s, "seqpacket") == 0) return SOCK_SEQPACKET;
  if (strcmp(s, "dgram") == 0) return SOCK_DGRAM;
  fprintf(stderr, "bad -k '%s' (stream | seqpacket | dgram)\n", s);
  exit(2);
}

static int sock_type(int fd) {
  int t = 0;
  socklen_t len = sizeof t;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &len) != 0) die("getsockopt");
  return t;
}

// An inherited fd may share a non-blocking open file description with the Node side's
// libuv handle (uv_poll_init sets O_NONBLOCK): these roles block.
static void blocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) die("fcntl");
}

static int connect_path(const char* path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  strncpy(sa.sun_path, path, sizeof sa.sun_path - 1);
  if (connect(fd, (struct sockaddr*)&sa, sizeof sa) != 0) die("connect");
  return fd;
}

static void send_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
    if (k < 0) {
      if (errno == EINTR) continue;
      die("send");
    }
    p += k;
    n -= (size_t)k;
  }
}

static void writer(int fd, long size, double total) {
  int type = sock_type(fd);
  double end = now_s() + total;
  for (long n = 0; (n & 63) != 0 || now_s() < end; n++) send_all(fd, buf, (size_t)size);
  if (type == SOCK_STREAM) shutdown(fd, SHUT_WR);
  else send_all(fd, "E", 1);
}

static void reader(int fd, long size, double warm) {
  int type = sock_type(fd);
  window_t w;
  window_init(&w, warm);
  for (;;) {
    // A stream reader takes 64 KiB at a time, as libuv does; a message reader any message.
    ssize_t n = recv(fd, buf, type == SOCK_STREAM ? 65536 : BUF, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("recv");
    }
    if (type == SOCK_STREAM ? n == 0 : n <= 1) break;
    window_add(&w, type == SOCK_STREAM ? (double)n / (double)size : 1);
  }
  window_close(&w);
  window_print(&w, "msg");
}

static void echo(int fd) {
  int type = sock_type(fd);
  for (;;) {
    ssize_t n = recv(fd, buf, BUF, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("recv");
    }
    if (n == 0 || (type != SOCK_STREAM && n == 1)) return;
    send_all(fd, buf, (size_t)n);
  }
}

static void pinger(int fd, long size, double total, double warm) {
  int type = sock_type(fd);
  samples_t s = {0};
  double begin = -1;
  for (;;) {
    double t0 = now_s();
    if (begin >= 0 && t0 - begin >= total) break;
    send_all(fd, buf, (size_t)size);
    long got = 0;
    while (got < size) {
      ssize_t n = recv(fd, buf, BUF, 0);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        die("recv");
      }
      got += type == SOCK_STREAM ? n : size;
    }
    double t1 = now_s();
    if (begin < 0) begin = t1;
    if (t1 - begin >= warm) samples_add(&s, (t1 - t0) * 1e6);
  }
  if (type == SOCK_STREAM) shutdown(fd, SHUT_WR);
  else send_all(fd, "E", 1);
  samples_print(&s);
}

static void fd_send(int fd, double total) {
  int passed = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (passed < 0) die("open");
  double end = now_s() + total;
  for (long n = 0; (n & 63) != 0 || now_s() < end; n++) {
    char c = 'F';
    struct iovec iov = {&c, 1};
    union {
      struct cmsghdr h;
      char space[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space, .msg_controllen = sizeof ctl.space};
    struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &passed, sizeof(int));
    while (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0)
      if (errno != EINTR) die("sendmsg");
  }
  send_all(fd, "E", 1);
  close(passed);
}

static void fd_recv(int fd, double warm) {
  window_t w;
  window_init(&w, warm);
  for (;;) {
    char c;
    struct iovec iov = {&c, 1};
    union {
      struct cmsghdr h;
      char space[CMSG_SPACE(sizeof(int) * 4)];
    } ctl;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space, .msg_controllen = sizeof ctl.space};
    ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("recvmsg");
    }
    int got = 0;
    for (struct cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
      if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
      int k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      for (int j = 0; j < k; j++) {
        int r;
        memcpy(&r, CMSG_DATA(cm) + j * sizeof(int), sizeof(int));
        close(r);
      }
      got += k;
    }
    if (n == 0 || got == 0) break;
    window_add(&w, got);
  }
  window_close(&w);
  window_print(&w, "msg");
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: sockbench pair-thr|pair-lat|fd-pair|write|echo|fd-send [options]\n");
    return 2;
  }
  const char* role = argv[1];
  const char* path = NULL;
  int type = SOCK_STREAM, fd = -1, pcpu = -1, ccpu = -1, opt;
  long size = 64;
  double total = 1.0, warm = 0.2;
  optind = 2;
  while ((opt = getopt(argc, argv, "k:s:t:w:a:f:p:")) != -1) {
    switch (opt) {
      case 'k': type = type_of(optarg); break;
      case 's': size = parse_size(optarg); break;
      case 't': total = atof(optarg); break;
      case 'w': warm = atof(optarg); break;
      case 'a': parse_affinity(optarg, &pcpu, &ccpu); break;
      case 'f': fd = atoi(optarg); break;
      case 'p': path = optarg; break;
      default: return 2;
    }
  }
  if (size < 2 || size > BUF) {
    fprintf(stderr, "-s must be 2 .. %d\n", BUF);
    return 2;
  }
  if (path != NULL) fd = connect_path(path);
  if (strcmp(role, "write") == 0 || strcmp(role, "echo") == 0 || strcmp(role, "fd-send") == 0) {
    if (fd < 0) {
      fprintf(stderr, "need -f FD or -p PATH\n");
      return 2;
    }
    blocking(fd);
    if (role[0] == 'w') writer(fd, size, total);
    else if (role[0] == 'e') echo(fd);
    else fd_send(fd, total);
    return 0;
  }
  int fork_type = strcmp(role, "fd-pair") == 0 ? SOCK_SEQPACKET : type;
  if (strcmp(role, "pair-thr") != 0 && strcmp(role, "pair-lat") != 0 && strcmp(role, "fd-pair") != 0) {
    fprintf(stderr, "unknown role '%s'\n", role);
    return 2;
  }
  int sv[2];
  if (socketpair(AF_UNIX, fork_type | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair");
  pin(pcpu);
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    pin(ccpu);
    close(sv[0]);
    if (role[5] == 't') writer(sv[1], size, total);       // pair-thr
    else if (role[5] == 'l') echo(sv[1]);                 // pair-lat
    else fd_send(sv[1], total);                           // fd-pair
    _exit(0);
  }
  close(sv[1]);
  if (role[5] == 't') reader(sv[0], size, warm);
  else if (role[5] == 'l') pinger(sv[0], size, total, warm);
  else fd_recv(sv[0], warm);
  wait_child(pid);
  return 0;
}
