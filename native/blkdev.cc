// Block devices and image files opened with O_DIRECT.
//
// Reads, writes and syncs run on libuv's thread pool (Napi::AsyncWorker),
// so the event loop does not wait for them; opening a device is
// synchronous. O_DIRECT bypasses the page cache:
// buffers, offsets and lengths must be multiples of the device's logical
// sector size, which is why aligned buffers are allocated here too.

#include "addon.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/fs.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace minicache {

namespace {

// Alignment used for regular files: 4096 satisfies the logical block size
// of every common file system, whatever device it sits on.
constexpr uint32_t kFileAlignment = 4096;

// blkOpen(path, { writable, direct }) -> { fd, size, sectorSize, alignment,
// blockDevice, direct }. With direct set and a file system that rejects
// O_DIRECT (EINVAL, as tmpfs did before Linux 6.6), the file is opened
// buffered and `direct` is false in the result.
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) {
    Napi::TypeError::New(env, "blkOpen: path must be a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  bool writable = false;
  bool direct = true;
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object options = info[1].As<Napi::Object>();
    writable = options.Get("writable").ToBoolean();
    Napi::Value directOption = options.Get("direct");
    if (!directOption.IsUndefined()) direct = directOption.ToBoolean();
  }

  int flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC;
  int fd = open(path.c_str(), flags | (direct ? O_DIRECT : 0));
  if (fd < 0 && direct && errno == EINVAL) {
    direct = false;
    fd = open(path.c_str(), flags);
  }
  if (fd < 0) {
    ThrowErrno(env, ("cannot open " + path).c_str(), errno);
    return env.Undefined();
  }

  struct stat st;
  if (fstat(fd, &st) < 0) {
    int err = errno;
    close(fd);
    ThrowErrno(env, ("cannot stat " + path).c_str(), err);
    return env.Undefined();
  }

  uint64_t size = 0;
  uint32_t sector_size = 512;
  uint32_t alignment = kFileAlignment;
  bool block_device = S_ISBLK(st.st_mode);
  if (block_device) {
    int logical = 0;
    if (ioctl(fd, BLKGETSIZE64, &size) < 0 || ioctl(fd, BLKSSZGET, &logical) < 0) {
      int err = errno;
      close(fd);
      ThrowErrno(env, ("cannot query block device " + path).c_str(), err);
      return env.Undefined();
    }
    sector_size = static_cast<uint32_t>(logical);
    alignment = sector_size;
  } else if (S_ISREG(st.st_mode)) {
    size = static_cast<uint64_t>(st.st_size);
  } else {
    close(fd);
    Napi::Error error = Napi::Error::New(env, path + " is neither a regular file nor a block device");
    error.Set("code", Napi::String::New(env, "EINVAL"));
    error.ThrowAsJavaScriptException();
    return env.Undefined();
  }

  Napi::Object result = Napi::Object::New(env);
  result.Set("fd", Napi::Number::New(env, fd));
  result.Set("size", Napi::Number::New(env, static_cast<double>(size)));
  result.Set("sectorSize", Napi::Number::New(env, sector_size));
  result.Set("alignment", Napi::Number::New(env, alignment));
  result.Set("blockDevice", Napi::Boolean::New(env, block_device));
  result.Set("direct", Napi::Boolean::New(env, direct));
  return result;
}

// One pread/pwrite of a whole range, retried on EINTR and continued after
// short transfers until the range is done or the file ends.
class TransferWorker : public Napi::AsyncWorker {
 public:
  TransferWorker(Napi::Function callback, bool write, int fd, Napi::Uint8Array buffer, size_t offset,
                 size_t length, uint64_t position)
      : Napi::AsyncWorker(callback, write ? "minicache:blkWrite" : "minicache:blkRead"),
        write_(write),
        fd_(fd),
        data_(buffer.Data() + offset),
        length_(length),
        position_(position) {
    buffer_ = Napi::Persistent(buffer);
  }

