// See stun_binding.hpp. Attribute layout: RFC 5389 §15 (type, length, value padded to 4 bytes).
#include "bridge/doctor/stun_binding.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "bridge/core/byte_reader.hpp"
#include "bridge/core/byte_writer.hpp"

namespace jvb::doctor {
namespace {

constexpr std::uint32_t kMagicCookie = 0x2112A442;
constexpr std::uint16_t kBindingRequest = 0x0001;
constexpr std::uint16_t kBindingSuccess = 0x0101;
constexpr std::uint16_t kBindingError = 0x0111;
constexpr std::uint16_t kAttrMappedAddress = 0x0001;
constexpr std::uint16_t kAttrXorMappedAddress = 0x0020;
constexpr std::uint8_t kFamilyIpv4 = 0x01;
constexpr std::uint8_t kFamilyIpv6 = 0x02;

bool write_header(ByteWriter& w, std::uint16_t type, std::uint16_t length, const StunTransactionId& id) {
  w.u16(type);
  w.u16(length);
  w.u32(kMagicCookie);
  w.bytes(id);
  return w.ok();
}

// The 16 bytes an IPv6 address is XORed with: the cookie, then the transaction id (§15.2).
std::array<std::uint8_t, 16> xor_key(const StunTransactionId& id) {
  std::array<std::uint8_t, 16> key{0x21, 0x12, 0xA4, 0x42};
  std::memcpy(key.data() + 4, id.data(), id.size());
  return key;
}

// MAPPED-ADDRESS and XOR-MAPPED-ADDRESS share a layout (§15.1, §15.2).
std::optional<SocketAddress> read_address(std::span<const std::uint8_t> value, bool xored,
                                          const StunTransactionId& id) {
  ByteReader r(value);
  r.u8();  // reserved
  std::uint8_t family = r.u8();
  std::uint16_t port = r.u16();
  if (!r.ok()) return std::nullopt;
  auto key = xor_key(id);
  if (xored) port ^= static_cast<std::uint16_t>(kMagicCookie >> 16);
  char text[INET6_ADDRSTRLEN] = {};
  if (family == kFamilyIpv4 && r.remaining() == 4) {
    std::array<std::uint8_t, 4> a{};
    auto raw = r.bytes(4);
    for (std::size_t i = 0; i < 4; ++i) a[i] = static_cast<std::uint8_t>(raw[i] ^ (xored ? key[i] : 0));
    if (!inet_ntop(AF_INET, a.data(), text, sizeof text)) return std::nullopt;
  } else if (family == kFamilyIpv6 && r.remaining() == 16) {
    std::array<std::uint8_t, 16> a{};
    auto raw = r.bytes(16);
    for (std::size_t i = 0; i < 16; ++i) a[i] = static_cast<std::uint8_t>(raw[i] ^ (xored ? key[i] : 0));
    if (!inet_ntop(AF_INET6, a.data(), text, sizeof text)) return std::nullopt;
  } else {
    return std::nullopt;
  }
  return SocketAddress::parse(text, port);
}

}  // namespace

std::size_t write_binding_request(const StunTransactionId& id, std::span<std::uint8_t> out) {
  ByteWriter w(out);
  return write_header(w, kBindingRequest, 0, id) ? w.offset() : 0;
}

std::size_t write_binding_success(const StunTransactionId& id, const SocketAddress& mapped,
                                  std::span<std::uint8_t> out) {
  if (!mapped.is_set()) return 0;
  const bool v6 = mapped.is_ipv6();
  const std::uint16_t value_length = v6 ? 20 : 8;
  ByteWriter w(out);
  write_header(w, kBindingSuccess, static_cast<std::uint16_t>(4 + value_length), id);
  w.u16(kAttrXorMappedAddress);
  w.u16(value_length);
  w.u8(0);
  w.u8(v6 ? kFamilyIpv6 : kFamilyIpv4);
  w.u16(static_cast<std::uint16_t>(mapped.port() ^ (kMagicCookie >> 16)));
  auto key = xor_key(id);
  const sockaddr* sa = mapped.sockaddr_ptr();
  const auto* raw =
      v6 ? reinterpret_cast<const std::uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr)
         : reinterpret_cast<const std::uint8_t*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
  for (std::size_t i = 0; i < (v6 ? 16u : 4u); ++i) w.u8(static_cast<std::uint8_t>(raw[i] ^ key[i]));
  return w.ok() ? w.offset() : 0;
}

std::optional<StunBinding> parse_binding(std::span<const std::uint8_t> datagram) {
  ByteReader r(datagram);
  std::uint16_t type = r.u16();
  std::uint16_t length = r.u16();
  std::uint32_t cookie = r.u32();
  auto id_bytes = r.bytes(12);
  if (!r.ok() || (type & 0xC000) != 0 || cookie != kMagicCookie || length % 4 != 0 ||
      length != r.remaining()) {
    return std::nullopt;
  }
  StunBinding out;
  std::memcpy(out.id.data(), id_bytes.data(), out.id.size());
  switch (type) {
    case kBindingRequest:
      out.kind = StunBindingKind::kRequest;
      break;
    case kBindingSuccess:
      out.kind = StunBindingKind::kSuccess;
      break;
    case kBindingError:
      out.kind = StunBindingKind::kError;
      break;
    default:
      return std::nullopt;
  }
  std::optional<SocketAddress> plain;
  while (r.remaining() > 0) {
    std::uint16_t attr = r.u16();
    std::uint16_t attr_length = r.u16();
    auto value = r.bytes(attr_length);
    r.skip((4 - attr_length % 4) % 4);
    if (!r.ok()) return std::nullopt;
    if (out.kind != StunBindingKind::kSuccess) continue;
    if (attr == kAttrXorMappedAddress && !out.mapped) out.mapped = read_address(value, true, out.id);
    if (attr == kAttrMappedAddress && !plain) plain = read_address(value, false, out.id);
  }
  if (!out.mapped) out.mapped = plain;
  return out;
}

}  // namespace jvb::doctor
