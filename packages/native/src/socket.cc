// Unix domain sockets (AF_UNIX): socketpair, socket, bind, connect, listen, accept, sendmsg,
// recvmsg with SCM_RIGHTS / SCM_CREDENTIALS, SO_TYPE, SO_PEERCRED, SO_PASSCRED, and a
// readiness poll (uv_poll_t) that drives them from the event loop.
//
// Every call here is non-blocking: sockets are made with SOCK_NONBLOCK, sendmsg and
// recvmsg carry MSG_DONTWAIT (an inherited blocking fd never blocks the loop), and a socket
// that is not ready says so (-1 / an empty batch) instead of waiting. Waiting is the event
// loop's job: JS starts a poll on the fd (`pollStart`) and asks for readability or
// writability (`pollSet`); libuv calls back on the main thread. No thread per socket, no
// libuv pool. Principle: when the kernel gives you an fd, use the event loop.
//
// Closing: `pollClose` stops the poll and takes the fd out of the loop's epoll set at once
// (uv_close on a poll handle does uv_poll_stop, which invalidates the fd in the backend),
// so the caller may close(2) the fd right after it; the handle's memory goes in the close
// callback. All functions and callbacks here run on the environment's main thread.
//
// Ownership of fds: an environment owns an fd from `ownFd` or `pollStart` until the matching
// `disownFd` or `pollClose` (counted: an fd owned twice needs both releases). MessageSocket
// owns its fd from construction (before any poll: a socket that never reads or waits to
// write is never polled) and disowns it right before closing it in _destroy; a
// SeqpacketServer owns its fd through its poll. An environment that ends with fds still
// owned (a worker_thread terminated or exiting with sockets it never destroyed) never
// reaches that JS, so its cleanup hook stops every poll still open and then closes every fd
// still owned. Hence:
//   - an fd is handed to another environment or to a child only as a copy (dup, spawn's
//     stdio, SCM_RIGHTS), never by number while this environment owns it;
//   - disownFd / pollClose give the fd back to the caller: it may be given away by number
//     after that;
//   - the cleanup closes an fd only if it is still the file it was when it was owned (same
//     st_dev/st_ino), and each fd once, so that a number closed without being disowned and
//     reused by another thread is never closed under it.
#include <fcntl.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "errors.h"
#include "families.h"

namespace rxipc {

namespace {

constexpr int kMaxFds = 253;  // SCM_MAX_FD: the most fds one message may carry
constexpr size_t kSunPath = sizeof(((sockaddr_un*)nullptr)->sun_path);

struct SocketEnv;

// One uv_poll_t watching one fd for one JS callback. Main thread only.
struct Poll {
  uv_poll_t handle;
  napi_env env;
  Napi::FunctionReference callback;
  SocketEnv* owner;  // null once the environment's cleanup ran
  uint32_t id;
  bool closing = false;
  int fd = -1;  // owned through this poll until pollClose (see "Ownership" above)
};

// An owned fd: the file it was when first owned, and how many owners (ownFd, pollStart) hold it.
struct Owned {
  dev_t dev;
  ino_t ino;
  int refs;
};

// Per-environment state: the polls this environment started, the fds it owns and the
// receive buffer.
struct SocketEnv {
  uv_loop_t* loop = nullptr;
  std::unordered_map<uint32_t, Poll*> polls;
  uint32_t next = 1;
  // One recvmsg batch's bytes: messages are received straight into it, back to back, and
  // copied once into one Buffer. Grown with realloc (never zero-filled: only received bytes
  // are read from it) to hold one more message of maxSize after what it holds.
  uint8_t* batch = nullptr;
  size_t batchCap = 0;
  std::unordered_map<int, Owned> owned;  // fds this environment closes if it ends first

  ~SocketEnv() { std::free(batch); }