  void Execute() override {
    size_t done = 0;
    while (done < length_) {
      ssize_t n = write_ ? pwrite(fd_, data_ + done, length_ - done, static_cast<off_t>(position_ + done))
                         : pread(fd_, data_ + done, length_ - done, static_cast<off_t>(position_ + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        err_ = errno;
        break;
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    done_ = done;
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (err_ != 0) {
      std::string message = std::string(write_ ? "write" : "read") + " failed at byte " +
                            std::to_string(position_) + ": " + std::strerror(err_);
      Napi::Error error = Napi::Error::New(env, message);
      error.Set("code", Napi::String::New(env, err_ == EIO ? "EIO" : "EBLKIO"));
      error.Set("errno", Napi::Number::New(env, err_));
      Callback().Call({error.Value()});
      return;
    }
    Callback().Call({env.Null(), Napi::Number::New(env, static_cast<double>(done_))});
  }

 private:
  bool write_;
  int fd_;
  uint8_t* data_;
  size_t length_;
  uint64_t position_;
  Napi::Reference<Napi::Uint8Array> buffer_;
  int err_ = 0;
  size_t done_ = 0;
};

// blkRead / blkWrite (fd, buffer, offset, length, position, callback)
Napi::Value Transfer(const Napi::CallbackInfo& info, bool write) {
  Napi::Env env = info.Env();
  if (info.Length() < 6 || !info[1].IsTypedArray() || !info[5].IsFunction()) {
    Napi::TypeError::New(env, "expected (fd, buffer, offset, length, position, callback)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Uint8Array buffer = info[1].As<Napi::Uint8Array>();
  double offset = info[2].As<Napi::Number>().DoubleValue();
  double length = info[3].As<Napi::Number>().DoubleValue();
  double position = info[4].As<Napi::Number>().DoubleValue();
  if (offset < 0 || length < 0 || position < 0 || offset + length > buffer.ByteLength()) {
    Napi::RangeError::New(env, "transfer range outside the buffer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* worker = new TransferWorker(info[5].As<Napi::Function>(), write, fd, buffer,
                                    static_cast<size_t>(offset), static_cast<size_t>(length),
                                    static_cast<uint64_t>(position));
  worker->Queue();
  return env.Undefined();
}

Napi::Value Read(const Napi::CallbackInfo& info) { return Transfer(info, false); }

Napi::Value Write(const Napi::CallbackInfo& info) { return Transfer(info, true); }

class SyncWorker : public Napi::AsyncWorker {
 public:
  SyncWorker(Napi::Function callback, int fd) : Napi::AsyncWorker(callback, "minicache:blkSync"), fd_(fd) {}

  void Execute() override {
    if (fsync(fd_) < 0) SetError(std::string("fsync failed: ") + std::strerror(errno));
  }

 private:
  int fd_;
};

// blkSync(fd, callback)
Napi::Value Sync(const Napi::CallbackInfo& info) {
  auto* worker = new SyncWorker(info[1].As<Napi::Function>(), info[0].As<Napi::Number>().Int32Value());
  worker->Queue();
  return info.Env().Undefined();
}

// blkClose(fd)
Napi::Value Close(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (close(fd) < 0) ThrowErrno(info.Env(), "close", errno);
  return info.Env().Undefined();
}

// allocAligned(size, alignment, zero = true) -> Buffer whose memory starts
// at a multiple of `alignment` (a power of two), as O_DIRECT transfers need.
// With zero false the memory is left as it is, for buffers a read fills.
Napi::Value AllocAligned(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t size = static_cast<size_t>(info[0].As<Napi::Number>().DoubleValue());
  size_t alignment = info.Length() > 1 ? info[1].As<Napi::Number>().Uint32Value() : kFileAlignment;
  if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) {
    Napi::RangeError::New(env, "alignment must be a power of two").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  void* memory = nullptr;
  if (posix_memalign(&memory, alignment, size == 0 ? alignment : size) != 0) {
    ThrowErrno(env, "posix_memalign", ENOMEM);
    return env.Undefined();
  }
  bool zero = info.Length() < 3 || info[2].ToBoolean();
  if (zero) std::memset(memory, 0, size);
  return Napi::Buffer<uint8_t>::New(env, static_cast<uint8_t*>(memory), size,
                                    [](Napi::Env, uint8_t* data) { std::free(data); });
}

}  // namespace

void InitBlkdev(Napi::Env env, Napi::Object exports) {
  exports.Set("blkOpen", Napi::Function::New(env, Open, "blkOpen"));
  exports.Set("blkRead", Napi::Function::New(env, Read, "blkRead"));
  exports.Set("blkWrite", Napi::Function::New(env, Write, "blkWrite"));
  exports.Set("blkSync", Napi::Function::New(env, Sync, "blkSync"));
  exports.Set("blkClose", Napi::Function::New(env, Close, "blkClose"));
  exports.Set("allocAligned", Napi::Function::New(env, AllocAligned, "allocAligned"));
}

}  // namespace minicache
