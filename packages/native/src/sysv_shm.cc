// System V shared memory: shmget, shmat, shmdt, shmctl. All synchronous: none of them waits.
// shmat never takes an address from JS (a JS-chosen address with SHM_REMAP could replace
// memory the process runs on): the kernel picks it, so SHM_RND is a no-op and SHM_REMAP
// fails with EINVAL, as the kernel says for a remap without an address.
#include <sys/ipc.h>
#include <sys/shm.h>

#include <cerrno>

#include "errors.h"
#include "families.h"
#include "mapping.h"
#include "sysv_ipc.h"

#ifndef SHM_HUGE_SHIFT
#define SHM_HUGE_SHIFT 26
#endif
#ifndef SHM_HUGE_2MB
#define SHM_HUGE_2MB (21 << SHM_HUGE_SHIFT)
#endif
#ifndef SHM_HUGE_1GB
#define SHM_HUGE_1GB (30 << SHM_HUGE_SHIFT)
#endif
#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY 15
#endif

namespace rxipc {

namespace {

constexpr int kHugeField = 0x3f << SHM_HUGE_SHIFT;

int ArgShmid(const Napi::CallbackInfo& info, size_t i) { return ArgInt32(info, i, "shmid", 0, INT32_MAX); }

// shmget(key, size, flags) -> shmid. flags: IPC_CREAT, IPC_EXCL, permission bits,
// SHM_HUGETLB (with SHM_HUGE_2MB or SHM_HUGE_1GB), SHM_NORESERVE (not with SHM_HUGETLB).
Napi::Value Shmget(const Napi::CallbackInfo& info) {
  int32_t key = ArgKey(info, 0);
  size_t size = size_t(ArgInteger(info, 1, "size", 0, kMaxSafeInteger));
  const char* rule = "IPC_CREAT | IPC_EXCL | SHM_HUGETLB | SHM_HUGE_2MB | SHM_HUGE_1GB | SHM_NORESERVE | permission bits";
  int flags = ArgFlags(info, 2, IPC_CREAT | IPC_EXCL | SHM_HUGETLB | SHM_NORESERVE | kHugeField | 0777, rule);
  int huge = flags & kHugeField;
  if (huge != 0 && (huge != SHM_HUGE_2MB && huge != SHM_HUGE_1GB)) ThrowOutOfRange(info.Env(), "flags", rule, info[2]);
  // A huge-page segment without a reservation succeeds even when no huge page exists; the
  // first touch of a page the kernel then cannot supply is a SIGBUS that JS cannot catch.
  if ((flags & SHM_HUGETLB) != 0 && (flags & SHM_NORESERVE) != 0) {
    ThrowOutOfRange(info.Env(), "flags", "without SHM_NORESERVE when SHM_HUGETLB is set (a SIGBUS on first touch)", info[2]);
  }
  int id = shmget(key, size, flags);
  if (id < 0) ThrowSystemError(info.Env(), errno, "shmget");
  return Napi::Number::New(info.Env(), id);
}

// shmat(shmid, flags) -> { handle, length, writable, buffer }. flags: SHM_RDONLY, SHM_RND,
// SHM_REMAP, SHM_EXEC. buffer is undefined for SHM_RDONLY (see mapping.h).
Napi::Value Shmat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int shmid = ArgShmid(info, 0);
  int flags = ArgFlags(info, 1, SHM_RDONLY | SHM_RND | SHM_REMAP | SHM_EXEC,
                       "a combination of SHM_RDONLY, SHM_RND, SHM_REMAP and SHM_EXEC");
  void* addr = shmat(shmid, nullptr, flags);
  if (addr == reinterpret_cast<void*>(-1)) ThrowSystemError(env, errno, "shmat");
  // The size of what is attached: while attached, the id names this segment, even after
  // IPC_RMID. (Needs read permission, as shmat itself does.)
  struct shmid_ds ds;
  if (shmctl(shmid, IPC_STAT, &ds) != 0) {
    int err = errno;
    shmdt(addr);
    ThrowSystemError(env, err, "shmat");
  }
  return NewMappingValue(env, Mapping::kShmat, static_cast<uint8_t*>(addr), ds.shm_segsz, (flags & SHM_RDONLY) == 0,
                         "shmat");
}

// shmdt(mapping): detaches the ArrayBuffer (every view becomes length 0), ends futex waits on
// it, then detaches the segment.
Napi::Value Shmdt(const Napi::CallbackInfo& info) {
  DetachMapping(info, 0, Mapping::kShmat, "shmdt");
  return info.Env().Undefined();
}

Napi::Object DsObject(Napi::Env env, const struct shmid_ds& ds) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("perm", PermObject(env, ds.shm_perm));
  o.Set("segsz", Napi::Number::New(env, double(ds.shm_segsz)));
  o.Set("atime", Napi::Number::New(env, double(ds.shm_atime)));
  o.Set("dtime", Napi::Number::New(env, double(ds.shm_dtime)));
  o.Set("ctime", Napi::Number::New(env, double(ds.shm_ctime)));
  o.Set("cpid", Napi::Number::New(env, ds.shm_cpid));
  o.Set("lpid", Napi::Number::New(env, ds.shm_lpid));
  o.Set("nattch", Napi::Number::New(env, double(ds.shm_nattch)));
  return o;
}

Napi::Value ShmctlStat(const Napi::CallbackInfo& info) {
  int shmid = ArgShmid(info, 0);
  struct shmid_ds ds;
  if (shmctl(shmid, IPC_STAT, &ds) != 0) ThrowSystemError(info.Env(), errno, "shmctl");
  return DsObject(info.Env(), ds);
}

