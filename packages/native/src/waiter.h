// Waiter infrastructure: runs calls that may wait forever (blocking open of a FIFO,
// msgrcv/msgsnd without IPC_NOWAIT, later semop and futex waits) off the main thread,
// and never on the libuv thread pool.
//
// Why not Napi::AsyncWorker: it occupies one of the pool's 4 threads (shared with fs, dns,
// crypto, zlib) for the whole wait and cannot be cancelled once running, so four idle
// subscribers would freeze the program's file I/O. Instead every waiting Task gets a thread
// of its own from a process-wide pool of waiter threads that grows on demand and shrinks
// when idle (threads are reused, so a wait costs no thread creation in steady state).
//
// Cancellation: Cancel() sets a flag, wakes the Task's condition variable and sends
// kSignal (SIGRTMIN+5, a no-op handler installed without SA_RESTART) to the thread, so a
// blocked syscall returns EINTR. The signal can land between the Task's flag check and its
// syscall; a supervisor thread therefore re-sends it every millisecond until the Task is done.
// Waiter threads block every other signal.
//
// Delivery: a Task publishes results with Post(); Deliver() then runs on the main thread
// through the environment's one doorbell (a uv_async_t) and calls the JS dispatcher
// dispatch(id, final, errno, a, b) inside a callback scope (nextTicks and microtasks run
// after each call, as after any I/O callback). Not a Napi::ThreadSafeFunction: its
// producer writes the loop's eventfd while holding the function's mutex, so on one CPU the
// woken main thread preempts the producer and then blocks on that mutex — two extra context
// switches per delivery. Here the producer pushes under a mutex and rings after releasing
// it (uv_async_send needs no lock and coalesces). Tasks hold no JS handles, so they may be
// destroyed on any thread. Each environment owns its Tasks: its cleanup hook cancels them and waits
// for their threads to let go, so the addon can be unloaded with a worker_thread.
#pragma once

#include <napi.h>
#include <pthread.h>
#include <uv.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace rxipc {

class EnvState;
class HandleTable;

// The real-time signal that interrupts a waiting syscall (SIGRTMIN+5; a no-op handler
// installed without SA_RESTART). Threads that wait for rxipc unblock it; all others block it.
int CancelSignal();

class Task : public std::enable_shared_from_this<Task> {
 public:
  virtual ~Task() = default;

  // Waiter thread. Does the waiting. Must return soon after Cancelled() becomes true:
  // blocking syscalls return EINTR then, and waits on cv_ must include Cancelled() in
  // their predicate.
  virtual void Execute() = 0;

  // Main thread. Hands what Execute published to JS through `dispatch`. Called once per
  // Post() that was not coalesced, and once more with final = true after Execute returned.
  virtual void Deliver(Napi::Env env, Napi::Function dispatch, bool final) = 0;

  // Main thread. Lets a Task that hands results over in portions take `n` more (Infinity:
  // no limit). Tasks without flow control ignore it.
  virtual void AddCredit(double n) {}

  // Waiter thread, once, right after Execute returned, or instead of it when the Task was
  // cancelled before it started: let go of what the Task borrowed (handles.h). Runs before
  // the final Deliver is scheduled.
  virtual void Finished() {}

  // Main thread, environment teardown, after Execute returned: whatever this Task still
  // holds for JS will never be delivered; release it (close an fd, put messages back).
  virtual void Abandon() {}

  bool Cancelled() const { return cancel_.load(std::memory_order_acquire); }
  uint32_t id() const { return id_; }

 protected:
  // Waiter thread. Schedules one Deliver(final = false) unless one is already pending.
  void Post();

  std::mutex mu_;               // guards subclass state shared with the main thread
  std::condition_variable cv_;  // notified on Cancel(); subclasses wait on it for credit

 private:
  friend class EnvState;
class HandleTable;
  friend void RunTask(std::shared_ptr<Task> task);
  friend class Supervisor;

  enum State { kQueued, kRunning, kDone };

  void Cancel();  // main thread

  EnvState* env_ = nullptr;
  uint32_t id_ = 0;
  bool refed_ = true;                      // main thread only
  std::atomic<bool> cancel_{false};
  std::atomic<bool> post_pending_{false};
  std::mutex state_mu_;                    // guards state_ and thread_; never held across a wait
  State state_ = kQueued;
  pthread_t thread_{};
};

// A Task that makes one blocking call and reports dispatch(id, true, errno, result).
// EINTR from a cancel becomes ECANCELED; EINTR from a stray signal calls again. A call that
// succeeded as the cancel arrived reports success: the caller learns the truth (a FIFO fd
// to close, a message that was sent).
class OneShotTask : public Task {
 public:
  void Execute() final;
  void Deliver(Napi::Env env, Napi::Function dispatch, bool final) final;

