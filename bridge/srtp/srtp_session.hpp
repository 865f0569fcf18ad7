// SRTP and SRTCP protection for one direction of one endpoint (RFC 3711 §3.3-3.4, RFC 7714 §7-9
// for AEAD_AES_128_GCM), on top of libsrtp 2.5. This pair of files is the only place in the
// bridge that includes libsrtp; callers see byte spans and SrtpError.
//
// Packets are transformed in place, as libsrtp requires: the bridge decrypts a received packet in
// its receive buffer and encrypts each receiver's copy in that copy's buffer, so the only copy per
// receiver is the one the forwarder makes anyway (one copy per receiver, made by encryption).
//
// Who may call: one SrtpSession belongs to one media worker thread; it is not thread-safe. Sessions
// are independent of each other, so different threads may use different sessions freely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "bridge/core/result.hpp"
#include "bridge/srtp/srtp_profile.hpp"

struct srtp_ctx_t_;  // libsrtp's session, kept out of this header

namespace jvb::srtp {

// Why a packet was not protected or unprotected. All of these are ordinary outcomes for network
// input: the caller drops the packet and counts the reason.
enum class SrtpError {
  kAuthFailed,  // tag did not verify: wrong key, corruption or forgery
  kReplay,      // index already seen, or older than the replay window
  kTooShort,    // shorter than a header plus the trailer the profile needs
  kBadParam,    // not an RTP/RTCP packet libsrtp accepts (version, CSRC count, extension length),
                // or the caller's buffer has no room for the trailer
  kOther,       // anything else libsrtp reports (e.g. key usage limit reached)
};
std::string_view error_name(SrtpError error);

class SrtpSession {
 public:
  enum class Direction { kInbound, kOutbound };

  // Room to leave after a plain RTP or RTCP packet for what protection appends: at most a 16-byte
  // GCM tag, plus the 4-byte SRTCP index for RTCP. We never use MKIs, so libsrtp's own
  // SRTP_MAX_TRAILER_LEN (which reserves 128 bytes for one) is more than we need.
  static constexpr std::size_t kMaxTrailer = 16 + 4;

  // One session covers every SSRC of its direction (libsrtp's ssrc_any_inbound/outbound
  // template). `key_and_salt` is master key || master salt, key_length() + salt_length() bytes.
  // Inbound sessions keep a replay window of kReplayWindow packets per SSRC, and keep state for
  // an SSRC only once one of its packets has authenticated (as JVB does; its SrtpDecryptTest pins it).
  // Outbound sessions allow protecting the same index twice, because the bridge re-sends
  // byte-identical packets (JVB's plain retransmissions).
  static Result<std::unique_ptr<SrtpSession>, std::string> create(SrtpProfile profile, Direction direction,
                                                                  std::span<const std::uint8_t> key_and_salt);
  static constexpr std::size_t kReplayWindow = 1024;

  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // Outbound: encrypts in place. `buffer` holds `length` bytes of plain RTP/RTCP followed by at
  // least the trailer the profile needs (kMaxTrailer is always enough). Returns the protected
  // length.
  Result<std::size_t, SrtpError> protect_rtp(std::span<std::uint8_t> buffer, std::size_t length);
  Result<std::size_t, SrtpError> protect_rtcp(std::span<std::uint8_t> buffer, std::size_t length);

  // Inbound: authenticates and decrypts in place. Returns the plain length. On error the bytes of
  // `packet` are unspecified (GCM may have decrypted part of them before the tag check).
  Result<std::size_t, SrtpError> unprotect_rtp(std::span<std::uint8_t> packet);
  Result<std::size_t, SrtpError> unprotect_rtcp(std::span<std::uint8_t> packet);

  // Whether this session holds per-SSRC state (rollover counter, replay window) for `ssrc`.
  // Inbound, that is the case only after a packet of the SSRC authenticated.
  bool has_stream(std::uint32_t ssrc) const;
  // Forgets an SSRC (e.g. when its source leaves), so a long-lived session does not grow without
  // bound. A later packet of the SSRC starts a new stream from the template.
  void remove_stream(std::uint32_t ssrc);

  SrtpProfile profile() const { return profile_; }
  Direction direction() const { return direction_; }

 private:
  SrtpSession(SrtpProfile profile, Direction direction, srtp_ctx_t_* session);

  SrtpProfile profile_;
  Direction direction_;
  srtp_ctx_t_* session_;
};

}  // namespace jvb::srtp
