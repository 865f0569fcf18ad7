// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01
// §3.1): per transport-wide sequence number, whether the packet arrived and when. Receivers'
// feedback drives the bridge's send-side estimate; the bridge sends feedback to every endpoint
// that negotiated transport-cc (as JVB's TccGeneratorNode does).
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |V=2|P|  FMT=15 |    PT=205     |           length              |
// |                     SSRC of packet sender                     |
// |                      SSRC of media source                     |
// |      base sequence number     |      packet status count      |
// |                 reference time                | fb pkt. count |
// |          packet chunk         |         packet chunk          |  ...
// |         recv delta            |  recv delta   | zero padding  |  ...
//
// Packet status chunks (§3.1.3, §3.1.4), 16 bits each:
//   run length:    0 | S(2) | run length (13)
//   status vector: 1 | 0 | 14 one-bit symbols (0 not received, 1 received with a small delta)
//                  1 | 1 | 7 two-bit symbols (00 not received, 01 small delta, 10 large or
//                                             negative delta, 11 reserved)
// Receive deltas (§3.1.5) in 250 us ticks, one per received packet: small = 1 unsigned byte,
// large = 2 signed bytes. The first is relative to the reference time (24-bit signed, 64 ms
// ticks), each later one to the previous received packet.
//
// TransportFeedback::parse checks the chunks and the delta bytes against the status count, so
// iterating a parsed feedback cannot fail. Views point into the caller's bytes. Pure functions;
// any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bridge/core/time.hpp"
#include "bridge/rtcp/rtcp_compound.hpp"

namespace jvb::rtcp {

inline constexpr std::chrono::microseconds kTccDeltaTick{250};
inline constexpr std::chrono::microseconds kTccReferenceTick{64000};
inline constexpr std::size_t kTccHeaderSize = 20;  // common header through fb pkt. count

enum class TccStatus : std::uint8_t { kNotReceived = 0, kSmallDelta = 1, kLargeDelta = 2 };

struct TccPacketStatus {
  std::uint16_t sequence_number = 0;
  TccStatus status = TccStatus::kNotReceived;
  std::int32_t delta_ticks = 0;  // 250 us ticks; 0 when not received
  // Reference time plus the deltas so far, on the feedback sender's clock; 0 when not received.
  std::chrono::microseconds arrival{0};
  bool received() const { return status != TccStatus::kNotReceived; }
};

// Walks the statuses of a parsed feedback in sequence-number order, without allocating.
class TccPacketIterator {
 public:
  TccPacketIterator() = default;
  TccPacketIterator(std::span<const std::uint8_t> chunks, std::span<const std::uint8_t> deltas,
                    std::uint16_t base_sequence, std::size_t status_count,
                    std::chrono::microseconds reference)
      : chunks_(chunks), deltas_(deltas), sequence_(base_sequence), left_(status_count), time_(reference) {}

  std::optional<TccPacketStatus> next();

 private:
  std::span<const std::uint8_t> chunks_;
  std::span<const std::uint8_t> deltas_;
  std::size_t chunk_pos_ = 0;
  std::size_t delta_pos_ = 0;
  std::uint16_t chunk_ = 0;
  std::size_t in_chunk_ = 0;  // symbols left in the current chunk
  std::size_t chunk_index_ = 0;
  std::uint16_t sequence_ = 0;
  std::size_t left_ = 0;
  std::chrono::microseconds time_{0};
};

class TransportFeedback {
 public:
  static Result<TransportFeedback, RtcpError> parse(const RtcpPacketView& packet);

  std::uint32_t sender_ssrc() const { return sender_ssrc_; }
  std::uint32_t media_ssrc() const { return media_ssrc_; }
  std::uint16_t base_sequence() const { return base_sequence_; }
  std::uint16_t status_count() const { return status_count_; }
  std::int32_t reference_time_ticks() const { return reference_ticks_; }  // signed 24-bit
  std::chrono::microseconds reference_time() const { return reference_ticks_ * kTccReferenceTick; }
  std::uint8_t feedback_count() const { return feedback_count_; }
  std::size_t received_count() const { return received_count_; }

  TccPacketIterator packets() const {
    return TccPacketIterator(chunks_, deltas_, base_sequence_, status_count_, reference_time());
  }
  // The same as packets(), collected (allocates).
  std::vector<TccPacketStatus> all_packets() const;

 private:
  std::uint32_t sender_ssrc_ = 0;
  std::uint32_t media_ssrc_ = 0;
  std::uint16_t base_sequence_ = 0;
  std::uint16_t status_count_ = 0;
  std::int32_t reference_ticks_ = 0;
  std::uint8_t feedback_count_ = 0;
  std::size_t received_count_ = 0;
  std::span<const std::uint8_t> chunks_;
  std::span<const std::uint8_t> deltas_;
};

// One packet to report: its transport-wide sequence number and, if it arrived, when.
struct TccPacket {
  std::uint16_t sequence_number = 0;
  std::optional<Timestamp> arrival;
};

struct TransportFeedbackHeader {
  std::uint32_t sender_ssrc = 0;
  std::uint32_t media_ssrc = 0;
  std::uint8_t feedback_count = 0;
};

struct TccWriteResult {
  std::size_t bytes = 0;    // packet size written to the output
  std::size_t packets = 0;  // how many input packets it covers, from the front
};

// Writes one feedback covering `packets`, which must be in ascending wrap-aware sequence order
// with no repeats (steps of 1 to 0x7FFF; sequence numbers skipped are reported not received).
// The base sequence is the first packet's; the reference time is the first arrival rounded down
// to 64 ms; deltas are rounded to 250 us without drift. The feedback stops early, before the
// packet that would not fit in `out`, push the status count past 0xFFFF, or need a delta beyond
// the 16-bit range: then `packets` < packets.size() and the caller starts another feedback with
// the rest (as JVB splits large feedback). kInvalidArgument for an empty or misordered list;
// kBufferTooSmall if not even the first packet fits.
Result<TccWriteResult, RtcpError> write_transport_feedback(std::span<std::uint8_t> out,
                                                           const TransportFeedbackHeader& header,
                                                           std::span<const TccPacket> packets);

}  // namespace jvb::rtcp
