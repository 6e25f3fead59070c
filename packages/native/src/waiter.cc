#include "waiter.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <vector>

#include "errors.h"
#include "threads.h"
#include "putback.h"
#include "handles.h"

namespace rxipc {

// ---- OneShotTask ----

void OneShotTask::Execute() {
  for (;;) {
    long r = Call();
    if (r >= 0) {
      result_ = r;
      err_ = 0;
      return;
    }
    if (errno == EINTR && !Cancelled()) continue;
    err_ = errno == EINTR ? ECANCELED : errno;
    return;
  }
}

void OneShotTask::Deliver(Napi::Env env, Napi::Function dispatch, bool final) {
  if (!final) return;
  try {
    dispatch.Call({Napi::Number::New(env, id()), Napi::Boolean::New(env, true), Napi::Number::New(env, err_),
                   Napi::Number::New(env, double(result_))});
    delivered_ = true;
  } catch (...) {
    Abandon();  // JS cannot run any more (environment teardown): release the result here
  }
}

// ---- EnvState ----

EnvState* EnvState::Get(Napi::Env env) { return env.GetInstanceData<EnvState>(); }

void EnvState::Install(Napi::Env env) {
  InstallCancelSignal();
  auto* self = new EnvState;
  self->handles_ = std::make_shared<HandleTable>();
  env.SetInstanceData<EnvState>(self);
  env.AddCleanupHook(&EnvState::Cleanup, self);
}

Napi::Value EnvState::SetDispatcher(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) ThrowInvalidArgType(env, "dispatch", "of type function", info[0]);
  if (doorbell_ != nullptr) throw Napi::Error::New(env, "rxipc: the waiter dispatcher is already set");
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) throw Napi::Error::New(env, "rxipc: no event loop");
  Napi::Object resource = Napi::Object::New(env);
  napi_async_context context;
  if (napi_async_init(env, resource, Napi::String::New(env, "rxipc.waiter"), &context) != napi_ok) {
    throw Napi::Error::New(env, "rxipc: napi_async_init failed");
  }
  auto* bell = new uv_async_t;
  int r = uv_async_init(loop, bell, &EnvState::OnDoorbell);
  if (r != 0) {
    delete bell;
    napi_async_destroy(env, context);
    ThrowSystemError(env, -r, "uv_async_init");
  }
  bell->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(bell));  // referenced while a Task is (AdjustRef)
  env_ = env;
  async_context_ = context;
  resource_ = Napi::Persistent(resource);
  dispatch_ = Napi::Persistent(info[0].As<Napi::Function>());
  doorbell_ = bell;
  return env.Undefined();
}

// No C++ exception may leave a libuv callback. The JS dispatcher catches what handlers
// throw, so a failing call means JS cannot run (environment teardown).
static void DeliverGuarded(Task* task, Napi::Env env, Napi::Function dispatch, bool final) {
  try {
    task->Deliver(env, dispatch, final);
  } catch (...) {
    task->Abandon();
  }
}

// Main thread: everything posted since the last ring, in order, each call in its own
// callback scope (what Node does around any I/O callback).
void EnvState::OnDoorbell(uv_async_t* handle) {
  auto* self = static_cast<EnvState*>(handle->data);
  {
    std::lock_guard<std::mutex> lock(self->post_mu_);
    self->draining_.swap(self->posted_);
  }
  Napi::Env env(self->env_);
  for (size_t i = 0; i < self->draining_.size(); i++) {
    std::shared_ptr<Task> task = std::move(self->draining_[i]);
    if (self->dispatch_.IsEmpty()) continue;  // torn down by a callback of this batch
    Napi::HandleScope scope(env);
    napi_callback_scope cs;
    if (napi_open_callback_scope(env, self->resource_.Value(), self->async_context_, &cs) != napi_ok) {
      self->Dispatch(env, self->dispatch_.Value(), std::move(task));
      continue;
    }
    self->Dispatch(env, self->dispatch_.Value(), std::move(task));
    napi_close_callback_scope(env, cs);  // runs nextTicks and microtasks
    napi_value err;
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending && napi_get_and_clear_last_exception(env, &err) == napi_ok) {
      napi_fatal_exception(env, err);  // reported as uncaught, like a throwing I/O callback
    }
  }
  self->draining_.clear();
}