  // Room for `need` bytes; false when memory ran out.
  bool Reserve(size_t need) {
    if (need <= batchCap) return true;
    size_t cap = batchCap * 2 > need ? batchCap * 2 : need;
    void* p = std::realloc(batch, cap);
    if (p == nullptr) return false;
    batch = static_cast<uint8_t*>(p);
    batchCap = cap;
    return true;
  }
};

SocketEnv* State(const Napi::CallbackInfo& info) { return static_cast<SocketEnv*>(info.Data()); }

void FreePoll(uv_handle_t* h) { delete static_cast<Poll*>(h->data); }

// Stops the poll at once (no callback after this returns) and frees it later.
void ClosePoll(Poll* p) {
  if (p->closing) return;
  p->closing = true;
  p->callback.Reset();
  if (p->owner != nullptr) p->owner->polls.erase(p->id);
  uv_close(reinterpret_cast<uv_handle_t*>(&p->handle), FreePoll);
}

// Takes a share of fd's ownership; errno (EBADF) if fd is not open. An entry whose file
// differs is stale (its fd was closed without being disowned, and the number reused): it is
// replaced.
int Own(SocketEnv* state, int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return errno;
  auto it = state->owned.find(fd);
  if (it != state->owned.end() && it->second.dev == st.st_dev && it->second.ino == st.st_ino) {
    it->second.refs++;
  } else {
    state->owned[fd] = Owned{st.st_dev, st.st_ino, 1};
  }
  return 0;
}

void Disown(SocketEnv* state, int fd) {
  auto it = state->owned.find(fd);
  if (it != state->owned.end() && --it->second.refs <= 0) state->owned.erase(it);
}

// The environment is ending: stop every poll still open (which takes its fd out of the
// loop's epoll set), then close every fd still owned, once, and only while it is still the
// file it was when owned. Nothing is in flight on these fds: every call here is non-blocking
// and ran on this (the environment's) thread.
void CleanupEnv(void* arg) {
  auto* state = static_cast<SocketEnv*>(arg);
  std::vector<Poll*> open;
  for (auto& [id, p] : state->polls) open.push_back(p);
  for (Poll* p : open) ClosePoll(p);
  for (auto& [fd, o] : state->owned) {
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_dev != o.dev || st.st_ino != o.ino) continue;
    close(fd);  // not retried on EINTR: Linux has released the fd anyway
  }
  delete state;
}

void OnPoll(uv_poll_t* h, int status, int events) {
  auto* p = static_cast<Poll*>(h->data);
  if (p->closing) return;
  Napi::Env env(p->env);
  Napi::HandleScope scope(env);
  try {
    // MakeCallback: process.nextTick and microtasks queued by the callback run after it.
    p->callback.MakeCallback(env.Global(), {Napi::Number::New(env, status), Napi::Number::New(env, events)});
  } catch (const Napi::Error& e) {
    napi_fatal_exception(env, e.Value());
  }
}

// The address at argument i: sun_path's bytes. A path (first byte not 0, no NUL, at most
// 107 bytes) or an abstract name (first byte 0, at most 108 bytes in all).
socklen_t ArgAddress(const Napi::CallbackInfo& info, size_t i, sockaddr_un* sa, std::string* display) {
  Bytes b = ArgBytes(info, i, "address");
  if (b.length == 0 || b.length > kSunPath) {
    ThrowOutOfRange(info.Env(), "address", "1 to 108 bytes of sun_path", info[i]);
  }
  std::memset(sa, 0, sizeof(*sa));
  sa->sun_family = AF_UNIX;
  if (b.data[0] != 0) {
    if (std::memchr(b.data, 0, b.length) != nullptr) {
      ThrowOutOfRange(info.Env(), "address", "a path without NUL bytes, or an abstract name starting with one", info[i]);
    }
    if (b.length > kSunPath - 1) ThrowOutOfRange(info.Env(), "address", "a path of at most 107 bytes", info[i]);
    std::memcpy(sa->sun_path, b.data, b.length);
    display->assign(reinterpret_cast<const char*>(b.data), b.length);
    return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + b.length + 1);
  }
  std::memcpy(sa->sun_path, b.data, b.length);
  display->assign("@");
  display->append(reinterpret_cast<const char*>(b.data) + 1, b.length - 1);
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + b.length);
}

