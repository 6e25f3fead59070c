// Mappings of shared memory (shmat, mmap) as JS sees them: a handle (handles.h) and, for a
// writable mapping, an external ArrayBuffer over the memory itself.
//
// Lifetime. A Mapping is owned jointly by its table entry, its ArrayBuffer's finalizer and the
// futex waits that borrow it. It is unmapped exactly once, by whichever comes first:
// - explicit detach (shmdt / munmap from JS): the ArrayBuffer is detached first, so every view
//   of it has length 0, then borrowing waits are cancelled and awaited, then the memory goes;
// - the ArrayBuffer's finalizer (garbage collection, or environment teardown), which also runs
//   after an explicit detach and then does nothing; if a wait still borrows the mapping, the
//   last borrower unmaps it;
// - environment teardown, for a read-only mapping (it has no ArrayBuffer).
// Garbage collection only ever unmaps: it never removes a segment or an object.
//
// Read-only mappings (SHM_RDONLY, or mmap without PROT_WRITE) get no ArrayBuffer at all: a JS
// write to one would be a SIGSEGV, and V8 has no read-only ArrayBuffer. They are read through
// mappingRead / mappingLoad32 (copies, bounds-checked).
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>

#include "handles.h"

namespace rxipc {

class Mapping : public Resource {
 public:
  enum Origin { kShmat, kMmap };
  Mapping(Origin origin, uint8_t* addr, size_t length, bool writable)
      : Resource(kMapping), origin_(origin), addr_(addr), length_(length), writable_(writable) {}
  ~Mapping() override;

  Origin origin() const { return origin_; }
  uint8_t* addr() const { return addr_; }
  size_t length() const { return length_; }
  bool writable() const { return writable_; }

 protected:
  void Release() override;

 private:
  const Origin origin_;
  uint8_t* const addr_;
  const size_t length_;
  const bool writable_;
};

// Main thread. Registers a fresh mapping and returns { handle, length, writable, buffer }
// (buffer: the external ArrayBuffer, or undefined when read-only). On failure the mapping
// is released and the error thrown.
Napi::Object NewMappingValue(Napi::Env env, Mapping::Origin origin, uint8_t* addr, size_t length, bool writable,
                             const char* syscall);

// Main thread. shmdt / munmap of `handle`: detaches the ArrayBuffer, ends borrowing waits, then
// unmaps. EBADF for a handle that is not a live mapping, EINVAL for one of the other origin.
void DetachMapping(const Napi::CallbackInfo& info, size_t i, Mapping::Origin origin, const char* syscall);

void InitMapping(Napi::Env env, Napi::Object exports, Napi::Object constants);

}  // namespace rxipc
