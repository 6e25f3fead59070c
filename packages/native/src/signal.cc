// Signals: kill, sigqueue, and real-time signals received with their siginfo (sender pid,
// uid, sigqueue value), which Node's process.on never gives.
//
// Why an SA_SIGINFO handler writing to a self-pipe, and not signalfd: signalfd sees a signal
// only while it is blocked in every thread, or the kernel delivers it to any thread that does
// not block it. Node's threads (V8 platform workers, the libuv pool, the inspector) exist
// before this addon loads and do not block real-time signals, so a signalfd would miss them
// and the default action (terminate) would run. A process-wide handler runs in whichever
// thread the kernel picks; it only write(2)s a fixed-size record (async-signal-safe, atomic
// below PIPE_BUF) to a non-blocking pipe, and the main thread reads the pipe from the event
// loop (uv_poll_t). This coexists with Node's own signal handling: libuv installs handlers
// only for the signals given to process.on, none of which is real-time (Node has no names
// for them), and SIGRTMIN+5 is refused because rxipc's waiter threads use it to cancel.
// A signal whose disposition someone else changed (not SIG_DFL, not ours) is refused (EBUSY).
//
// Order: the kernel queues every real-time signal (none is merged) and dequeues one number's
// in order, but two deliveries that land on different threads at the same moment run their
// handlers concurrently, so their records may reach the pipe in either order. Carry a
// sequence number in the value when order matters.
//
// The pipe is made on first use and lives as long as the process: a handler running in
// another thread may be about to write to it, so it is never closed (its fd number must
// never be reused under that write). One environment at a time reads it (EBUSY for another).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <uv.h>

#include <atomic>
#include <cerrno>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "errors.h"
#include "families.h"
#include "waiter.h"

namespace rxipc {

namespace {

struct Record {
  int32_t signo;
  int32_t code;
  int32_t pid;
  uint32_t uid;
  int32_t value;
};
static_assert(sizeof(Record) <= PIPE_BUF, "records are written atomically");

std::atomic<int> g_write_fd{-1};
int g_read_fd = -1;
std::mutex g_mu;               // guards everything below (main threads of environments)
void* g_owner = nullptr;       // the environment that reads the pipe
std::map<int, int> g_refs;     // signal -> watchers
std::map<int, struct sigaction> g_previous;

void Handler(int sig, siginfo_t* si, void*) {
  int saved = errno;
  Record r{sig, si->si_code, si->si_pid, si->si_uid, si->si_value.sival_int};
  int fd = g_write_fd.load(std::memory_order_acquire);
  if (fd >= 0) {
    ssize_t n = write(fd, &r, sizeof(r));
    (void)n;  // a full pipe (4096 unread records) drops the record: nothing else is safe here
  }
  errno = saved;
}

struct Watcher {
  int signo;
  Napi::FunctionReference callback;
};

struct SignalEnv {
  uv_loop_t* loop = nullptr;
  uv_poll_t* poll = nullptr;  // reads the pipe while this environment has watchers
  std::unordered_map<uint32_t, Watcher> watchers;
  uint32_t next = 1;
};

SignalEnv* State(const Napi::CallbackInfo& info) { return static_cast<SignalEnv*>(info.Data()); }

void FreePoll(uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); }

void OnReadable(uv_poll_t* h, int status, int events) {
  auto* state = static_cast<SignalEnv*>(h->data);
  Record recs[64];
  for (;;) {
    ssize_t n = read(g_read_fd, recs, sizeof(recs));
    if (n <= 0) break;
    size_t count = static_cast<size_t>(n) / sizeof(Record);
    for (size_t i = 0; i < count; i++) {
      // Copy the ids first: a callback may unwatch (erase) any watcher.
      std::vector<uint32_t> ids;
      for (auto& [id, w] : state->watchers)
        if (w.signo == recs[i].signo) ids.push_back(id);
      for (uint32_t id : ids) {
        auto it = state->watchers.find(id);
        if (it == state->watchers.end()) continue;
        Napi::Env env = it->second.callback.Env();
        Napi::HandleScope scope(env);
        Napi::Object info = Napi::Object::New(env);
        info.Set("signo", recs[i].signo);
        info.Set("code", recs[i].code);
        info.Set("pid", recs[i].pid);
        info.Set("uid", static_cast<double>(recs[i].uid));
        info.Set("value", recs[i].value);
        try {
          Napi::FunctionReference& cb = it->second.callback;
          cb.MakeCallback(env.Global(), {info});
        } catch (const Napi::Error& e) {
          napi_fatal_exception(env, e.Value());
        }
        if (state->poll == nullptr) return;  // the last watcher went inside the callback
      }
    }
  }
}

int ArgRealtimeSignal(const Napi::CallbackInfo& info, size_t i) {
  int sig = ArgInt32(info, i, "signal", SIGRTMIN, SIGRTMAX);
  if (sig == CancelSignal()) {
    ThrowOutOfRange(info.Env(), "signal", "a real-time signal other than SIGRTMIN+5, which rxipc's waiter threads use for cancellation", info[i]);
  }
  return sig;
}

void Unwatch(SignalEnv* state, uint32_t id) {
  auto it = state->watchers.find(id);
  if (it == state->watchers.end()) return;
  int sig = it->second.signo;
  it->second.callback.Reset();
  state->watchers.erase(it);
  std::lock_guard<std::mutex> lock(g_mu);
  if (--g_refs[sig] == 0) {
    g_refs.erase(sig);
    sigaction(sig, &g_previous[sig], nullptr);
    g_previous.erase(sig);
  }
  if (state->watchers.empty() && state->poll != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(state->poll), FreePoll);
    state->poll = nullptr;
    g_owner = nullptr;
  }
}