void EnvState::Dispatch(Napi::Env env, Napi::Function dispatch, std::shared_ptr<Task> task) {
  bool final;
  {
    std::lock_guard<std::mutex> lock(task->state_mu_);
    final = task->state_ == Task::kDone && tasks_.count(task->id_) != 0;
  }
  // A non-final post may arrive after the final one was delivered: nothing is left then.
  if (!final) {
    if (tasks_.count(task->id_) == 0) return;
    task->post_pending_.store(false, std::memory_order_release);
    DeliverGuarded(task.get(), env, dispatch, false);
    return;
  }
  // Final: the thread is done; nothing more will be posted. Remove before calling JS so that
  // a callback that starts new work sees a consistent registry.
  tasks_.erase(task->id_);
  if (task->refed_) AdjustRef(env, -1);
  task->post_pending_.store(false, std::memory_order_release);
  DeliverGuarded(task.get(), env, dispatch, true);
}

Napi::Value EnvState::CopyOut(Napi::Env env, const uint8_t* data, size_t len) {
  if (len == 0 || len > kPoolMax) return Napi::Buffer<uint8_t>::Copy(env, data, len);
  Napi::ArrayBuffer pool;
  if (!pool_.IsEmpty()) pool = pool_.Value();
  // A pool JS transferred (detached) has no bytes left: start another.
  if (pool_.IsEmpty() || pool.ByteLength() < pool_used_ + len) {
    pool = Napi::ArrayBuffer::New(env, kPoolSize);
    pool_ = Napi::Persistent(pool);
    pool_used_ = 0;
  }
  size_t at = pool_used_;
  std::memcpy(static_cast<uint8_t*>(pool.Data()) + at, data, len);
  pool_used_ = std::min(kPoolSize, at + ((len + 7) & ~size_t(7)));
  return Napi::Uint8Array::New(env, len, pool, at);
}

void EnvState::AdjustRef(Napi::Env env, int delta) {
  int before = refs_;
  refs_ += delta;
  if (doorbell_ == nullptr) return;
  if (before == 0 && refs_ > 0) uv_ref(reinterpret_cast<uv_handle_t*>(doorbell_));
  if (before > 0 && refs_ == 0) uv_unref(reinterpret_cast<uv_handle_t*>(doorbell_));
}

uint32_t EnvState::Start(Napi::Env env, std::shared_ptr<Task> task) {
  if (doorbell_ == nullptr) throw Napi::Error::New(env, "rxipc: the native addon was loaded without its dispatcher");
  uint32_t id;
  do {  // ids wrap at 2^31: never reuse one that is still live
    id = next_id_++;
    if (next_id_ > 0x7fffffff) next_id_ = 1;
  } while (tasks_.count(id) != 0);
  task->env_ = this;
  task->id_ = id;
  tasks_[id] = task;
  AdjustRef(env, +1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_++;
  }
  int err = SubmitTask(task);
  if (err != 0) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_--;
    }
    tasks_.erase(id);
    AdjustRef(env, -1);
    ThrowSystemError(env, err, "pthread_create");
  }
  return id;
}

std::shared_ptr<Task> EnvState::Find(uint32_t id) {
  auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : it->second;
}

void EnvState::Cancel(uint32_t id) {
  auto t = Find(id);
  if (t) t->Cancel();
}

void EnvState::SetRef(Napi::Env env, uint32_t id, bool ref) {
  auto t = Find(id);
  if (!t || t->refed_ == ref) return;
  t->refed_ = ref;
  AdjustRef(env, ref ? +1 : -1);
}

void EnvState::PostEvent(std::shared_ptr<Task> task) {
  {
    std::lock_guard<std::mutex> lock(post_mu_);
    if (closed_) return;  // environment teardown: CancelAndJoin abandons what is held
    posted_.push_back(std::move(task));
  }
  uv_async_send(doorbell_);  // after the unlock: the woken main thread finds it free
}

void EnvState::TaskExited() {
  std::lock_guard<std::mutex> lock(mu_);
  running_--;
  cv_.notify_all();
}

