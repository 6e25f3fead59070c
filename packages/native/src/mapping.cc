// Mappings (mapping.h), their bounds-checked helpers, and futex wait / wake on a word of a
// mapping: FUTEX_WAIT without FUTEX_PRIVATE_FLAG, so processes sharing the memory wake each other.
#include "mapping.h"

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "errors.h"
#include "families.h"
#include "waiter.h"

namespace rxipc {

Mapping::~Mapping() {
  if (!Released()) Release();
}

void Mapping::Release() {
  if (origin_ == kShmat) shmdt(addr_);
  else munmap(addr_, length_);
}

namespace {

// What an ArrayBuffer's finalizer needs: it may run after the environment's cleanup hook.
struct FinalizerHint {
  std::shared_ptr<Mapping> mapping;
  std::shared_ptr<HandleTable> table;
  uint32_t handle;
};

void FinalizeBuffer(Napi::Env env, void* data, FinalizerHint* hint) {
  // The backing store is gone (collected, or detached by us or by a transfer that died too):
  // no JS can reach the memory any more.
  HandleTable::Entry* e = hint->table->Find(hint->handle);
  if (e != nullptr && e->resource == hint->mapping) hint->table->Erase(hint->handle);
  hint->mapping->ReleaseWhenIdle();
  delete hint;
}

Mapping& LiveMapping(const Napi::CallbackInfo& info, size_t i, const char* syscall, uint32_t* handle_out = nullptr) {
  uint32_t handle = ArgHandle(info, i, "mapping");
  if (handle_out) *handle_out = handle;
  return static_cast<Mapping&>(*LiveEntry(info, handle, Resource::kMapping, syscall).resource);
}

std::shared_ptr<Mapping> LiveMappingPtr(const Napi::CallbackInfo& info, size_t i, const char* syscall) {
  uint32_t handle = ArgHandle(info, i, "mapping");
  return std::static_pointer_cast<Mapping>(LiveEntry(info, handle, Resource::kMapping, syscall).resource);
}

size_t ArgOffset(const Napi::CallbackInfo& info, size_t i, const char* name = "offset") {
  return size_t(ArgInteger(info, i, name, 0, kMaxSafeInteger));
}

}  // namespace

Napi::Object NewMappingValue(Napi::Env env, Mapping::Origin origin, uint8_t* addr, size_t length, bool writable,
                             const char* syscall) {
  auto m = std::make_shared<Mapping>(origin, addr, length, writable);  // unmaps if anything below throws
  std::shared_ptr<HandleTable> table = Handles(env);
  uint32_t handle = table->Add(m);
  Napi::Object out = Napi::Object::New(env);
  try {
    Napi::Value buffer = env.Undefined();
    if (writable) {
      auto* hint = new FinalizerHint{m, table, handle};
      Napi::ArrayBuffer ab;
      try {
        ab = Napi::ArrayBuffer::New(env, addr, length, FinalizeBuffer, hint);
      } catch (...) {
        delete hint;  // N-API does not call the finalizer when creation fails
        throw;
      }
      table->Find(handle)->buffer = Napi::Reference<Napi::ArrayBuffer>::New(ab, 0);
      buffer = ab;
    }
    out.Set("handle", Napi::Number::New(env, handle));
    out.Set("length", Napi::Number::New(env, double(length)));
    out.Set("writable", Napi::Boolean::New(env, writable));
    out.Set("buffer", buffer);
  } catch (const Napi::Error&) {
    // Typically an ArrayBuffer larger than V8 allows. The mapping is released once its
    // ArrayBuffer (if one was made) is collected; report the kernel-style failure.
    table->Erase(handle);
    if (!writable) m->ReleaseWhenIdle();
    ThrowSystemError(env, ENOMEM, syscall);
  }
  return out;
}

void DetachMapping(const Napi::CallbackInfo& info, size_t i, Mapping::Origin origin, const char* syscall) {
  Napi::Env env = info.Env();
  uint32_t handle = ArgHandle(info, i, "mapping");
  HandleTable::Entry& e = LiveEntry(info, handle, Resource::kMapping, syscall);
  auto m = std::static_pointer_cast<Mapping>(e.resource);
  if (m->origin() != origin) ThrowSystemError(env, EINVAL, syscall);
  bool release_now = true;
  if (!e.buffer.IsEmpty()) {
    Napi::ArrayBuffer ab = e.buffer.Value();
    // Unmapping is safe only if no ArrayBuffer can reach the memory: ours is alive and still
    // attached, so detaching it cuts every view. Collected, or detached by someone else (a
    // transfer moved the memory to another ArrayBuffer): the finalizer unmaps when the last
    // holder is gone.
    if (!ab.IsEmpty() && !ab.IsDetached()) ab.Detach();
    else release_now = false;
  }
  Handles(env)->Erase(handle);
  m->Quiesce(env);  // futex waits on this memory end before it goes
  if (release_now) m->ReleaseWhenIdle();
}

namespace {

// mappingRead(mapping, offset, length) -> Buffer: a copy of the bytes at offset, clamped to
// the mapping's end (empty past it).
Napi::Value MappingRead(const Napi::CallbackInfo& info) {
  Mapping& m = LiveMapping(info, 0, "mappingRead");
  size_t offset = ArgOffset(info, 1);
  size_t length = ArgOffset(info, 2, "length");
  if (offset > m.length()) offset = m.length();
  length = std::min(length, m.length() - offset);
  return Napi::Buffer<uint8_t>::Copy(info.Env(), m.addr() + offset, length);
}

// mappingWrite(mapping, offset, bytes): copies all of `bytes` to offset or nothing.
Napi::Value MappingWrite(const Napi::CallbackInfo& info) {
  Mapping& m = LiveMapping(info, 0, "mappingWrite");
  size_t offset = ArgOffset(info, 1);
  Bytes bytes = ArgBytes(info, 2, "data");
  if (offset > m.length() || bytes.length > m.length() - offset) {
    ThrowOutOfRange(info.Env(), "offset", "such that offset + data.byteLength <= " + std::to_string(m.length()),
                    info[1]);
  }
  if (!m.writable()) ThrowSystemError(info.Env(), EACCES, "mappingWrite");
  // memmove: the source may be a view of this very mapping.
  if (bytes.length > 0) std::memmove(m.addr() + offset, bytes.data, bytes.length);
  return info.Env().Undefined();
}

size_t ArgWordOffset(const Napi::CallbackInfo& info, size_t i, const Mapping& m) {
  size_t offset = ArgOffset(info, i);
  if (offset % 4 != 0 || m.length() < 4 || offset > m.length() - 4) {
    ThrowOutOfRange(info.Env(), "offset", "a multiple of 4 and <= " + std::to_string(m.length() < 4 ? 0 : m.length() - 4),
                    info[i]);
  }
  return offset;
}

// mappingLoad32(mapping, offset) -> number: an atomic (acquire) load of the uint32 at offset.
// Works on read-only mappings too: the way to read a seqlock's counter there.
Napi::Value MappingLoad32(const Napi::CallbackInfo& info) {
  Mapping& m = LiveMapping(info, 0, "mappingLoad32");
  size_t offset = ArgWordOffset(info, 1, m);
  auto* word = reinterpret_cast<uint32_t*>(m.addr() + offset);
  return Napi::Number::New(info.Env(), __atomic_load_n(word, __ATOMIC_ACQUIRE));
}

long Futex(uint32_t* addr, int op, uint32_t val, const struct timespec* ts, uint32_t val3) {
  return syscall(SYS_futex, addr, op, val, ts, nullptr, val3);
}

// A futex wait on a waiter thread. FUTEX_WAIT_BITSET with every bit set is FUTEX_WAIT with an
// absolute CLOCK_MONOTONIC deadline, so a retry after a stray signal keeps the same deadline.
// Borrows its mapping from construction until Finished().
class FutexWaitTask : public OneShotTask {
 public:
  FutexWaitTask(std::shared_ptr<Mapping> m, size_t offset, uint32_t expected, bool timed, struct timespec deadline)
      : m_(std::move(m)), word_(reinterpret_cast<uint32_t*>(m_->addr() + offset)), expected_(expected),
        timed_(timed), deadline_(deadline) {}
  void Finished() override {
    if (m_) m_->Return();
    m_.reset();
  }

