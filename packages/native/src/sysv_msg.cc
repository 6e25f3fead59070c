// System V message queues: ftok, msgget, msgsnd, msgrcv, msgctl.
//
// Synchronous msgsnd/msgrcv always carry IPC_NOWAIT: they never wait on the main thread.
// Waiting sends and receives are Tasks (waiter.h). A receiver Task drains in batches: one
// blocking msgrcv, then IPC_NOWAIT receives up to its batch limit and its credit, handed to
// JS as ONE buffer of records (records.h). Messages that must go back into a queue go
// through the one put-back (putback.h).
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "errors.h"
#include "families.h"
#include "putback.h"
#include "records.h"
#include "streaming.h"
#include "sysv_ipc.h"
#include "waiter.h"

namespace rxipc {

namespace {

constexpr size_t kHeader = kRecordHeader;
constexpr int64_t kMaxMessageSize = INT32_MAX - 64;

// Receives one message into `buf` as a record. Returns false with errno set on failure.
bool ReceiveRecord(ByteBuf& buf, int qid, size_t max_size, long type, int flags) {
  if (!buf.Reserve(kHeader + Align8(max_size))) {
    errno = ENOMEM;
    return false;
  }
  uint8_t* rec = buf.data + buf.len;
  ssize_t n = msgrcv(qid, rec + 8, max_size, type, flags);
  if (n < 0) return false;
  uint32_t length = uint32_t(n);
  uint32_t zero = 0;
  long mtype;
  std::memcpy(&mtype, rec + 8, sizeof mtype);
  double t = double(mtype);
  std::memcpy(rec, &length, 4);
  std::memcpy(rec + 4, &zero, 4);
  std::memcpy(rec + 8, &t, 8);
  size_t padded = Align8(length);
  if (padded != length) std::memset(rec + kHeader + length, 0, padded - length);
  buf.len += kHeader + padded;
  return true;
}

// The main thread's scratch space for synchronous sends and receives.
ByteBuf& Scratch() {
  thread_local ByteBuf scratch;
  return scratch;
}

// Gives back scratch space that a huge message made the scratch buffer grow to.
struct ScratchTrim {
  ~ScratchTrim() {
    ByteBuf& s = Scratch();
    if (s.cap > (1u << 20)) {
      std::free(s.Release());
    }
  }
};

// The kernel's msgmax now: no message is larger, so no receive needs more room than that.
size_t KernelMsgmax() {
  struct msginfo mi;
  if (msgctl(0, IPC_INFO, reinterpret_cast<struct msqid_ds*>(&mi)) < 0) return 8192;
  return size_t(mi.msgmax);
}

int ArgQid(const Napi::CallbackInfo& info, size_t i) { return ArgInt32(info, i, "msqid", 0, INT32_MAX); }

long ArgSendType(const Napi::CallbackInfo& info, size_t i) { return long(ArgInteger(info, i, "type", 1, kMaxSafeInteger)); }

long ArgReceiveType(const Napi::CallbackInfo& info, size_t i) {
  return long(ArgInteger(info, i, "type", -kMaxSafeInteger, kMaxSafeInteger));
}

size_t ArgMaxSize(const Napi::CallbackInfo& info, size_t i) { return size_t(ArgInteger(info, i, "maxSize", 0, kMaxMessageSize)); }

// ---- keys and queues ----

Napi::Value Ftok(const Napi::CallbackInfo& info) {
  std::string path = ArgPath(info, 0);
  int proj = ArgInt32(info, 1, "projId", 1, 255);
  key_t k = ftok(path.c_str(), proj);
  if (k == -1) ThrowSystemError(info.Env(), errno, "ftok", path.c_str());
  return Napi::Number::New(info.Env(), k);
}

Napi::Value Msgget(const Napi::CallbackInfo& info) {
  int32_t key = ArgKey(info, 0);
  int flags = ArgFlags(info, 1, IPC_CREAT | IPC_EXCL | 0777, "IPC_CREAT | IPC_EXCL | permission bits");
  int id = msgget(key, flags);
  if (id < 0) ThrowSystemError(info.Env(), errno, "msgget");
  return Napi::Number::New(info.Env(), id);
}

// msgsnd(qid, type, data) with IPC_NOWAIT: true when sent, false when the queue is full.
Napi::Value Msgsnd(const Napi::CallbackInfo& info) {
  int qid = ArgQid(info, 0);
  long type = ArgSendType(info, 1);
  Bytes bytes = ArgBytes(info, 2, "data");
  if (bytes.length > size_t(kMaxMessageSize)) ThrowOutOfRange(info.Env(), "data.length", "<= msgmax", info[2]);
  ScratchTrim trim;
  ByteBuf& buf = Scratch();
  buf.len = 0;
  if (!buf.Reserve(sizeof(long) + bytes.length)) ThrowSystemError(info.Env(), ENOMEM, "msgsnd");
  std::memcpy(buf.data, &type, sizeof type);
  if (bytes.length > 0) std::memcpy(buf.data + sizeof type, bytes.data, bytes.length);
  int r;
  do r = msgsnd(qid, buf.data, bytes.length, IPC_NOWAIT);
  while (r < 0 && errno == EINTR);
  if (r == 0) return Napi::Boolean::New(info.Env(), true);
  if (errno == EAGAIN) return Napi::Boolean::New(info.Env(), false);
  ThrowSystemError(info.Env(), errno, "msgsnd");
}

// Packed records (records.h) from argument 1, `count` of them in `len` bytes: every type a
// valid send type and no record past the end. Arguments 1 and 2 name the culprit.
void CheckRecords(const Napi::CallbackInfo& info, const uint8_t* data, size_t len, uint32_t count) {
  size_t off = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (len - off < kHeader) ThrowOutOfRange(info.Env(), "count", "<= the records in the buffer", info[2]);
    Record r = Record::At(data + off);
    if (!(r.type >= 1 && r.type <= double(kMaxSafeInteger) && std::trunc(r.type) == r.type)) {
      ThrowOutOfRange(info.Env(), "type", ">= 1 && <= 9007199254740991", Napi::Number::New(info.Env(), r.type));
    }
    if (len - off - kHeader < r.length) ThrowOutOfRange(info.Env(), "records", "well-formed", info[1]);
    off = std::min(off + r.size, len);
  }
}

// msgsndRecords(qid, records, count): sends `count` records (the receive layout) with
// IPC_NOWAIT, in order, until one does not fit. Returns how many were sent.
Napi::Value MsgsndRecords(const Napi::CallbackInfo& info) {
  int qid = ArgQid(info, 0);
  Bytes bytes = ArgBytes(info, 1, "records");
  uint32_t count = uint32_t(ArgInteger(info, 2, "count", 0, UINT32_MAX));
  // Work on a private copy: the view may be a SharedArrayBuffer that another thread changes
  // between validation and use.
  std::vector<uint8_t> snapshot(bytes.data, bytes.data + bytes.length);
  bytes.data = snapshot.data();
  CheckRecords(info, bytes.data, bytes.length, count);  // the whole batch before sending any of it
  ScratchTrim trim;
  ByteBuf& buf = Scratch();
  size_t off = 0;
  uint32_t sent = 0;
  for (; sent < count; sent++) {
    Record r = Record::At(bytes.data + off);
    if (SendRecord(qid, r, buf, IPC_NOWAIT) < 0) {
      if (errno == EAGAIN) break;
      ThrowSystemError(info.Env(), errno, "msgsnd");
    }
    off += r.size;
  }
  return Napi::Number::New(info.Env(), sent);
}

// One msgrcv with IPC_NOWAIT into the scratch buffer: { type, data } (a copy), or undefined
// when no message matches (ENOMSG). `type` is msgtyp (the index with MSG_COPY).
Napi::Value ReceiveNow(Napi::Env env, int qid, size_t max_size, long type, int flags) {
  if (max_size > 65536) max_size = std::min(max_size, KernelMsgmax());  // no message is larger
  ScratchTrim trim;
  ByteBuf& buf = Scratch();
  buf.len = 0;
  bool ok;
  do ok = ReceiveRecord(buf, qid, max_size, type, flags | IPC_NOWAIT);
  while (!ok && errno == EINTR);
  if (!ok) {
    if (errno == ENOMSG) return env.Undefined();
    ThrowSystemError(env, errno, "msgrcv");
  }
  Record r = Record::At(buf.data);
  Napi::Object out = Napi::Object::New(env);
  out.Set("type", Napi::Number::New(env, r.type));
  out.Set("data", Napi::Buffer<uint8_t>::Copy(env, r.data, r.length));
  return out;
}

// msgrcv(qid, maxSize, type, flags) with IPC_NOWAIT: { type, data } or undefined when no
// message matches. flags: MSG_EXCEPT, MSG_NOERROR.
Napi::Value Msgrcv(const Napi::CallbackInfo& info) {
  int qid = ArgQid(info, 0);
  size_t max_size = ArgMaxSize(info, 1);
  long type = ArgReceiveType(info, 2);
  int flags = ArgFlags(info, 3, MSG_EXCEPT | MSG_NOERROR, "a combination of MSG_EXCEPT and MSG_NOERROR");
  return ReceiveNow(info.Env(), qid, max_size, type, flags);
}

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

// msgrcvCopy(qid, index, maxSize): a copy of the message at position `index` (0 = the
// oldest) without removing it, { type, data }, or undefined past the last message.
// msgrcv with MSG_COPY | IPC_NOWAIT (the kernel requires both; msgtyp is then the index).
// A kernel built without CONFIG_CHECKPOINT_RESTORE fails it with ENOSYS.
Napi::Value MsgrcvCopy(const Napi::CallbackInfo& info) {
  int qid = ArgQid(info, 0);
  long index = long(ArgInteger(info, 1, "index", 0, INT32_MAX));
  size_t max_size = ArgMaxSize(info, 2);
  return ReceiveNow(info.Env(), qid, max_size, index, MSG_COPY);
}

// ---- waiting receives and sends ----

class ReceiverTask : public StreamingTask {
 public:
  static constexpr std::chrono::milliseconds kRemovalCheck{200};