// sun_path's bytes of a kernel-filled address (empty for an unnamed socket).
Napi::Value AddressValue(Napi::Env env, const sockaddr_un& sa, socklen_t len) {
  size_t off = offsetof(sockaddr_un, sun_path);
  if (len <= off) return Napi::Buffer<uint8_t>::Copy(env, nullptr, 0);
  size_t n = len - off;
  if (n > kSunPath) n = kSunPath;
  const char* p = sa.sun_path;
  if (n > 0 && p[0] != 0) n = strnlen(p, n);  // a path: up to its NUL
  return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(p), n);
}

int ArgSocketType(const Napi::CallbackInfo& info, size_t i) {
  int type = ArgInt32(info, i, "type", 0, INT32_MAX);
  if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET) {
    ThrowOutOfRange(info.Env(), "type", "SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET", info[i]);
  }
  return type;
}

int ArgSocketFlags(const Napi::CallbackInfo& info, size_t i) {
  int flags = ArgInt32(info, i, "flags", 0, INT32_MAX);
  if ((flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) != 0) {
    ThrowOutOfRange(info.Env(), "flags", "a combination of SOCK_CLOEXEC and SOCK_NONBLOCK", info[i]);
  }
  return flags;
}

Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  int type = ArgSocketType(info, 0);
  int flags = ArgSocketFlags(info, 1);
  int sv[2];
  if (socketpair(AF_UNIX, type | flags, 0, sv) != 0) ThrowSystemError(info.Env(), errno, "socketpair");
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(uint32_t(0), sv[0]);
  out.Set(uint32_t(1), sv[1]);
  return out;
}

Napi::Value Socket(const Napi::CallbackInfo& info) {
  int type = ArgSocketType(info, 0);
  int flags = ArgSocketFlags(info, 1);
  int fd = socket(AF_UNIX, type | flags, 0);
  if (fd < 0) ThrowSystemError(info.Env(), errno, "socket");
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value Bind(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  sockaddr_un sa;
  std::string display;
  socklen_t len = ArgAddress(info, 1, &sa, &display);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0) ThrowSystemError(info.Env(), errno, "bind", display.c_str());
  return info.Env().Undefined();
}

// Connects; true when connected, false when a non-blocking connect must wait (EAGAIN: the
// listener's backlog is full; EINPROGRESS never happens for AF_UNIX).
Napi::Value Connect(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  sockaddr_un sa;
  std::string display;
  socklen_t len = ArgAddress(info, 1, &sa, &display);
  int r;
  do r = connect(fd, reinterpret_cast<sockaddr*>(&sa), len);
  while (r != 0 && errno == EINTR);
  if (r != 0) {
    if (errno == EAGAIN) return Napi::Boolean::New(info.Env(), false);
    ThrowSystemError(info.Env(), errno, "connect", display.c_str());
  }
  return Napi::Boolean::New(info.Env(), true);
}

Napi::Value Listen(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int backlog = ArgInt32(info, 1, "backlog", 0, 65535);
  if (listen(fd, backlog) != 0) ThrowSystemError(info.Env(), errno, "listen");
  return info.Env().Undefined();
}

// A new connection's fd (SOCK_CLOEXEC; left blocking, as a C child handed it expects: every
// send and receive here carries MSG_DONTWAIT), or -1 when none is pending.
Napi::Value Accept(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int c;
  do c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
  while (c < 0 && errno == EINTR);
  if (c < 0) {
    if (errno == EAGAIN || errno == ECONNABORTED) return Napi::Number::New(info.Env(), -1);
    ThrowSystemError(info.Env(), errno, "accept4");
  }
  return Napi::Number::New(info.Env(), c);
}

Napi::Value GetSockName(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  sockaddr_un sa;
  socklen_t len = sizeof(sa);
  std::memset(&sa, 0, sizeof(sa));
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) ThrowSystemError(info.Env(), errno, "getsockname");
  return AddressValue(info.Env(), sa, len);
}

