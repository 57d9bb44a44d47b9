#include "addon.h"

#include <cerrno>
#include <cstring>
#include <string>

namespace minicache {

static const char* ErrnoName(int err) {
  switch (err) {
    case EACCES: return "EACCES";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case EISDIR: return "EISDIR";
    case ENODEV: return "ENODEV";
    case ENOENT: return "ENOENT";
    case ENOMEM: return "ENOMEM";
    case ENOSPC: return "ENOSPC";
    case ENOTDIR: return "ENOTDIR";
    case ENOTTY: return "ENOTTY";
    case ENXIO: return "ENXIO";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EPERM: return "EPERM";
    case EROFS: return "EROFS";
    default: return "EUNKNOWN";
  }
}

void ThrowErrno(Napi::Env env, const char* what, int err) {
  std::string message = std::string(what) + ": " + std::strerror(err);
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, ErrnoName(err)));
  error.Set("errno", Napi::Number::New(env, err));
  error.ThrowAsJavaScriptException();
}

}  // namespace minicache

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  minicache::InitTap(env, exports);
  minicache::InitBlkdev(env, exports);
  minicache::InitChecksum(env, exports);
  return exports;
}

NODE_API_MODULE(minicache_native, InitAddon)
