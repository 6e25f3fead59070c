// C reference for System V message queues. The queue is made (IPC_PRIVATE) and removed by
// the caller, which passes its id with -q; this program never creates or removes one.
// Messages of type 1 carry data; one message of type 2 (zero length) marks the end.
//
//   msgqbench pair-thr -q QID -s SIZE -t TOTAL -w WARM -a P,C
//       fork: the child sends SIZE-byte messages (blocking msgsnd) for TOTAL seconds, then
//       the end marker; the parent receives (msgrcv, any type) and counts messages.
//   msgqbench pair-lat -q QID -s SIZE -t TOTAL -w WARM -a P,C
//       fork: the parent sends type 1 (ping), the child answers with type 2 (pong) on the
//       same queue; each round trip is timed. A zero-length ping stops the child.
//   msgqbench pair-model -q QID -s SIZE -t TOTAL -w WARM -a P,C
//       pair-lat, but the parent is a C model of rxipc's design: a thread blocks in msgrcv and
//       hands each message to the main thread through an eventfd that the main thread waits
//       for in epoll (what a waiter thread + libuv's loop do, minus everything else). The
//       difference to pair-lat is the design's own cost; the difference to rxipc is overhead.
//   msgqbench send -q QID -s SIZE -t TOTAL     sender role (for a Node receiver)
//   msgqbench recv -q QID -w WARM              receiver role (for a Node sender)
//   msgqbench pong -q QID                      ponger role (for a Node pinger)
//   msgqbench ping -q QID -s SIZE -t TOTAL -w WARM   pinger role (for a Node ponger)
// Receivers print their window plus the process's CPU seconds and context switches.
#include "common.h"  // first: defines _GNU_SOURCE

#include <getopt.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>


#define MAX_MSG 65536

struct msg {
  long mtype;
  char mtext[MAX_MSG];
};

static struct msg sbuf, rbuf;
static int verbose;  // -v: the sender reports its CPU time and context switches on stderr

static void snd(int q, long type, size_t size) {
  sbuf.mtype = type;
  while (msgsnd(q, &sbuf, size, 0) != 0) {
    if (errno != EINTR) die("msgsnd");
  }
}

static ssize_t rcv(int q, long type) {
  for (;;) {
    ssize_t n = msgrcv(q, &rbuf, MAX_MSG, type, 0);
    if (n >= 0) return n;
    if (errno != EINTR) die("msgrcv");
  }
}

static void sender(int q, size_t size, double total) {
  memset(sbuf.mtext, 'x', size);
  double end = now_s() + total;
  unsigned i;
  for (i = 0;; i++) {
    snd(q, 1, size);
    if (i % 64 == 0 && now_s() >= end) break;
  }
  snd(q, 2, 0);
  double cpu;
  long csw;
  usage_of_self(&cpu, &csw);
  if (verbose) fprintf(stderr, "sender: %u messages, cpu %.4f s, %ld context switches\n", i + 1, cpu, csw);
}

static void receiver(int q, double warm) {
  window_t w;
  window_init(&w, warm);
  for (;;) {
    rcv(q, 0);
    if (rbuf.mtype == 2) break;
    window_add(&w, 1);
  }
  window_close(&w);
  window_print(&w, "msg");
}

static void ponger(int q) {
  for (;;) {
    ssize_t n = rcv(q, 1);
    if (n == 0) break;
    memcpy(sbuf.mtext, rbuf.mtext, (size_t)n);
    snd(q, 2, (size_t)n);
  }
}

static void pinger(int q, size_t size, double total, double warm) {
  memset(sbuf.mtext, 'p', size);
  samples_t s = {0};
  double begin = -1;  // the end of the first round trip
  for (;;) {
    double t0 = now_s();
    if (begin >= 0 && t0 - begin >= total) break;
    snd(q, 1, size);
    rcv(q, 2);
    double t1 = now_s();
    if (begin < 0) begin = t1;
    if (t1 - begin >= warm) samples_add(&s, (t1 - t0) * 1e6);
  }
  snd(q, 1, 0);
  samples_print(&s);
}

