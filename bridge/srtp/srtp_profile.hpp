// The SRTP protection profiles the bridge negotiates through DTLS use_srtp, with their names and
// key sizes: SRTP_AEAD_AES_128_GCM (RFC 7714 §14.2) and SRTP_AES128_CM_HMAC_SHA1_80 (RFC 5764
// §4.1.2). Pure data; no libsrtp or OpenSSL types, so any module may include it.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace jvb::srtp {

// In the bridge's order of preference (JVB's jmt.srtp.protection-profiles).
enum class SrtpProfile { kAeadAes128Gcm, kAes128CmHmacSha1_80 };

// JVB's names: "SRTP_AEAD_AES_128_GCM", "SRTP_AES128_CM_HMAC_SHA1_80".
std::string_view profile_name(SrtpProfile profile);
// OpenSSL's names, as SSL_CTX_set_tlsext_use_srtp() takes them and
// SSL_get_selected_srtp_profile() reports them: "SRTP_AEAD_AES_128_GCM", "SRTP_AES128_CM_SHA1_80".
std::string_view openssl_profile_name(SrtpProfile profile);
// Accepts JVB's names and OpenSSL's; nullopt for anything else (including profiles we do not offer).
std::optional<SrtpProfile> profile_from_name(std::string_view name);

// Master key and master salt sizes in bytes (RFC 5764 §4.1.2, RFC 7714 §12).
std::size_t key_length(SrtpProfile profile);
std::size_t salt_length(SrtpProfile profile);
// Bytes appended to an SRTP packet: the authentication tag (RFC 3711 §4.2, RFC 7714 §7.2).
std::size_t tag_length(SrtpProfile profile);
// Bytes appended to an SRTCP packet: tag plus the 4-byte E-flag/index word (RFC 3711 §3.4).
std::size_t rtcp_trailer_length(SrtpProfile profile);

}  // namespace jvb::srtp
