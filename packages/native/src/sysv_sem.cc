// System V semaphores: semget, semop / semtimedop, semctl.
//
// The synchronous semop always carries IPC_NOWAIT (false when it would wait). The waiting
// form is a OneShotTask on a waiter thread: semtimedop with a deadline kept across retries,
// so a stray signal does not restart the timeout; a cancel ends it within milliseconds; a
// semop that succeeded as the cancel arrived reports success, so JS can undo it.
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <string>
#include <vector>

#include "errors.h"
#include "families.h"
#include "sysv_ipc.h"
#include "waiter.h"

#ifndef SEM_STAT_ANY
#define SEM_STAT_ANY 20
#endif

namespace rxipc {

namespace {

union semun {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
  struct seminfo* __buf;
};

constexpr int kSemvmx = 32767;    // SEMVMX: the largest value a semaphore holds
constexpr uint32_t kMaxOps = 65535;

int ArgSemid(const Napi::CallbackInfo& info, size_t i) { return ArgInt32(info, i, "semid", 0, INT32_MAX); }
int ArgSemnum(const Napi::CallbackInfo& info, size_t i) { return ArgInt32(info, i, "semnum", 0, 65535); }

int64_t ElementInteger(Napi::Env env, Napi::Value v, const std::string& name, int64_t min, int64_t max) {
  if (!v.IsNumber()) ThrowInvalidArgType(env, name.c_str(), "of type number", v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d) ThrowOutOfRange(env, name.c_str(), "an integer", v);
  if (d < double(min) || d > double(max)) {
    ThrowOutOfRange(env, name.c_str(), ">= " + std::to_string(min) + " && <= " + std::to_string(max), v);
  }
  return int64_t(d);
}

Napi::Array ArgArray(const Napi::CallbackInfo& info, size_t i, const char* name, uint32_t min, uint32_t max) {
  Napi::Value v = i < info.Length() ? info[i] : info.Env().Undefined();
  if (!v.IsArray()) ThrowInvalidArgType(info.Env(), name, "an instance of Array", v);
  Napi::Array a = v.As<Napi::Array>();
  uint32_t n = a.Length();
  if (n < min || n > max) {
    ThrowOutOfRange(info.Env(), (std::string(name) + ".length").c_str(),
                    ">= " + std::to_string(min) + " && <= " + std::to_string(max), Napi::Number::New(info.Env(), n));
  }
  return a;
}

// ops: [{ num, op, flags }, ...], 1 to 65535 of them, applied atomically. flags: IPC_NOWAIT,
// SEM_UNDO. Read into C structures at once: nothing JS does later changes them.
std::vector<struct sembuf> ArgOps(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  Napi::Array a = ArgArray(info, i, "ops", 1, kMaxOps);
  uint32_t n = a.Length();
  std::vector<struct sembuf> ops(n);
  for (uint32_t k = 0; k < n; k++) {
    std::string at = "ops[" + std::to_string(k) + "]";
    Napi::Value e = a.Get(k);
    if (!e.IsObject()) ThrowInvalidArgType(env, at.c_str(), "of type object", e);
    Napi::Object o = e.As<Napi::Object>();
    ops[k].sem_num = (unsigned short)ElementInteger(env, o.Get("num"), at + ".num", 0, 65535);
    ops[k].sem_op = short(ElementInteger(env, o.Get("op"), at + ".op", -32768, 32767));
    int flags = int(ElementInteger(env, o.Get("flags"), at + ".flags", 0, INT32_MAX));
    if ((flags & ~(IPC_NOWAIT | SEM_UNDO)) != 0) {
      ThrowOutOfRange(env, (at + ".flags").c_str(), "a combination of IPC_NOWAIT and SEM_UNDO", o.Get("flags"));
    }
    ops[k].sem_flg = short(flags);
  }
  return ops;
}

// semget(key, nsems, flags) -> semid.
Napi::Value Semget(const Napi::CallbackInfo& info) {
  int32_t key = ArgKey(info, 0);
  int nsems = ArgInt32(info, 1, "nsems", 0, INT32_MAX);
  int flags = ArgFlags(info, 2, IPC_CREAT | IPC_EXCL | 0777, "IPC_CREAT | IPC_EXCL | permission bits");
  int id = semget(key, nsems, flags);
  if (id < 0) ThrowSystemError(info.Env(), errno, "semget");
  return Napi::Number::New(info.Env(), id);
}

// semop(semid, ops) with IPC_NOWAIT on every op: true when applied, false when it would wait.
Napi::Value Semop(const Napi::CallbackInfo& info) {
  int semid = ArgSemid(info, 0);
  std::vector<struct sembuf> ops = ArgOps(info, 1);
  for (auto& op : ops) op.sem_flg |= IPC_NOWAIT;
  int r;
  do r = semop(semid, ops.data(), ops.size());
  while (r < 0 && errno == EINTR);
  if (r == 0) return Napi::Boolean::New(info.Env(), true);
  if (errno == EAGAIN) return Napi::Boolean::New(info.Env(), false);
  ThrowSystemError(info.Env(), errno, "semop");
}

struct timespec Remaining(const struct timespec& deadline) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  struct timespec left = {deadline.tv_sec - now.tv_sec, deadline.tv_nsec - now.tv_nsec};
  if (left.tv_nsec < 0) {
    left.tv_sec--;
    left.tv_nsec += 1000000000;
  }
  if (left.tv_sec < 0) left = {0, 0};
  return left;
}

// A waiting semop / semtimedop.
class SemopTask : public OneShotTask {
 public:
  SemopTask(int semid, std::vector<struct sembuf> ops, bool timed, struct timespec deadline)
      : semid_(semid), ops_(std::move(ops)), timed_(timed), deadline_(deadline) {}