  ReceiverTask(int qid, size_t max_size, long type, int flags, uint32_t batch, double credit, bool once, int spin_us)
      : StreamingTask(credit, batch), qid_(qid), max_size_(max_size), type_(type), flags_(flags), once_(once), spin_us_(spin_us) {}

  void Execute() override {
    // No message is larger than msgmax: a larger maxSize would only reserve memory.
    max_size_ = std::min(max_size_, KernelMsgmax());
    int err = 0;
    while (err == 0) {
      // Out of credit (a paused stream, a busy subscriber) the thread is not in msgrcv and
      // would not learn of the queue's removal: look every kRemovalCheck instead.
      int64_t limit = AwaitCredit(kRemovalCheck);
      if (limit < 0) break;
      if (limit == 0) {
        struct msqid_ds ds;
        if (msgctl(qid_, IPC_STAT, &ds) < 0 && (errno == EIDRM || errno == EINVAL)) err = EIDRM;
        continue;
      }
      // One blocking receive (or the latency mode's polling); EINTR means a cancel (or a
      // stray signal: receive again).
      if (!Spin() && !ReceiveRecord(building_, qid_, max_size_, type_, flags_)) {
        if (errno == EINTR) continue;
        err = errno;
        break;
      }
      uint32_t count = 1;
      // Then what is already queued, up to the credit and the batch limit (AwaitCredit's
      // `limit`), handed over as ONE delivery. A failure here (ENOMSG, or EIDRM / E2BIG that
      // the next blocking receive will report) only ends the batch. In a request/reply
      // exchange this costs one receive that finds nothing per message; publishing each
      // message at once instead saved that but halved the batches of a stream (measured:
      // 0.67x instead of 0.80x C at 64 B), so the batch stays.
      while (count < limit && !Cancelled() && ReceiveRecord(building_, qid_, max_size_, type_, flags_ | IPC_NOWAIT)) {
        count++;
      }
      Publish(building_, count);
      if (once_) break;
    }
    Finish(err);
  }