// ---- the waiter-thread model ----

static struct msg tbuf;  // the receiving thread's buffer (handed over, like a batch)
static int model_q, model_efd;
static volatile int model_stop;

static void* model_receiver(void* arg) {
  (void)arg;
  for (;;) {
    ssize_t n = msgrcv(model_q, &tbuf, MAX_MSG, 2, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("msgrcv");
    }
    if (model_stop) return NULL;
    uint64_t one = 1;
    if (write(model_efd, &one, sizeof one) != sizeof one) die("write eventfd");
  }
}

static void model_pinger(int q, size_t size, double total, double warm) {
  model_q = q;
  model_efd = eventfd(0, EFD_CLOEXEC);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (model_efd < 0 || ep < 0) die("eventfd/epoll");
  struct epoll_event ev = {.events = EPOLLIN, .data = {.fd = model_efd}};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, model_efd, &ev) != 0) die("epoll_ctl");
  pthread_t t;
  if (pthread_create(&t, NULL, model_receiver, NULL) != 0) die("pthread_create");
  memset(sbuf.mtext, 'p', size);
  samples_t s = {0};
  double begin = -1;
  for (;;) {
    double t0 = now_s();
    if (begin >= 0 && t0 - begin >= total) break;
    snd(q, 1, size);
    struct epoll_event got;
    while (epoll_wait(ep, &got, 1, -1) != 1) {
      if (errno != EINTR) die("epoll_wait");
    }
    uint64_t v;
    if (read(model_efd, &v, sizeof v) != sizeof v) die("read eventfd");
    double t1 = now_s();
    if (begin < 0) begin = t1;
    if (t1 - begin >= warm) samples_add(&s, (t1 - t0) * 1e6);
  }
  snd(q, 1, 0);  // stops the ponger
  model_stop = 1;
  snd(q, 2, 0);  // wakes our own receiving thread
  pthread_join(t, NULL);
  samples_print(&s);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: msgqbench pair-thr|pair-lat|send|recv|pong -q QID [options]\n");
    return 2;
  }
  const char* role = argv[1];
  int q = -1, pcpu = -1, ccpu = -1, opt;
  size_t size = 64;
  double total = 1.2, warm = 0.2;
  optind = 2;
  while ((opt = getopt(argc, argv, "q:s:t:w:a:v")) != -1) {
    switch (opt) {
      case 'q': q = atoi(optarg); break;
      case 's': size = (size_t)parse_size(optarg); break;
      case 't': total = atof(optarg); break;
      case 'w': warm = atof(optarg); break;
      case 'a': parse_affinity(optarg, &pcpu, &ccpu); break;
      case 'v': verbose = 1; break;
      default: return 2;
    }
  }
  if (q < 0 || size > MAX_MSG) {
    fprintf(stderr, "need -q QID and -s <= %d\n", MAX_MSG);
    return 2;
  }
  if (strcmp(role, "send") == 0) sender(q, size, total);
  else if (strcmp(role, "recv") == 0) receiver(q, warm);
  else if (strcmp(role, "pong") == 0) ponger(q);
  else if (strcmp(role, "ping") == 0) pinger(q, size, total, warm);
  else if (strcmp(role, "pair-thr") == 0 || strcmp(role, "pair-lat") == 0 || strcmp(role, "pair-model") == 0) {
    int thr = role[5] == 't';
    int model = role[5] == 'm';
    pin(pcpu);
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      pin(ccpu);
      if (thr) sender(q, size, total);
      else ponger(q);
      _exit(0);
    }
    if (thr) receiver(q, warm);
    else if (model) model_pinger(q, size, total, warm);
    else pinger(q, size, total, warm);
    wait_child(pid);
  } else {
    fprintf(stderr, "unknown role '%s'\n", role);
    return 2;
  }
  return 0;
}