 protected:
  long Call() override {
    if (!timed_) return semop(semid_, ops_.data(), ops_.size());
    struct timespec left = Remaining(deadline_);
    int r = semtimedop(semid_, ops_.data(), ops_.size(), &left);
    // semtimedop says EAGAIN when the time ran out; an op with IPC_NOWAIT says it at once.
    if (r < 0 && errno == EAGAIN) {
      struct timespec after = Remaining(deadline_);
      if (after.tv_sec == 0 && after.tv_nsec == 0) errno = ETIMEDOUT;
    }
    return r;
  }

 private:
  const int semid_;
  std::vector<struct sembuf> ops_;
  const bool timed_;
  const struct timespec deadline_;
};

// semopStart(semid, ops, timeoutMs?) -> task id. dispatch(id, true, errno, 0): 0 applied;
// ETIMEDOUT; ECANCELED; EIDRM when the set was removed; EAGAIN for an op with IPC_NOWAIT.
Napi::Value SemopStart(const Napi::CallbackInfo& info) {
  int semid = ArgSemid(info, 0);
  std::vector<struct sembuf> ops = ArgOps(info, 1);
  struct timespec deadline = {0, 0};
  bool timed = ArgDeadline(info, 2, &deadline);
  auto task = std::make_shared<SemopTask>(semid, std::move(ops), timed, deadline);
  return Napi::Number::New(info.Env(), EnvState::Get(info.Env())->Start(info.Env(), task));
}

// ---- semctl ----

// Room for every value of a set: its nsems now, and at least the system's SEMMSL, so that a
// set that changed under us between IPC_STAT and GETALL / SETALL never overruns the buffer.
size_t ValuesRoom(int nsems) {
  struct seminfo si;
  union semun arg;
  arg.__buf = &si;
  size_t room = size_t(std::max(nsems, 1));
  if (semctl(0, 0, IPC_INFO, arg) >= 0) room = std::max(room, size_t(std::max(si.semmsl, 1)));
  return room;
}

int Nsems(Napi::Env env, int semid) {
  struct semid_ds ds;
  union semun arg;
  arg.buf = &ds;
  if (semctl(semid, 0, IPC_STAT, arg) != 0) ThrowSystemError(env, errno, "semctl");
  return int(ds.sem_nsems);
}

// semctlGet(semid, semnum, cmd): GETVAL, GETPID, GETNCNT or GETZCNT.
Napi::Value SemctlGet(const Napi::CallbackInfo& info) {
  int semid = ArgSemid(info, 0);
  int semnum = ArgSemnum(info, 1);
  int cmd = ArgInt32(info, 2, "cmd", 0, INT32_MAX);
  if (cmd != GETVAL && cmd != GETPID && cmd != GETNCNT && cmd != GETZCNT) {
    ThrowOutOfRange(info.Env(), "cmd", "GETVAL, GETPID, GETNCNT or GETZCNT", info[2]);
  }
  int r = semctl(semid, semnum, cmd);
  if (r < 0) ThrowSystemError(info.Env(), errno, "semctl");
  return Napi::Number::New(info.Env(), r);
}

// semctlSetVal(semid, semnum, value): SETVAL, value 0..SEMVMX.
Napi::Value SemctlSetVal(const Napi::CallbackInfo& info) {
  int semid = ArgSemid(info, 0);
  int semnum = ArgSemnum(info, 1);
  union semun arg;
  arg.val = ArgInt32(info, 2, "value", 0, kSemvmx);
  if (semctl(semid, semnum, SETVAL, arg) != 0) ThrowSystemError(info.Env(), errno, "semctl");
  return info.Env().Undefined();
}

// semctlGetAll(semid) -> number[]: GETALL.
Napi::Value SemctlGetAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int semid = ArgSemid(info, 0);
  int nsems = Nsems(env, semid);
  std::vector<unsigned short> values(ValuesRoom(nsems));
  union semun arg;
  arg.array = values.data();
  if (semctl(semid, 0, GETALL, arg) != 0) ThrowSystemError(env, errno, "semctl");
  Napi::Array out = Napi::Array::New(env, nsems);
  for (int k = 0; k < nsems; k++) out.Set(uint32_t(k), Napi::Number::New(env, values[k]));
  return out;
}

