// libFuzzer target for sctp/dcep.hpp (RFC 8832 §5): every parser on the input (each must accept
// or refuse, never crash), and for what parses, a rewrite that must give back the input exactly
// (the parsers are strict, so a message has one encoding) and must refuse a buffer one byte short.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "sctp/dcep.hpp"

namespace {

using namespace jvb::sctp;

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  const auto type = dcep_message_type(input);
  const auto open = parse_dcep_open(input);
  const auto ack = parse_dcep_ack(input);
  if (!type) (void)dcep_error_name(type.error());
  if (!open) (void)dcep_error_name(open.error());
  check(!(open && ack));
  check(!open || (type && *type == DcepMessageType::kOpen));
  check(!ack || (type && *type == DcepMessageType::kAck));

  if (open) {
    check(open->label.size() + open->protocol.size() + kDcepOpenHeaderSize == size);
    check(dcep_open_size(*open) == size);
    std::vector<std::uint8_t> out(size);
    const auto n = write_dcep_open(out, *open);
    check(n.has_value() && *n == size);
    check(std::vector<std::uint8_t>(input.begin(), input.end()) == out);
    const auto again = parse_dcep_open(out);
    check(again.has_value() && *again == *open);  // compares the label and protocol text
    std::vector<std::uint8_t> short_out(size - 1);
    check(write_dcep_open(short_out, *open).error() == DcepError::kBufferTooSmall);
  }
  if (ack) {
    check(size == kDcepAckSize);
    std::uint8_t out[kDcepAckSize];
    const auto n = write_dcep_ack(out);
    check(n.has_value() && *n == 1 && out[0] == data[0]);
  }
  return 0;
}
