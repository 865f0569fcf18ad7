// SrtpSession on libsrtp 2.5 (RFC 3711, RFC 7714). See srtp_session.hpp for the contract.
#include "bridge/srtp/srtp_session.hpp"

#include <arpa/inet.h>
#include <srtp2/srtp.h>

#include <array>
#include <climits>
#include <cstring>
#include <mutex>

namespace jvb::srtp {
namespace {

// An RTP fixed header (RFC 3550 §5.1) and the RTCP header plus sender SSRC (RFC 3550 §6.4).
constexpr std::size_t kRtpHeader = 12;
constexpr std::size_t kRtcpHeader = 8;
constexpr std::size_t kSrtcpIndex = 4;
// Larger than any UDP payload; keeps lengths inside libsrtp's int arithmetic.
constexpr std::size_t kMaxPacket = 65535;

static_assert(SrtpSession::kMaxTrailer >= SRTP_MAX_TAG_LEN + kSrtcpIndex,
              "kMaxTrailer must hold the largest tag plus the SRTCP index");

// libsrtp keeps process-wide tables (crypto kernel, debug modules) that srtp_init() fills once.
// We never call srtp_shutdown(): sessions may be alive until the process exits.
srtp_err_status_t ensure_initialised() {
  static std::once_flag once;
  static srtp_err_status_t status = srtp_err_status_ok;
  std::call_once(once, [] { status = srtp_init(); });
  return status;
}

SrtpError map_error(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_auth_fail:
      return SrtpError::kAuthFailed;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
      return SrtpError::kReplay;
    case srtp_err_status_bad_param:
      return SrtpError::kBadParam;
    default:
      return SrtpError::kOther;
  }
}

bool is_version_2(std::span<const std::uint8_t> packet) { return (packet[0] >> 6) == 2; }

void wipe(std::span<std::uint8_t> bytes) {
  // volatile so that the compiler cannot drop the stores to a buffer that dies right after.
  volatile std::uint8_t* p = bytes.data();
  for (std::size_t i = 0; i < bytes.size(); ++i) p[i] = 0;
}

}  // namespace

std::string_view error_name(SrtpError error) {
  switch (error) {
    case SrtpError::kAuthFailed:
      return "auth_failed";
    case SrtpError::kReplay:
      return "replay";
    case SrtpError::kTooShort:
      return "too_short";
    case SrtpError::kBadParam:
      return "bad_param";
    case SrtpError::kOther:
      return "other";
  }
  return "unknown";
}

Result<std::unique_ptr<SrtpSession>, std::string> SrtpSession::create(
    SrtpProfile profile, Direction direction, std::span<const std::uint8_t> key_and_salt) {
  if (srtp_err_status_t status = ensure_initialised(); status != srtp_err_status_ok) {
    return unexpected("srtp_init failed with status " + std::to_string(status));
  }
  const std::size_t expected = key_length(profile) + salt_length(profile);
  if (key_and_salt.size() != expected) {
    return unexpected("SRTP key and salt for " + std::string(profile_name(profile)) + " must be " +
                      std::to_string(expected) + " bytes, not " + std::to_string(key_and_salt.size()));
  }

  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof policy);
  switch (profile) {
    case SrtpProfile::kAeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
      break;
    case SrtpProfile::kAes128CmHmacSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      break;
  }
  // libsrtp wants a mutable key; it derives the session keys in srtp_create() and keeps no pointer
  // to this buffer afterwards.
  std::array<std::uint8_t, 64> key{};
  std::memcpy(key.data(), key_and_salt.data(), key_and_salt.size());
  policy.key = key.data();
  policy.ssrc.type = direction == Direction::kInbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.window_size = kReplayWindow;
  policy.allow_repeat_tx = direction == Direction::kOutbound ? 1 : 0;
  policy.next = nullptr;

  srtp_t session = nullptr;
  srtp_err_status_t status = srtp_create(&session, &policy);
  wipe(key);
  if (status != srtp_err_status_ok) {
    return unexpected("srtp_create failed with status " + std::to_string(status));
  }
  return std::unique_ptr<SrtpSession>(new SrtpSession(profile, direction, session));
}

