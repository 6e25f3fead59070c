#include "putback.h"

#include <pthread.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "records.h"

namespace rxipc {

PutBackBatch::PutBackBatch(int q, const uint8_t* p, size_t len, uint32_t count) : qid(q), left(count) {
  if (count > 0) records.assign(p, p + len);
}

namespace {

// The queue is gone: every later send would fail the same way.
bool QueueGone(int err) { return err == EIDRM || err == EINVAL; }

// One record of `b` with `flags`; advances past it unless the queue was full (EAGAIN) or
// the call was interrupted (EINTR). Returns 0, or the errno that stops the batch.
int SendOne(PutBackBatch& b, ByteBuf& scratch, int flags) {
  if (b.off + kRecordHeader > b.records.size()) {  // malformed tail: nothing more to send
    b.left = 0;
    return 0;
  }
  Record r = Record::At(b.records.data() + b.off);
  if (r.length > b.records.size() - b.off - kRecordHeader) {  // malformed: never read past the end
    b.left = 0;
    return 0;
  }
  if (SendRecord(b.qid, r, scratch, flags, false) == 0) {
    b.sent++;
  } else if (errno == EINTR || errno == EAGAIN) {
    return errno;
  } else if (QueueGone(errno)) {
    b.left = 0;
    return EIDRM;
  } else {
    b.failed++;  // refused for good: E2BIG, EACCES, ENOMEM
  }
  b.off += r.size;
  b.left--;
  return 0;
}

}  // namespace

int SendBlocking(PutBackBatch& b, const std::function<bool()>& stop) {
  ByteBuf scratch;
  while (b.left > 0) {
    if (stop()) return EINTR;
    int err = SendOne(b, scratch, 0);
    if (err == EIDRM) return EIDRM;
    // EINTR: a cancel (checked above) or a stray signal (send again).
  }
  return 0;
}

// ---- PutBackTask ----

void PutBackTask::Execute() {
  int err = SendBlocking(batch_, [this] { return Cancelled(); });
  std::lock_guard<std::mutex> lock(mu_);
  err_ = err == EINTR ? ECANCELED : err;
}

void PutBackTask::Deliver(Napi::Env env, Napi::Function dispatch, bool final) {
  if (!final) return;
  Abandon();  // a cancelled put-back goes on in the background
  dispatch.Call({Napi::Number::New(env, id()), Napi::Boolean::New(env, true), Napi::Number::New(env, err_),
                 Napi::Number::New(env, double(batch_.sent)), Napi::Number::New(env, double(batch_.failed))});
}

void PutBackTask::Abandon() {
  if (batch_.left == 0) return;
  Orphan(std::move(batch_));
  batch_.left = 0;
}

// ---- the background put-back ----

namespace {

// Process-wide; leaked on purpose (its thread may be blocked in msgsnd while the process exits).
struct Orphans {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<PutBackBatch> jobs;  // guarded by mu; the front one is being sent
  bool started = false;           // guarded by mu
  bool busy = false;              // guarded by mu: the thread is sending jobs.front()
  bool exiting = false;           // guarded by mu
  std::atomic<bool> stop{false};
  pthread_t thread{};
  uint64_t pending = 0;           // guarded by mu: records in jobs
};

Orphans& TheOrphans() {
  static Orphans* o = new Orphans;
  return *o;
}

void* OrphanMain(void*) {
  sigset_t set;
  sigfillset(&set);
  sigdelset(&set, CancelSignal());
  pthread_sigmask(SIG_SETMASK, &set, nullptr);
  Orphans& o = TheOrphans();
  std::unique_lock<std::mutex> lock(o.mu);
  for (;;) {
    o.cv.wait(lock, [&] { return (!o.jobs.empty() && !o.exiting); });
    PutBackBatch& job = o.jobs.front();  // stays in place: only this thread pops
    o.busy = true;
    uint32_t before = job.left;
    lock.unlock();
    SendBlocking(job, [&] { return o.stop.load(std::memory_order_acquire); });
    lock.lock();
    o.busy = false;
    o.pending -= before - job.left;
    if (job.left == 0) o.jobs.pop_front();
    o.cv.notify_all();
  }
  return nullptr;
}

}  // namespace

void Orphan(PutBackBatch batch) {
  if (batch.left == 0) return;
  Orphans& o = TheOrphans();
  std::lock_guard<std::mutex> lock(o.mu);
  o.pending += batch.left;
  o.jobs.push_back(std::move(batch));
  if (!o.started) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 128 * 1024);
    if (pthread_create(&o.thread, &attr, OrphanMain, nullptr) == 0) o.started = true;
    pthread_attr_destroy(&attr);
    // No thread: the records stay queued and DrainOrphansForExit still sends them.
  }
  o.cv.notify_all();
}

void Orphan(int qid, const uint8_t* records, size_t len, uint32_t count) {
  if (count == 0) return;
  Orphan(PutBackBatch(qid, records, len, count));
}

void DrainOrphansForExit(int deadline_ms, uint64_t* put, uint64_t* lost) {
  Orphans& o = TheOrphans();
  std::unique_lock<std::mutex> lock(o.mu);
  o.exiting = true;
  o.stop.store(true, std::memory_order_release);
  // Interrupt the thread's blocking msgsnd; re-send until it lets go of its job.
  while (o.busy) {
    pthread_kill(o.thread, CancelSignal());
    o.cv.wait_for(lock, std::chrono::milliseconds(1));
  }
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  auto elapsed_ms = [&] {
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
  };
  ByteBuf scratch;
  while (!o.jobs.empty()) {
    PutBackBatch& b = o.jobs.front();
    uint64_t sent_before = b.sent;
    while (b.left > 0) {
      int err = SendOne(b, scratch, IPC_NOWAIT);
      if (err == EIDRM) break;
      if (err == EAGAIN || err == EINTR) {
        if (elapsed_ms() >= deadline_ms) break;
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, nullptr);
      }
    }
    *put += b.sent - sent_before;
    *lost += b.left;
    o.jobs.pop_front();
  }
  o.pending = 0;
}

uint64_t OrphansPending() {
  Orphans& o = TheOrphans();
  std::lock_guard<std::mutex> lock(o.mu);
  return o.pending;
}

}  // namespace rxipc
