// Source Description (RFC 3550 §6.5), only as far as the bridge needs it: it terminates SDES and
// never sends any (as JVB), so parsing checks the framing and exposes each chunk's SSRC and CNAME
// (RFC 3550 §6.5.1); other items are skipped. A CNAME-only builder exists for tests and tools.
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |V=2|P|    SC   |  PT=SDES=202  |             length            |
// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
// |                          SSRC/CSRC_1                          |  chunk 1
// |  type (1=CNAME) |   length    |  text ...  (items; a type 0 ends the list, then zero
// |                                 padding to the next 32-bit boundary)
// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "bridge/rtcp/rtcp_compound.hpp"

namespace jvb::rtcp {

inline constexpr std::uint8_t kSdesCname = 1;

struct SdesChunk {
  std::uint32_t ssrc = 0;
  std::string_view cname;  // empty if the chunk has no CNAME item
};

// Walks chunks already validated by Sdes::parse.
class SdesChunkIterator {
 public:
  SdesChunkIterator() = default;
  SdesChunkIterator(std::span<const std::uint8_t> body, std::size_t count) : body_(body), left_(count) {}
  std::optional<SdesChunk> next();

 private:
  std::span<const std::uint8_t> body_;
  std::size_t pos_ = 0;
  std::size_t left_ = 0;
};

class Sdes {
 public:
  static Result<Sdes, RtcpError> parse(const RtcpPacketView& packet);

  std::size_t chunk_count() const { return count_; }
  SdesChunkIterator chunks() const { return SdesChunkIterator(body_, count_); }

 private:
  std::span<const std::uint8_t> body_;
  std::size_t count_ = 0;
};

// One chunk with one CNAME item (1-255 bytes).
Result<std::size_t, RtcpError> write_sdes_cname(std::span<std::uint8_t> out, std::uint32_t ssrc,
                                                std::string_view cname);

}  // namespace jvb::rtcp