// shmctlSet(shmid, { uid?, gid?, mode? }): IPC_SET of the fields given.
Napi::Value ShmctlSet(const Napi::CallbackInfo& info) {
  int shmid = ArgShmid(info, 0);
  PermChange perm = ArgPermChange(ArgFields(info, 1));
  struct shmid_ds ds;
  if (shmctl(shmid, IPC_STAT, &ds) != 0) ThrowSystemError(info.Env(), errno, "shmctl");
  perm.ApplyTo(ds.shm_perm);
  if (shmctl(shmid, IPC_SET, &ds) != 0) ThrowSystemError(info.Env(), errno, "shmctl");
  return info.Env().Undefined();
}

// IPC_RMID: the segment goes once the last process detaches (mode gets SHM_DEST until then).
Napi::Value ShmctlRemove(const Napi::CallbackInfo& info) {
  int shmid = ArgShmid(info, 0);
  if (shmctl(shmid, IPC_RMID, nullptr) != 0) ThrowSystemError(info.Env(), errno, "shmctl");
  return info.Env().Undefined();
}

// shmctlLock(shmid, lock): SHM_LOCK (true) / SHM_UNLOCK (false).
Napi::Value ShmctlLock(const Napi::CallbackInfo& info) {
  int shmid = ArgShmid(info, 0);
  bool lock = ArgBool(info, 1, "lock");
  if (shmctl(shmid, lock ? SHM_LOCK : SHM_UNLOCK, nullptr) != 0) ThrowSystemError(info.Env(), errno, "shmctl");
  return info.Env().Undefined();
}

// shmctlInfo(cmd): IPC_INFO -> { index, shmmax, shmmin, shmmni, shmseg, shmall };
// SHM_INFO -> { index, usedIds, shmTot, shmRss, shmSwp, swapAttempts, swapSuccesses }.
Napi::Value ShmctlInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int cmd = ArgInt32(info, 0, "cmd", 0, INT32_MAX);
  if (cmd != IPC_INFO && cmd != SHM_INFO) ThrowOutOfRange(env, "cmd", "IPC_INFO or SHM_INFO", info[0]);
  Napi::Object o = Napi::Object::New(env);
  if (cmd == IPC_INFO) {
    struct shminfo si;
    int index = shmctl(0, IPC_INFO, reinterpret_cast<struct shmid_ds*>(&si));
    if (index < 0) ThrowSystemError(env, errno, "shmctl");
    o.Set("index", index);
    o.Set("shmmax", Napi::Number::New(env, double(si.shmmax)));
    o.Set("shmmin", Napi::Number::New(env, double(si.shmmin)));
    o.Set("shmmni", Napi::Number::New(env, double(si.shmmni)));
    o.Set("shmseg", Napi::Number::New(env, double(si.shmseg)));
    o.Set("shmall", Napi::Number::New(env, double(si.shmall)));
  } else {
    struct shm_info si;
    int index = shmctl(0, SHM_INFO, reinterpret_cast<struct shmid_ds*>(&si));
    if (index < 0) ThrowSystemError(env, errno, "shmctl");
    o.Set("index", index);
    o.Set("usedIds", Napi::Number::New(env, double(si.used_ids)));
    o.Set("shmTot", Napi::Number::New(env, double(si.shm_tot)));
    o.Set("shmRss", Napi::Number::New(env, double(si.shm_rss)));
    o.Set("shmSwp", Napi::Number::New(env, double(si.shm_swp)));
    o.Set("swapAttempts", Napi::Number::New(env, double(si.swap_attempts)));
    o.Set("swapSuccesses", Napi::Number::New(env, double(si.swap_successes)));
  }
  return o;
}

// shmctlStatIndex(index, any): SHM_STAT / SHM_STAT_ANY -> { id, ...shmid_ds }.
Napi::Value ShmctlStatIndex(const Napi::CallbackInfo& info) {
  int index = ArgInt32(info, 0, "index", 0, INT32_MAX);
  bool any = ArgBool(info, 1, "any");
  struct shmid_ds ds;
  int id = shmctl(index, any ? SHM_STAT_ANY : SHM_STAT, &ds);
  if (id < 0) ThrowSystemError(info.Env(), errno, "shmctl");
  Napi::Object o = DsObject(info.Env(), ds);
  o.Set("id", id);
  return o;
}

}  // namespace

void InitSysvShm(Napi::Env env, Napi::Object exports, Napi::Object constants) {
  SetFunctions(env, exports, {
      {"shmget", Shmget},
      {"shmat", Shmat},
      {"shmdt", Shmdt},
      {"shmctlStat", ShmctlStat},
      {"shmctlSet", ShmctlSet},
      {"shmctlRemove", ShmctlRemove},
      {"shmctlLock", ShmctlLock},
      {"shmctlInfo", ShmctlInfo},
      {"shmctlStatIndex", ShmctlStatIndex},
  });
  SetConstants(constants, {
      RXIPC_CONSTANT(SHM_RDONLY),
      RXIPC_CONSTANT(SHM_RND),
      RXIPC_CONSTANT(SHM_REMAP),
      RXIPC_CONSTANT(SHM_EXEC),
      RXIPC_CONSTANT(SHM_HUGETLB),
      RXIPC_CONSTANT(SHM_HUGE_2MB),
      RXIPC_CONSTANT(SHM_HUGE_1GB),
      RXIPC_CONSTANT(SHM_NORESERVE),
      RXIPC_CONSTANT(SHM_LOCK),
      RXIPC_CONSTANT(SHM_UNLOCK),
      RXIPC_CONSTANT(SHM_INFO),
      RXIPC_CONSTANT(SHM_STAT),
      RXIPC_CONSTANT(SHM_STAT_ANY),
      RXIPC_CONSTANT(SHM_DEST),
      RXIPC_CONSTANT(SHM_LOCKED),
  });
}

}  // namespace rxipc
