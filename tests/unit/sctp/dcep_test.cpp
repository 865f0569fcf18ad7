// Tests of sctp/dcep.hpp (RFC 8832 §5).
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sctp/dcep.hpp"

using namespace jvb::sctp;
using Bytes = std::vector<std::uint8_t>;

namespace {

// What lib-jitsi-meet's createDataChannel() sends (BridgeChannel, via RTCPeerConnection): reliable,
// ordered, priority 256 (the browser's "low" default), label and protocol as below.
const std::string kLabel = "JVB data channel";
const std::string kProtocol = "http://jitsi.org/protocols/colibri";

Bytes open_message(std::uint8_t channel_type = 0x00, std::uint32_t reliability = 0) {
  Bytes b{0x03,
          channel_type,
          0x01,
          0x00,
          static_cast<std::uint8_t>(reliability >> 24),
          static_cast<std::uint8_t>(reliability >> 16),
          static_cast<std::uint8_t>(reliability >> 8),
          static_cast<std::uint8_t>(reliability),
          0x00,
          static_cast<std::uint8_t>(kLabel.size()),
          0x00,
          static_cast<std::uint8_t>(kProtocol.size())};
  b.insert(b.end(), kLabel.begin(), kLabel.end());
  b.insert(b.end(), kProtocol.begin(), kProtocol.end());
  return b;
}

}  // namespace

TEST_CASE("parse the bridge channel's DATA_CHANNEL_OPEN") {
  const Bytes m = open_message();
  CHECK(dcep_message_type(m).value() == DcepMessageType::kOpen);
  auto open = parse_dcep_open(m);
  REQUIRE(open);
  CHECK(open->channel_type == DcepChannelType::kReliable);
  CHECK(open->ordered());
  CHECK(open->priority == 256);
  CHECK(open->reliability_parameter == 0);
  CHECK(open->label == kLabel);
  CHECK(open->protocol == kProtocol);
  // Views into the input, not copies.
  CHECK(reinterpret_cast<const std::uint8_t*>(open->label.data()) == m.data() + kDcepOpenHeaderSize);
}

TEST_CASE("every channel type of RFC 8832 §5.1 parses; others are refused") {
  for (std::uint8_t type : {0x00, 0x80, 0x01, 0x81, 0x02, 0x82}) {
    CAPTURE(int(type));
    auto open = parse_dcep_open(open_message(type, 1234));
    REQUIRE(open);
    CHECK(static_cast<std::uint8_t>(open->channel_type) == type);
    CHECK(open->ordered() == ((type & 0x80) == 0));
    CHECK(open->reliability_parameter == 1234);
  }
  for (std::uint8_t type : {0x03, 0x7F, 0x83, 0xFF}) {
    CAPTURE(int(type));
    CHECK(parse_dcep_open(open_message(type)).error() == DcepError::kUnknownChannelType);
  }
}

