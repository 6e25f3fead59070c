// A Task that hands results to JS in portions, under flow control: the waiter thread takes
// at most `credit` units ahead of delivery, publishes them as records (records.h) into an
// outbox, and one Deliver hands the whole outbox to JS as ONE Buffer:
//   dispatch(id, final, errno, records | undefined, count)
// The message-queue receiver is one; a shared-memory change feed or a datagram socket reader
// would be another.
//
// Memory: JS gets a copy made on the main thread; the task's two buffers (the one the thread
// fills, the outbox) are swapped and reused, so steady state allocates nothing on the
// waiter thread and never frees there what the main thread allocated (glibc's per-thread
// arenas would otherwise grow and shrink around every batch).
#pragma once

#include <chrono>
#include <cstdint>

#include "records.h"
#include "waiter.h"

namespace rxipc {

class StreamingTask : public Task {
 public:
  // At most `credit` units taken ahead of delivery, and at most `max_out` in one delivery.
  explicit StreamingTask(double credit, uint32_t max_out = UINT32_MAX) : max_out_(max_out == 0 ? 1 : max_out) {
    AddCreditLocked(credit);
  }

  // Main thread. `n` more units may be taken (>= 1.8e19: no limit).
  void AddCredit(double n) override;
  void Deliver(Napi::Env env, Napi::Function dispatch, bool final) override;
  // Main thread, teardown: the outbox never reached JS.
  void Abandon() override;

 protected:
  // Waiter thread. Waits for credit and for room in the outbox; returns how many units may
  // be taken now (> 0), 0 when `poll` elapsed without, or -1 once cancelled.
  int64_t AwaitCredit(std::chrono::milliseconds poll);
  // Waiter thread. Moves `count` finished records from `building` to the outbox and
  // schedules a delivery; `building` comes back empty (with reusable room).
  void Publish(ByteBuf& building, uint32_t count);
  // Waiter thread, at the end of Execute: the final errno (0: the source ended or was
  // cancelled; a cancel is reported as ECANCELED).
  void Finish(int err);
  // Records that will never reach JS (teardown, or JS could not run): the subclass returns
  // them to where they came from. Any thread; `records` is valid only during the call.
  virtual void Release(const uint8_t* records, size_t len, uint32_t count) = 0;

 private:
  void AddCreditLocked(double n);

  bool MayTakeLocked() const { return credit_ > 0 && out_count_ < max_out_; }

  const uint32_t max_out_;
  // Guarded by mu_.
  uint64_t credit_ = 0;
  ByteBuf outbox_;
  uint32_t out_count_ = 0;
  int err_ = 0;
};

}  // namespace rxipc