Napi::Value GetPeerName(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  sockaddr_un sa;
  socklen_t len = sizeof(sa);
  std::memset(&sa, 0, sizeof(sa));
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) ThrowSystemError(info.Env(), errno, "getpeername");
  return AddressValue(info.Env(), sa, len);
}

// SO_TYPE; ENOTSOCK for an fd that is not a socket. SO_DOMAIN must be AF_UNIX as well.
Napi::Value GetSocketType(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int type = 0, domain = 0;
  socklen_t len = sizeof(type);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) ThrowSystemError(info.Env(), errno, "getsockopt");
  len = sizeof(domain);
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) ThrowSystemError(info.Env(), errno, "getsockopt");
  if (domain != AF_UNIX) ThrowSystemError(info.Env(), EAFNOSUPPORT, "getsockopt");
  return Napi::Number::New(info.Env(), type);
}

Napi::Value GetPeerCred(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  ucred cred;
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) ThrowSystemError(info.Env(), errno, "getsockopt");
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("pid", cred.pid);
  out.Set("uid", cred.uid);
  out.Set("gid", cred.gid);
  return out;
}

// SO_ERROR: the socket's pending error (0 for none), which reading it clears. libuv reports
// EPOLLERR to a poll callback as UV_EBADF; this says what the error really is.
Napi::Value GetSocketError(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) ThrowSystemError(info.Env(), errno, "getsockopt");
  return Napi::Number::New(info.Env(), err);
}

Napi::Value SetPassCred(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int on = ArgBool(info, 1, "on") ? 1 : 0;
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) != 0) ThrowSystemError(info.Env(), errno, "setsockopt");
  return info.Env().Undefined();
}

Napi::Value Shutdown(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int how = ArgInt32(info, 1, "how", SHUT_RD, SHUT_RDWR);
  if (shutdown(fd, how) != 0) ThrowSystemError(info.Env(), errno, "shutdown");
  return info.Env().Undefined();
}

// sendmsg(fd, data, fds?, address?): one message (MSG_DONTWAIT | MSG_NOSIGNAL). Returns the
// bytes sent, or -1 when the socket is not writable now (EAGAIN). fds travel as SCM_RIGHTS.
Napi::Value SendMsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0);
  Bytes data = ArgBytes(info, 1, "data");
  std::vector<int> fds;
  if (info.Length() > 2 && !info[2].IsUndefined()) {
    if (!info[2].IsArray()) ThrowInvalidArgType(env, "fds", "an array of file descriptors", info[2]);
    Napi::Array arr = info[2].As<Napi::Array>();
    uint32_t n = arr.Length();
    if (n > kMaxFds) ThrowOutOfRange(env, "fds", "at most 253 file descriptors (SCM_MAX_FD)", info[2]);
    for (uint32_t k = 0; k < n; k++) {
      Napi::Value v = arr.Get(k);
      if (!v.IsNumber()) ThrowInvalidArgType(env, "fds", "an array of file descriptors", info[2]);
      double d = v.As<Napi::Number>().DoubleValue();
      if (!(d >= 0 && d <= INT32_MAX) || d != static_cast<double>(static_cast<int64_t>(d))) {
        ThrowOutOfRange(env, "fds", "integers >= 0 && <= 2147483647", info[2]);
      }
      fds.push_back(static_cast<int>(d));
    }
  }
  sockaddr_un sa;
  socklen_t salen = 0;
  std::string display;
  if (info.Length() > 3 && !info[3].IsUndefined()) salen = ArgAddress(info, 3, &sa, &display);
  // ArgBytes' span is valid until we return; nothing above ran JS after reading it... except
  // getters of `fds` entries: read the data span again now that they ran.
  data = ArgBytes(info, 1, "data");

  iovec iov{const_cast<uint8_t*>(data.data), data.length};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (salen != 0) {
    msg.msg_name = &sa;
    msg.msg_namelen = salen;
  }
  std::vector<char> control;
  if (!fds.empty()) {
    control.assign(CMSG_SPACE(sizeof(int) * fds.size()), 0);
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  do n = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN) return Napi::Number::New(env, -1);
    ThrowSystemError(env, errno, "sendmsg", salen != 0 ? display.c_str() : nullptr);
  }
  return Napi::Number::New(env, static_cast<double>(n));
}

