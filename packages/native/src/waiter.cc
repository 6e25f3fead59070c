#include "waiter.h"

#include <signal.h>
#include <unistd.h>

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
  if (has_tsfn_) throw Napi::Error::New(env, "rxipc: the waiter dispatcher is already set");
  tsfn_ = Tsfn::New(env, info[0].As<Napi::Function>(), "rxipc.waiter", 0, 1, this);
  tsfn_.Unref(env);
  has_tsfn_ = true;
  return env.Undefined();
}

// No C++ exception may leave a thread-safe function's callback. The JS dispatcher catches
// what handlers throw, so a failing call means JS cannot run (environment teardown).
static void DeliverGuarded(Task* task, Napi::Env env, Napi::Function dispatch, bool final) {
  try {
    task->Deliver(env, dispatch, final);
  } catch (...) {
    task->Abandon();
  }
}

// Runs in the JS thread; `env` is null when the function is being torn down.
void EnvState::CallJs(Napi::Env env, Napi::Function dispatch, EnvState* self, std::shared_ptr<Task>* data) {
  std::shared_ptr<Task> task = std::move(*data);
  delete data;
  if (env == nullptr || task == nullptr) return;
  bool final;
  {
    std::lock_guard<std::mutex> lock(task->state_mu_);
    final = task->state_ == Task::kDone && self->tasks_.count(task->id_) != 0;
  }
  // A non-final post may arrive after the final one was delivered: nothing is left then.
  if (!final) {
    if (self->tasks_.count(task->id_) == 0) return;
    task->post_pending_.store(false, std::memory_order_release);
    DeliverGuarded(task.get(), env, dispatch, false);
    return;
  }
  // Final: the thread is done; nothing more will be posted. Remove before calling JS so that
  // a callback that starts new work sees a consistent registry.
  self->tasks_.erase(task->id_);
  if (task->refed_) self->AdjustRef(env, -1);
  task->post_pending_.store(false, std::memory_order_release);
  DeliverGuarded(task.get(), env, dispatch, true);
}

void EnvState::AdjustRef(Napi::Env env, int delta) {
  int before = refs_;
  refs_ += delta;
  if (before == 0 && refs_ > 0) tsfn_.Ref(env);
  if (before > 0 && refs_ == 0) tsfn_.Unref(env);
}

uint32_t EnvState::Start(Napi::Env env, std::shared_ptr<Task> task) {
  if (!has_tsfn_) throw Napi::Error::New(env, "rxipc: the native addon was loaded without its dispatcher");
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

void EnvState::PostEvent(std::shared_ptr<Task>* ev) {
  if (tsfn_.NonBlockingCall(ev) != napi_ok) delete ev;  // environment is closing
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
  if (self->has_tsfn_) {
    self->tsfn_.Abort();
    self->has_tsfn_ = false;
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
