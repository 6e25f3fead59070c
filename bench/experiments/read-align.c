// Experiment: what a pipe read costs the reader depending on where in memory it lands.
//   cc -O2 -o /tmp/read-align experiments/read-align.c
//   taskset -c 0 out/bin/pipebench write -f 1 -s 65536 -t 1.2 | taskset -c 0 /tmp/read-align RING_KIB MISALIGN [HUGE]
// Reads 64 KiB at a time from stdin into a ring of RING_KIB KiB (pre-touched; page-aligned
// plus MISALIGN bytes), so each read lands in memory last written RING_KIB KiB earlier.
// HUGE=1 asks for transparent huge pages (MADV_HUGEPAGE). Prints MB/s and CPU us per read
// (user + system) after a 0.2 s warm-up.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: read-align RING_KIB MISALIGN [HUGE]\n");
    return 2;
  }
  const size_t huge_size = 2 << 20;
  size_t ring = strtoul(argv[1], 0, 0) << 10;
  size_t mis = strtoul(argv[2], 0, 0);
  int huge = argc > 3 && atoi(argv[3]) != 0;
  if (ring < 65536) ring = 65536;
  size_t map = ring + 2 * huge_size;
  char* m = mmap(0, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return perror("mmap"), 1;
  char* base = (char*)(((unsigned long)m + huge_size - 1) & ~(huge_size - 1));
  madvise(base, ring + huge_size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
  memset(base, 1, ring + huge_size);
  size_t off = 0;
  long reads = 0, bytes = 0;
  double first = now(), t0 = 0, c0 = 0;
  int opened = 0;
  for (;;) {
    if (ring - off < 65536) off = 0;
    ssize_t n = read(0, base + mis + off, 65536);
    if (n <= 0) break;
    off += ((size_t)n + 63) & ~(size_t)63;
    if (!opened) {
      if (now() - first > 0.2) opened = 1, t0 = now(), c0 = cpu();
      continue;
    }
    reads++;
    bytes += n;
  }
  double t = now() - t0, c = cpu() - c0;
  printf("ring %zu KiB, misalign %zu, huge %d: %.0f MB/s, %.2f us CPU per read\n", ring >> 10, mis, huge, bytes / t / 1e6,
         reads ? c / reads * 1e6 : 0);
  return 0;
}
