#include "streaming.h"

#include <cerrno>
#include <mutex>

namespace rxipc {

void StreamingTask::AddCreditLocked(double n) {
  if (n >= 1.8e19) credit_ = UINT64_MAX;
  else if (credit_ != UINT64_MAX) credit_ = uint64_t(n) > UINT64_MAX - 1 - credit_ ? UINT64_MAX - 1 : credit_ + uint64_t(n);
}

void StreamingTask::AddCredit(double n) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    AddCreditLocked(n);
  }
  cv_.notify_one();
}

int64_t StreamingTask::AwaitCredit(std::chrono::milliseconds poll) {
  std::unique_lock<std::mutex> lock(mu_);
  // wait_for reads the clock even when it need not wait: look first.
  auto ready = [&] { return MayTakeLocked() || Cancelled(); };
  if (!ready() && !cv_.wait_for(lock, poll, ready)) return 0;
  if (Cancelled()) return -1;
  return int64_t(std::min<uint64_t>(credit_, max_out_ - out_count_));
}

void StreamingTask::Publish(ByteBuf& building, uint32_t count) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (credit_ != UINT64_MAX) credit_ -= std::min<uint64_t>(credit_, count);
    if (outbox_.len == 0) {
      outbox_.Swap(building);  // building gets the outbox's empty room back
    } else if (!outbox_.Append(building.data, building.len)) {
      std::abort();  // out of memory while holding taken records: nothing sane is left
    }
    out_count_ += count;
  }
  building.len = 0;
  Post();
}

void StreamingTask::Finish(int err) {
  std::lock_guard<std::mutex> lock(mu_);
  err_ = err;
}

void StreamingTask::Deliver(Napi::Env env, Napi::Function dispatch, bool final) {
  ByteBuf out;
  uint32_t count;
  int err;
  {
    std::lock_guard<std::mutex> lock(mu_);
    out.Swap(outbox_);
    count = out_count_;
    out_count_ = 0;
    // Ended by a cancel (even one before the thread started): ECANCELED, as every waiter task.
    err = err_ == 0 && Cancelled() ? ECANCELED : err_;
  }
  if (count >= max_out_) cv_.notify_one();  // the thread may be waiting for room in the outbox
  if (count == 0 && !final) {
    std::lock_guard<std::mutex> lock(mu_);
    if (outbox_.len == 0 && outbox_.cap < out.cap) outbox_.Swap(out);
    return;
  }
  try {
    Napi::Value data = env.Undefined();
    if (count > 0) data = EnvState::Get(env)->CopyOut(env, out.data, out.len);
    dispatch.Call({Napi::Number::New(env, id()), Napi::Boolean::New(env, final), Napi::Number::New(env, final ? err : 0),
                   data, Napi::Number::New(env, count)});
  } catch (...) {
    // JS cannot run any more (environment teardown): the records go back. Had termination
    // stopped a handler midway, the ones it already saw go back too: at least once for a
    // dying worker, never lost.
    if (count > 0) Release(out.data, out.len, count);
    return;
  }
  // The copy is JS's: the room goes back for the thread to fill again (unless a batch of
  // rare size made it large).
  out.len = 0;
  if (out.cap <= (1u << 20)) {
    std::lock_guard<std::mutex> lock(mu_);
    if (outbox_.len == 0 && outbox_.cap < out.cap) outbox_.Swap(out);
  }
}

void StreamingTask::Abandon() {
  std::lock_guard<std::mutex> lock(mu_);
  Release(outbox_.data, outbox_.len, out_count_);
  outbox_.len = 0;
  out_count_ = 0;
}

}  // namespace rxipc