// recvmsg(fd, maxMessages, maxSize): takes up to maxMessages messages that are already
// queued (MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC), stopping early once the batch holds
// kBatchBytes, and returns them packed, so that a batch costs a handful of JS objects:
//   { data: Buffer (every message's bytes, back to back),
//     meta: Float64Array, kMetaFields per message:
//       [offset, length, flags, size, pid, uid, gid, from index, fds index]
//     froms: Buffer[] (sender addresses, each listed once per run of equal ones),
//     fds: number[][], eof: boolean, errno: number }
// `flags` carries MSG_TRUNC (the message was longer than maxSize: `size` is its real length
// and `length` maxSize) and MSG_CTRUNC (some fds did not fit: the kernel closed them). pid,
// uid and gid are -1 without credentials; the indexes are -1 without an address / fds.
// `eof`: recvmsg returned 0 with no control data — on a socket with SO_PASSCRED every
// message carries credentials, so this is the peer's end, not an empty message. `errno`
// (0 if none) is an error that ended the batch after some messages; one before any is thrown.
constexpr int kMetaFields = 9;
constexpr size_t kBatchBytes = 256 * 1024;

Napi::Value RecvMsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SocketEnv* state = State(info);
  int fd = ArgFd(info, 0);
  int max = ArgInt32(info, 1, "maxMessages", 1, 65536);
  int maxSize = ArgInt32(info, 2, "maxSize", 0, 64 << 20);
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds) + CMSG_SPACE(sizeof(ucred))];

  size_t used = 0;  // bytes of state->batch holding this batch's messages
  std::vector<double> meta;
  Napi::Array froms = Napi::Array::New(env);
  Napi::Array fdLists = Napi::Array::New(env);
  uint32_t nfroms = 0, nfds = 0;
  sockaddr_un lastFrom;
  socklen_t lastFromLen = 0;
  bool eof = false;
  int lastErr = 0;
  int count = 0;
  while (count < max && used < kBatchBytes) {
    if (!state->Reserve(used + static_cast<size_t>(maxSize) + 1)) {
      if (count == 0) ThrowSystemError(env, ENOMEM, "recvmsg");
      lastErr = ENOMEM;
      break;
    }
    sockaddr_un from;
    iovec iov{state->batch + used, static_cast<size_t>(maxSize)};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n;
    do n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
      if (errno == EAGAIN) break;
      if (count == 0) ThrowSystemError(env, errno, "recvmsg");
      lastErr = errno;
      break;
    }
    if (n == 0 && msg.msg_controllen == 0 && (msg.msg_flags & MSG_CTRUNC) == 0 && msg.msg_namelen == 0) {
      eof = true;
      break;
    }
    double fdIndex = -1;
    double pid = -1, uid = -1, gid = -1;
    Napi::Array fdList;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET) continue;
      if (c->cmsg_type == SCM_RIGHTS) {
        if (fdList.IsEmpty()) {
          fdList = Napi::Array::New(env);
          fdIndex = nfds;
          fdLists.Set(nfds++, fdList);
        }
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const unsigned char* p = CMSG_DATA(c);
        for (size_t j = 0; j < k; j++) {
          int v;
          std::memcpy(&v, p + j * sizeof(int), sizeof(int));
          fdList.Set(fdList.Length(), v);
        }
      } else if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
        ucred cred;
        std::memcpy(&cred, CMSG_DATA(c), sizeof(ucred));
        pid = cred.pid;
        uid = cred.uid;
        gid = cred.gid;
      }
    }
    double fromIndex = -1;
    if (msg.msg_namelen > offsetof(sockaddr_un, sun_path)) {
      if (nfroms == 0 || msg.msg_namelen != lastFromLen || std::memcmp(&from, &lastFrom, msg.msg_namelen) != 0) {
        froms.Set(nfroms++, AddressValue(env, from, msg.msg_namelen));
        std::memcpy(&lastFrom, &from, msg.msg_namelen);
        lastFromLen = msg.msg_namelen;
      }
      fromIndex = nfroms - 1;
    }
    size_t got = static_cast<size_t>(n) < static_cast<size_t>(maxSize) ? static_cast<size_t>(n) : static_cast<size_t>(maxSize);
    double offset = static_cast<double>(used);
    used += got;
    double fields[kMetaFields] = {offset, static_cast<double>(got), static_cast<double>(msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)),
                                  static_cast<double>(n), pid, uid, gid, fromIndex, fdIndex};
    meta.insert(meta.end(), fields, fields + kMetaFields);
    count++;
  }
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, meta.size() * sizeof(double));
  if (!meta.empty()) std::memcpy(ab.Data(), meta.data(), meta.size() * sizeof(double));
  Napi::Object result = Napi::Object::New(env);
  result.Set("data", Napi::Buffer<uint8_t>::Copy(env, state->batch, used));
  result.Set("meta", Napi::Float64Array::New(env, meta.size(), ab, 0));
  result.Set("froms", froms);
  result.Set("fds", fdLists);
  result.Set("eof", Napi::Boolean::New(env, eof));
  result.Set("errno", Napi::Number::New(env, lastErr));
  return result;
}

