// Anonymous pipes: pipe2 and the pipe capacity fcntls (every call here is non-blocking), and
// the read slabs that pipe and FIFO readers read into.
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "errors.h"
#include "families.h"

namespace rxipc {

namespace {

Napi::Value Pipe2(const Napi::CallbackInfo& info) {
  const int allowed = O_CLOEXEC | O_NONBLOCK | O_DIRECT;
  int flags = ArgInt32(info, 0, "flags", 0, INT32_MAX);
  if ((flags & ~allowed) != 0) {
    ThrowOutOfRange(info.Env(), "flags", "a combination of O_CLOEXEC, O_NONBLOCK and O_DIRECT", info[0]);
  }
  int fds[2];
  if (pipe2(fds, flags) != 0) ThrowSystemError(info.Env(), errno, "pipe2");
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(uint32_t(0), fds[0]);
  out.Set(uint32_t(1), fds[1]);
  return out;
}

Napi::Value GetPipeSize(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int r = fcntl(fd, F_GETPIPE_SZ);
  if (r < 0) ThrowSystemError(info.Env(), errno, "fcntl");
  return Napi::Number::New(info.Env(), r);
}

Napi::Value SetPipeSize(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int size = ArgInt32(info, 1, "size", 1, INT32_MAX);
  int r = fcntl(fd, F_SETPIPE_SZ, size);
  if (r < 0) ThrowSystemError(info.Env(), errno, "fcntl");
  return Napi::Number::New(info.Env(), r);
}

// O_NONBLOCK on or off; returns the previous state.
Napi::Value SetNonBlocking(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  bool on = ArgBool(info, 1, "nonBlocking");
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) ThrowSystemError(info.Env(), errno, "fcntl");
  int want = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
  if (want != fl && fcntl(fd, F_SETFL, want) < 0) ThrowSystemError(info.Env(), errno, "fcntl");
  return Napi::Boolean::New(info.Env(), (fl & O_NONBLOCK) != 0);
}

// The file status flags (O_ACCMODE bits, O_NONBLOCK, O_DIRECT, ...).
Napi::Value GetFileFlags(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) ThrowSystemError(info.Env(), errno, "fcntl");
  return Napi::Number::New(info.Env(), fl);
}

// ---- Read slabs ----
//
// core's pipe and FIFO readers hand libuv a window of a slab to read into and give the
// consumer a view of the bytes read: one copy (the kernel's), and no allocation per read.
// A slab is a private anonymous mapping of kReadSlabSize bytes, handed to JS as an external
// ArrayBuffer (Node marks those untransferable, so the memory never moves to another thread).
// Its finalizer runs once V8 has freed the backing store, that is when no view of it is left
// anywhere; Node calls it on this environment's main thread. The memory then goes back to the
// environment's free list instead of to the OS: a slab that is reused was last written one GC
// cycle ago and is still mapped, where a fresh 64 KiB malloc per read (what a net.Socket
// does) lands in heap memory that glibc trims after each GC, so each read page-faults it
// back in. The free list keeps at most `retain_` bytes (core sets the policy); the rest is
// unmapped at once. Reused memory is not cleared: a slab's bytes outside the views handed out
// are old data of this process, as in Buffer.allocUnsafe's pool.
constexpr size_t kReadSlabSize = 256 * 1024;

// One per environment. Every member: that environment's main thread (calls from JS, Node's
// finalizer callbacks, the cleanup hook).
class ReadSlabPool {
 public:
  // A slab, from the free list or newly mapped; nullptr with errno set if mmap fails.
  uint8_t* Take() {
    uint8_t* p;
    if (!free_.empty()) {
      p = free_.back();  // the most recently returned: the likeliest to be in cache
      free_.pop_back();
      reused_++;
    } else {
      void* m = mmap(nullptr, kReadSlabSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m == MAP_FAILED) return nullptr;
      p = static_cast<uint8_t*>(m);
    }
    live_++;
    return p;
  }

  // The finalizer's half: no JS can reach `p` any more.
  void Return(uint8_t* p) {
    live_--;
    if (closed_ || (free_.size() + 1) * kReadSlabSize > retain_) {
      munmap(p, kReadSlabSize);
      return;
    }
    free_.push_back(p);
  }

  // At most `bytes` of free slabs are kept from now on; the excess is unmapped now.
  void SetRetention(size_t bytes) {
    retain_ = bytes;
    Release(bytes);
  }

  // Unmaps free slabs until at most `keep` bytes of them are left; the oldest go first.
  void Release(size_t keep) {
    size_t n = keep / kReadSlabSize;
    if (free_.size() <= n) return;
    size_t drop = free_.size() - n;
    for (size_t i = 0; i < drop; i++) munmap(free_[i], kReadSlabSize);
    free_.erase(free_.begin(), free_.begin() + drop);
  }

  // The environment is going: nothing is kept from now on.
  void Close() {
    closed_ = true;
    Release(0);
  }

