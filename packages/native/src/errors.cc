#include "errors.h"

#include <climits>
#include <cmath>
#include <cstring>

namespace rxipc {

const char* ErrnoName(int err) {
  const char* name = strerrorname_np(err);  // glibc >= 2.32
  return name != nullptr ? name : "UNKNOWN";
}

static std::string Description(int err) {
  char buf[256];
  const char* s = strerror_r(err, buf, sizeof buf);  // GNU variant: returns the string
  std::string d = s != nullptr ? s : "unknown error";
  // Node (libuv) writes descriptions in lower case: "no such file or directory".
  if (d.size() > 1 && d[0] >= 'A' && d[0] <= 'Z' && !(d[1] >= 'A' && d[1] <= 'Z')) d[0] = char(d[0] - 'A' + 'a');
  return d;
}

Napi::Error SystemError(Napi::Env env, int err, const char* syscall, const char* path) {
  const char* code = ErrnoName(err);
  std::string msg = std::string(code) + ": " + Description(err) + ", " + syscall;
  if (path != nullptr) msg += std::string(" '") + path + "'";
  Napi::Error e = Napi::Error::New(env, msg);
  Napi::Object o = e.Value();
  o.Set("errno", Napi::Number::New(env, err));
  o.Set("code", Napi::String::New(env, code));
  o.Set("syscall", Napi::String::New(env, syscall));
  if (path != nullptr) o.Set("path", Napi::String::New(env, path));
  return e;
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

int64_t ArgInteger(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max) {
  Napi::Value v = Arg(info, i);
  if (!v.IsNumber()) ThrowInvalidArgType(info.Env(), name, "of type number", v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d) ThrowOutOfRange(info.Env(), name, "an integer", v);
  if (d < double(min) || d > double(max)) {
    ThrowOutOfRange(info.Env(), name, ">= " + std::to_string(min) + " && <= " + std::to_string(max), v);
  }
  return int64_t(d);
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
  if (v.IsTypedArray()) {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    // One call for type, length and data: this is on every send's path.
    if (napi_get_typedarray_info(info.Env(), v, &type, &length, &data, nullptr, nullptr) != napi_ok) {
      throw Napi::Error::New(info.Env());
    }
    return {static_cast<const uint8_t*>(data), length * ElementSize(type)};
  }
  if (v.IsDataView()) {
    size_t length = 0;
    void* data = nullptr;
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

}  // namespace rxipc
