// Sets one RTP header extension element, growing the packet when needed (RFC 8285 §4.2, §4.3).
// See the header for the rules.
#include "bridge/media/rewriting/header_extension_writer.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace jvb::media {

namespace {

// More elements than this in one packet is not something a browser sends; the bound keeps the
// element list on the stack.
constexpr std::size_t kMaxElements = 64;

}  // namespace

Result<std::size_t, rtp::RtpError> set_header_extension(std::span<std::uint8_t> buffer, std::size_t length,
                                                        std::uint8_t id,
                                                        std::span<const std::uint8_t> value) {
  if (length > buffer.size()) return unexpected(rtp::RtpError::kBufferTooSmall);
  if (id == 0 || value.size() > 255) return unexpected(rtp::RtpError::kBadExtension);
  auto parsed = rtp::RtpPacket::parse(buffer.first(length));
  if (!parsed) return unexpected(parsed.error());
  const rtp::RtpPacket& packet = *parsed;
  if (packet.extension_profile() == rtp::ExtensionProfile::kOther) {
    return unexpected(rtp::RtpError::kBadExtension);
  }

  // Same length: the value fits where the old one is. Only the first element with the id
  // counts, as for every reader of the packet (RtpPacket::find_extension).
  if (auto existing = packet.find_extension(id); existing && existing->data.size() == value.size()) {
    std::copy(value.begin(), value.end(), buffer.begin() + static_cast<std::ptrdiff_t>(existing->offset));
    return length;
  }

  std::array<rtp::ExtensionElement, kMaxElements> elements;
  std::size_t count = 0;
  auto it = packet.extensions();
  while (auto e = it.next()) {
    if (e->id == id) continue;
    if (count + 1 >= kMaxElements) return unexpected(rtp::RtpError::kBadExtension);
    elements[count++] = rtp::ExtensionElement{e->id, e->data};
  }
  elements[count++] = rtp::ExtensionElement{id, value};

  std::array<std::uint32_t, 15> csrcs{};
  for (std::size_t i = 0; i < packet.csrc_count(); ++i) csrcs[i] = packet.csrc(i);
  rtp::RtpHeaderFields fields;
  fields.marker = packet.marker();
  fields.payload_type = packet.payload_type();
  fields.sequence_number = packet.sequence_number();
  fields.timestamp = packet.timestamp();
  fields.ssrc = packet.ssrc();
  fields.csrcs = std::span<const std::uint32_t>(csrcs.data(), packet.csrc_count());

  // The kept elements' values still point into `buffer`: assemble the header aside first.
  std::array<std::uint8_t, kMaxRebuiltHeaderSize> header;
  auto written = rtp::write_rtp_header(header, fields, std::span(elements.data(), count));
  if (!written) {
    return unexpected(written.error() == rtp::RtpError::kBufferTooSmall ? rtp::RtpError::kBadExtension
                                                                        : written.error());
  }
  const std::size_t new_header_size = *written;
  const std::size_t old_header_size = packet.header_size();
  const std::size_t body_size = length - old_header_size;  // payload and padding
  if (new_header_size + body_size > buffer.size()) return unexpected(rtp::RtpError::kBufferTooSmall);
  const bool padding = packet.has_padding();

  std::memmove(buffer.data() + new_header_size, buffer.data() + old_header_size, body_size);
  std::memcpy(buffer.data(), header.data(), new_header_size);
  if (padding) buffer[0] |= 0x20;  // write_rtp_header knows no padding; the padding moved along
  return new_header_size + body_size;
}

}  // namespace jvb::media
