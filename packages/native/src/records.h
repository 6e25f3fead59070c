// The packed record layout that carries System V messages between the addon and JS, in
// both directions (receiver batches, batched sends, put-backs):
//   [u32 length][u32 0][f64 type][length bytes of data][zero padding to 8]
// The type is a double: exact up to 2^53 - 1, the range JS can name.
// Thread-agnostic: nothing here touches JS.
#pragma once

#include <sys/msg.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace rxipc {

constexpr size_t kRecordHeader = 16;

inline size_t Align8(size_t n) { return (n + 7) & ~size_t(7); }

// A growable byte buffer that never zero-fills (a receive reserves msgmax per message).
struct ByteBuf {
  uint8_t* data = nullptr;
  size_t len = 0;
  size_t cap = 0;
  ByteBuf() = default;
  ByteBuf(const ByteBuf&) = delete;
  ByteBuf& operator=(const ByteBuf&) = delete;
  ~ByteBuf() { std::free(data); }
  bool Reserve(size_t more) {
    if (len + more <= cap) return true;
    size_t want = std::max(cap * 2, len + more);
    void* p = std::realloc(data, want);
    if (p == nullptr) return false;
    data = static_cast<uint8_t*>(p);
    cap = want;
    return true;
  }
  bool Append(const uint8_t* p, size_t n) {
    if (!Reserve(n)) return false;
    if (n > 0) std::memcpy(data + len, p, n);
    len += n;
    return true;
  }
  uint8_t* Release() {
    uint8_t* p = data;
    data = nullptr;
    len = cap = 0;
    return p;
  }
  void Swap(ByteBuf& o) {
    std::swap(data, o.data);
    std::swap(len, o.len);
    std::swap(cap, o.cap);
  }
};

// One record of a packed buffer, read without trusting alignment.
struct Record {
  uint32_t length;
  double type;
  const uint8_t* data;
  size_t size;  // the whole record: header, data and padding

  // The record at `p`, which must have at least kRecordHeader readable bytes.
  static Record At(const uint8_t* p) {
    Record r;
    std::memcpy(&r.length, p, 4);
    std::memcpy(&r.type, p + 8, 8);
    r.data = p + kRecordHeader;
    r.size = kRecordHeader + Align8(r.length);
    return r;
  }
};

// msgsnd of one record through `scratch` (mtype + data). Returns msgsnd's result; retries
// EINTR only when `retry_eintr` (a blocking send that a cancel must be able to stop passes false).
inline int SendRecord(int qid, const Record& r, ByteBuf& scratch, int flags, bool retry_eintr = true) {
  scratch.len = 0;
  if (!scratch.Reserve(sizeof(long) + r.length)) {
    errno = ENOMEM;
    return -1;
  }
  long type = long(r.type);
  std::memcpy(scratch.data, &type, sizeof type);
  if (r.length > 0) std::memcpy(scratch.data + sizeof type, r.data, r.length);
  int rc;
  do rc = msgsnd(qid, scratch.data, r.length, flags);
  while (rc < 0 && errno == EINTR && retry_eintr);
  return rc;
}

}  // namespace rxipc