 private:
  // The opt-in latency mode: polls with IPC_NOWAIT for up to spin_us_ before the blocking
  // receive, so that a reply arriving soon is taken by a thread that is still on its CPU
  // (no wake-up, which across CPUs costs tens of µs in a VM). Between polls it yields, so a
  // main thread on the same CPU still runs. Returns whether it took a message; any failure
  // but ENOMSG is left to the blocking receive to report.
  bool Spin() {
    if (spin_us_ <= 0) return false;
    auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us_);
    while (!Cancelled()) {
      if (ReceiveRecord(building_, qid_, max_size_, type_, flags_ | IPC_NOWAIT)) return true;
      if (errno != ENOMSG && errno != EINTR) return false;
      if (std::chrono::steady_clock::now() >= until) return false;
      sched_yield();
    }
    return false;
  }

 protected:
  // Records that never reached JS go back into the queue (the one put-back, putback.h).
  void Release(const uint8_t* records, size_t len, uint32_t count) override { Orphan(qid_, records, len, count); }

 private:
  const int qid_;
  size_t max_size_;  // waiter thread after construction
  const long type_;
  const int flags_;
  const bool once_;
  const int spin_us_;
  ByteBuf building_;  // waiter thread
};

// msgrcvStart(qid, maxSize, type, flags, batch, credit, once, spinUs) -> task id.
// dispatch(id, final, errno, records | undefined, count).
Napi::Value MsgrcvStart(const Napi::CallbackInfo& info) {
  int qid = ArgQid(info, 0);
  size_t max_size = ArgMaxSize(info, 1);
  long type = ArgReceiveType(info, 2);
  int flags = ArgFlags(info, 3, MSG_EXCEPT | MSG_NOERROR, "a combination of MSG_EXCEPT and MSG_NOERROR");
  uint32_t batch = uint32_t(ArgInteger(info, 4, "batch", 1, 65536));
  Napi::Value c = info.Length() > 5 ? info[5] : info.Env().Undefined();
  if (!c.IsNumber()) ThrowInvalidArgType(info.Env(), "credit", "of type number", c);
  double credit = c.As<Napi::Number>().DoubleValue();
  if (std::isnan(credit) || credit < 0) ThrowOutOfRange(info.Env(), "credit", ">= 0", c);
  bool once = ArgBool(info, 6, "once");
  int spin_us = ArgInt32(info, 7, "spinUs", 0, 10000);
  auto task = std::make_shared<ReceiverTask>(qid, max_size, type, flags, batch, std::floor(credit), once, spin_us);
  return Napi::Number::New(info.Env(), EnvState::Get(info.Env())->Start(info.Env(), task));
}