// semctlSetAll(semid, values): SETALL; values.length must equal the set's nsems, each 0..SEMVMX.
Napi::Value SemctlSetAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int semid = ArgSemid(info, 0);
  Napi::Array a = ArgArray(info, 1, "values", 0, 65535);
  std::vector<unsigned short> given(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    given[k] = (unsigned short)ElementInteger(env, a.Get(k), "values[" + std::to_string(k) + "]", 0, kSemvmx);
  }
  int nsems = Nsems(env, semid);
  if (given.size() != size_t(nsems)) {
    ThrowOutOfRange(env, "values.length", "the set's nsems (" + std::to_string(nsems) + ")",
                    Napi::Number::New(env, double(given.size())));
  }
  std::vector<unsigned short> values(ValuesRoom(nsems), 0);
  std::copy(given.begin(), given.end(), values.begin());
  union semun arg;
  arg.array = values.data();
  if (semctl(semid, 0, SETALL, arg) != 0) ThrowSystemError(env, errno, "semctl");
  return env.Undefined();
}

Napi::Object DsObject(Napi::Env env, const struct semid_ds& ds) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("perm", PermObject(env, ds.sem_perm));
  o.Set("otime", Napi::Number::New(env, double(ds.sem_otime)));
  o.Set("ctime", Napi::Number::New(env, double(ds.sem_ctime)));
  o.Set("nsems", Napi::Number::New(env, double(ds.sem_nsems)));
  return o;
}

Napi::Value SemctlStat(const Napi::CallbackInfo& info) {
  int semid = ArgSemid(info, 0);
  struct semid_ds ds;
  union semun arg;
  arg.buf = &ds;
  if (semctl(semid, 0, IPC_STAT, arg) != 0) ThrowSystemError(info.Env(), errno, "semctl");
  return DsObject(info.Env(), ds);
}

