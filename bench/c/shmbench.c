// The C reference for shared memory: records in the layout rxipc's publish() writes
// ([u32 sequence][u32 length][data], a seqlock, FUTEX_WAKE on the sequence word; see
// packages/core/README.md), on a System V segment made by the orchestrator.
//
//   shmbench pair-lat -i SHMID -s SIZE -t TOTAL -w WARM -a P,C
//       fork: the parent publishes a ping record (offset 0) and futex-waits for the pong
//       record (offset 128); the child waits for each ping and publishes it back as pong.
//       Prints {n, p50, p99} (µs).
//   shmbench pong -i SHMID        ponger role (for a Node pinger); a zero-length ping ends it
//   shmbench memcpy -i SHMID -s SIZE -t TOTAL -w WARM -a P,C
//       memcpy of SIZE bytes from a private buffer into the segment in a loop (parent CPU
//       only). Prints {units, seconds, rate, unit: "B", ...}.
#include "common.h"  // first: it defines _GNU_SOURCE

#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/shm.h>
#include <sys/syscall.h>

#define PING 0
#define PONG 128

static void publish(unsigned char* rec, const void* data, uint32_t len) {
  uint32_t* seq = (uint32_t*)rec;
  uint32_t odd = __atomic_load_n(seq, __ATOMIC_RELAXED) | 1;
  __atomic_store_n(seq, odd, __ATOMIC_SEQ_CST);
  __atomic_store_n((uint32_t*)(rec + 4), len, __ATOMIC_RELAXED);
  memcpy(rec + 8, data, len);
  __atomic_store_n(seq, odd + 1, __ATOMIC_RELEASE);
  syscall(SYS_futex, seq, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

// Waits until the sequence differs from `last` and is even; returns it.
static uint32_t wait_change(unsigned char* rec, uint32_t last) {
  uint32_t* seq = (uint32_t*)rec;
  for (;;) {
    uint32_t now = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
    if (now != last && (now & 1) == 0) return now;
    syscall(SYS_futex, seq, FUTEX_WAIT, now, NULL, NULL, 0);
  }
}

// A consistent copy of the record's data into `out` (at most `cap` bytes); returns its length.
static uint32_t snapshot(unsigned char* rec, void* out, uint32_t cap, uint32_t* seq_out) {
  uint32_t* seq = (uint32_t*)rec;
  for (;;) {
    uint32_t a = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
    if (a & 1) continue;
    uint32_t len = __atomic_load_n((uint32_t*)(rec + 4), __ATOMIC_RELAXED);
    if (len > cap) len = cap;
    memcpy(out, rec + 8, len);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(seq, __ATOMIC_RELAXED) == a) {
      *seq_out = a;
      return len;
    }
  }
}

static unsigned char* attach(int id) {
  unsigned char* mem = shmat(id, NULL, 0);
  if (mem == (void*)-1) die("shmat");
  return mem;
}

static void ponger(unsigned char* mem) {
  unsigned char buf[4096];
  // 0: a ping published before this process started is answered too.
  uint32_t last = 0;
  for (;;) {
    wait_change(mem + PING, last);
    uint32_t len = snapshot(mem + PING, buf, sizeof buf, &last);
    if (len == 0) return;
    publish(mem + PONG, buf, len);
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: shmbench pair-lat|pong|memcpy -i SHMID [options]\n");
    return 2;
  }
  const char* role = argv[1];
  int id = -1, parent_cpu = -1, child_cpu = -1;
  long size = 64;
  double total = 1, warm = 0.2;
  int opt;
  optind = 2;
  while ((opt = getopt(argc, argv, "i:s:t:w:a:")) != -1) {
    if (opt == 'i') id = atoi(optarg);
    else if (opt == 's') size = parse_size(optarg);
    else if (opt == 't') total = atof(optarg);
    else if (opt == 'w') warm = atof(optarg);
    else if (opt == 'a') parse_affinity(optarg, &parent_cpu, &child_cpu);
  }
  if (id < 0) {
    fprintf(stderr, "shmbench: -i SHMID is required\n");
    return 2;
  }
  unsigned char* mem = attach(id);

  if (strcmp(role, "pong") == 0) {
    ponger(mem);
    return 0;
  }
  if (strcmp(role, "memcpy") == 0) {
    pin(parent_cpu);
    unsigned char* src = malloc((size_t)size);
    if (!src) die("malloc");
    memset(src, 'x', (size_t)size);
    window_t w;
    window_init(&w, warm);
    double end = now_s() + total;
    for (long i = 0; now_s() < end; i++) {
      src[0] = (unsigned char)i;  // a different block each time: the copy is not elided
      memcpy(mem, src, (size_t)size);
      __asm__ volatile("" ::: "memory");
      window_add(&w, (double)size);
    }
    window_close(&w);
    window_print(&w, "B");
    return 0;
  }
  if (strcmp(role, "pair-lat") == 0) {
    memset(mem, 0, PONG + 8 + 4096);
    pin(parent_cpu);
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      pin(child_cpu);
      ponger(mem);
      _exit(0);
    }
    unsigned char ping[4096];
    memset(ping, 'p', sizeof ping);
    if (size > (long)sizeof ping) size = sizeof ping;
    samples_t s = {0};
    double first = -1, end_at = 0;
    uint32_t pong_seq = 0;
    for (;;) {
      double t0 = now_s();
      publish(mem + PING, ping, (uint32_t)size);
      pong_seq = wait_change(mem + PONG, pong_seq);
      double t1 = now_s();
      if (first < 0) {
        first = t1;
        end_at = t1 + total;
      }
      if (t1 - first >= warm) samples_add(&s, (t1 - t0) * 1e6);
      if (t1 >= end_at) break;
    }
    publish(mem + PING, ping, 0);  // stops the ponger
    wait_child(pid);
    samples_print(&s);
    return 0;
  }
  fprintf(stderr, "shmbench: unknown role '%s'\n", role);
  return 2;
}