Napi::Value MsgrcvCredit(const Napi::CallbackInfo& info) {
  uint32_t id = uint32_t(ArgInteger(info, 0, "id", 1, 0x7fffffff));
  Napi::Value c = info.Length() > 1 ? info[1] : info.Env().Undefined();
  if (!c.IsNumber()) ThrowInvalidArgType(info.Env(), "credit", "of type number", c);
  double credit = c.As<Napi::Number>().DoubleValue();
  if (std::isnan(credit) || credit < 0) ThrowOutOfRange(info.Env(), "credit", ">= 0", c);
  auto task = EnvState::Get(info.Env())->Find(id);
  if (task) task->AddCredit(std::floor(credit));
  return info.Env().Undefined();
}

// A waiting msgsnd. The payload is copied before the thread hop: the caller may reuse or
// free its buffer as soon as this returns.
class SenderTask : public OneShotTask {
 public:
  SenderTask(int qid, long type, Bytes bytes) : qid_(qid), size_(bytes.length) {
    if (!msg_.Reserve(sizeof(long) + bytes.length)) return;
    std::memcpy(msg_.data, &type, sizeof type);
    if (bytes.length > 0) std::memcpy(msg_.data + sizeof type, bytes.data, bytes.length);
  }
  bool ok() const { return msg_.data != nullptr; }

