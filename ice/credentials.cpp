// Random ICE credentials (RFC 8445 §5.3, RFC 8839 §5.4 ice-char).
#include "ice/credentials.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>

namespace jvb::ice {
namespace {

// Exactly 64 ice-chars, so the low six bits of a random byte pick one uniformly.
constexpr std::string_view kIceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static_assert(kIceChars.size() == 64);

constexpr std::size_t kUfragLength = 8;
constexpr std::size_t kPwdLength = 24;

void fill_random(std::uint8_t* out, std::size_t len) {
  std::size_t done = 0;
  while (done < len) {
    ssize_t n = getrandom(out + done, len - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // getrandom only fails like this on kernels older than 3.17 or with a bad buffer; a
      // credential from no entropy would let anyone hijack a session, so do not carry on.
      std::abort();
    }
    done += static_cast<std::size_t>(n);
  }
}

std::string random_ice_string(std::size_t len) {
  std::array<std::uint8_t, 64> bytes{};
  fill_random(bytes.data(), len);
  std::string s;
  s.reserve(len);
  for (std::size_t i = 0; i < len; ++i) s.push_back(kIceChars[bytes[i] & 0x3f]);
  return s;
}

}  // namespace

IceCredentials generate_credentials(std::string_view ufrag_prefix) {
  IceCredentials c;
  c.ufrag = std::string(ufrag_prefix) + random_ice_string(kUfragLength);
  c.pwd = random_ice_string(kPwdLength);
  return c;
}

}  // namespace jvb::ice
