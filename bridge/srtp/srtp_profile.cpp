// Names and sizes of the SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2).
#include "bridge/srtp/srtp_profile.hpp"

namespace jvb::srtp {

std::string_view profile_name(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::kAeadAes128Gcm:
      return "SRTP_AEAD_AES_128_GCM";
    case SrtpProfile::kAes128CmHmacSha1_80:
      return "SRTP_AES128_CM_HMAC_SHA1_80";
  }
  return "unknown";
}

std::string_view openssl_profile_name(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::kAeadAes128Gcm:
      return "SRTP_AEAD_AES_128_GCM";
    case SrtpProfile::kAes128CmHmacSha1_80:
      return "SRTP_AES128_CM_SHA1_80";
  }
  return "unknown";
}

std::optional<SrtpProfile> profile_from_name(std::string_view name) {
  for (SrtpProfile p : {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAes128CmHmacSha1_80}) {
    if (name == profile_name(p) || name == openssl_profile_name(p)) return p;
  }
  return std::nullopt;
}

std::size_t key_length(SrtpProfile) { return 16; }

std::size_t salt_length(SrtpProfile profile) { return profile == SrtpProfile::kAeadAes128Gcm ? 12 : 14; }

std::size_t tag_length(SrtpProfile profile) { return profile == SrtpProfile::kAeadAes128Gcm ? 16 : 10; }

std::size_t rtcp_trailer_length(SrtpProfile profile) { return tag_length(profile) + 4; }

}  // namespace jvb::srtp