// signalWatch(signal, callback): callback({ signo, code, pid, uid, value }) for every
// delivery of the real-time signal to this process. Returns the watch's id.
Napi::Value SignalWatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SignalEnv* state = State(info);
  int sig = ArgRealtimeSignal(info, 0);
  if (info.Length() < 2 || !info[1].IsFunction()) ThrowInvalidArgType(env, "callback", "of type function", info[1]);
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_owner != nullptr && g_owner != state) ThrowSystemError(env, EBUSY, "sigaction");
  if (g_read_fd < 0) {
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) ThrowSystemError(env, errno, "pipe2");
    g_read_fd = p[0];
    g_write_fd.store(p[1], std::memory_order_release);
  }
  if (g_refs[sig] == 0) {
    struct sigaction old;
    if (sigaction(sig, nullptr, &old) != 0) ThrowSystemError(env, errno, "sigaction");
    bool ours = (old.sa_flags & SA_SIGINFO) != 0 && old.sa_sigaction == Handler;
    if (!ours && old.sa_handler != SIG_DFL) {
      g_refs.erase(sig);
      ThrowSystemError(env, EBUSY, "sigaction");
    }
    struct sigaction sa {};
    sa.sa_sigaction = Handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, nullptr) != 0) {
      g_refs.erase(sig);
      ThrowSystemError(env, errno, "sigaction");
    }
    g_previous[sig] = old;
  }
  g_refs[sig]++;
  if (state->poll == nullptr) {
    auto* poll = new uv_poll_t;
    uv_poll_init(state->loop, poll, g_read_fd);
    poll->data = state;
    uv_poll_start(poll, UV_READABLE, OnReadable);
    state->poll = poll;
    g_owner = state;
  }
  uint32_t id = state->next++;
  state->watchers[id] = Watcher{sig, Napi::Persistent(info[1].As<Napi::Function>())};
  return Napi::Number::New(env, id);
}

Napi::Value SignalUnwatch(const Napi::CallbackInfo& info) {
  uint32_t id = static_cast<uint32_t>(ArgInt32(info, 0, "watch", 1, INT32_MAX));
  Unwatch(State(info), id);
  return info.Env().Undefined();
}

// Whether the poll reading the pipe keeps the loop alive.
Napi::Value SignalRef(const Napi::CallbackInfo& info) {
  bool ref = ArgBool(info, 0, "ref");
  SignalEnv* state = State(info);
  if (state->poll != nullptr) {
    if (ref) uv_ref(reinterpret_cast<uv_handle_t*>(state->poll));
    else uv_unref(reinterpret_cast<uv_handle_t*>(state->poll));
  }
  return info.Env().Undefined();
}

void CleanupEnv(void* arg) {
  auto* state = static_cast<SignalEnv*>(arg);
  std::vector<uint32_t> ids;
  for (auto& [id, w] : state->watchers) ids.push_back(id);
  for (uint32_t id : ids) Unwatch(state, id);
  delete state;
}

// kill(pid, signal): pid > 0 only (never a process group, never every process).
Napi::Value Kill(const Napi::CallbackInfo& info) {
  int pid = ArgInt32(info, 0, "pid", 1, INT32_MAX);
  int sig = ArgInt32(info, 1, "signal", 0, SIGRTMAX);
  if (kill(pid, sig) != 0) ThrowSystemError(info.Env(), errno, "kill");
  return info.Env().Undefined();
}

Napi::Value SigQueue(const Napi::CallbackInfo& info) {
  int pid = ArgInt32(info, 0, "pid", 1, INT32_MAX);
  int sig = ArgInt32(info, 1, "signal", 0, SIGRTMAX);
  int value = ArgInt32(info, 2, "value");
  union sigval v;
  v.sival_ptr = nullptr;
  v.sival_int = value;
  if (sigqueue(pid, sig, v) != 0) ThrowSystemError(info.Env(), errno, "sigqueue");
  return info.Env().Undefined();
}

}  // namespace

void InitSignal(Napi::Env env, Napi::Object exports, Napi::Object constants) {
  auto* state = new SignalEnv();
  if (napi_get_uv_event_loop(env, &state->loop) != napi_ok) {
    delete state;
    throw Napi::Error::New(env, "rxipc: no event loop");
  }
  napi_add_env_cleanup_hook(env, CleanupEnv, state);
  exports.Set("kill", Napi::Function::New(env, Kill, "kill"));
  exports.Set("sigqueue", Napi::Function::New(env, SigQueue, "sigqueue"));
  exports.Set("signalWatch", Napi::Function::New(env, SignalWatch, "signalWatch", state));
  exports.Set("signalUnwatch", Napi::Function::New(env, SignalUnwatch, "signalUnwatch", state));
  exports.Set("signalRef", Napi::Function::New(env, SignalRef, "signalRef", state));
  constants.Set("SIGRTMIN", SIGRTMIN);
  constants.Set("SIGRTMAX", SIGRTMAX);
  constants.Set("RXIPC_CANCEL_SIGNAL", CancelSignal());
}

}  // namespace rxipc