 protected:
  long Call() override { return msgsnd(qid_, msg_.data, size_, 0); }

 private:
  const int qid_;
  const size_t size_;
  ByteBuf msg_;
};

// msgsndStart(qid, type, data) -> task id. dispatch(id, true, errno, 0).
Napi::Value MsgsndStart(const Napi::CallbackInfo& info) {
  int qid = ArgQid(info, 0);
  long type = ArgSendType(info, 1);
  Bytes bytes = ArgBytes(info, 2, "data");
  if (bytes.length > size_t(kMaxMessageSize)) ThrowOutOfRange(info.Env(), "data.length", "<= msgmax", info[2]);
  auto task = std::make_shared<SenderTask>(qid, type, bytes);
  if (!task->ok()) ThrowSystemError(info.Env(), ENOMEM, "msgsnd");
  return Napi::Number::New(info.Env(), EnvState::Get(info.Env())->Start(info.Env(), task));
}

// Waiting sends of packed records, in order, on one waiter thread: what a blocked C sender
// does (the kernel wakes it when there is room), instead of one thread hop per message.
// Stops at the first failure, or at a cancel (ECANCELED; a record the kernel took as the
// cancel came counts as sent). dispatch(id, true, errno, sent): errno 0 when all were sent.
class SendRecordsTask : public Task {
 public:
  SendRecordsTask(int qid, std::vector<uint8_t> records, uint32_t count) : qid_(qid), records_(std::move(records)), count_(count) {}

  void Execute() override {
    ByteBuf scratch;
    size_t off = 0;
    int err = 0;
    while (sent_ < count_) {
      Record r = Record::At(records_.data() + off);
      if (SendRecord(qid_, r, scratch, 0, false) < 0) {
        if (errno == EINTR && !Cancelled()) continue;  // a stray signal: send it again
        err = errno == EINTR ? ECANCELED : errno;
        break;
      }
      off += r.size;
      sent_++;
    }
    err_ = err;
  }

  void Deliver(Napi::Env env, Napi::Function dispatch, bool final) override {
    if (!final) return;
    // Cancelled before the thread started: nothing was sent.
    int err = err_ == 0 && sent_ < count_ ? ECANCELED : err_;
    dispatch.Call({Napi::Number::New(env, id()), Napi::Boolean::New(env, true), Napi::Number::New(env, err),
                   Napi::Number::New(env, double(sent_))});
  }

 private:
  const int qid_;
  const std::vector<uint8_t> records_;
  const uint32_t count_;
  uint32_t sent_ = 0;  // waiter thread during Execute, main thread after
  int err_ = 0;
};

// msgsndRecordsStart(qid, records, count) -> task id; dispatch(id, true, errno, sent).
Napi::Value MsgsndRecordsStart(const Napi::CallbackInfo& info) {
  int qid = ArgQid(info, 0);
  Bytes bytes = ArgBytes(info, 1, "records");
  uint32_t count = uint32_t(ArgInteger(info, 2, "count", 0, UINT32_MAX));
  std::vector<uint8_t> copy(bytes.data, bytes.data + bytes.length);  // checked as the task will send it
  CheckRecords(info, copy.data(), copy.size(), count);
  auto task = std::make_shared<SendRecordsTask>(qid, std::move(copy), count);
  return Napi::Number::New(info.Env(), EnvState::Get(info.Env())->Start(info.Env(), task));
}

