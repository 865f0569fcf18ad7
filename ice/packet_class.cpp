// RFC 7983 §7 first-byte demultiplexing of the shared port.
#include "ice/packet_class.hpp"

namespace jvb::ice {
namespace {
constexpr std::size_t kStunHeaderSize = 20;
constexpr std::size_t kDtlsRecordHeaderSize = 13;
constexpr std::size_t kRtcpMinSize = 8;
constexpr std::size_t kRtpMinSize = 12;
}  // namespace

PacketClass classify_packet(std::span<const std::uint8_t> datagram) {
  if (datagram.empty()) return PacketClass::kUnknown;
  const std::uint8_t b0 = datagram[0];
  if (b0 <= 3) return datagram.size() >= kStunHeaderSize ? PacketClass::kStun : PacketClass::kUnknown;
  if (b0 >= 20 && b0 <= 63) {
    return datagram.size() >= kDtlsRecordHeaderSize ? PacketClass::kDtls : PacketClass::kUnknown;
  }
  if (b0 >= 128 && b0 <= 191) {
    if (datagram.size() < 2) return PacketClass::kUnknown;
    const std::uint8_t b1 = datagram[1];
    if (b1 >= 192 && b1 <= 223) {
      return datagram.size() >= kRtcpMinSize ? PacketClass::kRtcp : PacketClass::kUnknown;
    }
    return datagram.size() >= kRtpMinSize ? PacketClass::kRtp : PacketClass::kUnknown;
  }
  return PacketClass::kUnknown;
}

}  // namespace jvb::ice
