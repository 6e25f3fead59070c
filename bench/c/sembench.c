// C reference for System V semaphores: an acquire/release ping-pong between two processes.
// The set (3 semaphores, all 0) is made (IPC_PRIVATE) and removed by the caller, which passes
// its id with -m; this program never creates or removes one.
//   semaphore 0: "ping" — the pinger releases it (+1), the ponger acquires it (-1)
//   semaphore 1: "pong" — the ponger releases it, the pinger acquires it
//   semaphore 2: "stop" — set to 1 (then a last ping) to end the ponger
// One round trip = release 0, acquire 1 (the ponger: acquire 0, release 1). No SEM_UNDO.
//
//   sembench pair-lat -m SEMID -t TOTAL -w WARM -a P,C   fork: parent pings, child pongs
//   sembench pong -m SEMID                               ponger role (for a Node pinger)
//   sembench ping -m SEMID -t TOTAL -w WARM              pinger role (for a Node ponger)
#include "common.h"  // first: defines _GNU_SOURCE

#include <getopt.h>
#include <sys/ipc.h>
#include <sys/sem.h>

static void op(int set, unsigned short num, short delta) {
  struct sembuf b = {num, delta, 0};
  while (semop(set, &b, 1) != 0) {
    if (errno != EINTR) die("semop");
  }
}

static void ponger(int set) {
  for (;;) {
    op(set, 0, -1);
    int stop = semctl(set, 2, GETVAL);
    if (stop < 0) die("semctl");
    if (stop > 0) break;
    op(set, 1, 1);
  }
}

static void pinger(int set, double total, double warm) {
  samples_t s = {0};
  double begin = -1;  // the end of the first round trip
  for (;;) {
    double t0 = now_s();
    if (begin >= 0 && t0 - begin >= total) break;
    op(set, 0, 1);
    op(set, 1, -1);
    double t1 = now_s();
    if (begin < 0) begin = t1;
    if (t1 - begin >= warm) samples_add(&s, (t1 - t0) * 1e6);
  }
  if (semctl(set, 2, SETVAL, 1) != 0) die("semctl");
  op(set, 0, 1);
  samples_print(&s);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: sembench pair-lat|pong|ping -m SEMID [options]\n");
    return 2;
  }
  const char* role = argv[1];
  int set = -1, pcpu = -1, ccpu = -1, opt;
  double total = 1.2, warm = 0.2;
  optind = 2;
  while ((opt = getopt(argc, argv, "m:s:t:w:a:")) != -1) {
    switch (opt) {
      case 'm': set = atoi(optarg); break;
      case 's': break;  // the size is meaningless here; accepted for a uniform command line
      case 't': total = atof(optarg); break;
      case 'w': warm = atof(optarg); break;
      case 'a': parse_affinity(optarg, &pcpu, &ccpu); break;
      default: return 2;
    }
  }
  if (set < 0) {
    fprintf(stderr, "need -m SEMID\n");
    return 2;
  }
  if (strcmp(role, "pong") == 0) ponger(set);
  else if (strcmp(role, "ping") == 0) pinger(set, total, warm);
  else if (strcmp(role, "pair-lat") == 0) {
    pin(pcpu);
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      pin(ccpu);
      ponger(set);
      _exit(0);
    }
    pinger(set, total, warm);
    wait_child(pid);
  } else {
    fprintf(stderr, "unknown role '%s'\n", role);
    return 2;
  }
  return 0;
}
