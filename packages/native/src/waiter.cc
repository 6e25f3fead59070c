#include "waiter.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <vector>

#include "errors.h"
#include "putback.h"
#include "handles.h"

namespace rxipc {

int CancelSignal() { return SIGRTMIN + 5; }

namespace {

void NoopHandler(int) {}

void InstallCancelSignal() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = NoopHandler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a blocked syscall must return EINTR
    sigaction(CancelSignal(), &sa, nullptr);
  });
}

// Process-wide pool of waiter threads. Holds no JS state. Leaked on purpose: detached
// threads may still be parked on its condition variable while the process exits.
struct Pool {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::shared_ptr<Task>> queue;  // guarded by mu
  int threads = 0;                          // guarded by mu
  int idle = 0;                             // guarded by mu
  std::atomic<int> idle_ms{2000};
};

Pool& ThePool() {
  static Pool* pool = new Pool;
  return *pool;
}

void* WaiterMain(void*) {
  sigset_t set;
  sigfillset(&set);
  sigdelset(&set, CancelSignal());
  pthread_sigmask(SIG_SETMASK, &set, nullptr);

  Pool& p = ThePool();
  std::unique_lock<std::mutex> lock(p.mu);
  for (;;) {
    while (p.queue.empty()) {
      p.idle++;
      bool woke = p.cv.wait_for(lock, std::chrono::milliseconds(p.idle_ms.load()), [&] { return !p.queue.empty(); });
      p.idle--;
      if (!woke) {
        p.threads--;
        return nullptr;
      }
    }
    std::shared_ptr<Task> task = std::move(p.queue.front());
    p.queue.pop_front();
    lock.unlock();
    RunTask(std::move(task));
    lock.lock();
  }
}

// Throws std::system_error-like failure as a plain errno.
int Submit(std::shared_ptr<Task> task) {
  Pool& p = ThePool();
  std::lock_guard<std::mutex> lock(p.mu);
  p.queue.push_back(std::move(task));
  if (p.idle >= int(p.queue.size())) {
    p.cv.notify_one();
    return 0;
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t t;
  int err = pthread_create(&t, &attr, WaiterMain, nullptr);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    p.queue.pop_back();
    return err;
  }
  p.threads++;
  return 0;
}

}  // namespace

// Re-sends the cancel signal every millisecond to Tasks that were cancelled while running,
// until they are done (the first signal may have landed before the thread blocked).
class Supervisor {
 public:
  static void Watch(std::shared_ptr<Task> task) {
    static Supervisor* s = new Supervisor;  // leaked on purpose, like the pool
    std::lock_guard<std::mutex> lock(s->mu_);
    s->watched_.push_back(std::move(task));
    if (!s->started_) {
      s->started_ = true;
      pthread_attr_t attr;
      pthread_attr_init(&attr);
      pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
      pthread_attr_setstacksize(&attr, 128 * 1024);
      pthread_t t;
      if (pthread_create(&t, &attr, &Supervisor::Main, s) != 0) s->started_ = false;
      pthread_attr_destroy(&attr);
    }
    s->cv_.notify_one();
  }

 private:
  static void* Main(void* arg) {
    sigset_t set;
    sigfillset(&set);
    pthread_sigmask(SIG_SETMASK, &set, nullptr);
    auto* s = static_cast<Supervisor*>(arg);
    std::unique_lock<std::mutex> lock(s->mu_);
    for (;;) {
      s->cv_.wait(lock, [&] { return !s->watched_.empty(); });
      lock.unlock();
      usleep(1000);
      lock.lock();
      // Lock order: Supervisor::mu_, then Task::state_mu_.
      std::vector<std::shared_ptr<Task>> done;
      for (auto it = s->watched_.begin(); it != s->watched_.end();) {
        std::lock_guard<std::mutex> tl((*it)->state_mu_);
        if ((*it)->state_ == Task::kDone) {
          done.push_back(std::move(*it));
          it = s->watched_.erase(it);
          continue;
        }
        if ((*it)->state_ == Task::kRunning) pthread_kill((*it)->thread_, CancelSignal());
        ++it;
      }
      lock.unlock();
      done.clear();  // Tasks are destroyed outside the lock
      lock.lock();
    }
    return nullptr;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<Task>> watched_;
  bool started_ = false;
};

void RunTask(std::shared_ptr<Task> task) {
  {
    std::lock_guard<std::mutex> lock(task->state_mu_);
    task->thread_ = pthread_self();
    task->state_ = Task::kRunning;
  }
  if (!task->Cancelled()) task->Execute();
  task->Finished();
  {
    std::lock_guard<std::mutex> lock(task->state_mu_);
    task->state_ = Task::kDone;
  }
  EnvState* env = task->env_;
  env->PostEvent(new std::shared_ptr<Task>(std::move(task)));
  env->TaskExited();  // last touch of env: its cleanup hook may free it after this
}

// ---- Task ----

void Task::Post() {
  if (post_pending_.exchange(true, std::memory_order_acq_rel)) return;
  env_->PostEvent(new std::shared_ptr<Task>(shared_from_this()));
}

void Task::Cancel() {
  cancel_.store(true, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(mu_);
  }
  cv_.notify_all();
  bool done;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (state_ == kRunning) pthread_kill(thread_, CancelSignal());
    done = state_ == kDone;
  }
  if (!done) Supervisor::Watch(shared_from_this());
}

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
  int err = Submit(task);
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

WaiterStats GetWaiterStats() {
  Pool& p = ThePool();
  std::lock_guard<std::mutex> lock(p.mu);
  return {p.threads, p.idle};
}

void SetWaiterIdleMs(int ms) { ThePool().idle_ms.store(ms); }

void InitWaiter(Napi::Env env, Napi::Object exports) {
  EnvState::Install(env);
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
  exports.Set("waiterStats", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                WaiterStats s = GetWaiterStats();
                Napi::Object o = Napi::Object::New(info.Env());
                o.Set("threads", s.threads);
                o.Set("idle", s.idle);
                return o;
              }));
  exports.Set("setWaiterIdleMs", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                SetWaiterIdleMs(ArgInt32(info, 0, "ms", 0, 3600000));
                return info.Env().Undefined();
              }));
  exports.Set("sleepUntilCancelled", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                return Napi::Number::New(info.Env(), State(info)->Start(info.Env(), std::make_shared<SleepTask>()));
              }));
  exports.Set("cancelSignal", Napi::Number::New(env, CancelSignal()));
}

}  // namespace rxipc