// msgPutBackStart(qid, records, count) -> task id: puts packed records back into the queue,
// waiting for room on a waiter thread (putback.h). dispatch(id, true, errno, sent, failed).
// Cancelling it only stops the waiting for JS: the rest goes on in the background.
Napi::Value MsgPutBackStart(const Napi::CallbackInfo& info) {
  int qid = ArgQid(info, 0);
  Bytes bytes = ArgBytes(info, 1, "records");
  uint32_t count = uint32_t(ArgInteger(info, 2, "count", 0, UINT32_MAX));
  // Check the layout on the copy the task will send (a SharedArrayBuffer may change under us).
  PutBackBatch batch(qid, bytes.data, bytes.length, count);
  CheckRecords(info, batch.records.data(), batch.records.size(), count);
  auto task = std::make_shared<PutBackTask>(std::move(batch));
  return Napi::Number::New(info.Env(), EnvState::Get(info.Env())->Start(info.Env(), task));
}

// msgBacklog(qid, records, count): mirrors what JS holds for put-back (EnvState::MirrorBacklog).
Napi::Value MsgBacklog(const Napi::CallbackInfo& info) {
  int qid = ArgQid(info, 0);
  Bytes bytes = ArgBytes(info, 1, "records");
  uint32_t count = uint32_t(ArgInteger(info, 2, "count", 0, UINT32_MAX));
  EnvState::Get(info.Env())->MirrorBacklog(qid, bytes.data, bytes.length, count);
  return info.Env().Undefined();
}

// prepareExit(deadlineMs) -> { put, lost }: the process is exiting (JS's 'exit' event on
// the main thread). Ends every wait of this environment, then puts back every message
// still held outside the kernel, trying for room until the deadline.
Napi::Value PrepareExit(const Napi::CallbackInfo& info) {
  int deadline = ArgInt32(info, 0, "deadlineMs", 0, 60000);
  EnvState::Get(info.Env())->PrepareExit();
  uint64_t put = 0, lost = 0;
  DrainOrphansForExit(deadline, &put, &lost);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("put", Napi::Number::New(info.Env(), double(put)));
  o.Set("lost", Napi::Number::New(info.Env(), double(lost)));
  return o;
}

// ---- msgctl ----

Napi::Object DsObject(Napi::Env env, const struct msqid_ds& ds) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("perm", PermObject(env, ds.msg_perm));
  o.Set("stime", Napi::Number::New(env, double(ds.msg_stime)));
  o.Set("rtime", Napi::Number::New(env, double(ds.msg_rtime)));
  o.Set("ctime", Napi::Number::New(env, double(ds.msg_ctime)));
  o.Set("cbytes", Napi::Number::New(env, double(ds.__msg_cbytes)));
  o.Set("qnum", Napi::Number::New(env, double(ds.msg_qnum)));
  o.Set("qbytes", Napi::Number::New(env, double(ds.msg_qbytes)));
  o.Set("lspid", Napi::Number::New(env, ds.msg_lspid));
  o.Set("lrpid", Napi::Number::New(env, ds.msg_lrpid));
  return o;
}

Napi::Value MsgctlStat(const Napi::CallbackInfo& info) {
  int qid = ArgQid(info, 0);
  struct msqid_ds ds;
  if (msgctl(qid, IPC_STAT, &ds) != 0) ThrowSystemError(info.Env(), errno, "msgctl");
  return DsObject(info.Env(), ds);
}

// msgctlSet(qid, { uid?, gid?, mode?, qbytes? }): IPC_SET of the fields given.
Napi::Value MsgctlSet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int qid = ArgQid(info, 0);
  Napi::Object f = ArgFields(info, 1);
  PermChange perm = ArgPermChange(f);
  int64_t qbytes;
  bool has_qbytes = FieldInteger(f, "qbytes", 0, kMaxSafeInteger, &qbytes);
  struct msqid_ds ds;
  if (msgctl(qid, IPC_STAT, &ds) != 0) ThrowSystemError(env, errno, "msgctl");
  perm.ApplyTo(ds.msg_perm);
  if (has_qbytes) ds.msg_qbytes = msglen_t(qbytes);
  if (msgctl(qid, IPC_SET, &ds) != 0) ThrowSystemError(env, errno, "msgctl");
  return env.Undefined();
}

Napi::Value MsgctlRemove(const Napi::CallbackInfo& info) {
  int qid = ArgQid(info, 0);
  if (msgctl(qid, IPC_RMID, nullptr) != 0) ThrowSystemError(info.Env(), errno, "msgctl");
  return info.Env().Undefined();
}

