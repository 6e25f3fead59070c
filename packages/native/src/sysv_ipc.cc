#include "sysv_ipc.h"

#include <cmath>
#include <string>

#include "errors.h"

namespace rxipc {

int32_t ArgKey(const Napi::CallbackInfo& info, size_t i) {
  return int32_t(uint32_t(int64_t(ArgInteger(info, i, "key", INT32_MIN, UINT32_MAX))));
}

int ArgFlags(const Napi::CallbackInfo& info, size_t i, int allowed, const char* rule) {
  int flags = ArgInt32(info, i, "flags", 0, INT32_MAX);
  if ((flags & ~allowed) != 0) ThrowOutOfRange(info.Env(), "flags", rule, info[i]);
  return flags;
}

Napi::Object PermObject(Napi::Env env, const struct ipc_perm& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("key", Napi::Number::New(env, p.__key));
  o.Set("uid", Napi::Number::New(env, p.uid));
  o.Set("gid", Napi::Number::New(env, p.gid));
  o.Set("cuid", Napi::Number::New(env, p.cuid));
  o.Set("cgid", Napi::Number::New(env, p.cgid));
  o.Set("mode", Napi::Number::New(env, p.mode));
  o.Set("seq", Napi::Number::New(env, p.__seq));
  return o;
}

Napi::Object ArgFields(const Napi::CallbackInfo& info, size_t i) {
  Napi::Value v = i < info.Length() ? info[i] : info.Env().Undefined();
  if (!v.IsObject()) ThrowInvalidArgType(info.Env(), "fields", "of type object", v);
  return v.As<Napi::Object>();
}

bool FieldInteger(Napi::Object fields, const char* name, int64_t min, int64_t max, int64_t* out) {
  Napi::Env env = fields.Env();
  Napi::Value v = fields.Get(name);
  if (v.IsUndefined()) return false;
  if (!v.IsNumber()) ThrowInvalidArgType(env, name, "of type number", v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d || d < double(min) || d > double(max)) {
    ThrowOutOfRange(env, name, ">= " + std::to_string(min) + " && <= " + std::to_string(max), v);
  }
  *out = int64_t(d);
  return true;
}

PermChange ArgPermChange(Napi::Object fields) {
  PermChange c;
  int64_t v;
  if ((c.has_uid = FieldInteger(fields, "uid", 0, UINT32_MAX - 1, &v))) c.uid = uid_t(v);
  if ((c.has_gid = FieldInteger(fields, "gid", 0, UINT32_MAX - 1, &v))) c.gid = gid_t(v);
  if ((c.has_mode = FieldInteger(fields, "mode", 0, 0777, &v))) c.mode = mode_t(v);
  return c;
}

}  // namespace rxipc
