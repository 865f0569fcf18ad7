// libFuzzer target for bridge/rtp: RtpPacket::parse, the header-extension walk, the extension
// value parsers, strip_header_extensions, the in-place setters, remove_padding and
// write_rtp_header, with invariants checked after each edit by parsing again: an edit keeps the
// packet parseable, changes only what it says, and every view lies inside the input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "bridge/rtp/rtp_extensions.hpp"
#include "bridge/rtp/rtp_packet.hpp"
#include "bridge/rtp/sequence_unwrapper.hpp"

namespace {

using namespace jvb::rtp;

void check(bool ok) {
  if (!ok) std::abort();
}

bool inside(std::span<const std::uint8_t> inner, std::span<const std::uint8_t> outer) {
  return inner.empty() ||
         (inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size());
}

struct Element {
  std::uint8_t id;
  std::vector<std::uint8_t> data;
  bool operator==(const Element&) const = default;
};

std::vector<Element> elements_of(const RtpPacket& p) {
  std::vector<Element> out;
  auto it = p.extensions();
  while (auto e = it.next()) {
    check(inside(e->data, p.bytes()));
    check(e->offset + e->data.size() <= p.bytes().size());
    check(e->data.empty() || e->data.data() == p.bytes().data() + e->offset);
    out.push_back({e->id, {e->data.begin(), e->data.end()}});
  }
  check(!it.malformed());
  return out;
}

void exercise_values(std::span<const std::uint8_t> data) {
  (void)parse_audio_level(data);
  (void)parse_transport_sequence_number(data);
  (void)parse_abs_send_time(data);
  if (auto s = parse_sdes_value(data)) {
    check(s->size() == data.size());
    std::vector<std::uint8_t> out(s->size());
    check(write_sdes_value(out, *s).has_value());
    check(std::equal(out.begin(), out.end(), data.begin()));
  }
  if (auto a = parse_audio_level(data)) {
    std::uint8_t b = 0;
    check(write_audio_level(std::span<std::uint8_t>(&b, 1), *a).has_value());
    check(b == data[0]);
  }
}

void check_same_except_extensions(const RtpPacket& a, const RtpPacket& b) {
  check(a.sequence_number() == b.sequence_number());
  check(a.timestamp() == b.timestamp());
  check(a.ssrc() == b.ssrc());
  check(a.payload_type() == b.payload_type());
  check(a.marker() == b.marker());
  check(a.csrc_count() == b.csrc_count());
  check(std::equal(a.payload().begin(), a.payload().end(), b.payload().begin(), b.payload().end()));
  check(a.padding_size() == b.padding_size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);

  // The unwrapper: every step lands within half a range of the previous value.
  SequenceNumberUnwrapper seqs;
  std::int64_t prev = 0;
  for (std::size_t i = 0; i + 1 < size && i < 64; i += 2) {
    const auto v = seqs.unwrap(static_cast<std::uint16_t>((data[i] << 8) | data[i + 1]));
    if (i > 0) check(v - prev <= 32768 && prev - v <= 32767);
    check(static_cast<std::uint16_t>(v) == static_cast<std::uint16_t>((data[i] << 8) | data[i + 1]));
    prev = v;
  }

  auto parsed = RtpPacket::parse(input);
  if (!parsed) {
    (void)rtp_error_name(parsed.error());
    return 0;
  }
  const RtpPacket& p = *parsed;
  check(p.header_size() + p.payload_size() + p.padding_size() == size);
  check(inside(p.payload(), input));
  check(inside(p.extension_elements(), input));
  for (std::size_t i = 0; i < p.csrc_count(); ++i) (void)p.csrc(i);

  const std::vector<Element> elements = elements_of(p);
  for (const auto& e : elements) {
    exercise_values(e.data);
    auto found = p.find_extension(e.id);
    check(found.has_value());
  }

  // Strip, keeping the ids named by the last byte's bits (ids 0-7) and every id above 7 when
  // its low bit matches the first payload byte's.
  ExtensionIdSet keep;
  const std::uint8_t mask = data[size - 1];
  for (int id = 0; id < 256; ++id) {
    if (id < 8 ? ((mask >> id) & 1) : ((id & 1) == (mask & 1))) keep.add(static_cast<std::uint8_t>(id));
  }
  std::vector<std::uint8_t> copy(input.begin(), input.end());
  auto stripped = strip_header_extensions(copy, keep);
  check(stripped.has_value());
  check(*stripped <= size);
  {
    auto q = RtpPacket::parse(std::span<const std::uint8_t>(copy.data(), *stripped));
    check(q.has_value());
    check_same_except_extensions(p, *q);
    std::vector<Element> kept;
    if (p.extension_profile() == ExtensionProfile::kOneByte ||
        p.extension_profile() == ExtensionProfile::kTwoByte) {
      for (const auto& e : elements) {
        if (keep.contains(e.id)) kept.push_back(e);
      }
    }
    check(elements_of(*q) == kept);
    check(q->has_extension() == !kept.empty());
    if (!kept.empty()) check(q->extension_profile() == p.extension_profile());
    // Stripping again with the same set changes nothing.
    std::vector<std::uint8_t> again(copy.begin(), copy.begin() + static_cast<std::ptrdiff_t>(*stripped));
    auto twice = strip_header_extensions(again, keep);
    check(twice.has_value() && *twice == *stripped);
    check(std::equal(again.begin(), again.end(), copy.begin()));
  }

  // Setters change exactly their field.
  std::vector<std::uint8_t> edited(input.begin(), input.end());
  const std::uint16_t seq = static_cast<std::uint16_t>(p.sequence_number() * 31 + 7);
  const std::uint32_t ts = p.timestamp() ^ 0xA5A5A5A5u;
  const std::uint32_t ssrc = ~p.ssrc();
  check(set_sequence_number(edited, seq) && set_timestamp(edited, ts) && set_ssrc(edited, ssrc) &&
        set_payload_type(edited, static_cast<std::uint8_t>(p.payload_type() + 1)) &&
        set_marker(edited, !p.marker()));
  {
    auto q = RtpPacket::parse(edited);
    check(q.has_value());
    check(q->sequence_number() == seq && q->timestamp() == ts && q->ssrc() == ssrc);
    check(q->payload_type() == ((p.payload_type() + 1) & 0x7F));
    check(q->marker() != p.marker());
    check(elements_of(*q) == elements);
    check(std::equal(edited.begin() + 12, edited.end(), input.begin() + 12));
  }

  // Padding removal.
  std::vector<std::uint8_t> unpadded(input.begin(), input.end());
  auto n = remove_padding(unpadded);
  check(n.has_value());
  {
    auto q = RtpPacket::parse(std::span<const std::uint8_t>(unpadded.data(), *n));
    check(q.has_value());
    check(!q->has_padding() && q->padding_size() == 0);
    check(std::equal(q->payload().begin(), q->payload().end(), p.payload().begin(), p.payload().end()));
  }

  // Re-encode the header with the same elements; the form may change, the elements may not.
  std::vector<ExtensionElement> to_write;
  bool writable = true;
  for (const auto& e : elements) {
    if (e.id == 0) writable = false;
    to_write.push_back({e.id, e.data});
  }
  if (writable) {
    std::vector<std::uint32_t> csrcs;
    for (std::size_t i = 0; i < p.csrc_count(); ++i) csrcs.push_back(p.csrc(i));
    RtpHeaderFields f{p.marker(), p.payload_type(), p.sequence_number(), p.timestamp(), p.ssrc(), csrcs};
    std::vector<std::uint8_t> out(size + 2 * elements.size() + 16);
    auto w = write_rtp_header(out, f, to_write);
    check(w.has_value());
    auto q = RtpPacket::parse(std::span<const std::uint8_t>(out.data(), *w));
    check(q.has_value());
    check(q->payload_size() == 0);
    check(elements_of(*q) == elements);
    check(q->sequence_number() == p.sequence_number() && q->ssrc() == p.ssrc());
    check(q->extension_profile() == choose_extension_profile(to_write));
  }
  return 0;
}
