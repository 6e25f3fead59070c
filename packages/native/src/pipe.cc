// Anonymous pipes: pipe2 and the pipe capacity fcntls. Every call here is non-blocking.
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "errors.h"
#include "families.h"

namespace rxipc {

namespace {

Napi::Value Pipe2(const Napi::CallbackInfo& info) {
  const int allowed = O_CLOEXEC | O_NONBLOCK | O_DIRECT;
  int flags = ArgInt32(info, 0, "flags", 0, INT32_MAX);
  if ((flags & ~allowed) != 0) {
    ThrowOutOfRange(info.Env(), "flags", "a combination of O_CLOEXEC, O_NONBLOCK and O_DIRECT", info[0]);
  }
  int fds[2];
  if (pipe2(fds, flags) != 0) ThrowSystemError(info.Env(), errno, "pipe2");
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(uint32_t(0), fds[0]);
  out.Set(uint32_t(1), fds[1]);
  return out;
}

Napi::Value GetPipeSize(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int r = fcntl(fd, F_GETPIPE_SZ);
  if (r < 0) ThrowSystemError(info.Env(), errno, "fcntl");
  return Napi::Number::New(info.Env(), r);
}

Napi::Value SetPipeSize(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int size = ArgInt32(info, 1, "size", 1, INT32_MAX);
  int r = fcntl(fd, F_SETPIPE_SZ, size);
  if (r < 0) ThrowSystemError(info.Env(), errno, "fcntl");
  return Napi::Number::New(info.Env(), r);
}

// O_NONBLOCK on or off; returns the previous state.
Napi::Value SetNonBlocking(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  bool on = ArgBool(info, 1, "nonBlocking");
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) ThrowSystemError(info.Env(), errno, "fcntl");
  int want = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
  if (want != fl && fcntl(fd, F_SETFL, want) < 0) ThrowSystemError(info.Env(), errno, "fcntl");
  return Napi::Boolean::New(info.Env(), (fl & O_NONBLOCK) != 0);
}

// The file status flags (O_ACCMODE bits, O_NONBLOCK, O_DIRECT, ...).
Napi::Value GetFileFlags(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) ThrowSystemError(info.Env(), errno, "fcntl");
  return Napi::Number::New(info.Env(), fl);
}

}  // namespace

void InitPipe(Napi::Env env, Napi::Object exports, Napi::Object constants) {
  SetFunctions(env, exports, {
      {"pipe2", Pipe2},
      {"getPipeSize", GetPipeSize},
      {"setPipeSize", SetPipeSize},
      {"setNonBlocking", SetNonBlocking},
      {"getFileFlags", GetFileFlags},
  });
  SetConstants(constants, {
      RXIPC_CONSTANT(O_CLOEXEC),
      RXIPC_CONSTANT(O_NONBLOCK),
      RXIPC_CONSTANT(O_DIRECT),
      RXIPC_CONSTANT(O_RDONLY),
      RXIPC_CONSTANT(O_WRONLY),
      RXIPC_CONSTANT(O_RDWR),
      RXIPC_CONSTANT(O_ACCMODE),
      RXIPC_CONSTANT(PIPE_BUF),
      RXIPC_CONSTANT(F_GETPIPE_SZ),
      RXIPC_CONSTANT(F_SETPIPE_SZ),
  });
}

}  // namespace rxipc
