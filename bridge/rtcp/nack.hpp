// Generic NACK (RFC 4585 §6.2.1). Receivers' NACKs are terminated and answered from the
// bridge's retransmission cache; the bridge sends its own to video senders, all missing seqs of
// an SSRC in one packet (JVB's NackHandler and RetransmissionRequester).
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |V=2|P|  FMT=1  |    PT=205     |          length               |
// |                  SSRC of packet sender                        |
// |                  SSRC of media source                         |
// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
// |            PID                |             BLP               |  FCI, repeated
//
// PID is a lost sequence number; bit i of BLP (LSB = bit 0) reports PID + i + 1 lost too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "bridge/rtcp/rtcp_compound.hpp"

namespace jvb::rtcp {

struct NackItem {
  std::uint16_t pid = 0;
  std::uint16_t blp = 0;
  bool operator==(const NackItem&) const = default;
};

class Nack {
 public:
  // At least one FCI item is required (RFC 4585 §6.2.1).
  static Result<Nack, RtcpError> parse(const RtcpPacketView& packet);

  std::uint32_t sender_ssrc() const { return sender_ssrc_; }
  std::uint32_t media_ssrc() const { return media_ssrc_; }
  std::size_t item_count() const { return items_.size() / 4; }
  NackItem item(std::size_t i) const;  // i < item_count(); zero otherwise

  // Calls f(seq) for every sequence number reported lost, in packet order, without allocating.
  template <class F>
  void for_each_lost(F&& f) const {
    for (std::size_t i = 0; i < item_count(); ++i) {
      const NackItem it = item(i);
      f(it.pid);
      for (unsigned bit = 0; bit < 16; ++bit) {
        if ((it.blp >> bit) & 1) f(static_cast<std::uint16_t>(it.pid + bit + 1));
      }
    }
  }
  std::vector<std::uint16_t> lost_sequence_numbers() const;

 private:
  std::uint32_t sender_ssrc_ = 0;
  std::uint32_t media_ssrc_ = 0;
  std::span<const std::uint8_t> items_;
};

// Packs `lost` into PID/BLP items: each item starts at a seq not covered by the item before it
// and takes the following seqs that lie within 16 after its PID. The packing is tightest for
// seqs in ascending (wrap-aware) order; any order reports every seq.
std::size_t nack_item_count(std::span<const std::uint16_t> lost);
// kInvalidArgument for an empty list.
Result<std::size_t, RtcpError> write_nack(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                          std::uint32_t media_ssrc, std::span<const std::uint16_t> lost);

}  // namespace jvb::rtcp
