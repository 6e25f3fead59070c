#include "errors.h"

#include <climits>
#include <cmath>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace rxipc {

const char* ErrnoName(int err) {
  const char* name = strerrorname_np(err);  // glibc >= 2.32
  return name != nullptr ? name : "UNKNOWN";
}

static std::string Description(int err) {
  char buf[256];
  const char* s = strerror_r(err, buf, sizeof buf);  // GNU variant: returns the string
  return s != nullptr ? s : "unknown error";
}

// The highest errno in the exported table; a larger number is named by JS as UNKNOWN.
constexpr int kErrnoTableMax = 255;

// One error factory per environment (main thread, each worker): the JS function that builds
// system errors. Set by `setErrorFactory` on the environment's own thread, read there by
// SystemError(), dropped by the environment's cleanup hook. The mutex guards only the map's
// structure, which environments on different threads share.
static std::mutex factories_mu;
static std::unordered_map<napi_env, Napi::FunctionReference> factories;

static void DropFactory(void* arg) {
  napi_env env = static_cast<napi_env>(arg);
  std::lock_guard<std::mutex> lock(factories_mu);
  factories.erase(env);
}

static Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) ThrowInvalidArgType(env, "factory", "of type function", info[0]);
  std::lock_guard<std::mutex> lock(factories_mu);
  auto it = factories.find(env);
  if (it == factories.end()) {
    napi_add_env_cleanup_hook(env, DropFactory, static_cast<napi_env>(env));
    factories.emplace(env, Napi::Persistent(info[0].As<Napi::Function>()));
  } else {
    it->second = Napi::Persistent(info[0].As<Napi::Function>());  // a reload replaces it
  }
  return env.Undefined();
}

Napi::Error SystemError(Napi::Env env, int err, const char* syscall, const char* path) {
  Napi::Function factory;
  {
    std::lock_guard<std::mutex> lock(factories_mu);
    auto it = factories.find(env);
    if (it != factories.end()) factory = it->second.Value();
  }
  if (factory.IsEmpty()) {
    // Only a binary loaded around @rxipc/native's loader gets here: say so, keep the fields.
    Napi::Error e = Napi::Error::New(env, std::string(ErrnoName(err)) + ", " + syscall +
                                              " (rxipc: no error factory; load the addon through @rxipc/native)");
    e.Value().Set("errno", Napi::Number::New(env, err));
    e.Value().Set("code", Napi::String::New(env, ErrnoName(err)));
    e.Value().Set("syscall", Napi::String::New(env, syscall));
    if (path != nullptr) e.Value().Set("path", Napi::String::New(env, path));
    return e;
  }
  Napi::Value made = factory.Call({Napi::Number::New(env, err), Napi::String::New(env, syscall),
                                   path != nullptr ? Napi::Value(Napi::String::New(env, path)) : env.Undefined()});
  return Napi::Error(env, made);
}

void InitErrors(Napi::Env env, Napi::Object exports) {
  Napi::Array table = Napi::Array::New(env, kErrnoTableMax + 1);
  for (int err = 1; err <= kErrnoTableMax; err++) {
    const char* name = strerrorname_np(err);  // glibc >= 2.32; null for an unassigned number
    if (name == nullptr) continue;
    Napi::Array entry = Napi::Array::New(env, 2);
    entry.Set(uint32_t(0), Napi::String::New(env, name));
    entry.Set(uint32_t(1), Napi::String::New(env, Description(err)));
    table.Set(uint32_t(err), entry);
  }
  exports.Set("errnos", table);
  exports.Set("setErrorFactory", Napi::Function::New(env, SetErrorFactory, "setErrorFactory"));
}

void ThrowSystemError(Napi::Env env, int err, const char* syscall, const char* path) {
  throw SystemError(env, err, syscall, path);
}

static std::string Describe(Napi::Value v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return std::string("type boolean (") + (v.As<Napi::Boolean>().Value() ? "true" : "false") + ")";
    case napi_number: {
      double d = v.As<Napi::Number>().DoubleValue();
      if (std::isnan(d)) return "type number (NaN)";
      return "type number (" + v.ToString().Utf8Value() + ")";
    }
    case napi_string: {
      std::string s = v.As<Napi::String>().Utf8Value();
      if (s.size() > 28) s = s.substr(0, 25) + "...";
      for (auto& c : s)
        if (c == '\0') c = '?';
      return "type string ('" + s + "')";
    }
    case napi_symbol: return "type symbol";
    case napi_function: return "function";
    case napi_bigint: return "type bigint";
    default: return "an instance of Object";
  }
}

static void SetCode(Napi::Error& e, const char* code) {
  e.Value().Set("code", Napi::String::New(e.Env(), code));
}

void ThrowInvalidArgType(Napi::Env env, const char* name, const char* expected, Napi::Value actual) {
  auto e = Napi::TypeError::New(env, std::string("The \"") + name + "\" argument must be " + expected +
                                         ". Received " + Describe(actual));
  SetCode(e, "ERR_INVALID_ARG_TYPE");
  throw e;
}

