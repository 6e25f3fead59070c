// Handles: how JS names native objects that are not fds or kernel ids (a mapping of shared
// memory, an open POSIX named semaphore). JS holds a number; the environment's HandleTable
// maps it to the object. A number that was never handed out, belongs to another kind of
// object, or names an object already closed gives EBADF, the way a closed fd does: no JS
// value reaches a pointer. Handles are never reused while the table lives.
//
// Borrowing: a waiter Task that uses a Resource (a futex wait reads the mapping, sem_wait
// uses the sem_t) borrows it for as long as it runs. Closing cancels the borrowers, waits
// until the last one has let go, and only then releases the object (munmap, sem_close): no
// waiter thread ever touches released memory.
#pragma once

#include <napi.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

namespace rxipc {

class Task;

class Resource {
 public:
  enum Kind { kMapping, kNamedSemaphore };
  explicit Resource(Kind kind) : kind_(kind) {}
  virtual ~Resource() = default;
  Kind kind() const { return kind_; }

  // Main thread. Takes a borrow for a Task about to start; false once closing began.
  bool Borrow();
  // Main thread, after EnvState::Start gave the borrowing Task its id (for Quiesce to cancel it).
  void AddBorrower(Napi::Env env, uint32_t task_id);
  // Main thread. Borrow(), start `task` on a waiter thread, AddBorrower(): the task must
  // Return() the borrow when it finishes (Task::Finished). EBADF (in `syscall`) once
  // closing began; a failed start returns the borrow. Returns the task id.
  uint32_t StartBorrowing(Napi::Env env, std::shared_ptr<Task> task, const char* syscall);
  // Any thread (the Task's waiter thread, or the main thread when Start failed). Releases the
  // object if it was waiting for its borrowers (ReleaseWhenIdle) and this was the last one.
  void Return();

  // Main thread. Refuses new borrows, cancels the Tasks that hold one, and blocks until
  // they returned it (a cancel ends a wait within milliseconds). Does not release.
  void Quiesce(Napi::Env env);
  // Any thread. Releases now if nothing is borrowed, else when the last borrow returns.
  void ReleaseWhenIdle();

 protected:
  // Any thread, at most once (Released() guards it): munmap / shmdt / sem_close.
  virtual void Release() = 0;
  bool Released() const { return released_; }
  // Runs Release() at most once. Caller must not hold mu_.
  void ReleaseOnce();

 private:
  const Kind kind_;
  std::mutex mu_;
  std::condition_variable cv_;
  int borrows_ = 0;                       // guarded by mu_
  bool closing_ = false;                  // guarded by mu_
  bool release_when_idle_ = false;        // guarded by mu_
  bool released_ = false;                 // guarded by mu_ (read by the owner after Release)
  std::unordered_set<uint32_t> borrowers_;  // main thread only: task ids, possibly stale
};

// The environment's handles. Main thread only. Shared (shared_ptr) with ArrayBuffer
// finalizers, which may run after the environment's own cleanup emptied it.
class HandleTable {
 public:
  struct Entry {
    std::shared_ptr<Resource> resource;
    Napi::Reference<Napi::ArrayBuffer> buffer;  // weak; empty for read-only mappings
  };
  uint32_t Add(std::shared_ptr<Resource> r);
  Entry* Find(uint32_t handle);
  void Erase(uint32_t handle);
  // Environment teardown: drops every entry (and its reference) while the env is still valid.
  void Clear();
  bool closed() const { return closed_; }

 private:
  std::unordered_map<uint32_t, Entry> entries_;
  uint32_t next_ = 1;
  bool closed_ = false;
};

std::shared_ptr<HandleTable> Handles(Napi::Env env);

// Reads argument i as a handle: a number (TypeError), an integer in 1..2^31-1 (RangeError),
// and live with the right kind (EBADF system error naming `syscall`).
uint32_t ArgHandle(const Napi::CallbackInfo& info, size_t i, const char* name);
HandleTable::Entry& LiveEntry(const Napi::CallbackInfo& info, uint32_t handle, Resource::Kind kind,
                              const char* syscall);

}  // namespace rxipc
