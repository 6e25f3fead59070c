#include "handles.h"

#include <cerrno>
#include <iterator>
#include <vector>

#include "errors.h"
#include "waiter.h"

namespace rxipc {

bool Resource::Borrow() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closing_ || released_) return false;
  borrows_++;
  return true;
}

uint32_t Resource::StartBorrowing(Napi::Env env, std::shared_ptr<Task> task, const char* syscall) {
  if (!Borrow()) ThrowSystemError(env, EBADF, syscall);
  uint32_t id;
  try {
    id = EnvState::Get(env)->Start(env, task);
  } catch (...) {
    task->Finished();  // the task never ran: give the borrow back
    throw;
  }
  AddBorrower(env, id);
  return id;
}

void Resource::AddBorrower(Napi::Env env, uint32_t task_id) {
  if (borrowers_.size() >= 64) {  // forget Tasks that ended, so a long-lived object stays small
    EnvState* state = EnvState::Get(env);
    for (auto it = borrowers_.begin(); it != borrowers_.end();) {
      it = state->Find(*it) ? std::next(it) : borrowers_.erase(it);
    }
  }
  borrowers_.insert(task_id);
}

void Resource::Return() {
  bool release = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (--borrows_ == 0) {
      cv_.notify_all();
      release = release_when_idle_;
    }
  }
  if (release) ReleaseOnce();
}

void Resource::Quiesce(Napi::Env env) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  // Lock order: never hold mu_ while calling into EnvState (its Cancel takes Task locks).
  EnvState* state = EnvState::Get(env);
  for (uint32_t id : borrowers_) state->Cancel(id);
  borrowers_.clear();
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return borrows_ == 0; });
}

void Resource::ReleaseWhenIdle() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (borrows_ > 0) {
      release_when_idle_ = true;
      return;
    }
  }
  ReleaseOnce();
}

void Resource::ReleaseOnce() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (released_) return;
    released_ = true;
  }
  Release();
}

uint32_t HandleTable::Add(std::shared_ptr<Resource> r) {
  uint32_t h;
  do {  // wraps at 2^31 (never in practice); a live handle is never handed out twice
    h = next_++;
    if (next_ > 0x7fffffff) next_ = 1;
  } while (entries_.count(h) != 0);
  entries_[h].resource = std::move(r);
  return h;
}

HandleTable::Entry* HandleTable::Find(uint32_t handle) {
  auto it = entries_.find(handle);
  return it == entries_.end() ? nullptr : &it->second;
}

void HandleTable::Erase(uint32_t handle) { entries_.erase(handle); }

void HandleTable::Clear() {
  closed_ = true;
  // Entries are moved out first: a Resource destructor must not see a half-erased map.
  std::unordered_map<uint32_t, Entry> entries;
  entries.swap(entries_);
  entries.clear();
}

std::shared_ptr<HandleTable> Handles(Napi::Env env) { return EnvState::Get(env)->handles(); }

uint32_t ArgHandle(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return uint32_t(ArgInteger(info, i, name, 1, 0x7fffffff));
}

HandleTable::Entry& LiveEntry(const Napi::CallbackInfo& info, uint32_t handle, Resource::Kind kind,
                              const char* syscall) {
  HandleTable::Entry* e = Handles(info.Env())->Find(handle);
  if (e == nullptr || e->resource->kind() != kind) ThrowSystemError(info.Env(), EBADF, syscall);
  return *e;
}

}  // namespace rxipc