// pollStart(fd, callback): watches fd from the event loop; callback(status, events) runs on
// the main thread when the fd is ready for what pollSet asked (nothing at first). Returns
// the poll's id. A poll keeps the loop alive while it watches something, unless unref'd.
// The environment owns fd from now until pollClose: if it ends first, its cleanup closes fd.
Napi::Value PollStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SocketEnv* state = State(info);
  int fd = ArgFd(info, 0);
  if (info.Length() < 2 || !info[1].IsFunction()) ThrowInvalidArgType(env, "callback", "of type function", info[1]);
  if (int err = Own(state, fd); err != 0) ThrowSystemError(env, err, "fstat");
  auto* p = new Poll();
  p->env = env;
  p->owner = state;
  p->fd = fd;
  int r = uv_poll_init(state->loop, &p->handle, fd);
  if (r != 0) {
    delete p;
    Disown(state, fd);
    ThrowSystemError(env, -r, "uv_poll_init");
  }
  p->handle.data = p;
  p->callback = Napi::Persistent(info[1].As<Napi::Function>());
  p->id = state->next++;
  state->polls[p->id] = p;
  return Napi::Number::New(env, p->id);
}

uint32_t ArgPollId(const Napi::CallbackInfo& info, size_t i) {
  return static_cast<uint32_t>(ArgInt32(info, i, "poll", 1, INT32_MAX));
}

// The live poll `id` names (checked after every argument, so misuse is reported first).
Poll* FindPoll(const Napi::CallbackInfo& info, uint32_t id) {
  SocketEnv* state = State(info);
  auto it = state->polls.find(id);
  if (it == state->polls.end()) ThrowSystemError(info.Env(), EBADF, "uv_poll");
  return it->second;
}

// pollSet(poll, events): UV_READABLE | UV_WRITABLE, or 0 to stop watching (level-triggered:
// a ready fd calls back again on every loop iteration until it is drained or unwatched).
Napi::Value PollSet(const Napi::CallbackInfo& info) {
  uint32_t id = ArgPollId(info, 0);
  int events = ArgInt32(info, 1, "events", 0, UV_READABLE | UV_WRITABLE | UV_DISCONNECT);
  Poll* p = FindPoll(info, id);
  int r = events == 0 ? uv_poll_stop(&p->handle) : uv_poll_start(&p->handle, events, OnPoll);
  if (r != 0) ThrowSystemError(info.Env(), -r, "uv_poll_start");
  return info.Env().Undefined();
}

Napi::Value PollRef(const Napi::CallbackInfo& info) {
  uint32_t id = ArgPollId(info, 0);
  bool ref = ArgBool(info, 1, "ref");
  Poll* p = FindPoll(info, id);
  if (ref) uv_ref(reinterpret_cast<uv_handle_t*>(&p->handle));
  else uv_unref(reinterpret_cast<uv_handle_t*>(&p->handle));
  return info.Env().Undefined();
}

