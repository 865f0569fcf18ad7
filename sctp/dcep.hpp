// The Data Channel Establishment Protocol wire format (RFC 8832 §5): DATA_CHANNEL_OPEN and
// DATA_CHANNEL_ACK, carried as SCTP user messages with PPID 50 on the channel's stream. Also the
// data channel PPIDs (RFC 8831 §8, RFC 8832 §8.1).
//
// DATA_CHANNEL_OPEN (§5.1):
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Message Type |  Channel Type |            Priority           |
// |                    Reliability Parameter                      |
// |         Label Length          |       Protocol Length         |
// |                      Label (Label Length bytes)               |
// |                   Protocol (Protocol Length bytes)            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// DATA_CHANNEL_ACK (§5.2) is the single byte 0x02.
//
// Parsing is strict: a message must be exactly as long as its fields say. Parsed labels and
// protocols are views into the caller's bytes (nothing is copied); they are not checked for
// valid UTF-8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "bridge/core/result.hpp"

namespace jvb::sctp {

inline constexpr std::uint32_t kPpidDcep = 50;         // RFC 8832 §8.1
inline constexpr std::uint32_t kPpidString = 51;       // RFC 8831 §8
inline constexpr std::uint32_t kPpidBinary = 53;       // RFC 8831 §8
inline constexpr std::uint32_t kPpidStringEmpty = 56;  // RFC 8831 §8: one byte 0, meaning ""
inline constexpr std::uint32_t kPpidBinaryEmpty = 57;  // RFC 8831 §8

enum class DcepMessageType : std::uint8_t { kAck = 0x02, kOpen = 0x03 };

// RFC 8832 §5.1. The high bit means unordered.
enum class DcepChannelType : std::uint8_t {
  kReliable = 0x00,
  kReliableUnordered = 0x80,
  kPartialReliableRexmit = 0x01,
  kPartialReliableRexmitUnordered = 0x81,
  kPartialReliableTimed = 0x02,
  kPartialReliableTimedUnordered = 0x82,
};

inline constexpr std::size_t kDcepOpenHeaderSize = 12;
inline constexpr std::size_t kDcepAckSize = 1;

struct DcepOpen {
  DcepChannelType channel_type = DcepChannelType::kReliable;
  std::uint16_t priority = 0;
  // Retransmissions (Rexmit types) or milliseconds (Timed types); 0 and ignored when reliable.
  std::uint32_t reliability_parameter = 0;
  std::string_view label;
  std::string_view protocol;

  bool ordered() const { return (static_cast<std::uint8_t>(channel_type) & 0x80) == 0; }
  bool operator==(const DcepOpen&) const = default;
};

enum class DcepError {
  kEmpty,
  kUnknownMessageType,
  kUnknownChannelType,
  kTruncated,       // shorter than the header, or than its label and protocol lengths say
  kTrailingBytes,   // longer than its fields say
  kFieldTooLong,    // writing: a label or protocol longer than 65535 bytes
  kBufferTooSmall,  // writing
};
std::string_view dcep_error_name(DcepError error);

// The message type of a DCEP message (the first byte), without checking the rest.
Result<DcepMessageType, DcepError> dcep_message_type(std::span<const std::uint8_t> message);

Result<DcepOpen, DcepError> parse_dcep_open(std::span<const std::uint8_t> message);
// Succeeds only for exactly the one byte 0x02.
Result<DcepMessageType, DcepError> parse_dcep_ack(std::span<const std::uint8_t> message);

std::size_t dcep_open_size(const DcepOpen& open);
// Both return the bytes written.
Result<std::size_t, DcepError> write_dcep_open(std::span<std::uint8_t> out, const DcepOpen& open);
Result<std::size_t, DcepError> write_dcep_ack(std::span<std::uint8_t> out);

}  // namespace jvb::sctp
