// Entry points of the native addon, one initializer per part.
#pragma once

#include <napi.h>

namespace minicache {

void InitTap(Napi::Env env, Napi::Object exports);
void InitBlkdev(Napi::Env env, Napi::Object exports);
void InitChecksum(Napi::Env env, Napi::Object exports);

// Throws a JavaScript Error whose message names the failed call and the
// errno text, with `code` set to the errno name (e.g. "ENOENT") so callers
// can branch on it like on Node's own fs errors.
void ThrowErrno(Napi::Env env, const char* what, int err);

}  // namespace minicache
