// Error model and argument validation shared by every call family.
//
// OS failures become Node-style system errors: `code` ('ENOMSG'), `errno` (positive),
// `syscall`, `path` when one was involved, message "CODE: description, syscall 'path'".
// JavaScript owns their construction (packages/native/lib/errors.ts): the loader hands its
// factory to the addon once per environment (`setErrorFactory`), and SystemError() calls it,
// so an error thrown here and one built in JS from a waiter task's errno are the same thing.
// The addon contributes only the errno table (`errnos`: names and strerror descriptions).
// Misuse is a TypeError / RangeError carrying an ERR_* code, thrown before any syscall.
// Every function here runs on the main (JS) thread.
#pragma once

#include <napi.h>
#include <time.h>

#include <cstdint>
#include <string>
#include <initializer_list>
#include <vector>

namespace rxipc {

// "ENOMSG" for ENOMSG; "UNKNOWN" for a number that names no errno.
const char* ErrnoName(int err);

// Calls the environment's error factory (main thread only, where JS can run).
Napi::Error SystemError(Napi::Env env, int err, const char* syscall, const char* path = nullptr);
[[noreturn]] void ThrowSystemError(Napi::Env env, int err, const char* syscall, const char* path = nullptr);

[[noreturn]] void ThrowInvalidArgType(Napi::Env env, const char* name, const char* expected, Napi::Value actual);
// Exports `setErrorFactory(fn)` and `errnos` (index = errno: [name, description] or undefined).
void InitErrors(Napi::Env env, Napi::Object exports);

[[noreturn]] void ThrowOutOfRange(Napi::Env env, const char* name, const std::string& rule, Napi::Value actual);

// Largest integer a JS number holds exactly: 2^53 - 1.
constexpr int64_t kMaxSafeInteger = 9007199254740991LL;

// Argument readers: each checks type and range and throws before returning.
int64_t ArgInteger(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max);
int32_t ArgInt32(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min = INT32_MIN,
                 int64_t max = INT32_MAX);
int ArgFd(const Napi::CallbackInfo& info, size_t i, const char* name = "fd");
bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* name);
// A string usable as a C path: no NUL byte, at most PATH_MAX bytes.
std::string ArgPath(const Napi::CallbackInfo& info, size_t i, const char* name = "path");
// Any ArrayBufferView (Buffer, Uint8Array, DataView, ...). The span is valid only during the call.
struct Bytes {
  const uint8_t* data;
  size_t length;
};
Bytes ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* name);
// An optional timeout in ms at argument i ("timeoutMs": undefined for none, else 0..2^31-1),
// turned into an absolute CLOCK_MONOTONIC deadline now, so that a wait retried after a stray
// signal keeps it. Returns false when there is no timeout.
bool ArgDeadline(const Napi::CallbackInfo& info, size_t i, struct timespec* deadline);

// Export tables: each family's Init lists its calls and constants once.
struct NamedFunction {
  const char* name;
  Napi::Value (*fn)(const Napi::CallbackInfo&);
};
void SetFunctions(Napi::Env env, Napi::Object target, std::initializer_list<NamedFunction> fns);
struct NamedConstant {
  const char* name;
  double value;
};
void SetConstants(Napi::Object target, std::initializer_list<NamedConstant> constants);
// RXIPC_CONSTANT(IPC_CREAT) -> { "IPC_CREAT", IPC_CREAT }
#define RXIPC_CONSTANT(c) ::rxipc::NamedConstant{#c, double(c)}

}  // namespace rxipc
