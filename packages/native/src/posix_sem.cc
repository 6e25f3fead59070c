// POSIX named semaphores: sem_open, sem_post, sem_trywait, sem_wait / sem_clockwait (a Task),
// sem_getvalue, sem_unlink, sem_close.
//
// An open semaphore reaches JS as a handle (handles.h): a sem_t* never leaves C++, a bogus or
// closed handle is EBADF. A waiting Task borrows the semaphore; sem_close first cancels and
// awaits the waits on it (sem_wait returns EINTR on the cancel signal), then closes.
#include <fcntl.h>
#include <semaphore.h>
#include <time.h>

#include <cerrno>
#include <climits>
#include <string>

#include "errors.h"
#include "families.h"
#include "handles.h"
#include "waiter.h"

namespace rxipc {

namespace {

class NamedSemaphore : public Resource {
 public:
  explicit NamedSemaphore(sem_t* sem) : Resource(kNamedSemaphore), sem_(sem) {}
  ~NamedSemaphore() override {
    if (!Released()) Release();
  }
  sem_t* sem() const { return sem_; }

 protected:
  void Release() override { sem_close(sem_); }

 private:
  sem_t* const sem_;
};

std::shared_ptr<NamedSemaphore> LiveSem(const Napi::CallbackInfo& info, size_t i, const char* syscall,
                                        uint32_t* handle_out = nullptr) {
  uint32_t handle = ArgHandle(info, i, "sem");
  if (handle_out) *handle_out = handle;
  return std::static_pointer_cast<NamedSemaphore>(LiveEntry(info, handle, Resource::kNamedSemaphore, syscall).resource);
}

// semOpen(name, flags, mode, value) -> handle. flags: 0, O_CREAT, or O_CREAT | O_EXCL; mode
// and value (0..SEM_VALUE_MAX) apply when it is created.
Napi::Value SemOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgPath(info, 0, "name");
  int flags = ArgInt32(info, 1, "flags", 0, INT32_MAX);
  if ((flags & ~(O_CREAT | O_EXCL)) != 0) ThrowOutOfRange(env, "flags", "a combination of O_CREAT and O_EXCL", info[1]);
  mode_t mode = mode_t(ArgInt32(info, 2, "mode", 0, 0777));
  unsigned value = unsigned(ArgInteger(info, 3, "value", 0, SEM_VALUE_MAX));
  sem_t* sem;
  do sem = sem_open(name.c_str(), flags, mode, value);
  while (sem == SEM_FAILED && errno == EINTR);
  if (sem == SEM_FAILED) ThrowSystemError(env, errno, "sem_open", name.c_str());
  auto r = std::make_shared<NamedSemaphore>(sem);
  return Napi::Number::New(env, Handles(env)->Add(r));
}

Napi::Value SemPost(const Napi::CallbackInfo& info) {
  auto s = LiveSem(info, 0, "sem_post");
  if (sem_post(s->sem()) != 0) ThrowSystemError(info.Env(), errno, "sem_post");
  return info.Env().Undefined();
}

// semTrywait(sem) -> true when decremented, false when the value was 0.
Napi::Value SemTrywait(const Napi::CallbackInfo& info) {
  auto s = LiveSem(info, 0, "sem_trywait");
  int r;
  do r = sem_trywait(s->sem());
  while (r < 0 && errno == EINTR);
  if (r == 0) return Napi::Boolean::New(info.Env(), true);
  if (errno == EAGAIN) return Napi::Boolean::New(info.Env(), false);
  ThrowSystemError(info.Env(), errno, "sem_trywait");
}

Napi::Value SemGetvalue(const Napi::CallbackInfo& info) {
  auto s = LiveSem(info, 0, "sem_getvalue");
  int v;
  if (sem_getvalue(s->sem(), &v) != 0) ThrowSystemError(info.Env(), errno, "sem_getvalue");
  return Napi::Number::New(info.Env(), v);
}

// sem_wait, or sem_clockwait on CLOCK_MONOTONIC with an absolute deadline (kept across retries).
// Borrows the semaphore from construction until Finished().
class SemWaitTask : public OneShotTask {
 public:
  SemWaitTask(std::shared_ptr<NamedSemaphore> s, bool timed, struct timespec deadline)
      : s_(std::move(s)), sem_(s_->sem()), timed_(timed), deadline_(deadline) {}
  void Finished() override {
    if (s_) s_->Return();
    s_.reset();
  }

 protected:
  long Call() override { return timed_ ? sem_clockwait(sem_, CLOCK_MONOTONIC, &deadline_) : sem_wait(sem_); }

 private:
  std::shared_ptr<NamedSemaphore> s_;
  sem_t* const sem_;
  const bool timed_;
  const struct timespec deadline_;
};

// semWaitStart(sem, timeoutMs?) -> task id. dispatch(id, true, errno, 0): 0 decremented (also
// when it happened as a cancel arrived: JS posts it back if it no longer wants it);
// ETIMEDOUT; ECANCELED (cancel, or semClose).
Napi::Value SemWaitStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto s = LiveSem(info, 0, "sem_wait");
  struct timespec deadline = {0, 0};
  bool timed = ArgDeadline(info, 1, &deadline);
  auto task = std::make_shared<SemWaitTask>(s, timed, deadline);
  return Napi::Number::New(env, s->StartBorrowing(env, task, "sem_wait"));
}

Napi::Value SemUnlink(const Napi::CallbackInfo& info) {
  std::string name = ArgPath(info, 0, "name");
  if (sem_unlink(name.c_str()) != 0) ThrowSystemError(info.Env(), errno, "sem_unlink", name.c_str());
  return info.Env().Undefined();
}

// semClose(sem): ends the waits on it, then sem_close. The handle is dead at once.
Napi::Value SemClose(const Napi::CallbackInfo& info) {
  uint32_t handle;
  auto s = LiveSem(info, 0, "sem_close", &handle);
  Handles(info.Env())->Erase(handle);
  s->Quiesce(info.Env());
  s->ReleaseWhenIdle();
  return info.Env().Undefined();
}

}  // namespace

void InitPosixSem(Napi::Env env, Napi::Object exports, Napi::Object constants) {
  SetFunctions(env, exports, {
      {"semOpen", SemOpen},
      {"semPost", SemPost},
      {"semTrywait", SemTrywait},
      {"semWaitStart", SemWaitStart},
      {"semGetvalue", SemGetvalue},
      {"semUnlink", SemUnlink},
      {"semClose", SemClose},
  });
  constants.Set("SEM_VALUE_MAX", SEM_VALUE_MAX);
}

}  // namespace rxipc
