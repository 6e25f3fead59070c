// The rxipc addon: raw Linux IPC calls with their real names and flags, nothing else.
// Context-aware: all state lives in the environment's instance data (waiter.h), so the
// addon loads in worker_threads.
#include <napi.h>

#include "errors.h"
#include "families.h"
#include "waiter.h"

namespace rxipc {
namespace {

// makeSystemError(errno, syscall, path?): the error the addon would throw (through the error
// factory, as every system error is), for tests that C++ and JS give errors one face.
Napi::Value MakeSystemError(const Napi::CallbackInfo& info) {
  int err = ArgInt32(info, 0, "errno", 1, 4095);
  std::string syscall = ArgPath(info, 1, "syscall");
  if (info.Length() > 2 && !info[2].IsUndefined()) {
    std::string path = ArgPath(info, 2, "path");
    return SystemError(info.Env(), err, syscall.c_str(), path.c_str()).Value();
  }
  return SystemError(info.Env(), err, syscall.c_str()).Value();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Object constants = Napi::Object::New(env);
  InitErrors(env, exports);
  InitWaiter(env, exports);
  InitPipe(env, exports, constants);
  InitFifo(env, exports, constants);
  InitSysvMsg(env, exports, constants);
  InitSysvShm(env, exports, constants);
  InitPosixShm(env, exports, constants);
  InitMapping(env, exports, constants);
  InitSysvSem(env, exports, constants);
  InitPosixSem(env, exports, constants);
  InitSocket(env, exports, constants);
  InitSignal(env, exports, constants);
  exports.Get("testing").As<Napi::Object>().Set("makeSystemError", Napi::Function::New(env, MakeSystemError, "makeSystemError"));
  exports.Set("constants", constants);
  return exports;
}

}  // namespace
}  // namespace rxipc

static Napi::Object InitRxipc(Napi::Env env, Napi::Object exports) { return rxipc::Init(env, exports); }

NODE_API_MODULE(rxipc, InitRxipc)
