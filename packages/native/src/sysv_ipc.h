// What the System V families (message queues, shared memory, semaphores) share: the key and
// flags argument readers, the ipc_perm record, and IPC_SET's { uid, gid, mode } fields.
// Main (JS) thread only.
#pragma once

#include <napi.h>
#include <sys/ipc.h>

#include <cstdint>

namespace rxipc {

// key_t is a signed 32-bit int; ftok() keys print as unsigned hex, so both spellings are accepted.
int32_t ArgKey(const Napi::CallbackInfo& info, size_t i);

// An int32 >= 0 with no bit outside `allowed`; `rule` says which flags in the RangeError.
int ArgFlags(const Napi::CallbackInfo& info, size_t i, int allowed, const char* rule);

// ipc_perm as { key, uid, gid, cuid, cgid, mode, seq }; mode keeps the family's state bits
// (SHM_DEST, SHM_LOCKED) above the permission bits.
Napi::Object PermObject(Napi::Env env, const struct ipc_perm& p);

// IPC_SET's changes: fields.uid / gid / mode (0..0777), each optional, validated before any
// syscall. Throws a TypeError when `fields` is no object.
struct PermChange {
  bool has_uid = false, has_gid = false, has_mode = false;
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0;
  void ApplyTo(struct ipc_perm& p) const {
    if (has_uid) p.uid = uid;
    if (has_gid) p.gid = gid;
    if (has_mode) p.mode = (p.mode & ~0777) | mode;
  }
};
// The fields object at argument i (main thread), and one optional integer field of it.
Napi::Object ArgFields(const Napi::CallbackInfo& info, size_t i);
bool FieldInteger(Napi::Object fields, const char* name, int64_t min, int64_t max, int64_t* out);
PermChange ArgPermChange(Napi::Object fields);

}  // namespace rxipc
