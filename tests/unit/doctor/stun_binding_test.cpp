// Tests of bridge/doctor/stun_binding.hpp (RFC 5389 Binding), with the responses of RFC 5769
// §2.2 and §2.3 (their MESSAGE-INTEGRITY and FINGERPRINT values zeroed here: this parser does
// not check them, a plain Binding has neither).
#include "bridge/doctor/stun_binding.hpp"

#include <doctest/doctest.h>

#include <vector>

namespace jvb::doctor {
namespace {

using Bytes = std::vector<std::uint8_t>;

const StunTransactionId kRfc5769Id{0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

Bytes header(std::uint16_t type, std::uint16_t length, const StunTransactionId& id) {
  Bytes b{static_cast<std::uint8_t>(type >> 8),
          static_cast<std::uint8_t>(type),
          static_cast<std::uint8_t>(length >> 8),
          static_cast<std::uint8_t>(length),
          0x21,
          0x12,
          0xa4,
          0x42};
  b.insert(b.end(), id.begin(), id.end());
  return b;
}

TEST_CASE("a request round-trips and has no attributes") {
  StunTransactionId id{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  std::array<std::uint8_t, kStunHeaderSize> out{};
  REQUIRE(write_binding_request(id, out) == 20);
  CHECK(Bytes(out.begin(), out.end()) == header(0x0001, 0, id));
  auto parsed = parse_binding(out);
  REQUIRE(parsed);
  CHECK(parsed->kind == StunBindingKind::kRequest);
  CHECK(parsed->id == id);
  CHECK_FALSE(parsed->mapped);
  std::array<std::uint8_t, 19> small{};
  CHECK(write_binding_request(id, small) == 0);
}

TEST_CASE("RFC 5769 2.2: the IPv4 response gives 192.0.2.1:32853") {
  Bytes b = header(0x0101, 0x3c, kRfc5769Id);
  Bytes rest{0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
             0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14};
  b.insert(b.end(), rest.begin(), rest.end());
  b.insert(b.end(), 20, 0);  // MESSAGE-INTEGRITY value
  Bytes fingerprint{0x80, 0x28, 0x00, 0x04, 0, 0, 0, 0};
  b.insert(b.end(), fingerprint.begin(), fingerprint.end());
  auto parsed = parse_binding(b);
  REQUIRE(parsed);
  CHECK(parsed->kind == StunBindingKind::kSuccess);
  CHECK(parsed->id == kRfc5769Id);
  REQUIRE(parsed->mapped);
  CHECK(parsed->mapped->to_string() == "192.0.2.1:32853");
}

TEST_CASE("RFC 5769 2.3: the IPv6 response gives [2001:db8:1234:5678:11:2233:4455:6677]:32853") {
  Bytes b = header(0x0101, 0x48, kRfc5769Id);
  Bytes rest{0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72,
             0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3,
             0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14};
  b.insert(b.end(), rest.begin(), rest.end());
  b.insert(b.end(), 20, 0);
  Bytes fingerprint{0x80, 0x28, 0x00, 0x04, 0, 0, 0, 0};
  b.insert(b.end(), fingerprint.begin(), fingerprint.end());
  auto parsed = parse_binding(b);
  REQUIRE(parsed);
  REQUIRE(parsed->mapped);
  CHECK(parsed->mapped->to_string() == "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
}

TEST_CASE("a success the doctor writes reads back, for both families") {
  for (const char* ip : {"203.0.113.10", "2001:db8::7"}) {
    auto mapped = SocketAddress::parse(ip, 10000);
    REQUIRE(mapped);
    std::array<std::uint8_t, kStunMaxBindingSize> out{};
    std::size_t n = write_binding_success(kRfc5769Id, *mapped, out);
    REQUIRE(n == (mapped->is_ipv6() ? 44u : 32u));
    auto parsed = parse_binding(std::span<const std::uint8_t>(out.data(), n));
    REQUIRE(parsed);
    CHECK(parsed->kind == StunBindingKind::kSuccess);
    REQUIRE(parsed->mapped);
    CHECK(*parsed->mapped == *mapped);
  }
  std::array<std::uint8_t, 31> small{};
  CHECK(write_binding_success(kRfc5769Id, *SocketAddress::parse("192.0.2.1", 1), small) == 0);
  std::array<std::uint8_t, 64> out{};
  CHECK(write_binding_success(kRfc5769Id, SocketAddress{}, out) == 0);
}

TEST_CASE("an RFC 3489 server's MAPPED-ADDRESS is used when there is no XOR-MAPPED-ADDRESS") {
  Bytes b = header(0x0101, 12, kRfc5769Id);
  Bytes attr{0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x0d, 0x96, 198, 51, 100, 7};
  b.insert(b.end(), attr.begin(), attr.end());
  auto parsed = parse_binding(b);
  REQUIRE(parsed);
  REQUIRE(parsed->mapped);
  CHECK(parsed->mapped->to_string() == "198.51.100.7:3478");
}

TEST_CASE("error responses are recognised; anything else is refused") {
  Bytes error = header(0x0111, 0, kRfc5769Id);
  auto parsed = parse_binding(error);
  REQUIRE(parsed);
  CHECK(parsed->kind == StunBindingKind::kError);

  Bytes good = header(0x0001, 0, kRfc5769Id);
  CHECK(parse_binding(Bytes(good.begin(), good.begin() + 19)) == std::nullopt);  // truncated
  Bytes cookie = good;
  cookie[4] = 0x22;
  CHECK_FALSE(parse_binding(cookie));
  Bytes allocate = header(0x0003, 0, kRfc5769Id);  // TURN Allocate: not a Binding
  CHECK_FALSE(parse_binding(allocate));
  Bytes rtp = good;
  rtp[0] = 0x80;  // the top two bits of a STUN type are zero (RFC 7983)
  CHECK_FALSE(parse_binding(rtp));
  Bytes long_length = header(0x0101, 8, kRfc5769Id);  // claims more than it has
  CHECK_FALSE(parse_binding(long_length));
  Bytes odd = header(0x0101, 6, kRfc5769Id);
  odd.insert(odd.end(), {0x00, 0x20, 0x00, 0x02, 1, 2});
  CHECK_FALSE(parse_binding(odd));  // not a multiple of 4
  Bytes overrun = header(0x0101, 8, kRfc5769Id);
  overrun.insert(overrun.end(), {0x00, 0x20, 0x00, 0x40, 1, 2, 3, 4});  // attribute longer than the message
  CHECK_FALSE(parse_binding(overrun));
  Bytes bad_family = header(0x0101, 12, kRfc5769Id);
  bad_family.insert(bad_family.end(), {0x00, 0x20, 0x00, 0x08, 0x00, 0x07, 0, 0, 1, 2, 3, 4});
  auto no_address = parse_binding(bad_family);
  REQUIRE(no_address);
  CHECK_FALSE(no_address->mapped);
}

}  // namespace
}  // namespace jvb::doctor
