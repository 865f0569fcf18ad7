// DCEP messages (RFC 8832 §5); see dcep.hpp.
#include "sctp/dcep.hpp"

#include "bridge/core/byte_reader.hpp"
#include "bridge/core/byte_writer.hpp"

namespace jvb::sctp {
namespace {

bool known_channel_type(std::uint8_t type) {
  switch (static_cast<DcepChannelType>(type)) {
    case DcepChannelType::kReliable:
    case DcepChannelType::kReliableUnordered:
    case DcepChannelType::kPartialReliableRexmit:
    case DcepChannelType::kPartialReliableRexmitUnordered:
    case DcepChannelType::kPartialReliableTimed:
    case DcepChannelType::kPartialReliableTimedUnordered:
      return true;
  }
  return false;
}

std::string_view as_text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

std::string_view dcep_error_name(DcepError error) {
  switch (error) {
    case DcepError::kEmpty:
      return "empty";
    case DcepError::kUnknownMessageType:
      return "unknown message type";
    case DcepError::kUnknownChannelType:
      return "unknown channel type";
    case DcepError::kTruncated:
      return "truncated";
    case DcepError::kTrailingBytes:
      return "trailing bytes";
    case DcepError::kFieldTooLong:
      return "field too long";
    case DcepError::kBufferTooSmall:
      return "buffer too small";
  }
  return "unknown";
}

Result<DcepMessageType, DcepError> dcep_message_type(std::span<const std::uint8_t> message) {
  if (message.empty()) return unexpected(DcepError::kEmpty);
  switch (message[0]) {
    case static_cast<std::uint8_t>(DcepMessageType::kAck):
      return DcepMessageType::kAck;
    case static_cast<std::uint8_t>(DcepMessageType::kOpen):
      return DcepMessageType::kOpen;
    default:
      return unexpected(DcepError::kUnknownMessageType);
  }
}

Result<DcepOpen, DcepError> parse_dcep_open(std::span<const std::uint8_t> message) {
  auto type = dcep_message_type(message);
  if (!type) return unexpected(type.error());
  if (*type != DcepMessageType::kOpen) return unexpected(DcepError::kUnknownMessageType);
  ByteReader r(message);
  r.skip(1);
  const std::uint8_t channel_type = r.u8();
  DcepOpen open;
  open.priority = r.u16();
  open.reliability_parameter = r.u32();
  const std::size_t label_length = r.u16();
  const std::size_t protocol_length = r.u16();
  if (!r.ok()) return unexpected(DcepError::kTruncated);
  if (!known_channel_type(channel_type)) return unexpected(DcepError::kUnknownChannelType);
  open.channel_type = static_cast<DcepChannelType>(channel_type);
  open.label = as_text(r.bytes(label_length));
  open.protocol = as_text(r.bytes(protocol_length));
  if (!r.ok()) return unexpected(DcepError::kTruncated);
  if (r.remaining() != 0) return unexpected(DcepError::kTrailingBytes);
  return open;
}

Result<DcepMessageType, DcepError> parse_dcep_ack(std::span<const std::uint8_t> message) {
  auto type = dcep_message_type(message);
  if (!type) return unexpected(type.error());
  if (*type != DcepMessageType::kAck) return unexpected(DcepError::kUnknownMessageType);
  if (message.size() != kDcepAckSize) return unexpected(DcepError::kTrailingBytes);
  return DcepMessageType::kAck;
}

std::size_t dcep_open_size(const DcepOpen& open) {
  return kDcepOpenHeaderSize + open.label.size() + open.protocol.size();
}

Result<std::size_t, DcepError> write_dcep_open(std::span<std::uint8_t> out, const DcepOpen& open) {
  if (open.label.size() > 0xFFFF || open.protocol.size() > 0xFFFF)
    return unexpected(DcepError::kFieldTooLong);
  if (out.size() < dcep_open_size(open)) return unexpected(DcepError::kBufferTooSmall);
  ByteWriter w(out);
  w.u8(static_cast<std::uint8_t>(DcepMessageType::kOpen));
  w.u8(static_cast<std::uint8_t>(open.channel_type));
  w.u16(open.priority);
  w.u32(open.reliability_parameter);
  w.u16(static_cast<std::uint16_t>(open.label.size()));
  w.u16(static_cast<std::uint16_t>(open.protocol.size()));
  w.bytes(as_bytes(open.label));
  w.bytes(as_bytes(open.protocol));
  if (!w.ok()) return unexpected(DcepError::kBufferTooSmall);
  return w.offset();
}

Result<std::size_t, DcepError> write_dcep_ack(std::span<std::uint8_t> out) {
  ByteWriter w(out);
  if (!w.u8(static_cast<std::uint8_t>(DcepMessageType::kAck))) return unexpected(DcepError::kBufferTooSmall);
  return w.offset();
}

}  // namespace jvb::sctp