TEST_CASE("an empty label and protocol are fine") {
  const Bytes m{0x03, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
  auto open = parse_dcep_open(m);
  REQUIRE(open);
  CHECK(open->label.empty());
  CHECK(open->protocol.empty());
}

TEST_CASE("a DATA_CHANNEL_OPEN truncated anywhere is refused") {
  const Bytes m = open_message();
  CHECK(parse_dcep_open(Bytes{}).error() == DcepError::kEmpty);
  for (std::size_t n = 1; n < m.size(); ++n) {
    CAPTURE(n);
    CHECK(parse_dcep_open(Bytes(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(n))).error() ==
          DcepError::kTruncated);
  }
}

TEST_CASE("lengths that disagree with the message are refused") {
  Bytes longer_label = open_message();
  longer_label[9] += 1;  // the label now claims one byte of the protocol, which comes up short
  CHECK(parse_dcep_open(longer_label).error() == DcepError::kTruncated);
  Bytes huge = open_message();
  huge[8] = 0xFF;
  huge[9] = 0xFF;
  CHECK(parse_dcep_open(huge).error() == DcepError::kTruncated);
  Bytes trailing = open_message();
  trailing.push_back('x');
  CHECK(parse_dcep_open(trailing).error() == DcepError::kTrailingBytes);
  Bytes shorter_protocol = open_message();
  shorter_protocol[11] -= 1;
  CHECK(parse_dcep_open(shorter_protocol).error() == DcepError::kTrailingBytes);
}

TEST_CASE("message types") {
  CHECK(dcep_message_type(Bytes{}).error() == DcepError::kEmpty);
  CHECK(dcep_message_type(Bytes{0x02}).value() == DcepMessageType::kAck);
  CHECK(dcep_message_type(Bytes{0x00}).error() == DcepError::kUnknownMessageType);
  CHECK(dcep_message_type(Bytes{0x01}).error() == DcepError::kUnknownMessageType);
  CHECK(dcep_message_type(Bytes{0x04, 1, 2}).error() == DcepError::kUnknownMessageType);
  CHECK(parse_dcep_open(Bytes{0x02}).error() == DcepError::kUnknownMessageType);
  CHECK(parse_dcep_ack(open_message()).error() == DcepError::kUnknownMessageType);
}

TEST_CASE("DATA_CHANNEL_ACK is exactly one byte") {
  CHECK(parse_dcep_ack(Bytes{0x02}).value() == DcepMessageType::kAck);
  CHECK(parse_dcep_ack(Bytes{}).error() == DcepError::kEmpty);
  CHECK(parse_dcep_ack(Bytes{0x02, 0x00}).error() == DcepError::kTrailingBytes);
  std::array<std::uint8_t, 4> out{9, 9, 9, 9};
  auto n = write_dcep_ack(out);
  REQUIRE(n);
  CHECK(*n == 1);
  CHECK(out[0] == 0x02);
  CHECK(out[1] == 9);
  CHECK(write_dcep_ack(std::span<std::uint8_t>()).error() == DcepError::kBufferTooSmall);
}

TEST_CASE("write a DATA_CHANNEL_OPEN") {
  DcepOpen open;
  open.priority = 256;
  open.label = kLabel;
  open.protocol = kProtocol;
  CHECK(dcep_open_size(open) == open_message().size());
  Bytes out(dcep_open_size(open) + 5, 0xEE);
  auto n = write_dcep_open(out, open);
  REQUIRE(n);
  CHECK(*n == dcep_open_size(open));
  CHECK(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)) == open_message());
  CHECK(out.back() == 0xEE);
  // And back.
  auto again = parse_dcep_open(std::span<const std::uint8_t>(out).first(*n));
  REQUIRE(again);
  CHECK(*again == open);

  DcepOpen timed{DcepChannelType::kPartialReliableTimedUnordered, 7, 3000, "t", ""};
  Bytes out2(dcep_open_size(timed));
  REQUIRE(write_dcep_open(out2, timed));
  CHECK(out2 == Bytes{0x03, 0x82, 0x00, 0x07, 0x00, 0x00, 0x0B, 0xB8, 0x00, 0x01, 0x00, 0x00, 't'});
}

TEST_CASE("writing refuses small buffers and fields longer than 65535 bytes") {
  DcepOpen open;
  open.label = kLabel;
  for (std::size_t size = 0; size < dcep_open_size(open); ++size) {
    Bytes out(size);
    CHECK(write_dcep_open(out, open).error() == DcepError::kBufferTooSmall);
  }
  const std::string long_label(70000, 'a');
  open.label = long_label;
  Bytes out(dcep_open_size(open));
  CHECK(write_dcep_open(out, open).error() == DcepError::kFieldTooLong);
  open.label = "ok";
  open.protocol = long_label;
  CHECK(write_dcep_open(out, open).error() == DcepError::kFieldTooLong);
  const std::string max_label(65535, 'b');
  open.label = max_label;
  open.protocol = "";
  Bytes max_out(dcep_open_size(open));
  REQUIRE(write_dcep_open(max_out, open));
  CHECK(parse_dcep_open(max_out).value().label.size() == 65535);
}

TEST_CASE("error names") {
  CHECK(dcep_error_name(DcepError::kTruncated) == "truncated");
  CHECK(dcep_error_name(DcepError::kTrailingBytes) == "trailing bytes");
}
