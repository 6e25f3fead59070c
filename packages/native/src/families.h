// One initializer per call family; addon.cc calls them all.
#pragma once

#include <napi.h>

namespace rxipc {

void InitPipe(Napi::Env env, Napi::Object exports, Napi::Object constants);
void InitFifo(Napi::Env env, Napi::Object exports, Napi::Object constants);
void InitSysvMsg(Napi::Env env, Napi::Object exports, Napi::Object constants);
void InitSysvShm(Napi::Env env, Napi::Object exports, Napi::Object constants);
void InitPosixShm(Napi::Env env, Napi::Object exports, Napi::Object constants);
void InitMapping(Napi::Env env, Napi::Object exports, Napi::Object constants);
void InitSysvSem(Napi::Env env, Napi::Object exports, Napi::Object constants);
void InitPosixSem(Napi::Env env, Napi::Object exports, Napi::Object constants);
void InitSocket(Napi::Env env, Napi::Object exports, Napi::Object constants);
void InitSignal(Napi::Env env, Napi::Object exports, Napi::Object constants);

}  // namespace rxipc