// Environment teardown (main thread): cancel every Task, wait until every waiter thread
// has let go of this EnvState, then drop the pending deliveries.
void EnvState::CancelAndJoin() {
  for (auto& entry : tasks_) entry.second->Cancel();
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return running_ == 0; });
  }
  // Every thread let go: results that were never delivered are released here, on the main
  // thread, rather than whenever the thread-safe function frees its queue (if ever).
  for (auto& entry : tasks_) entry.second->Abandon();
  for (auto& entry : backlogs_) {
    uint32_t count;
    std::memcpy(&count, entry.second.data(), 4);
    Orphan(entry.first, entry.second.data() + 4, entry.second.size() - 4, count);
  }
  backlogs_.clear();
}

void EnvState::MirrorBacklog(int qid, const uint8_t* records, size_t len, uint32_t count) {
  if (count == 0) {
    backlogs_.erase(qid);
    return;
  }
  std::vector<uint8_t>& m = backlogs_[qid];
  m.resize(4 + len);
  std::memcpy(m.data(), &count, 4);
  std::memcpy(m.data() + 4, records, len);
}

void EnvState::PrepareExit() { CancelAndJoin(); }

void EnvState::Cleanup(EnvState* self) {
  self->CancelAndJoin();
  // No Task borrows anything now: mappings are unmapped and semaphores closed here (those
  // whose ArrayBuffer still lives are released by its finalizer, which runs at teardown too).
  self->handles_->Clear();
  {
    std::lock_guard<std::mutex> lock(self->post_mu_);
    self->closed_ = true;
    self->posted_.clear();
  }
  if (self->doorbell_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(self->doorbell_), [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
    self->doorbell_ = nullptr;
    if (self->async_context_ != nullptr) napi_async_destroy(self->env_, self->async_context_);
    self->async_context_ = nullptr;
    self->dispatch_.Reset();
    self->resource_.Reset();
    self->pool_.Reset();
  }
  self->tasks_.clear();
}

// ---- a Task for tests of the infrastructure itself ----

namespace {

// Waits until cancelled, in pause(): the simplest unbounded wait there is.
class SleepTask : public Task {
 public:
  void Execute() override {
    while (!Cancelled()) pause();
  }
  void Deliver(Napi::Env env, Napi::Function dispatch, bool final) override {
    if (final) dispatch.Call({Napi::Number::New(env, id()), Napi::Boolean::New(env, true), Napi::Number::New(env, 0)});
  }
};

EnvState* State(const Napi::CallbackInfo& info) { return EnvState::Get(info.Env()); }

uint32_t ArgTaskId(const Napi::CallbackInfo& info) { return uint32_t(ArgInteger(info, 0, "id", 1, 0x7fffffff)); }

}  // namespace

void InitWaiter(Napi::Env env, Napi::Object exports) {
  EnvState::Install(env);
  // Hooks for tests of the infrastructure itself, kept apart from the calls.
  Napi::Object testing = Napi::Object::New(env);
  exports.Set("setDispatcher", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                return State(info)->SetDispatcher(info);
              }));
  exports.Set("cancel", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                State(info)->Cancel(ArgTaskId(info));
                return info.Env().Undefined();
              }));
  exports.Set("setRef", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                uint32_t id = ArgTaskId(info);
                State(info)->SetRef(info.Env(), id, ArgBool(info, 1, "ref"));
                return info.Env().Undefined();
              }));
  testing.Set("waiterStats", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                WaiterStats s = GetWaiterStats();
                Napi::Object o = Napi::Object::New(info.Env());
                o.Set("threads", s.threads);
                o.Set("idle", s.idle);
                return o;
              }));
  testing.Set("setWaiterIdleMs", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                SetWaiterIdleMs(ArgInt32(info, 0, "ms", 0, 3600000));
                return info.Env().Undefined();
              }));
  testing.Set("sleepUntilCancelled", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                return Napi::Number::New(info.Env(), State(info)->Start(info.Env(), std::make_shared<SleepTask>()));
              }));
  testing.Set("cancelSignal", Napi::Number::New(env, CancelSignal()));
  exports.Set("testing", testing);
}

}  // namespace rxipc
