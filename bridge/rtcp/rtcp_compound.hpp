// The RTCP common header (RFC 3550 §6.4.1) and walking a compound packet (RFC 3550 §6.1,
// validity checks of Appendix A.2, relaxed for reduced-size RTCP, RFC 5506 §3.4.2: the first
// packet need not be an SR or RR). Each packet-type file (sender_report.hpp, nack.hpp, ...)
// parses the RtcpPacketView this iteration yields and writes its own packets through the
// begin/end helpers below.
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |V=2|P| RC/SC/FMT |      PT       |  length (32-bit words - 1)  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Views point into the caller's bytes. Pure functions, no allocation; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "bridge/core/byte_writer.hpp"
#include "bridge/core/result.hpp"

namespace jvb::rtcp {

inline constexpr std::size_t kHeaderSize = 4;

// Packet types (RFC 3550 §12.1, RFC 4585 §6.1).
inline constexpr std::uint8_t kPtSenderReport = 200;
inline constexpr std::uint8_t kPtReceiverReport = 201;
inline constexpr std::uint8_t kPtSdes = 202;
inline constexpr std::uint8_t kPtBye = 203;
inline constexpr std::uint8_t kPtApp = 204;
inline constexpr std::uint8_t kPtRtpFeedback = 205;
inline constexpr std::uint8_t kPtPayloadFeedback = 206;
inline constexpr std::uint8_t kPtExtendedReport = 207;

// Feedback message types, the FMT in the count field (RFC 4585 §6.2, §6.3; RFC 5104 §4.3).
inline constexpr std::uint8_t kFmtGenericNack = 1;         // RTPFB
inline constexpr std::uint8_t kFmtTransportFeedback = 15;  // RTPFB, transport-wide cc
inline constexpr std::uint8_t kFmtPli = 1;                 // PSFB
inline constexpr std::uint8_t kFmtFir = 4;                 // PSFB
inline constexpr std::uint8_t kFmtApplicationLayer = 15;   // PSFB, REMB

enum class RtcpError : std::uint8_t {
  kTruncated,       // shorter than a header, or than its length field says
  kBadVersion,      // V != 2
  kBadPadding,      // P set with a zero or too-large count, or P on a non-last packet
  kWrongType,       // parsed as a type it is not (PT, FMT or the REMB identifier)
  kBadLength,       // the length does not fit the packet type's layout
  kBadCount,        // the count field disagrees with the body
  kMalformed,       // inconsistent content (a reserved TCC symbol, a missing SDES terminator)
  kBufferTooSmall,  // a builder's output buffer is too small
  kInvalidArgument  // a builder was given something the format cannot carry
};
const char* rtcp_error_name(RtcpError error);

// One RTCP packet of a compound.
struct RtcpPacketView {
  bool padding = false;
  std::uint8_t count = 0;  // RC, SC or FMT
  std::uint8_t packet_type = 0;
  std::span<const std::uint8_t> packet;  // header through padding
  std::span<const std::uint8_t> body;    // after the 4-byte header, without padding
};

// The first RTCP packet in `data` (which may hold more after it).
Result<RtcpPacketView, RtcpError> parse_rtcp_packet(std::span<const std::uint8_t> data);

// Walks a compound packet. next() yields packets until the end or the first malformed one;
// then error() tells which. A packet with P set must be the last (RFC 3550 §6.4.1).
class RtcpCompoundIterator {
 public:
  explicit RtcpCompoundIterator(std::span<const std::uint8_t> compound) : rest_(compound) {}

  std::optional<RtcpPacketView> next();
  std::optional<RtcpError> error() const { return error_; }

 private:
  std::span<const std::uint8_t> rest_;
  std::optional<RtcpError> error_;
};

// Checks a whole compound packet; returns the number of packets in it (at least one).
Result<std::size_t, RtcpError> validate_compound(std::span<const std::uint8_t> compound);

// For builders: begin_packet writes a header with a zero length and returns its offset;
// end_packet zero-pads the packet to a multiple of 4 bytes and fills in the length. The
// writer's ok() reports overflow.
std::size_t begin_packet(ByteWriter& w, std::uint8_t count, std::uint8_t packet_type);
void end_packet(ByteWriter& w, std::size_t start);

}  // namespace jvb::rtcp
