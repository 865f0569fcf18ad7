// libFuzzer target for bridge/media/projection/: turns the input into a sequence of decisions
// (encoding, keyframe/start/marker flags, seq/ts/PictureID/TL0PICIDX steps, TID, loss, wall-clock
// steps, target changes, SSRC changes, garbage descriptors), builds the RTP packets, feeds them
// through a VideoProjection and a KeyframeRequester, and checks the output invariants:
//  * a forwarded packet carries the projected SSRC and belongs to the current encoding;
//  * inside a segment, seq/ts/PictureID/TL0PICIDX are a fixed translation of the input;
//  * a new segment continues at the highest sequence number sent + 1 (+2 when that packet
//    did not end its frame), a later timestamp, the next PictureID and TL0PICIDX;
//  * no output sequence number is ever used for two different input packets;
//  * only seq, ts, SSRC, PictureID and TL0PICIDX bytes change;
//  * SR translation agrees with the rewrite; keyframe requests name the target;
//  * the requester never lets two requests through within the source-wide interval.
// The generator's own 64-bit counters are the ground truth for unwrapped input values (steps
// are small, so the projection's unwrapping must agree with them).
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <span>
#include <tuple>

#include "bridge/codecs/vp8_descriptor.hpp"
#include "bridge/media/projection/keyframe_requester.hpp"
#include "bridge/media/projection/video_projection.hpp"
#include "bridge/rtp/rtp_packet.hpp"

