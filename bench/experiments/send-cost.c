// Experiment: the cost of one IPC_NOWAIT msgsnd in C (fill 200, drain 200), for send-cost.mjs.
// cc -O2 -o ../out/send-cost send-cost.c
#include "../c/common.h"
#include <sys/ipc.h>
#include <sys/msg.h>
struct { long t; char d[8192]; } m, r;
int main(int argc, char** argv) {
  size_t size = argc > 1 ? atoi(argv[1]) : 64;
  int q = msgget(IPC_PRIVATE, 0600);
  double t = 0; long n = 0; m.t = 1;
  double end = now_s() + 1.5;
  while (now_s() < end) {
    double t0 = now_s();
    for (int i = 0; i < 200; i++) msgsnd(q, &m, size, IPC_NOWAIT);
    t += now_s() - t0; n += 200;
    while (msgrcv(q, &r, 8192, 0, IPC_NOWAIT) >= 0);
  }
  printf("C msgsnd IPC_NOWAIT %.0f ns/msg\n", t * 1e9 / n);
  msgctl(q, IPC_RMID, 0);
}
