// TAP devices and the interface controls around them.
//
// A Tap owns one file descriptor on /dev/net/tun opened as IFF_TAP |
// IFF_NO_PI (optionally IFF_VNET_HDR). Received frames are read in batches
// when libuv reports the descriptor readable and are handed to JavaScript in
// one call per batch: a single Buffer with the frames packed back to back and
// a Uint32Array with their lengths. Frames are written in batches too: one
// call takes an array of frames, each a Buffer or an array of Buffers that
// are written together with writev(2), so headers and payload need not be
// copied into one buffer.
//
// The interface controls (up/down, MTU, bridge membership, bridge creation,
// IPv4 address) are plain ioctls on an AF_INET datagram socket, so they act
// in the network namespace of the process.

#include "addon.h"

#include <uv.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <vector>

namespace minicache {

namespace {

constexpr size_t kMaxFramesPerBatch = 256;
// Room reserved per frame of a batch beyond one maximum-size frame: a
// batch of small frames (ACKs, requests) fills kMaxFramesPerBatch, while a
// batch of large frames (TSO from the kernel) ends when the room is used.
constexpr size_t kTypicalFrameBytes = 2048;
constexpr size_t kMaxWritevParts = 64;

// Runs one interface ioctl on a throwaway AF_INET socket.
int InterfaceIoctl(unsigned long request, struct ifreq* ifr) {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return errno;
  int rc = ioctl(sock, request, ifr);
  int err = rc < 0 ? errno : 0;
  close(sock);
  return err;
}

bool FillName(Napi::Env env, const Napi::Value& value, struct ifreq* ifr) {
  if (!value.IsString()) {
    Napi::TypeError::New(env, "interface name must be a string").ThrowAsJavaScriptException();
    return false;
  }
  std::string name = value.As<Napi::String>().Utf8Value();
  if (name.empty() || name.size() >= IFNAMSIZ) {
    Napi::RangeError::New(env, "interface name '" + name + "' must have 1 to 15 characters")
        .ThrowAsJavaScriptException();
    return false;
  }
  std::memset(ifr, 0, sizeof(*ifr));
  std::strncpy(ifr->ifr_name, name.c_str(), IFNAMSIZ - 1);
  return true;
}

void ThrowInterfaceError(Napi::Env env, const char* what, const char* name, int err) {
  std::string text = std::string(what) + " " + name;
  ThrowErrno(env, text.c_str(), err);
}

// interfaceIndex(name) -> ifindex, or 0 when no such interface exists.
Napi::Value InterfaceIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct ifreq ifr;
  if (!FillName(env, info[0], &ifr)) return env.Undefined();
  int err = InterfaceIoctl(SIOCGIFINDEX, &ifr);
  if (err == ENODEV) return Napi::Number::New(env, 0);
  if (err != 0) {
    ThrowInterfaceError(env, "SIOCGIFINDEX", ifr.ifr_name, err);
    return env.Undefined();
  }
  return Napi::Number::New(env, ifr.ifr_ifindex);
}

// setInterfaceUp(name, up)
Napi::Value SetInterfaceUp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct ifreq ifr;
  if (!FillName(env, info[0], &ifr)) return env.Undefined();
  bool up = info[1].ToBoolean();
  int err = InterfaceIoctl(SIOCGIFFLAGS, &ifr);
  if (err == 0) {
    if (up) {
      ifr.ifr_flags |= IFF_UP;
    } else {
      ifr.ifr_flags &= ~IFF_UP;
    }
    err = InterfaceIoctl(SIOCSIFFLAGS, &ifr);
  }
  if (err != 0) ThrowInterfaceError(env, "cannot change the state of interface", ifr.ifr_name, err);
  return env.Undefined();
}

// setInterfaceMtu(name, mtu)
Napi::Value SetInterfaceMtu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct ifreq ifr;
  if (!FillName(env, info[0], &ifr)) return env.Undefined();
  ifr.ifr_mtu = info[1].As<Napi::Number>().Int32Value();
  int err = InterfaceIoctl(SIOCSIFMTU, &ifr);
  if (err != 0) ThrowInterfaceError(env, "cannot set the MTU of interface", ifr.ifr_name, err);
  return env.Undefined();
}

