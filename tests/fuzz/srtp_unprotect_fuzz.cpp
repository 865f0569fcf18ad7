// libFuzzer target for bridge/srtp/srtp_session: unprotect_rtp/unprotect_rtcp of arbitrary
// bytes on inbound sessions of both profiles with fixed keys (RFC 3711 §3.3-3.4, RFC 7714), and,
// when the input parses as an RTP packet (RFC 3550 §5.1, RFC 8285 extension), a
// protect-then-unprotect round trip that must give back the same bytes.
// Input: one control byte (bit 0: profile, bit 1: RTCP instead of RTP), then the packet.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "bridge/srtp/srtp_session.hpp"

namespace {

using namespace jvb::srtp;

std::vector<std::uint8_t> fixed_key(SrtpProfile profile) {
  std::vector<std::uint8_t> key(key_length(profile) + salt_length(profile));
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(0xA0 + i);
  return key;
}

std::unique_ptr<SrtpSession> session(SrtpProfile profile, SrtpSession::Direction direction) {
  auto s = SrtpSession::create(profile, direction, fixed_key(profile));
  if (!s) std::abort();
  return std::move(s.value());
}

// Whether libsrtp must accept `p` as RTP: fixed header, CSRCs and extension all present.
bool parses_as_rtp(const std::uint8_t* p, std::size_t n) {
  if (n < 12 || (p[0] >> 6) != 2) return false;
  std::size_t header = 12 + 4 * static_cast<std::size_t>(p[0] & 0x0F);
  if (n < header) return false;
  if (p[0] & 0x10) {
    if (n < header + 4) return false;
    header += 4 + 4 * ((std::size_t{p[header + 2]} << 8) | p[header + 3]);
    if (n < header) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const SrtpProfile profile = (data[0] & 1) ? SrtpProfile::kAes128CmHmacSha1_80 : SrtpProfile::kAeadAes128Gcm;
  const bool rtcp = data[0] & 2;
  const std::uint8_t* packet = data + 1;
  const std::size_t length = size - 1;

  // Fresh sessions per input keep runs reproducible.
  auto inbound = session(profile, SrtpSession::Direction::kInbound);
  std::vector<std::uint8_t> buffer(packet, packet + length);
  auto result = rtcp ? inbound->unprotect_rtcp(buffer) : inbound->unprotect_rtp(buffer);
  if (result && *result > length) std::abort();

  if (!rtcp && parses_as_rtp(packet, length) && length <= 65535 - SrtpSession::kMaxTrailer) {
    auto outbound = session(profile, SrtpSession::Direction::kOutbound);
    auto receiver = session(profile, SrtpSession::Direction::kInbound);
    std::vector<std::uint8_t> wire(length + SrtpSession::kMaxTrailer);
    std::memcpy(wire.data(), packet, length);
    auto protected_length = outbound->protect_rtp(wire, length);
    if (!protected_length) std::abort();
    if (*protected_length != length + tag_length(profile)) std::abort();
    wire.resize(*protected_length);
    auto plain_length = receiver->unprotect_rtp(wire);
    if (!plain_length || *plain_length != length || std::memcmp(wire.data(), packet, length) != 0)
      std::abort();
  }
  return 0;
}