 protected:
  // Waiter thread. Returns >= 0 on success, or -1 with errno set.
  virtual long Call() = 0;
  // The successful result that never reached JS (its environment went away), or -1; the
  // caller now owns it (a FIFO fd to close).
  long TakeUndelivered() {
    long r = delivered_ || err_ != 0 ? -1 : result_;
    delivered_ = true;
    return r;
  }

 private:
  long result_ = -1;
  int err_ = ECANCELED;  // until Execute says otherwise (it is skipped when cancelled early)
  bool delivered_ = false;
};

// Per-environment state (instance data). Main thread unless noted.
class EnvState {
 public:
  static EnvState* Get(Napi::Env env);
  static void Install(Napi::Env env);

  // Starts `task` on a waiter thread; returns its id. Throws if no dispatcher was set.
  uint32_t Start(Napi::Env env, std::shared_ptr<Task> task);
  std::shared_ptr<Task> Find(uint32_t id);
  void Cancel(uint32_t id);
  void SetRef(Napi::Env env, uint32_t id, bool ref);

  Napi::Value SetDispatcher(const Napi::CallbackInfo& info);

  // Process exit (main thread, from JS's 'exit' event, when no more JS will run): cancels
  // every Task, waits for their threads to let go (they return within milliseconds of the
  // signal), and releases what they hold (Abandon: messages go to the background put-back).
  // Idempotent; the environment's cleanup hook still runs later if it runs at all.
  void PrepareExit();

  // Messages JS holds outside the kernel for queue `qid` with no consumer (a put-back
  // backlog), mirrored here so that teardown and exit can return them: a worker that is
  // terminated runs no more JS. Replaces the previous mirror for `qid`; count 0 clears it.
  void MirrorBacklog(int qid, const uint8_t* records, size_t len, uint32_t count);

  // A copy of `len` bytes for JS: small ones (<= kPoolMax) as a Uint8Array view into a shared
  // pool ArrayBuffer of kPoolSize bytes (one allocation per pool, like Node's Buffer pool,
  // instead of a malloc'd backing store per delivery that a GC thread later frees), larger
  // ones as a Buffer of their own. Main thread.
  Napi::Value CopyOut(Napi::Env env, const uint8_t* data, size_t len);
  static constexpr size_t kPoolSize = 16384;
  static constexpr size_t kPoolMax = 2048;

  // The environment's handles (handles.h). Emptied by the cleanup hook after every Task ended.
  const std::shared_ptr<HandleTable>& handles() const { return handles_; }

  // Waiter thread.
  void PostEvent(std::shared_ptr<Task> task);
  void TaskExited();

 private:
  friend class Task;
  static void OnDoorbell(uv_async_t* handle);
  void Dispatch(Napi::Env env, Napi::Function dispatch, std::shared_ptr<Task> task);
  static void Cleanup(EnvState* self);
  void CancelAndJoin();
  void AdjustRef(Napi::Env env, int delta);

  napi_env env_ = nullptr;
  uv_async_t* doorbell_ = nullptr;  // freed by its close callback
  Napi::FunctionReference dispatch_;
  Napi::ObjectReference resource_;  // the async resource the callback scopes belong to
  napi_async_context async_context_ = nullptr;
  std::mutex post_mu_;                           // guards posted_ and closed_
  std::vector<std::shared_ptr<Task>> posted_;    // waiter threads -> main thread, in order
  std::vector<std::shared_ptr<Task>> draining_;  // main thread: the batch being dispatched
  bool closed_ = false;
  Napi::Reference<Napi::ArrayBuffer> pool_;  // CopyOut's current pool
  size_t pool_used_ = 0;
  uint32_t next_id_ = 1;
  int refs_ = 0;
  std::unordered_map<uint32_t, std::shared_ptr<Task>> tasks_;
  std::unordered_map<int, std::vector<uint8_t>> backlogs_;  // qid -> records (count first, u32)

  std::shared_ptr<HandleTable> handles_;
  std::mutex mu_;  // guards running_
  std::condition_variable cv_;
  int running_ = 0;
};

// Process-wide statistics for tests: threads alive in the waiter pool, and how many are idle.
struct WaiterStats {
  int threads;
  int idle;
};
WaiterStats GetWaiterStats();
void SetWaiterIdleMs(int ms);

void InitWaiter(Napi::Env env, Napi::Object exports);

}  // namespace rxipc