// setInterfaceAddress(name, address, netmask): IPv4 address and mask, both
// dotted quads.
Napi::Value SetInterfaceAddress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct ifreq ifr;
  if (!FillName(env, info[0], &ifr)) return env.Undefined();
  std::string address = info[1].As<Napi::String>().Utf8Value();
  std::string netmask = info[2].As<Napi::String>().Utf8Value();

  struct sockaddr_in sin;
  std::memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  if (inet_pton(AF_INET, address.c_str(), &sin.sin_addr) != 1) {
    Napi::TypeError::New(env, "invalid IPv4 address '" + address + "'").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
  int err = InterfaceIoctl(SIOCSIFADDR, &ifr);
  if (err == 0) {
    if (inet_pton(AF_INET, netmask.c_str(), &sin.sin_addr) != 1) {
      Napi::TypeError::New(env, "invalid netmask '" + netmask + "'").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    std::memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
    err = InterfaceIoctl(SIOCSIFNETMASK, &ifr);
  }
  if (err != 0) ThrowInterfaceError(env, "cannot set the address of interface", ifr.ifr_name, err);
  return env.Undefined();
}

// setInterfaceTxQueueLength(name, frames): the queue of frames the kernel
// holds for the interface (for a TAP, the frames waiting to be read).
Napi::Value SetInterfaceTxQueueLength(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct ifreq ifr;
  if (!FillName(env, info[0], &ifr)) return env.Undefined();
  ifr.ifr_qlen = info[1].As<Napi::Number>().Int32Value();
  int err = InterfaceIoctl(SIOCSIFTXQLEN, &ifr);
  if (err != 0) ThrowInterfaceError(env, "cannot set the queue length of interface", ifr.ifr_name, err);
  return env.Undefined();
}

// createBridge(name) / deleteBridge(name)
Napi::Value BridgeControl(const Napi::CallbackInfo& info, unsigned long request, const char* what) {
  Napi::Env env = info.Env();
  struct ifreq ifr;
  if (!FillName(env, info[0], &ifr)) return env.Undefined();
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int err = 0;
  if (sock < 0) {
    err = errno;
  } else {
    if (ioctl(sock, request, ifr.ifr_name) < 0) err = errno;
    close(sock);
  }
  if (err != 0) ThrowInterfaceError(env, what, ifr.ifr_name, err);
  return env.Undefined();
}

Napi::Value CreateBridge(const Napi::CallbackInfo& info) {
  return BridgeControl(info, SIOCBRADDBR, "cannot create bridge");
}

Napi::Value DeleteBridge(const Napi::CallbackInfo& info) {
  return BridgeControl(info, SIOCBRDELBR, "cannot delete bridge");
}

// attachToBridge(interface, bridge)
Napi::Value AttachToBridge(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct ifreq port;
  struct ifreq bridge;
  if (!FillName(env, info[0], &port) || !FillName(env, info[1], &bridge)) return env.Undefined();
  int err = InterfaceIoctl(SIOCGIFINDEX, &port);
  if (err != 0) {
    ThrowInterfaceError(env, "cannot find interface", port.ifr_name, err);
    return env.Undefined();
  }
  bridge.ifr_ifindex = port.ifr_ifindex;
  err = InterfaceIoctl(SIOCBRADDIF, &bridge);
  if (err != 0) ThrowInterfaceError(env, "cannot attach to bridge", bridge.ifr_name, err);
  return env.Undefined();
}

class Tap : public Napi::ObjectWrap<Tap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Tap",
                       {
                           InstanceAccessor<&Tap::GetName>("name"),
                           InstanceAccessor<&Tap::GetFd>("fd"),
                           InstanceAccessor<&Tap::GetWriteErrors>("writeErrors"),
                           InstanceMethod<&Tap::Start>("start"),
                           InstanceMethod<&Tap::Stop>("stop"),
                           InstanceMethod<&Tap::Write>("write"),
                           InstanceMethod<&Tap::SetOffload>("setOffload"),
                           InstanceMethod<&Tap::SetVnetHeaderSize>("setVnetHeaderSize"),
                           InstanceMethod<&Tap::Close>("close"),
                       });
  }

  // new Tap(name, { vnetHeader: boolean, frameMax: number })
  explicit Tap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Tap>(info) {
    Napi::Env env = info.Env();
    struct ifreq ifr;
    std::memset(&ifr, 0, sizeof(ifr));
    if (info.Length() > 0 && info[0].IsString()) {
      std::string name = info[0].As<Napi::String>().Utf8Value();
      if (name.size() >= IFNAMSIZ) {
        Napi::RangeError::New(env, "TAP name '" + name + "' is longer than 15 characters")
            .ThrowAsJavaScriptException();
        return;
      }
      std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    }
    bool vnet = false;
    if (info.Length() > 1 && info[1].IsObject()) {
      Napi::Object options = info[1].As<Napi::Object>();
      vnet = options.Get("vnetHeader").ToBoolean();
      Napi::Value frameMax = options.Get("frameMax");
      if (frameMax.IsNumber()) frame_max_ = frameMax.As<Napi::Number>().Uint32Value();
    }
    if (frame_max_ < 64 || frame_max_ > 65536 + 256) {
      Napi::RangeError::New(env, "frameMax must be between 64 and 65792 bytes").ThrowAsJavaScriptException();
      return;
    }

    fd_ = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) {
      ThrowErrno(env, "cannot open /dev/net/tun", errno);
      return;
    }
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
    if (ioctl(fd_, TUNSETIFF, &ifr) < 0) {
      int err = errno;
      close(fd_);
      fd_ = -1;
      std::string what = std::string("cannot create TAP device '") + ifr.ifr_name + "' (TUNSETIFF)";
      ThrowErrno(env, what.c_str(), err);
      return;
    }
    name_ = ifr.ifr_name;
    scratch_.resize(kMaxFramesPerBatch * kTypicalFrameBytes + static_cast<size_t>(frame_max_));
  }

  ~Tap() override { CloseNow(); }

 private:
  Napi::Value GetName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), name_); }

  Napi::Value GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

  Napi::Value GetWriteErrors(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(write_errors_));
  }

  // start(onFrames(frames: Buffer, lengths: Uint32Array)): begins polling.
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) {
      Napi::Error::New(env, "TAP device is closed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!info[0].IsFunction()) {
      Napi::TypeError::New(env, "start: expected a callback").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (poll_ != nullptr) {
      Napi::Error::New(env, "TAP device is already started").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    poll_ = new uv_poll_t;
    int rc = uv_poll_init(loop, poll_, fd_);
    if (rc == 0) {
      poll_->data = this;
      rc = uv_poll_start(poll_, UV_READABLE, OnReadable);
    }
    if (rc != 0) {
      delete poll_;
      poll_ = nullptr;
      Napi::Error::New(env, std::string("cannot poll the TAP device: ") + uv_strerror(rc))
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    env_ = env;
    Ref();
    return env.Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    StopPolling();
    return info.Env().Undefined();
  }

  // write(frames: Array<Uint8Array | Uint8Array[]>) -> number of frames
  // consumed. Stops at the first EAGAIN (the frames after it are not
  // written; the caller counts them as not sent). A frame the kernel rejects
  // for another reason (EIO while the interface is down, for instance) is
  // consumed, dropped and counted in `writeErrors`.
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) return Napi::Number::New(env, 0);
    if (!info[0].IsArray()) {
      Napi::TypeError::New(env, "write: expected an array of frames").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Array frames = info[0].As<Napi::Array>();
    uint32_t count = frames.Length();
    uint32_t written = 0;
    struct iovec parts[kMaxWritevParts];
    for (uint32_t i = 0; i < count; i++) {
      Napi::Value frame = frames.Get(i);
      int parts_used = 0;
      if (frame.IsTypedArray()) {
        Napi::Uint8Array bytes = frame.As<Napi::Uint8Array>();
        parts[0].iov_base = bytes.Data();
        parts[0].iov_len = bytes.ByteLength();
        parts_used = 1;
      } else if (frame.IsArray()) {
        Napi::Array list = frame.As<Napi::Array>();
        uint32_t n = list.Length();
        if (n > kMaxWritevParts) {
          Napi::RangeError::New(env, "write: a frame has more than " + std::to_string(kMaxWritevParts) + " parts")
              .ThrowAsJavaScriptException();
          return env.Undefined();
        }
        for (uint32_t j = 0; j < n; j++) {
          Napi::Value part = list.Get(j);
          if (!part.IsTypedArray()) continue;
          Napi::Uint8Array bytes = part.As<Napi::Uint8Array>();
          parts[parts_used].iov_base = bytes.Data();
          parts[parts_used].iov_len = bytes.ByteLength();
          parts_used++;
        }
      } else {
        Napi::TypeError::New(env, "write: each frame must be a Uint8Array or an array of them")
            .ThrowAsJavaScriptException();
        return env.Undefined();
      }
      ssize_t rc = writev(fd_, parts, parts_used);
      if (rc < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (errno == EINTR) {
          i--;
          continue;
        }
        write_errors_++;
        continue;
      }
      written++;
    }
    return Napi::Number::New(env, written);
  }

  // setOffload(flags): TUNSETOFFLOAD with TUN_F_* bits.
  Napi::Value SetOffload(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    unsigned int flags = info[0].As<Napi::Number>().Uint32Value();
    if (ioctl(fd_, TUNSETOFFLOAD, flags) < 0) ThrowErrno(env, "TUNSETOFFLOAD", errno);
    return env.Undefined();
  }

  // setVnetHeaderSize(bytes): TUNSETVNETHDRSZ.
  Napi::Value SetVnetHeaderSize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int size = info[0].As<Napi::Number>().Int32Value();
    if (ioctl(fd_, TUNSETVNETHDRSZ, &size) < 0) ThrowErrno(env, "TUNSETVNETHDRSZ", errno);
    return env.Undefined();
  }

  // close(): stops polling and closes the descriptor, which removes a
  // non-persistent TAP device from the system.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    CloseNow();
    return info.Env().Undefined();
  }

  void StopPolling() {
    if (poll_ == nullptr) return;
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
    poll_ = nullptr;
    callback_.Reset();
    Unref();
  }

  void CloseNow() {
    StopPolling();
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
  }

  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    Tap* self = static_cast<Tap*>(handle->data);
    if (status < 0) return;
    self->ReadBatch();
  }

  void ReadBatch() {
    size_t used = 0;
    uint32_t lengths[kMaxFramesPerBatch];
    size_t count = 0;
    while (count < kMaxFramesPerBatch && scratch_.size() - used >= frame_max_) {
      ssize_t n = read(fd_, scratch_.data() + used, frame_max_);
      if (n < 0) {
        if (errno == EINTR) continue;
        break;  // EAGAIN: drained; other errors: try again on the next poll
      }
      if (n == 0) break;
      // A frame that fills the whole read buffer may have been truncated by
      // the kernel. It is passed on anyway, because the stack's length checks
      // drop it if it is.
      lengths[count++] = static_cast<uint32_t>(n);
      used += static_cast<size_t>(n);
    }
    if (count == 0 || callback_.IsEmpty()) return;

    Napi::HandleScope scope(env_);
    Napi::Buffer<uint8_t> frames = Napi::Buffer<uint8_t>::Copy(env_, scratch_.data(), used);
    Napi::Uint32Array frame_lengths = Napi::Uint32Array::New(env_, count);
    std::memcpy(frame_lengths.Data(), lengths, count * sizeof(uint32_t));
    // MakeCallback runs the microtask queue afterwards, as Node does for its
    // own I/O callbacks.
    callback_.MakeCallback(Value(), {frames, frame_lengths});
  }

  int fd_ = -1;
  uint32_t frame_max_ = 65536 + 64;
  std::string name_;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference callback_;
  Napi::Env env_ = nullptr;
  std::vector<uint8_t> scratch_;
  uint64_t write_errors_ = 0;
};

}  // namespace

void InitTap(Napi::Env env, Napi::Object exports) {
  exports.Set("Tap", Tap::Define(env));
  exports.Set("interfaceIndex", Napi::Function::New(env, InterfaceIndex, "interfaceIndex"));
  exports.Set("setInterfaceUp", Napi::Function::New(env, SetInterfaceUp, "setInterfaceUp"));
  exports.Set("setInterfaceMtu", Napi::Function::New(env, SetInterfaceMtu, "setInterfaceMtu"));
  exports.Set("setInterfaceTxQueueLength",
              Napi::Function::New(env, SetInterfaceTxQueueLength, "setInterfaceTxQueueLength"));
  exports.Set("setInterfaceAddress", Napi::Function::New(env, SetInterfaceAddress, "setInterfaceAddress"));
  exports.Set("createBridge", Napi::Function::New(env, CreateBridge, "createBridge"));
  exports.Set("deleteBridge", Napi::Function::New(env, DeleteBridge, "deleteBridge"));
  exports.Set("attachToBridge", Napi::Function::New(env, AttachToBridge, "attachToBridge"));
}

}  // namespace minicache
