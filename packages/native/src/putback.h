// Put-back: messages taken out of a System V queue for a consumer that is gone go back
// into the queue, at its back, in their order. One guarantee wherever they come from (a
// JS consumer that unsubscribed, a receiver whose worker was terminated, a delivery that
// JS could no longer run): the put-back waits for room on a thread until every message is
// in, or the queue is gone (EIDRM / EINVAL); a message the queue refuses for good (E2BIG
// after msgmax was lowered, EACCES after a mode change) is counted as failed. Nothing else
// drops them while the process lives. Only at process exit is the wait bounded
// (PrepareExit in waiter.h): what still has no room by the deadline is lost, and counted.
#pragma once

#include <napi.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "waiter.h"

namespace rxipc {

// Records (records.h layout) on their way back into queue `qid`.
struct PutBackBatch {
  int qid = -1;
  std::vector<uint8_t> records;
  size_t off = 0;       // the next record to send
  uint32_t left = 0;    // records from `off` on
  uint64_t sent = 0;
  uint64_t failed = 0;  // refused for good (not counting a removed queue)

  PutBackBatch() = default;
  PutBackBatch(int q, const uint8_t* p, size_t len, uint32_t count);
};

// Sends what is left of `b` with blocking msgsnd, in order. Returns 0 when every record
// was sent (or refused for good), EIDRM when the queue is gone (the rest is dropped:
// there is nowhere left to put it), or EINTR when `stop()` became true (the rest stays).
int SendBlocking(PutBackBatch& b, const std::function<bool()>& stop);

// A put-back that JS awaits: dispatch(id, true, errno, sent, failed). Cancelling it stops
// the waiting; whatever is left goes on in the background (Orphan): a cancel never drops.
class PutBackTask : public Task {
 public:
  explicit PutBackTask(PutBackBatch batch) : batch_(std::move(batch)) {}
  bool ok() const { return batch_.left == 0 || !batch_.records.empty(); }
  void Execute() override;
  void Deliver(Napi::Env env, Napi::Function dispatch, bool final) override;
  void Abandon() override;

 private:
  PutBackBatch batch_;  // waiter thread during Execute, main thread after
  int err_ = 0;
};

// Any thread. Hands records to the process-wide put-back thread, which needs no JS
// environment (so a terminated worker's messages still go back). Copies them.
void Orphan(int qid, const uint8_t* records, size_t len, uint32_t count);
void Orphan(PutBackBatch batch);

// Process exit (main thread): stops the background thread and sends what it still holds
// with IPC_NOWAIT until `deadline_ms` from now. Adds to *put and *lost.
void DrainOrphansForExit(int deadline_ms, uint64_t* put, uint64_t* lost);

// Records waiting in the background put-back, process-wide (tests).
uint64_t OrphansPending();

}  // namespace rxipc
