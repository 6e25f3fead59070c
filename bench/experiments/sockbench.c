// C reference for the socket-pair experiment (socket-pairs.mjs).
//   sockbench pair  <stream|seqpacket|dgram> <size> <seconds>   C writer -> C reader (fork), prints msgs/s MB/s
//   sockbench rtt   <stream|seqpacket|dgram> <size> <seconds>   C ping-pong (fork), prints p50 us
//   sockbench write <fd> <size> <seconds>                       writes size-byte messages to fd, then a 1-byte end marker
//   sockbench echo  <fd>                                        echoes every message until EOF / a 1-byte marker
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static int type_of(const char* s) { return !strcmp(s, "stream") ? SOCK_STREAM : !strcmp(s, "dgram") ? SOCK_DGRAM : SOCK_SEQPACKET; }

static void writer(int fd, size_t size, double secs) {
  char* buf = calloc(1, size);
  double end = now() + secs;
  long n = 0;
  while ((n++ & 63) || now() < end)
    if (send(fd, buf, size, MSG_NOSIGNAL) < 0) { perror("send"); exit(1); }
  send(fd, "E", 1, MSG_NOSIGNAL);
  free(buf);
}

static int cmp(const void* a, const void* b) { double x = *(double*)a, y = *(double*)b; return x < y ? -1 : x > y; }

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  if (!strcmp(argv[1], "write")) { writer(atoi(argv[2]), atoi(argv[3]), atof(argv[4])); return 0; }
  if (!strcmp(argv[1], "echo")) {
    int fd = atoi(argv[2]);
    char* buf = malloc(1 << 20);
    for (;;) {
      ssize_t n = recv(fd, buf, 1 << 20, 0);
      if (n <= 1) return 0;
      if (send(fd, buf, n, MSG_NOSIGNAL) < 0) return 0;
    }
  }
  int type = type_of(argv[2]);
  size_t size = atoi(argv[3]);
  double secs = atof(argv[4]), warm = 0.2;
  int sv[2];
  if (socketpair(AF_UNIX, type, 0, sv)) { perror("socketpair"); return 1; }
  int bufsz = 4 << 20;
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof bufsz);
  setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof bufsz);
  char* buf = malloc(1 << 20);
  if (!strcmp(argv[1], "pair")) {
    pid_t pid = fork();
    if (pid == 0) { close(sv[1]); writer(sv[0], size, secs + warm); _exit(0); }
    close(sv[0]);
    double first = 0, start = 0; long msgs = 0; long long bytes = 0; int open = 0;
    for (;;) {
      ssize_t n = recv(sv[1], buf, 1 << 20, 0);
      if (n <= 1) break;
      double t;
      if (!open) { t = now(); if (!first) first = t; else if (t - first >= warm) { open = 1; start = t; } continue; }
      msgs++; bytes += n;
    }
    double t = now() - start;
    waitpid(pid, NULL, 0);
    printf("%.0f %.1f\n", (type == SOCK_STREAM ? bytes / (double)size : msgs) / t, bytes / t / 1e6);
    return 0;
  }
  // rtt
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    for (;;) { ssize_t n = recv(sv[1], buf, 1 << 20, 0); if (n <= 1) _exit(0); send(sv[1], buf, n, 0); }
  }
  close(sv[1]);
  int cap = 1 << 22, k = 0;
  double* lat = malloc(sizeof(double) * cap);
  double endt = now() + secs, t0 = now();
  while (now() < endt && k < cap) {
    double a = now();
    send(sv[0], buf, size, 0);
    size_t got = 0;
    while (got < size) { ssize_t n = recv(sv[0], buf, 1 << 20, 0); if (n <= 0) return 1; got += n; }
    double b = now();
    if (a - t0 >= warm / 2) lat[k++] = (b - a) * 1e6;
  }
  send(sv[0], "E", 1, 0);
  waitpid(pid, NULL, 0);
  qsort(lat, k, sizeof(double), cmp);
  printf("%.2f\n", lat[k / 2]);
  return 0;
}