void ThrowOutOfRange(Napi::Env env, const char* name, const std::string& rule, Napi::Value actual) {
  std::string received = actual.IsNumber() ? actual.ToString().Utf8Value() : Describe(actual);
  auto e = Napi::RangeError::New(env, std::string("The value of \"") + name + "\" is out of range. It must be " +
                                          rule + ". Received " + received);
  SetCode(e, "ERR_OUT_OF_RANGE");
  throw e;
}

static Napi::Value Arg(const Napi::CallbackInfo& info, size_t i) {
  return i < info.Length() ? info[i] : info.Env().Undefined();
}

// The checks of ArgInteger with their errors (the fast path below only accepts).
static int64_t ArgIntegerChecked(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max) {
  Napi::Value v = Arg(info, i);
  if (!v.IsNumber()) ThrowInvalidArgType(info.Env(), name, "of type number", v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d) ThrowOutOfRange(info.Env(), name, "an integer", v);
  if (d < double(min) || d > double(max)) {
    ThrowOutOfRange(info.Env(), name, ">= " + std::to_string(min) + " && <= " + std::to_string(max), v);
  }
  return int64_t(d);
}

// Every call's arguments pass through here: one N-API call for a valid one (napi_get_value_double
// fails without a pending exception when the value is no number), the full checks otherwise.
int64_t ArgInteger(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max) {
  double d;
  if (i < info.Length() && napi_get_value_double(info.Env(), info[i], &d) == napi_ok && std::isfinite(d) &&
      std::trunc(d) == d && d >= double(min) && d <= double(max)) {
    return int64_t(d);
  }
  return ArgIntegerChecked(info, i, name, min, max);
}

int32_t ArgInt32(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max) {
  return int32_t(ArgInteger(info, i, name, min, max));
}

int ArgFd(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return ArgInt32(info, i, name, 0, INT32_MAX);
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = Arg(info, i);
  if (!v.IsBoolean()) ThrowInvalidArgType(info.Env(), name, "of type boolean", v);
  return v.As<Napi::Boolean>().Value();
}

std::string ArgPath(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = Arg(info, i);
  if (!v.IsString()) ThrowInvalidArgType(info.Env(), name, "of type string", v);
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos) {
    auto e = Napi::TypeError::New(info.Env(), std::string("The argument '") + name +
                                                  "' must be a string without null bytes. Received " + Describe(v));
    SetCode(e, "ERR_INVALID_ARG_VALUE");
    throw e;
  }
  if (s.empty() || s.size() >= PATH_MAX) ThrowOutOfRange(info.Env(), name, "a path of 1 to 4095 bytes", v);
  return s;
}

static size_t ElementSize(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array: return 1;
    case napi_int16_array:
    case napi_uint16_array: return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array: return 4;
    default: return 8;  // float64, bigint64, biguint64
  }
}

Bytes ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = Arg(info, i);
  // The view's own data pointer, not its ArrayBuffer's: napi_get_arraybuffer_info rejects the
  // SharedArrayBuffer behind a shared view. A detached view has length 0 (data may be null).
  // One call for type, length and data (it fails, without an exception, on anything that is
  // no TypedArray): this is on every send's path.
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(info.Env(), v, &type, &length, &data, nullptr, nullptr) == napi_ok) {
    return {static_cast<const uint8_t*>(data), length * ElementSize(type)};
  }
  if (v.IsDataView()) {
    if (napi_get_dataview_info(info.Env(), v, &length, &data, nullptr, nullptr) != napi_ok) {
      throw Napi::Error::New(info.Env());
    }
    return {static_cast<const uint8_t*>(data), length};
  }
  ThrowInvalidArgType(info.Env(), name, "an instance of Buffer, TypedArray, or DataView", v);
}

bool ArgDeadline(const Napi::CallbackInfo& info, size_t i, struct timespec* deadline) {
  if (i >= info.Length() || info[i].IsUndefined()) return false;
  int64_t ms = ArgInteger(info, i, "timeoutMs", 0, INT32_MAX);
  clock_gettime(CLOCK_MONOTONIC, deadline);
  deadline->tv_sec += ms / 1000;
  deadline->tv_nsec += (ms % 1000) * 1000000;
  if (deadline->tv_nsec >= 1000000000) {
    deadline->tv_sec++;
    deadline->tv_nsec -= 1000000000;
  }
  return true;
}

void SetFunctions(Napi::Env env, Napi::Object target, std::initializer_list<NamedFunction> fns) {
  for (const NamedFunction& f : fns) target.Set(f.name, Napi::Function::New(env, f.fn, f.name));
}

void SetConstants(Napi::Object target, std::initializer_list<NamedConstant> constants) {
  for (const NamedConstant& c : constants) target.Set(c.name, c.value);
}

}  // namespace rxipc
