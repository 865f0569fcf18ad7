// Tests for bridge/srtp/srtp_profile: names in JVB's and OpenSSL's spelling, and the key, salt
// and tag sizes of RFC 5764 §4.1.2 and RFC 7714 §12.
#include "bridge/srtp/srtp_profile.hpp"

#include <doctest/doctest.h>

namespace jvb::srtp {
namespace {

TEST_CASE("SrtpProfile: JVB's names") {
  CHECK(profile_name(SrtpProfile::kAeadAes128Gcm) == "SRTP_AEAD_AES_128_GCM");
  CHECK(profile_name(SrtpProfile::kAes128CmHmacSha1_80) == "SRTP_AES128_CM_HMAC_SHA1_80");
  CHECK(openssl_profile_name(SrtpProfile::kAes128CmHmacSha1_80) == "SRTP_AES128_CM_SHA1_80");
}

TEST_CASE("SrtpProfile: from either name, and nothing else") {
  CHECK(profile_from_name("SRTP_AEAD_AES_128_GCM") == SrtpProfile::kAeadAes128Gcm);
  CHECK(profile_from_name("SRTP_AES128_CM_HMAC_SHA1_80") == SrtpProfile::kAes128CmHmacSha1_80);
  CHECK(profile_from_name("SRTP_AES128_CM_SHA1_80") == SrtpProfile::kAes128CmHmacSha1_80);
  CHECK_FALSE(profile_from_name("SRTP_AES128_CM_SHA1_32").has_value());
  CHECK_FALSE(profile_from_name("SRTP_AEAD_AES_256_GCM").has_value());
  CHECK_FALSE(profile_from_name("srtp_aead_aes_128_gcm").has_value());
  CHECK_FALSE(profile_from_name("").has_value());
}

TEST_CASE("SrtpProfile: key, salt and trailer sizes") {
  CHECK(key_length(SrtpProfile::kAeadAes128Gcm) == 16);
  CHECK(salt_length(SrtpProfile::kAeadAes128Gcm) == 12);
  CHECK(tag_length(SrtpProfile::kAeadAes128Gcm) == 16);
  CHECK(rtcp_trailer_length(SrtpProfile::kAeadAes128Gcm) == 20);
  CHECK(key_length(SrtpProfile::kAes128CmHmacSha1_80) == 16);
  CHECK(salt_length(SrtpProfile::kAes128CmHmacSha1_80) == 14);
  CHECK(tag_length(SrtpProfile::kAes128CmHmacSha1_80) == 10);
  CHECK(rtcp_trailer_length(SrtpProfile::kAes128CmHmacSha1_80) == 14);
}

}  // namespace
}  // namespace jvb::srtp