SrtpSession::SrtpSession(SrtpProfile profile, Direction direction, srtp_ctx_t_* session)
    : profile_(profile), direction_(direction), session_(session) {}

SrtpSession::~SrtpSession() { srtp_dealloc(session_); }

Result<std::size_t, SrtpError> SrtpSession::protect_rtp(std::span<std::uint8_t> buffer, std::size_t length) {
  if (length > buffer.size() || length > kMaxPacket) return unexpected(SrtpError::kBadParam);
  if (length < kRtpHeader) return unexpected(SrtpError::kTooShort);
  // libsrtp writes the tag after the packet without knowing the buffer's size.
  if (buffer.size() - length < tag_length(profile_)) return unexpected(SrtpError::kBadParam);
  if (!is_version_2(buffer)) return unexpected(SrtpError::kBadParam);
  int len = static_cast<int>(length);
  srtp_err_status_t status = srtp_protect(session_, buffer.data(), &len);
  if (status != srtp_err_status_ok) return unexpected(map_error(status));
  return static_cast<std::size_t>(len);
}

Result<std::size_t, SrtpError> SrtpSession::protect_rtcp(std::span<std::uint8_t> buffer, std::size_t length) {
  if (length > buffer.size() || length > kMaxPacket) return unexpected(SrtpError::kBadParam);
  if (length < kRtcpHeader) return unexpected(SrtpError::kTooShort);
  if (buffer.size() - length < rtcp_trailer_length(profile_)) return unexpected(SrtpError::kBadParam);
  if (!is_version_2(buffer)) return unexpected(SrtpError::kBadParam);
  int len = static_cast<int>(length);
  srtp_err_status_t status = srtp_protect_rtcp(session_, buffer.data(), &len);
  if (status != srtp_err_status_ok) return unexpected(map_error(status));
  return static_cast<std::size_t>(len);
}

Result<std::size_t, SrtpError> SrtpSession::unprotect_rtp(std::span<std::uint8_t> packet) {
  if (packet.size() > kMaxPacket) return unexpected(SrtpError::kBadParam);
  if (packet.size() < kRtpHeader + tag_length(profile_)) return unexpected(SrtpError::kTooShort);
  if (!is_version_2(packet)) return unexpected(SrtpError::kBadParam);
  int len = static_cast<int>(packet.size());
  srtp_err_status_t status = srtp_unprotect(session_, packet.data(), &len);
  if (status != srtp_err_status_ok) return unexpected(map_error(status));
  return static_cast<std::size_t>(len);
}

Result<std::size_t, SrtpError> SrtpSession::unprotect_rtcp(std::span<std::uint8_t> packet) {
  if (packet.size() > kMaxPacket) return unexpected(SrtpError::kBadParam);
  if (packet.size() < kRtcpHeader + rtcp_trailer_length(profile_)) return unexpected(SrtpError::kTooShort);
  if (!is_version_2(packet)) return unexpected(SrtpError::kBadParam);
  int len = static_cast<int>(packet.size());
  srtp_err_status_t status = srtp_unprotect_rtcp(session_, packet.data(), &len);
  if (status != srtp_err_status_ok) return unexpected(map_error(status));
  return static_cast<std::size_t>(len);
}

bool SrtpSession::has_stream(std::uint32_t ssrc) const {
  std::uint32_t roc = 0;
  // The only public per-SSRC lookup in libsrtp 2.5; it fails when no stream exists.
  return srtp_get_stream_roc(session_, ssrc, &roc) == srtp_err_status_ok;
}

void SrtpSession::remove_stream(std::uint32_t ssrc) {
  // srtp_remove_stream takes network byte order, unlike srtp_get_stream_roc.
  (void)srtp_remove_stream(session_, htonl(ssrc));
}

}  // namespace jvb::srtp
