// The libsrtp subproject is 2.5 and built with OpenSSL: AES-GCM policies work only with an
// external crypto library, and the OpenSSL build reports it in its version and crypto kernel.
#include <doctest/doctest.h>
#include <srtp2/srtp.h>

#include <cstring>
#include <string>

namespace {

TEST_CASE("libsrtp 2.5 with OpenSSL: an AES-GCM session round-trips a packet") {
  REQUIRE(srtp_init() == srtp_err_status_ok);
  std::string version = srtp_get_version_string();
  CHECK_MESSAGE(version.find("2.5") != std::string::npos, version);

  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof policy);
  srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
  srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  unsigned char key[28];
  for (unsigned i = 0; i < sizeof key; ++i) key[i] = static_cast<unsigned char>(i * 7 + 1);
  policy.key = key;
  policy.window_size = 1024;
  policy.ssrc.type = ssrc_any_outbound;
  srtp_t sender = nullptr;
  REQUIRE(srtp_create(&sender, &policy) == srtp_err_status_ok);
  policy.ssrc.type = ssrc_any_inbound;
  srtp_t receiver = nullptr;
  REQUIRE(srtp_create(&receiver, &policy) == srtp_err_status_ok);

  unsigned char packet[12 + 100 + SRTP_MAX_TRAILER_LEN] = {0x80, 96, 0,    1,    0,    0,
                                                           0,    1,  0x12, 0x34, 0x56, 0x78};
  std::memset(packet + 12, 0xAB, 100);
  int len = 112;
  REQUIRE(srtp_protect(sender, packet, &len) == srtp_err_status_ok);
  CHECK(len == 128);  // 16-byte GCM tag
  REQUIRE(srtp_unprotect(receiver, packet, &len) == srtp_err_status_ok);
  CHECK(len == 112);
  CHECK(packet[12] == 0xAB);

  srtp_dealloc(sender);
  srtp_dealloc(receiver);
  srtp_shutdown();
}

}  // namespace
