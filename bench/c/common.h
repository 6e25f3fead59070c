// Shared helpers for the C reference programs: clock, CPU pinning, argument parsing and
// the one-line JSON result every role prints on stdout.
//
// Measurement windows match the Node side exactly (bench/lib/meter.ts):
//   throughput: the window opens at the first read that happens at least `warm` seconds
//     after the first byte arrived and closes at end-of-stream (or the end marker); only
//     data read after the opening read counts.
//   round trip: every round trip is timed with CLOCK_MONOTONIC; those that end within
//     `warm` seconds of the first one are discarded; p50/p99 over the rest.
#pragma once
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void die(const char* what) {
  fprintf(stderr, "%s: %s\n", what, strerror(errno));
  exit(1);
}

// Pins the calling thread (and what it forks afterwards) to `cpu`; -1 leaves it alone.
static inline void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");
}

// "P,C" -> parent and child CPUs (-1 = not pinned).
static inline void parse_affinity(const char* s, int* parent, int* child) {
  if (sscanf(s, "%d,%d", parent, child) != 2) {
    fprintf(stderr, "bad -a '%s' (want P,C)\n", s);
    exit(2);
  }
}

static inline long parse_size(const char* s) {
  char* end;
  long v = strtol(s, &end, 10);
  if (*end == 'k' || *end == 'K') v *= 1024;
  else if (*end == 'm' || *end == 'M') v *= 1024 * 1024;
  return v;
}

// Throughput window bookkeeping shared by every reader role.
typedef struct {
  double warm, first, start, last;
  double units;  // bytes or messages inside the window
  long chunks;   // reads inside the window
  int opened;
} window_t;

static inline void window_init(window_t* w, double warm) {
  memset(w, 0, sizeof *w);
  w->warm = warm;
  w->first = -1;
}

// Reads the clock only until the window opens (and once more in window_close), so the
// counting itself costs an add.
static inline void window_add(window_t* w, double units) {
  if (w->opened) {
    w->units += units;
    w->chunks++;
    return;
  }
  double t = now_s();
  if (w->first < 0) {
    w->first = t;
    return;
  }
  if (t - w->first < w->warm) return;
  w->opened = 1;
  w->start = t;  // the read that opens the window is not counted: its data arrived before
}

// At end-of-stream or the end marker.
static inline void window_close(window_t* w) { w->last = now_s(); }

// CPU seconds and context switches of this process so far (diagnostics, whole run).
static inline void usage_of_self(double* cpu, long* csw) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  *cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec * 1e-6;
  *csw = ru.ru_nvcsw + ru.ru_nivcsw;
}

static inline void window_print(const window_t* w, const char* unit) {
  double secs = w->opened ? w->last - w->start : 0;
  double cpu;
  long csw;
  usage_of_self(&cpu, &csw);
  printf("{\"units\":%.0f,\"seconds\":%.6f,\"rate\":%.3f,\"unit\":\"%s\",\"reads\":%ld,\"cpu\":%.4f,\"csw\":%ld}\n",
         w->units, secs, secs > 0 ? w->units / secs : 0, unit, w->chunks, cpu, csw);
  fflush(stdout);
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

// Round-trip samples in microseconds.
typedef struct {
  double* v;
  size_t n, cap;
} samples_t;

static inline void samples_add(samples_t* s, double us) {
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 65536;
    s->v = realloc(s->v, s->cap * sizeof(double));
    if (!s->v) die("realloc");
  }
  s->v[s->n++] = us;
}

static inline void samples_print(samples_t* s) {
  if (s->n == 0) {
    printf("{\"n\":0}\n");
    return;
  }
  qsort(s->v, s->n, sizeof(double), cmp_double);
  double p50 = s->v[(size_t)(0.50 * (double)(s->n - 1))];
  double p99 = s->v[(size_t)(0.99 * (double)(s->n - 1))];
  printf("{\"n\":%zu,\"p50\":%.4f,\"p99\":%.4f}\n", s->n, p50, p99);
  fflush(stdout);
}

/* Waits for a forked peer; a peer that failed fails the run. */
static inline void wait_child(pid_t pid) {
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "child failed (status %d)\n", st);
    exit(1);
  }
}
