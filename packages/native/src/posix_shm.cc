// POSIX shared memory: shm_open, shm_unlink, ftruncate, fstat, and mmap / munmap of an fd.
// Plain bytes: no header of ours inside the object, so C programs share it as it is.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "errors.h"
#include "families.h"
#include "mapping.h"

namespace rxipc {

namespace {

// shmOpen(name, flags, mode) -> fd. flags: O_RDONLY or O_RDWR, with O_CREAT, O_EXCL, O_TRUNC;
// O_CLOEXEC is always added. The name ("/name") is checked by the C library (EINVAL).
Napi::Value ShmOpen(const Napi::CallbackInfo& info) {
  std::string name = ArgPath(info, 0, "name");
  int flags = ArgInt32(info, 1, "flags", 0, INT32_MAX);
  int acc = flags & O_ACCMODE;
  if ((flags & ~(O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC)) != 0 || (acc != O_RDONLY && acc != O_RDWR)) {
    ThrowOutOfRange(info.Env(), "flags", "O_RDONLY or O_RDWR with O_CREAT, O_EXCL and O_TRUNC", info[1]);
  }
  mode_t mode = mode_t(ArgInt32(info, 2, "mode", 0, 0777));
  int fd;
  do fd = shm_open(name.c_str(), flags | O_CLOEXEC, mode);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) ThrowSystemError(info.Env(), errno, "shm_open", name.c_str());
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value ShmUnlink(const Napi::CallbackInfo& info) {
  std::string name = ArgPath(info, 0, "name");
  if (shm_unlink(name.c_str()) != 0) ThrowSystemError(info.Env(), errno, "shm_unlink", name.c_str());
  return info.Env().Undefined();
}

Napi::Value Ftruncate(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  off_t length = off_t(ArgInteger(info, 1, "length", 0, kMaxSafeInteger));
  int r;
  do r = ftruncate(fd, length);
  while (r < 0 && errno == EINTR);
  if (r != 0) ThrowSystemError(info.Env(), errno, "ftruncate");
  return info.Env().Undefined();
}

// fstat(fd) -> { size, mode, uid, gid } (mode with the file type bits).
Napi::Value Fstat(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  struct stat st;
  if (fstat(fd, &st) != 0) ThrowSystemError(info.Env(), errno, "fstat");
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("size", Napi::Number::New(info.Env(), double(st.st_size)));
  o.Set("mode", Napi::Number::New(info.Env(), st.st_mode));
  o.Set("uid", Napi::Number::New(info.Env(), st.st_uid));
  o.Set("gid", Napi::Number::New(info.Env(), st.st_gid));
  return o;
}

// mmap(fd, length, prot, offset) -> { handle, length, writable, buffer }: MAP_SHARED, at an
// address the kernel picks. prot: PROT_READ, or PROT_READ | PROT_WRITE (buffer is undefined
// without PROT_WRITE, see mapping.h). For a regular file (a POSIX shm object) offset + length
// must lie within its current size: touching a page past the end would be a SIGBUS.
Napi::Value Mmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0);
  size_t length = size_t(ArgInteger(info, 1, "length", 1, kMaxSafeInteger));
  int prot = ArgInt32(info, 2, "prot", 0, INT32_MAX);
  if (prot != PROT_READ && prot != (PROT_READ | PROT_WRITE)) {
    ThrowOutOfRange(env, "prot", "PROT_READ or PROT_READ | PROT_WRITE", info[2]);
  }
  int64_t offset = ArgInteger(info, 3, "offset", 0, kMaxSafeInteger);
  struct stat st;
  if (fstat(fd, &st) != 0) ThrowSystemError(env, errno, "mmap");
  if (S_ISREG(st.st_mode) && (offset > st.st_size || int64_t(length) > st.st_size - offset)) {
    ThrowOutOfRange(env, "length", "such that offset + length <= the object's size (" + std::to_string(st.st_size) + ")",
                    info[1]);
  }
  void* addr = mmap(nullptr, length, prot, MAP_SHARED, fd, off_t(offset));
  if (addr == MAP_FAILED) ThrowSystemError(env, errno, "mmap");
  return NewMappingValue(env, Mapping::kMmap, static_cast<uint8_t*>(addr), length, (prot & PROT_WRITE) != 0, "mmap");
}

// munmap(mapping): detaches the ArrayBuffer, ends futex waits on it, then unmaps.
Napi::Value Munmap(const Napi::CallbackInfo& info) {
  DetachMapping(info, 0, Mapping::kMmap, "munmap");
  return info.Env().Undefined();
}

}  // namespace

void InitPosixShm(Napi::Env env, Napi::Object exports, Napi::Object constants) {
  SetFunctions(env, exports, {
      {"shmOpen", ShmOpen},
      {"shmUnlink", ShmUnlink},
      {"ftruncate", Ftruncate},
      {"fstat", Fstat},
      {"mmap", Mmap},
      {"munmap", Munmap},
  });
  SetConstants(constants, {
      RXIPC_CONSTANT(O_CREAT),
      RXIPC_CONSTANT(O_EXCL),
      RXIPC_CONSTANT(O_TRUNC),
      RXIPC_CONSTANT(PROT_READ),
      RXIPC_CONSTANT(PROT_WRITE),
  });
}

}  // namespace rxipc