namespace {

using namespace jvb;
using namespace std::chrono_literals;

// Names the failed invariant before aborting, so a crash report says which one broke.
#define CHECK_INVARIANT(condition)                                                     \
  do {                                                                                 \
    if (!(condition)) {                                                                \
      std::fprintf(stderr, "invariant failed at line %d: %s\n", __LINE__, #condition); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (false)

constexpr std::uint32_t kProjectedSsrc = 0xABC00000;
constexpr std::uint8_t kVp8Pt = 100;
constexpr std::uint8_t kGenericPt = 107;
constexpr int kMaxEncodings = 4;

struct Truth {
  std::uint32_t ssrc = 0;
  int generation = 0;
  std::int64_t seq = 0;
  std::int64_t ts = 0;
  std::int64_t pid = 0;
  std::int64_t tl0 = 0;
};

struct Segment {
  int encoding = -1;
  std::int64_t seq_offset = 0;
  std::int64_t ts_offset = 0;
  std::optional<std::int64_t> pid_offset;
  std::optional<std::int64_t> tl0_offset;
};

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> data) : data_(data) {}
  bool more() const { return pos_ < data_.size(); }
  std::uint8_t u8() { return pos_ < data_.size() ? data_[pos_++] : 0; }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

class Run {
 public:
  Run(int encodings, std::int64_t seed)
      : encodings_(encodings), projection_(kProjectedSsrc, encodings), requester_(true) {
    for (int e = 0; e < encodings_; ++e) {
      auto& t = truth_[static_cast<std::size_t>(e)];
      t.ssrc = 0x1000u + static_cast<std::uint32_t>(e);
      t.seq = (seed * 7919 + e * 20011) & 0xFFFF;
      t.ts = (seed * 104729 + e * 1000003) & 0xFFFFFFFF;
      t.pid = (seed * 31 + e * 9000) & 0x7FFF;
      t.tl0 = (seed + e * 77) & 0xFF;
    }
  }

  void control(std::uint8_t a, std::uint8_t b, std::uint8_t c) {
    switch (a % 3) {
      case 0:
        projection_.set_target(static_cast<int>(b % (encodings_ + 3)) - 2);
        break;
      case 1: {
        auto& t = truth_[static_cast<std::size_t>(b % encodings_)];
        t.ssrc += 0x100;
        ++t.generation;
        break;
      }
      default:
        requester_.set_rtt(std::chrono::milliseconds(c));
        break;
    }
  }

  void packet(const std::array<std::uint8_t, 8>& op) {
    const std::uint8_t flags = op[0];
    const int encoding = static_cast<int>(op[1] % (encodings_ + 2)) - 1;
    const bool keyframe = (flags & 0x04) != 0;
    const bool start = (flags & 0x08) != 0 || keyframe;
    const bool marker = (flags & 0x10) != 0;
    const bool lost = (flags & 0x20) != 0;
    const bool generic = (flags & 0xC0) == 0xC0;
    const std::uint8_t variant = op[5] >> 5;  // 0-4 normal, 5 no PID, 6 7-bit PID, 7 garbage
    const std::uint8_t tid = op[5] & 3;
    now_ += std::chrono::milliseconds(op[6]);

    // Ground truth of the generator. Out-of-range encodings use a scratch stream.
    Truth scratch{0xDEAD, 0, 0, 0, 0, 0};
    Truth& t = encoding >= 0 && encoding < encodings_ ? truth_[static_cast<std::size_t>(encoding)] : scratch;
    t.seq += op[2] < 200 ? 1 : op[2] - 228;  // mostly in order, some reordering and jumps
    if (start) {
      t.ts += op[3] == 255 ? -90000 : 3000 * (op[3] & 3) + (op[3] >> 2);
      t.pid += op[4] < 240 ? 1 : op[4] - 200;
      if (tid == 0) ++t.tl0;
    }
    if (lost) return;

    // Build the packet.
    std::array<std::uint8_t, 96> buf{};
    std::size_t n = 0;
    const auto seq16 = static_cast<std::uint16_t>(t.seq);
    const auto ts32 = static_cast<std::uint32_t>(t.ts);
    buf[n++] = 0x80;
    buf[n++] = static_cast<std::uint8_t>((marker ? 0x80 : 0) | (generic ? kGenericPt : kVp8Pt));
    buf[n++] = static_cast<std::uint8_t>(seq16 >> 8);
    buf[n++] = static_cast<std::uint8_t>(seq16);
    for (int s = 24; s >= 0; s -= 8) buf[n++] = static_cast<std::uint8_t>(ts32 >> s);
    for (int s = 24; s >= 0; s -= 8) buf[n++] = static_cast<std::uint8_t>(t.ssrc >> s);
    if (generic || variant == 7) {
      buf[n++] = 0x80;  // VP8: a descriptor claiming X and then nothing, garbage
    } else {
      buf[n++] = static_cast<std::uint8_t>(0x80 | (start ? 0x10 : 0));
      if (variant == 5) {
        buf[n++] = 0x60;
      } else {
        buf[n++] = 0xE0;
        if (variant == 6) {
          buf[n++] = static_cast<std::uint8_t>(t.pid & 0x7F);
          pid_checks_ = false;  // mixed PictureID forms: continuity is not defined
        } else {
          buf[n++] = static_cast<std::uint8_t>(0x80 | ((t.pid >> 8) & 0x7F));
          buf[n++] = static_cast<std::uint8_t>(t.pid);
        }
      }
      buf[n++] = static_cast<std::uint8_t>(t.tl0);
      buf[n++] = static_cast<std::uint8_t>(tid << 6);
      if (start && keyframe) {
        for (std::uint8_t b : {0x50, 0x2D, 0x01, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0x68, 0x01}) buf[n++] = b;
      } else if (start) {
        for (std::uint8_t b : {0x31, 0x0C, 0x00, 0x00}) buf[n++] = b;
      }
    }
    // Filler after a "garbage" descriptor would make it parse; keep that one truncated.
    if (generic || variant != 7) {
      for (int i = 0; i < (op[7] & 15) + 1; ++i) buf[n++] = static_cast<std::uint8_t>(op[7] + i);
    }

    const std::span<const std::uint8_t> original(buf.data(), n);
    auto parsed = rtp::RtpPacket::parse(original);
    CHECK_INVARIANT(parsed.has_value());
    std::array<std::uint8_t, 96> copy = buf;
    const std::span<std::uint8_t> packet(copy.data(), n);
    const auto switches_before = projection_.counters().switches;
    const auto d = projection_.on_packet(now_, packet, *parsed, encoding);

    CHECK_INVARIANT(d.request_keyframe == (d.keyframe_encoding >= 0));
    if (d.request_keyframe) {
      CHECK_INVARIANT(d.keyframe_encoding == projection_.target() && d.keyframe_encoding < encodings_);
      if (requester_.should_request(now_)) {
        CHECK_INVARIANT(!last_request_ || now_ - *last_request_ >= 200ms);
        last_request_ = now_;
      }
    }
    if (keyframe && (op[4] & 1)) requester_.on_keyframe_received(now_);
    if (!d.forward) {
      for (std::size_t i = 0; i < n; ++i) CHECK_INVARIANT(copy[i] == buf[i]);
      return;
    }
    CHECK_INVARIANT(encoding >= 0 && encoding == projection_.current_encoding());
    check_forwarded(t, encoding, original, *parsed, packet,
                    projection_.counters().switches != switches_before);
  }

 private:
  void check_forwarded(const Truth& t, int encoding, std::span<const std::uint8_t> in,
                       const rtp::RtpPacket& in_parsed, std::span<const std::uint8_t> out, bool new_segment) {
    auto parsed = rtp::RtpPacket::parse(out);
    CHECK_INVARIANT(parsed.has_value());
    CHECK_INVARIANT(parsed->ssrc() == kProjectedSsrc);
    const std::uint16_t out_seq = parsed->sequence_number();
    const std::uint32_t out_ts = parsed->timestamp();
    CHECK_INVARIANT(projection_.projected_timestamp(t.ssrc, static_cast<std::uint32_t>(t.ts)) == out_ts);

    if (new_segment) {
      Segment s;
      s.encoding = encoding;
      std::int64_t out_seq_ext = 2;
      if (started_) {
        // One number is left out after a frame whose last packet was not sent.
        out_seq_ext = highest_seq_ + (highest_marker_ ? 1 : 2);
        const auto step = static_cast<std::uint32_t>(out_ts - static_cast<std::uint32_t>(highest_ts_));
        CHECK_INVARIANT(step >= 1 && step < 0x80000000u);
        s.ts_offset = highest_ts_ + step - t.ts;
      } else {
        s.ts_offset = static_cast<std::int64_t>(out_ts) - t.ts;
        highest_ts_ = out_ts;
      }
      CHECK_INVARIANT(out_seq == static_cast<std::uint16_t>(out_seq_ext));
      s.seq_offset = out_seq_ext - t.seq;
      segment_ = s;
    }
    CHECK_INVARIANT(segment_.encoding == encoding);
    CHECK_INVARIANT(out_seq == static_cast<std::uint16_t>(t.seq + segment_.seq_offset));
    CHECK_INVARIANT(out_ts == static_cast<std::uint32_t>(t.ts + segment_.ts_offset));
    const std::int64_t seq_ext = t.seq + segment_.seq_offset;
    if (!started_ || seq_ext > highest_seq_) {
      highest_seq_ = seq_ext;
      highest_marker_ = parsed->marker();
    }
    if (t.ts + segment_.ts_offset > highest_ts_) highest_ts_ = t.ts + segment_.ts_offset;
    started_ = true;

    // Each output sequence number names one input packet.
    const auto key = std::make_tuple(encoding, t.generation, t.seq);
    const auto [it, inserted] = used_.emplace(seq_ext, key);
    CHECK_INVARIANT(inserted || it->second == key);

    // Only seq, ts, SSRC, PictureID and TL0PICIDX may differ.
    CHECK_INVARIANT(out.size() == in.size() && out[0] == in[0] && out[1] == in[1]);
    const bool vp8 = in_parsed.payload_type() == kVp8Pt;
    std::optional<codecs::Vp8Descriptor> in_d, out_d;
    if (vp8) {
      auto a = codecs::parse_vp8_descriptor(in_parsed.payload());
      auto b = codecs::parse_vp8_descriptor(parsed->payload());
      CHECK_INVARIANT(a.has_value() && b.has_value());
      in_d = *a;
      out_d = *b;
      CHECK_INVARIANT(in_d->size == out_d->size && in_d->picture_id_15_bit == out_d->picture_id_15_bit);
    }
    const std::size_t h = in_parsed.header_size();
    for (std::size_t i = 12; i < in.size(); ++i) {
      bool rewritable = false;
      if (in_d && in_d->picture_id)
        rewritable |= i >= h + in_d->picture_id_offset &&
                      i < h + in_d->picture_id_offset + (in_d->picture_id_15_bit ? 2 : 1);
      if (in_d && in_d->tl0_pic_idx) rewritable |= i == h + in_d->tl0_pic_idx_offset;
      CHECK_INVARIANT(rewritable || in[i] == out[i]);
    }
    if (!in_d) return;

    if (in_d->picture_id && in_d->picture_id_15_bit && pid_checks_) {
      const std::uint16_t out_pid = *out_d->picture_id;
      if (!segment_.pid_offset) {
        const std::int64_t expected = highest_pid_ ? *highest_pid_ + 1 : t.pid;
        CHECK_INVARIANT(out_pid == (expected & 0x7FFF));
        segment_.pid_offset = expected - t.pid;
      }
      const std::int64_t ext = t.pid + *segment_.pid_offset;
      CHECK_INVARIANT(out_pid == (ext & 0x7FFF));
      if (!highest_pid_ || ext > *highest_pid_) highest_pid_ = ext;
    }
    if (in_d->tl0_pic_idx && pid_checks_) {
      const std::uint8_t out_tl0 = *out_d->tl0_pic_idx;
      if (!segment_.tl0_offset) {
        const std::int64_t expected = highest_tl0_ ? *highest_tl0_ + 1 : t.tl0;
        CHECK_INVARIANT(out_tl0 == static_cast<std::uint8_t>(expected));
        segment_.tl0_offset = expected - t.tl0;
      }
      const std::int64_t ext = t.tl0 + *segment_.tl0_offset;
      CHECK_INVARIANT(out_tl0 == static_cast<std::uint8_t>(ext));
      if (!highest_tl0_ || ext > *highest_tl0_) highest_tl0_ = ext;
    }
  }

  int encodings_;
  std::array<Truth, kMaxEncodings> truth_{};
  media::VideoProjection projection_;
  media::KeyframeRequester requester_;
  Timestamp now_{std::chrono::seconds(100)};
  std::optional<Timestamp> last_request_;

  bool started_ = false;
  Segment segment_;
  std::int64_t highest_seq_ = 0;
  bool highest_marker_ = true;
  std::int64_t highest_ts_ = 0;
  std::optional<std::int64_t> highest_pid_;
  std::optional<std::int64_t> highest_tl0_;
  bool pid_checks_ = true;
  std::map<std::int64_t, std::tuple<int, int, std::int64_t>> used_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader r(std::span<const std::uint8_t>(data, size));
  const int encodings = 1 + r.u8() % kMaxEncodings;
  Run run(encodings, r.u8());
  while (r.more()) {
    std::array<std::uint8_t, 8> op{};
    for (auto& b : op) b = r.u8();
    if ((op[0] & 3) == 3) {
      run.control(op[1], op[2], op[3]);
    } else {
      run.packet(op);
    }
  }
  return 0;
}