// semctlSet(semid, { uid?, gid?, mode? }): IPC_SET of the fields given.
Napi::Value SemctlSet(const Napi::CallbackInfo& info) {
  int semid = ArgSemid(info, 0);
  PermChange perm = ArgPermChange(ArgFields(info, 1));
  struct semid_ds ds;
  union semun arg;
  arg.buf = &ds;
  if (semctl(semid, 0, IPC_STAT, arg) != 0) ThrowSystemError(info.Env(), errno, "semctl");
  perm.ApplyTo(ds.sem_perm);
  if (semctl(semid, 0, IPC_SET, arg) != 0) ThrowSystemError(info.Env(), errno, "semctl");
  return info.Env().Undefined();
}

// IPC_RMID: waiting semops (here and in other processes) fail with EIDRM.
Napi::Value SemctlRemove(const Napi::CallbackInfo& info) {
  int semid = ArgSemid(info, 0);
  if (semctl(semid, 0, IPC_RMID) != 0) ThrowSystemError(info.Env(), errno, "semctl");
  return info.Env().Undefined();
}

// semctlInfo(cmd): IPC_INFO (limits) or SEM_INFO (the same record; semusz then counts the
// existing sets and semaem the semaphores in them).
Napi::Value SemctlInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int cmd = ArgInt32(info, 0, "cmd", 0, INT32_MAX);
  if (cmd != IPC_INFO && cmd != SEM_INFO) ThrowOutOfRange(env, "cmd", "IPC_INFO or SEM_INFO", info[0]);
  struct seminfo si;
  union semun arg;
  arg.__buf = &si;
  int index = semctl(0, 0, cmd, arg);
  if (index < 0) ThrowSystemError(env, errno, "semctl");
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", index);
  o.Set("semmap", si.semmap);
  o.Set("semmni", si.semmni);
  o.Set("semmns", si.semmns);
  o.Set("semmnu", si.semmnu);
  o.Set("semmsl", si.semmsl);
  o.Set("semopm", si.semopm);
  o.Set("semume", si.semume);
  o.Set("semusz", si.semusz);
  o.Set("semvmx", si.semvmx);
  o.Set("semaem", si.semaem);
  return o;
}

// semctlStatIndex(index, any): SEM_STAT / SEM_STAT_ANY -> { id, ...semid_ds }.
Napi::Value SemctlStatIndex(const Napi::CallbackInfo& info) {
  int index = ArgInt32(info, 0, "index", 0, INT32_MAX);
  bool any = ArgBool(info, 1, "any");
  struct semid_ds ds;
  union semun arg;
  arg.buf = &ds;
  int id = semctl(index, 0, any ? SEM_STAT_ANY : SEM_STAT, arg);
  if (id < 0) ThrowSystemError(info.Env(), errno, "semctl");
  Napi::Object o = DsObject(info.Env(), ds);
  o.Set("id", id);
  return o;
}

}  // namespace

void InitSysvSem(Napi::Env env, Napi::Object exports, Napi::Object constants) {
  SetFunctions(env, exports, {
      {"semget", Semget},
      {"semop", Semop},
      {"semopStart", SemopStart},
      {"semctlGet", SemctlGet},
      {"semctlSetVal", SemctlSetVal},
      {"semctlGetAll", SemctlGetAll},
      {"semctlSetAll", SemctlSetAll},
      {"semctlStat", SemctlStat},
      {"semctlSet", SemctlSet},
      {"semctlRemove", SemctlRemove},
      {"semctlInfo", SemctlInfo},
      {"semctlStatIndex", SemctlStatIndex},
  });
  SetConstants(constants, {
      RXIPC_CONSTANT(SEM_UNDO),
      RXIPC_CONSTANT(GETVAL),
      RXIPC_CONSTANT(SETVAL),
      RXIPC_CONSTANT(GETALL),
      RXIPC_CONSTANT(SETALL),
      RXIPC_CONSTANT(GETPID),
      RXIPC_CONSTANT(GETNCNT),
      RXIPC_CONSTANT(GETZCNT),
      RXIPC_CONSTANT(SEM_INFO),
      RXIPC_CONSTANT(SEM_STAT),
      RXIPC_CONSTANT(SEM_STAT_ANY),
  });
  constants.Set("SEMVMX", kSemvmx);
}

}  // namespace rxipc
