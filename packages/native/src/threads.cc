// The process-wide side of waiting: rxipc's own pool of waiter threads (never the libuv
// pool), the cancel signal, and the supervisor that re-sends it. Holds no JS state: it
// serves every environment (main thread and workers) and outlives them; each environment's
// registry (EnvState, waiter.h) owns its Tasks and their delivery.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <vector>

#include "threads.h"

namespace rxipc {

int CancelSignal() { return SIGRTMIN + 5; }

namespace {

void NoopHandler(int) {}

}  // namespace

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

namespace {

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

}  // namespace

int SubmitTask(std::shared_ptr<Task> task) {
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
  env->PostEvent(std::move(task));
  env->TaskExited();  // last touch of env: its cleanup hook may free it after this
}

// ---- Task ----

void Task::Post() {
  if (post_pending_.exchange(true, std::memory_order_acq_rel)) return;
  env_->PostEvent(shared_from_this());
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


WaiterStats GetWaiterStats() {
  Pool& p = ThePool();
  std::lock_guard<std::mutex> lock(p.mu);
  return {p.threads, p.idle};
}

void SetWaiterIdleMs(int ms) { ThePool().idle_ms.store(ms); }

}  // namespace rxipc