// Stops watching at once: the fd may be closed as soon as this returns, and is the caller's
// again (the environment's cleanup no longer closes it). Idempotent per id.
Napi::Value PollClose(const Napi::CallbackInfo& info) {
  uint32_t id = ArgPollId(info, 0);
  SocketEnv* state = State(info);
  auto it = state->polls.find(id);
  if (it != state->polls.end()) {
    Disown(state, it->second->fd);
    ClosePoll(it->second);
  }
  return info.Env().Undefined();
}

// ownFd(fd): this environment owns fd (one share) until disownFd(fd); if it ends first, its
// cleanup closes fd. EBADF for an fd that is not open.
Napi::Value OwnFd(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  if (int err = Own(State(info), fd); err != 0) ThrowSystemError(info.Env(), err, "fstat");
  return info.Env().Undefined();
}

// disownFd(fd): gives one share back; the caller closes (or hands over) fd. Idempotent once
// no share is left.
Napi::Value DisownFd(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  Disown(State(info), fd);
  return info.Env().Undefined();
}

}  // namespace

void InitSocket(Napi::Env env, Napi::Object exports, Napi::Object constants) {
  auto* state = new SocketEnv();
  if (napi_get_uv_event_loop(env, &state->loop) != napi_ok) {
    delete state;
    throw Napi::Error::New(env, "rxipc: no event loop");
  }
  napi_add_env_cleanup_hook(env, CleanupEnv, state);
  auto fn = [&](const char* name, Napi::Value (*f)(const Napi::CallbackInfo&)) {
    exports.Set(name, Napi::Function::New(env, f, name, state));
  };
  fn("socketpair", SocketPair);
  fn("socket", Socket);
  fn("bind", Bind);
  fn("connect", Connect);
  fn("listen", Listen);
  fn("accept", Accept);
  fn("getsockname", GetSockName);
  fn("getpeername", GetPeerName);
  fn("getSocketType", GetSocketType);
  fn("getPeerCred", GetPeerCred);
  fn("getSocketError", GetSocketError);
  fn("setPassCred", SetPassCred);
  fn("shutdown", Shutdown);
  fn("sendmsg", SendMsg);
  fn("recvmsg", RecvMsg);
  fn("pollStart", PollStart);
  fn("pollSet", PollSet);
  fn("pollRef", PollRef);
  fn("pollClose", PollClose);
  fn("ownFd", OwnFd);
  fn("disownFd", DisownFd);
  constants.Set("AF_UNIX", AF_UNIX);
  constants.Set("SOCK_STREAM", static_cast<int>(SOCK_STREAM));
  constants.Set("SOCK_DGRAM", static_cast<int>(SOCK_DGRAM));
  constants.Set("SOCK_SEQPACKET", static_cast<int>(SOCK_SEQPACKET));
  constants.Set("SOCK_CLOEXEC", static_cast<int>(SOCK_CLOEXEC));
  constants.Set("SOCK_NONBLOCK", static_cast<int>(SOCK_NONBLOCK));
  constants.Set("MSG_TRUNC", static_cast<int>(MSG_TRUNC));
  constants.Set("MSG_CTRUNC", static_cast<int>(MSG_CTRUNC));
  constants.Set("SHUT_RD", static_cast<int>(SHUT_RD));
  constants.Set("SHUT_WR", static_cast<int>(SHUT_WR));
  constants.Set("SHUT_RDWR", static_cast<int>(SHUT_RDWR));
  constants.Set("SCM_MAX_FD", kMaxFds);
  constants.Set("RECV_META_FIELDS", kMetaFields);
  constants.Set("UV_READABLE", static_cast<int>(UV_READABLE));
  constants.Set("UV_WRITABLE", static_cast<int>(UV_WRITABLE));
  constants.Set("UV_DISCONNECT", static_cast<int>(UV_DISCONNECT));
}

}  // namespace rxipc