// msgctlInfo(cmd): IPC_INFO (limits) or MSG_INFO (usage) as { index, msgpool, ... }.
Napi::Value MsgctlInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int cmd = ArgInt32(info, 0, "cmd", 0, INT32_MAX);
  if (cmd != IPC_INFO && cmd != MSG_INFO) ThrowOutOfRange(env, "cmd", "IPC_INFO or MSG_INFO", info[0]);
  struct msginfo mi;
  int index = msgctl(0, cmd, reinterpret_cast<struct msqid_ds*>(&mi));
  if (index < 0) ThrowSystemError(env, errno, "msgctl");
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", index);
  o.Set("msgpool", mi.msgpool);
  o.Set("msgmap", mi.msgmap);
  o.Set("msgmax", mi.msgmax);
  o.Set("msgmnb", mi.msgmnb);
  o.Set("msgmni", mi.msgmni);
  o.Set("msgssz", mi.msgssz);
  o.Set("msgtql", mi.msgtql);
  o.Set("msgseg", Napi::Number::New(env, mi.msgseg));
  return o;
}

// msgctlStatIndex(index, any): MSG_STAT / MSG_STAT_ANY -> { id, ...msqid_ds }.
Napi::Value MsgctlStatIndex(const Napi::CallbackInfo& info) {
  int index = ArgInt32(info, 0, "index", 0, INT32_MAX);
  bool any = ArgBool(info, 1, "any");
  struct msqid_ds ds;
  int id = msgctl(index, any ? MSG_STAT_ANY : MSG_STAT, &ds);
  if (id < 0) ThrowSystemError(info.Env(), errno, "msgctl");
  Napi::Object o = DsObject(info.Env(), ds);
  o.Set("id", id);
  return o;
}

}  // namespace

void InitSysvMsg(Napi::Env env, Napi::Object exports, Napi::Object constants) {
  SetFunctions(env, exports, {
      {"ftok", Ftok},
      {"msgget", Msgget},
      {"msgsnd", Msgsnd},
      {"msgsndRecords", MsgsndRecords},
      {"msgrcv", Msgrcv},
      {"msgrcvCopy", MsgrcvCopy},
      {"msgrcvStart", MsgrcvStart},
      {"msgrcvCredit", MsgrcvCredit},
      {"msgsndStart", MsgsndStart},
      {"msgsndRecordsStart", MsgsndRecordsStart},
      {"msgPutBackStart", MsgPutBackStart},
      {"msgBacklog", MsgBacklog},
      {"prepareExit", PrepareExit},
  });
  exports.Get("testing").As<Napi::Object>().Set("putBacksPending", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                return Napi::Number::New(info.Env(), double(OrphansPending()));
              }, "putBacksPending"));
  SetFunctions(env, exports, {
      {"msgctlStat", MsgctlStat},
      {"msgctlSet", MsgctlSet},
      {"msgctlRemove", MsgctlRemove},
      {"msgctlInfo", MsgctlInfo},
      {"msgctlStatIndex", MsgctlStatIndex},
  });
  SetConstants(constants, {
      RXIPC_CONSTANT(IPC_PRIVATE),
      RXIPC_CONSTANT(IPC_CREAT),
      RXIPC_CONSTANT(IPC_EXCL),
      RXIPC_CONSTANT(IPC_NOWAIT),
      RXIPC_CONSTANT(IPC_RMID),
      RXIPC_CONSTANT(IPC_SET),
      RXIPC_CONSTANT(IPC_STAT),
      RXIPC_CONSTANT(IPC_INFO),
      RXIPC_CONSTANT(MSG_INFO),
      RXIPC_CONSTANT(MSG_STAT),
      RXIPC_CONSTANT(MSG_STAT_ANY),
      RXIPC_CONSTANT(MSG_EXCEPT),
      RXIPC_CONSTANT(MSG_NOERROR),
  });
}

}  // namespace rxipc
