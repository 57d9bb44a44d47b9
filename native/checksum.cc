// Internet checksum (RFC 1071) over byte buffers.
//
// checksumSum returns the folded 16-bit one's-complement sum, not
// complemented, and continues from `initial` (a previous result), so
// callers can chain it over several buffers: pseudo-header, TCP header,
// payload.

#include "addon.h"

#include <cstdint>
#include <cstring>

namespace minicache {

// Adds the 16-bit big-endian words of data[0..len) to sum. An odd final byte
// is padded with a zero byte, as RFC 1071 prescribes.
static uint32_t SumWords(const uint8_t* data, size_t len, uint32_t initial) {
  uint64_t sum = 0;
  // Eight bytes at a time into a 64-bit accumulator; carries are folded at
  // the end, which is valid because one's-complement addition is
  // associative and commutative (RFC 1071, section 2).
  while (len >= 8) {
    uint64_t word;
    std::memcpy(&word, data, 8);
    uint64_t before = sum;
    sum += word;
    if (sum < before) sum++;
    data += 8;
    len -= 8;
  }
  // Fold the 64-bit native-order accumulator into 32 bits.
  sum = (sum & 0xffffffffu) + (sum >> 32);
  sum = (sum & 0xffffffffu) + (sum >> 32);
  uint32_t folded = static_cast<uint32_t>(sum);
  folded = (folded & 0xffffu) + (folded >> 16);
  folded = (folded & 0xffffu) + (folded >> 16);
  // The words above were added in host (little-endian) order; swapping the
  // bytes of the folded result gives the network-order sum (RFC 1071,
  // "byte order independence").
  uint32_t result = (((folded & 0xff) << 8) | (folded >> 8)) + initial;

  while (len >= 2) {
    result += (static_cast<uint32_t>(data[0]) << 8) | data[1];
    data += 2;
    len -= 2;
  }
  if (len == 1) result += static_cast<uint32_t>(data[0]) << 8;
  result = (result & 0xffffu) + (result >> 16);
  result = (result & 0xffffu) + (result >> 16);
  return result;
}

// sum(buffer, start, end, initial) -> 16-bit one's-complement sum (not
// complemented). `initial` is a previous result to continue from.
static Napi::Value Sum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) {
    Napi::TypeError::New(env, "checksum: expected a Uint8Array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array view = info[0].As<Napi::Uint8Array>();
  size_t length = view.ByteLength();
  size_t start = info.Length() > 1 ? info[1].As<Napi::Number>().Uint32Value() : 0;
  size_t end = info.Length() > 2 ? info[2].As<Napi::Number>().Uint32Value() : length;
  uint32_t initial = info.Length() > 3 ? info[3].As<Napi::Number>().Uint32Value() : 0;
  if (start > end || end > length) {
    Napi::RangeError::New(env, "checksum: range outside the buffer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint32_t sum = SumWords(view.Data() + start, end - start, initial & 0xffffu);
  uint32_t folded = (sum & 0xffffu) + (sum >> 16);
  return Napi::Number::New(env, folded & 0xffffu);
}

void InitChecksum(Napi::Env env, Napi::Object exports) {
  exports.Set("checksumSum", Napi::Function::New(env, Sum, "checksumSum"));
}

}  // namespace minicache