 protected:
  long Call() override { return Futex(word_, FUTEX_WAIT_BITSET, expected_, timed_ ? &deadline_ : nullptr, FUTEX_BITSET_MATCH_ANY); }

 private:
  std::shared_ptr<Mapping> m_;
  uint32_t* const word_;
  const uint32_t expected_;
  const bool timed_;
  const struct timespec deadline_;
};

uint32_t ArgWord(const Napi::CallbackInfo& info, size_t i) {
  // Either spelling of the 32 bits: Int32Array and Uint32Array views see the same word.
  return uint32_t(int64_t(ArgInteger(info, i, "expected", INT32_MIN, UINT32_MAX)));
}

// futexWait(mapping, offset, expected, timeoutMs?) -> task id.
// dispatch(id, true, errno, 0): 0 woken (or spurious), EAGAIN the word was not `expected`,
// ETIMEDOUT, ECANCELED (cancel, or the mapping was detached).
Napi::Value FutexWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<Mapping> m = LiveMappingPtr(info, 0, "futex");
  size_t offset = ArgWordOffset(info, 1, *m);
  uint32_t expected = ArgWord(info, 2);
  struct timespec deadline = {0, 0};
  bool timed = ArgDeadline(info, 3, &deadline);
  auto task = std::make_shared<FutexWaitTask>(m, offset, expected, timed, deadline);
  return Napi::Number::New(env, m->StartBorrowing(env, task, "futex"));
}

// futexWake(mapping, offset, count) -> how many waiters were woken.
Napi::Value FutexWake(const Napi::CallbackInfo& info) {
  Mapping& m = LiveMapping(info, 0, "futex");
  size_t offset = ArgWordOffset(info, 1, m);
  int count = ArgInt32(info, 2, "count", 1, INT32_MAX);
  long n = Futex(reinterpret_cast<uint32_t*>(m.addr() + offset), FUTEX_WAKE, uint32_t(count), nullptr, 0);
  if (n < 0) ThrowSystemError(info.Env(), errno, "futex");
  return Napi::Number::New(info.Env(), double(n));
}

}  // namespace

void InitMapping(Napi::Env env, Napi::Object exports, Napi::Object constants) {
  SetFunctions(env, exports, {
      {"mappingRead", MappingRead},
      {"mappingWrite", MappingWrite},
      {"mappingLoad32", MappingLoad32},
      {"futexWait", FutexWait},
      {"futexWake", FutexWake},
  });
}

}  // namespace rxipc