  size_t live() const { return live_; }
  size_t free_count() const { return free_.size(); }
  double reused() const { return reused_; }

 private:
  std::vector<uint8_t*> free_;  // oldest first
  size_t live_ = 0;             // slabs with an ArrayBuffer not yet finalized
  size_t retain_ = 0;
  double reused_ = 0;           // Takes served from the free list, ever
  bool closed_ = false;
};

using PoolRef = std::shared_ptr<ReadSlabPool>;  // finalizers may run after the cleanup hook

PoolRef& PoolOf(const Napi::CallbackInfo& info) { return *static_cast<PoolRef*>(info.Data()); }

void FinalizeSlab(Napi::Env, void* data, PoolRef* pool) {
  (*pool)->Return(static_cast<uint8_t*>(data));
  delete pool;
}

// readSlab() -> ArrayBuffer of READ_SLAB_SIZE bytes.
Napi::Value ReadSlab(const Napi::CallbackInfo& info) {
  PoolRef& pool = PoolOf(info);
  uint8_t* p = pool->Take();
  if (p == nullptr) ThrowSystemError(info.Env(), errno, "mmap");
  auto* hint = new PoolRef(pool);
  try {
    return Napi::ArrayBuffer::New(info.Env(), p, kReadSlabSize, FinalizeSlab, hint);
  } catch (...) {
    delete hint;  // N-API does not call the finalizer when creation fails
    pool->Return(p);
    throw;
  }
}

// readSlabRetain(bytes): how many bytes of finalized slabs to keep for reuse (default 0).
Napi::Value ReadSlabRetain(const Napi::CallbackInfo& info) {
  PoolOf(info)->SetRetention(size_t(ArgInteger(info, 0, "bytes", 0, kMaxSafeInteger)));
  return info.Env().Undefined();
}

// readSlabRelease(keepBytes): unmaps kept slabs beyond keepBytes now.
Napi::Value ReadSlabRelease(const Napi::CallbackInfo& info) {
  PoolOf(info)->Release(size_t(ArgInteger(info, 0, "keepBytes", 0, kMaxSafeInteger)));
  return info.Env().Undefined();
}

// testing.readSlabStats() -> { live, free, reused }: slabs JS may still reach, slabs kept for
// reuse, slabs ever handed out again.
Napi::Value ReadSlabStats(const Napi::CallbackInfo& info) {
  PoolRef& pool = PoolOf(info);
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("live", Napi::Number::New(info.Env(), double(pool->live())));
  out.Set("free", Napi::Number::New(info.Env(), double(pool->free_count())));
  out.Set("reused", Napi::Number::New(info.Env(), pool->reused()));
  return out;
}

void CloseReadSlabPool(void* arg) {
  auto* pool = static_cast<PoolRef*>(arg);
  (*pool)->Close();
  delete pool;
}

}  // namespace

void InitPipe(Napi::Env env, Napi::Object exports, Napi::Object constants) {
  // The environment's read slab pool. The functions below and the cleanup hook share `pool`,
  // which the hook deletes: no JS runs after it. Slab finalizers hold references of their own.
  auto* pool = new PoolRef(std::make_shared<ReadSlabPool>());
  if (napi_add_env_cleanup_hook(env, CloseReadSlabPool, pool) != napi_ok) {
    delete pool;
    Napi::Error::New(env, "napi_add_env_cleanup_hook failed").ThrowAsJavaScriptException();
    return;
  }
  exports.Set("readSlab", Napi::Function::New(env, ReadSlab, "readSlab", pool));
  exports.Set("readSlabRetain", Napi::Function::New(env, ReadSlabRetain, "readSlabRetain", pool));
  exports.Set("readSlabRelease", Napi::Function::New(env, ReadSlabRelease, "readSlabRelease", pool));
  exports.Get("testing").As<Napi::Object>().Set("readSlabStats", Napi::Function::New(env, ReadSlabStats, "readSlabStats", pool));
  SetFunctions(env, exports, {
      {"pipe2", Pipe2},
      {"getPipeSize", GetPipeSize},
      {"setPipeSize", SetPipeSize},
      {"setNonBlocking", SetNonBlocking},
      {"getFileFlags", GetFileFlags},
  });
  SetConstants(constants, {
      RXIPC_CONSTANT(O_CLOEXEC),
      RXIPC_CONSTANT(O_NONBLOCK),
      RXIPC_CONSTANT(O_DIRECT),
      RXIPC_CONSTANT(O_RDONLY),
      RXIPC_CONSTANT(O_WRONLY),
      RXIPC_CONSTANT(O_RDWR),
      RXIPC_CONSTANT(O_ACCMODE),
      RXIPC_CONSTANT(PIPE_BUF),
      RXIPC_CONSTANT(F_GETPIPE_SZ),
      RXIPC_CONSTANT(F_SETPIPE_SZ),
      {"READ_SLAB_SIZE", double(kReadSlabSize)},
  });
}

}  // namespace rxipc
