// Named pipes (FIFOs) and the names they live under: mkfifo(at), unlink(at), open.
// open() of a FIFO without O_NONBLOCK waits for the peer, so it runs as a Task.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "families.h"
#include "waiter.h"

namespace rxipc {

namespace {

int ArgDirFd(const Napi::CallbackInfo& info, size_t i) {
  int fd = ArgInt32(info, i, "dirfd", INT32_MIN, INT32_MAX);
  if (fd < 0 && fd != AT_FDCWD) ThrowOutOfRange(info.Env(), "dirfd", ">= 0 or AT_FDCWD", info[i]);
  return fd;
}

mode_t ArgMode(const Napi::CallbackInfo& info, size_t i) { return mode_t(ArgInt32(info, i, "mode", 0, 07777)); }

Napi::Value Mkfifo(const Napi::CallbackInfo& info) {
  std::string path = ArgPath(info, 0);
  mode_t mode = ArgMode(info, 1);
  if (mkfifo(path.c_str(), mode) != 0) ThrowSystemError(info.Env(), errno, "mkfifo", path.c_str());
  return info.Env().Undefined();
}

Napi::Value Mkfifoat(const Napi::CallbackInfo& info) {
  int dirfd = ArgDirFd(info, 0);
  std::string path = ArgPath(info, 1);
  mode_t mode = ArgMode(info, 2);
  if (mkfifoat(dirfd, path.c_str(), mode) != 0) ThrowSystemError(info.Env(), errno, "mkfifoat", path.c_str());
  return info.Env().Undefined();
}

Napi::Value Unlink(const Napi::CallbackInfo& info) {
  std::string path = ArgPath(info, 0);
  if (unlink(path.c_str()) != 0) ThrowSystemError(info.Env(), errno, "unlink", path.c_str());
  return info.Env().Undefined();
}

Napi::Value Unlinkat(const Napi::CallbackInfo& info) {
  int dirfd = ArgDirFd(info, 0);
  std::string path = ArgPath(info, 1);
  int flags = ArgInt32(info, 2, "flags", 0, INT32_MAX);
  if ((flags & ~AT_REMOVEDIR) != 0) ThrowOutOfRange(info.Env(), "flags", "0 or AT_REMOVEDIR", info[2]);
  if (unlinkat(dirfd, path.c_str(), flags) != 0) ThrowSystemError(info.Env(), errno, "unlinkat", path.c_str());
  return info.Env().Undefined();
}

const int kOpenFlags = O_ACCMODE | O_NONBLOCK | O_CLOEXEC;

int ArgOpenFlags(const Napi::CallbackInfo& info, size_t i) {
  int flags = ArgInt32(info, i, "flags", 0, INT32_MAX);
  if ((flags & ~kOpenFlags) != 0 || (flags & O_ACCMODE) == O_ACCMODE) {
    ThrowOutOfRange(info.Env(), "flags", "O_RDONLY, O_WRONLY or O_RDWR with O_NONBLOCK and O_CLOEXEC", info[i]);
  }
  return flags;
}

// open(2) that cannot wait: O_NONBLOCK is forced on, so a FIFO writer without a reader
// fails with ENXIO instead of blocking the event loop.
Napi::Value OpenNonBlocking(const Napi::CallbackInfo& info) {
  std::string path = ArgPath(info, 0);
  int flags = ArgOpenFlags(info, 1) | O_NONBLOCK;
  int fd;
  do fd = open(path.c_str(), flags);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) ThrowSystemError(info.Env(), errno, "open", path.c_str());
  return Napi::Number::New(info.Env(), fd);
}

// A blocking open(2) on a waiter thread: resolves when the FIFO's peer appears. An fd opened
// as the cancel arrived is still reported, and JS closes it: nothing leaks.
class OpenTask : public OneShotTask {
 public:
  OpenTask(std::string path, int flags) : path_(std::move(path)), flags_(flags) {}
  // An fd opened for an environment that went away before it could take it.
  void Abandon() override {
    long fd = TakeUndelivered();
    if (fd >= 0) close(int(fd));
  }

 protected:
  long Call() override { return open(path_.c_str(), flags_); }

 private:
  const std::string path_;
  const int flags_;
};

Napi::Value OpenWait(const Napi::CallbackInfo& info) {
  std::string path = ArgPath(info, 0);
  int flags = ArgOpenFlags(info, 1) & ~O_NONBLOCK;
  auto task = std::make_shared<OpenTask>(std::move(path), flags);
  return Napi::Number::New(info.Env(), EnvState::Get(info.Env())->Start(info.Env(), task));
}

}  // namespace

void InitFifo(Napi::Env env, Napi::Object exports, Napi::Object constants) {
  SetFunctions(env, exports, {
      {"mkfifo", Mkfifo},
      {"mkfifoat", Mkfifoat},
      {"unlink", Unlink},
      {"unlinkat", Unlinkat},
      {"openNonBlocking", OpenNonBlocking},
      {"openWait", OpenWait},
  });
  SetConstants(constants, {
      RXIPC_CONSTANT(AT_FDCWD),
      RXIPC_CONSTANT(AT_REMOVEDIR),
  });
}

}  // namespace rxipc
