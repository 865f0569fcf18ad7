// Tests of bridge/media/projection/video_projection.hpp beyond VP8: VP9 simulcast and an SVC
// keyframe (descriptors assembled by hand from RFC 9628 §4.2, non-flexible mode with L and a
// 15-bit PictureID), H.264 simulcast (NAL units assembled by hand from RFC 6184 §5.6, §5.7.1 and
// §5.8), and VP8 with the default payload types. The RTP headers come from rtp::write_rtp_header;
// the codec writers are not used, so a parser and the test cannot share a mistake.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "bridge/codecs/vp8_descriptor.hpp"
#include "bridge/media/projection/video_projection.hpp"
#include "bridge/rtp/rtp_packet.hpp"
#include "bridge/rtp/sequence_unwrapper.hpp"
#include "tests/unit/media/projection/vp8_simulcast_stream.hpp"

using namespace jvb;
using namespace std::chrono_literals;
using media::VideoProjection;

namespace {

constexpr std::uint8_t kVp8PayloadType = media::kDefaultVp8PayloadType;
constexpr std::uint8_t kVp9PayloadType = 98;
constexpr std::uint8_t kH264PayloadType = 107;
constexpr std::uint8_t kAv1PayloadType = 41;
constexpr std::uint32_t kProjectedSsrc = 0xA1B2C3D4;

media::CodecPayloadTypes all_codecs() {
  media::CodecPayloadTypes types;
  types.vp9.add(kVp9PayloadType);
  types.h264.add(kH264PayloadType);
  types.av1.add(kAv1PayloadType);
  return types;
}

// One packet as sent, with what the generator knows about it.
struct Pkt {
  std::vector<std::uint8_t> bytes;
  int encoding = 0;
  std::uint16_t seq = 0;
  std::uint32_t ts = 0;
  std::uint16_t picture_id = 0;
  std::uint8_t tl0 = 0;
  int sid = 0;
  bool keyframe = false;
  bool start = false;  // first packet of the picture (VP9: B in the base layer; H.264: first of the AU)
  bool marker = false;
};

std::vector<std::uint8_t> rtp_packet(std::uint8_t pt, bool marker, std::uint16_t seq, std::uint32_t ts,
                                     std::uint32_t ssrc, std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> out(12 + payload.size());
  rtp::RtpHeaderFields fields;
  fields.marker = marker;
  fields.payload_type = pt;
  fields.sequence_number = seq;
  fields.timestamp = ts;
  fields.ssrc = ssrc;
  const auto size = rtp::write_rtp_header(out, fields);
  REQUIRE(size);
  REQUIRE(*size == 12);
  std::copy(payload.begin(), payload.end(), out.begin() + 12);
  return out;
}

// The VP9 fields a test sets; the descriptor always has I (M=1) and L, and F=0.
struct Vp9Fields {
  bool p = false;  // inter-picture predicted
  bool b = false;  // start of (layer) frame
  bool e = false;  // end of (layer) frame
  bool v = false;  // scalability structure present
  std::uint16_t picture_id = 0;
  std::uint8_t tid = 0;
  bool u = false;
  std::uint8_t sid = 0;
  bool d = false;  // inter-layer dependency
  std::uint8_t tl0 = 0;
  int ss_layers = 1;
};

// RFC 9628 §4.2, non-flexible mode: |I|P|L|F|B|E|V|Z|, |M|PID|, |EXT PID|, |TID|U|SID|D|,
// |TL0PICIDX|, then the SS (§4.2.1) when V is set, then VP9 data.
std::vector<std::uint8_t> vp9_payload(const Vp9Fields& f, std::uint8_t fill, std::size_t data_bytes) {
  std::vector<std::uint8_t> out;
  out.push_back(static_cast<std::uint8_t>(0x80 | (f.p ? 0x40 : 0) | 0x20 | (f.b ? 0x08 : 0) |
                                          (f.e ? 0x04 : 0) | (f.v ? 0x02 : 0)));
  out.push_back(static_cast<std::uint8_t>(0x80 | ((f.picture_id >> 8) & 0x7F)));
  out.push_back(static_cast<std::uint8_t>(f.picture_id & 0xFF));
  out.push_back(static_cast<std::uint8_t>((f.tid << 5) | (f.u ? 0x10 : 0) | (f.sid << 1) | (f.d ? 0x01 : 0)));
  out.push_back(f.tl0);
  if (f.v) {
    // |N_S|Y|G|-|-|-| with Y and G; a resolution per spatial layer; N_G = 2: the L*T2 pattern
    // (TID 0 referencing two pictures back, TID 1 a switching-up point referencing the previous).
    out.push_back(static_cast<std::uint8_t>(((f.ss_layers - 1) << 5) | 0x10 | 0x08));
    for (int s = 0; s < f.ss_layers; ++s) {
      const int w = 320 << s, h = 180 << s;
      out.push_back(static_cast<std::uint8_t>(w >> 8));
      out.push_back(static_cast<std::uint8_t>(w));
      out.push_back(static_cast<std::uint8_t>(h >> 8));
      out.push_back(static_cast<std::uint8_t>(h));
    }
    out.push_back(2);
    out.push_back(0x04);  // TID 0, U 0, R 1
    out.push_back(2);
    out.push_back(0x34);  // TID 1, U 1, R 1
    out.push_back(1);
  }
  for (std::size_t i = 0; i < data_bytes; ++i) out.push_back(static_cast<std::uint8_t>(fill + i));
  return out;
}

// RFC 6184 NAL headers |F|NRI|Type|.
constexpr std::uint8_t kStapAHeader = 0x78;        // NRI 3, type 24
constexpr std::uint8_t kFuAIdrIndicator = 0x7C;    // NRI 3, type 28
constexpr std::uint8_t kFuASliceIndicator = 0x5C;  // NRI 2, type 28
constexpr std::uint8_t kSliceHeader = 0x41;        // NRI 2, type 1 (non-IDR slice)
// First slice-header byte with first_mb_in_slice = 0 (ue(v) "1") then slice_type etc.
constexpr std::uint8_t kFirstMbZero = 0x88;

// §5.7.1: STAP-A header, then per unit a 16-bit size and the unit (SPS, PPS).
std::vector<std::uint8_t> stap_a_sps_pps() {
  const std::uint8_t sps[] = {0x67, 0x42, 0xC0, 0x1F, 0xDA, 0x01, 0x40, 0x16, 0xE8};
  const std::uint8_t pps[] = {0x68, 0xCE, 0x3C, 0x80};
  std::vector<std::uint8_t> out{kStapAHeader, 0x00, static_cast<std::uint8_t>(sizeof(sps))};
  out.insert(out.end(), std::begin(sps), std::end(sps));
  out.push_back(0x00);
  out.push_back(static_cast<std::uint8_t>(sizeof(pps)));
  out.insert(out.end(), std::begin(pps), std::end(pps));
  return out;
}

// §5.8: FU indicator, FU header |S|E|R|Type|, fragment. The first fragment carries the slice
// header right after the FU header (the NAL header byte itself is not repeated).
std::vector<std::uint8_t> fu_a(std::uint8_t indicator, std::uint8_t type, bool s, bool e, std::uint8_t fill) {
  std::vector<std::uint8_t> out{indicator, static_cast<std::uint8_t>((s ? 0x80 : 0) | (e ? 0x40 : 0) | type)};
  if (s) out.push_back(kFirstMbZero);
  for (int i = 0; i < 30; ++i) out.push_back(static_cast<std::uint8_t>(fill + i));
  return out;
}

struct EncodingStart {
  std::uint32_t ssrc = 0;
  std::uint16_t seq = 0;
  std::uint32_t ts = 0;
  std::uint16_t picture_id = 0;
  std::uint8_t tl0 = 0;
  int packets_per_layer = 1;  // per delta picture; keyframes have three times as many
  int spatial_layers = 1;
};

// N encodings of one source with unrelated SSRCs and number spaces; the temporal pattern is
// L*T2 (TID 0, 1, 0, 1, ... restarting at keyframes), TL0PICIDX counting TID 0 pictures.
class Source {
 public:
  explicit Source(std::vector<EncodingStart> starts) : enc_(starts.size()) {
    for (std::size_t i = 0; i < starts.size(); ++i) enc_[i].p = starts[i];
  }

  // Every field near its wrap on some encoding.
  static Source standard() {
    return Source({{0x1111, 65530, 4294960000u, 0x7FFD, 254, 1, 1},
                   {0x2222, 100, 5000, 5, 0, 2, 1},
                   {0x3333, 30000, 2147483648u, 12345, 100, 3, 1}});
  }

  std::uint32_t ssrc(int e) const { return enc_[idx(e)].p.ssrc; }

  // The next packet of encoding e, at the current picture's timestamp.
  Pkt packet(int e, std::uint8_t pt, std::span<const std::uint8_t> payload, bool marker) {
    auto& s = enc_[idx(e)];
    Pkt p;
    p.encoding = e;
    p.seq = s.p.seq++;
    p.ts = s.p.ts;
    p.picture_id = s.p.picture_id;
    p.tl0 = s.p.tl0;
    p.marker = marker;
    p.bytes = rtp_packet(pt, marker, p.seq, p.ts, s.p.ssrc, payload);
    return p;
  }

  // Opens the next picture of encoding e; returns its TID.
  std::uint8_t next_picture(int e, bool keyframe) {
    auto& s = enc_[idx(e)];
    if (keyframe) s.index = 0;
    const auto tid = static_cast<std::uint8_t>(s.index % 2);
    if (s.started) {
      s.p.ts += 3000;
      s.p.picture_id = static_cast<std::uint16_t>((s.p.picture_id + 1) & 0x7FFF);
      if (tid == 0) ++s.p.tl0;
    }
    s.started = true;
    ++s.index;
    return tid;
  }

  // A VP9 picture: every spatial layer in turn. Keyframe pictures have P=0 everywhere, the SS
  // on their first packet and D=`upper_d` on layers above 0; delta pictures P=1 and D=1 above 0.
  // `ss_on_delta` puts an SS on a delta picture's first packet too.
  std::vector<Pkt> vp9(int e, bool keyframe, bool upper_d = true, bool ss_on_delta = false) {
    const std::uint8_t tid = next_picture(e, keyframe);
    const auto& st = enc_[idx(e)].p;
    std::vector<Pkt> out;
    const int n = (keyframe ? 3 : 1) * st.packets_per_layer;
    for (int s = 0; s < st.spatial_layers; ++s) {
      for (int i = 0; i < n; ++i) {
        Vp9Fields f;
        f.p = !keyframe;
        f.b = i == 0;
        f.e = i == n - 1;
        f.v = s == 0 && i == 0 && (keyframe || ss_on_delta);
        f.picture_id = st.picture_id;
        f.tid = tid;
        f.u = tid > 0;
        f.sid = static_cast<std::uint8_t>(s);
        f.d = s > 0 && (keyframe ? upper_d : true);
        f.tl0 = st.tl0;
        f.ss_layers = st.spatial_layers;
        const bool marker = s == st.spatial_layers - 1 && i == n - 1;
        const auto payload = vp9_payload(f, static_cast<std::uint8_t>(0x10 * s + i), 24);
        Pkt p = packet(e, kVp9PayloadType, payload, marker);
        p.sid = s;
        p.keyframe = keyframe;
        p.start = s == 0 && i == 0;
        out.push_back(std::move(p));
      }
    }
    return out;
  }

  // An H.264 access unit. Keyframe: STAP-A(SPS, PPS), then the IDR slice in 3 * packets_per_layer
  // FU-A fragments. Delta: one single-NAL non-IDR slice, or FU-A fragments of one.
  std::vector<Pkt> h264(int e, bool keyframe) {
    next_picture(e, keyframe);
    const int ppl = enc_[idx(e)].p.packets_per_layer;
    std::vector<Pkt> out;
    auto add = [&](const std::vector<std::uint8_t>& payload, bool marker) {
      Pkt p = packet(e, kH264PayloadType, payload, marker);
      p.keyframe = keyframe;
      p.start = out.empty();
      out.push_back(std::move(p));
    };
    if (keyframe) {
      add(stap_a_sps_pps(), false);
      const int n = 3 * ppl;
      for (int i = 0; i < n; ++i)
        add(fu_a(kFuAIdrIndicator, 5, i == 0, i == n - 1, static_cast<std::uint8_t>(i)), i == n - 1);
    } else if (ppl == 1) {
      std::vector<std::uint8_t> nal{kSliceHeader, kFirstMbZero};
      for (int i = 0; i < 20; ++i) nal.push_back(static_cast<std::uint8_t>(0x40 + i));
      add(nal, true);
    } else {
      for (int i = 0; i < ppl; ++i)
        add(fu_a(kFuASliceIndicator, 1, i == 0, i == ppl - 1, static_cast<std::uint8_t>(i)), i == ppl - 1);
    }
    return out;
  }

  // An AV1 temporal unit in 2 (delta) or 6 (keyframe) packets: the aggregation header's Z and Y
  // say an OBU continues across packets, N marks a keyframe's first packet (a new coded video
  // sequence). The OBU bytes themselves are not looked at.
  std::vector<Pkt> av1(int e, bool keyframe) {
    next_picture(e, keyframe);
    std::vector<Pkt> out;
    const int n = keyframe ? 6 : 2;
    for (int i = 0; i < n; ++i) {
      std::uint8_t header = 0x10;     // W=1: one OBU element
      if (i > 0) header |= 0x80;      // Z: continues the previous packet's OBU
      if (i < n - 1) header |= 0x40;  // Y: continued in the next
      if (keyframe && i == 0) header |= 0x08;
      std::vector<std::uint8_t> payload{header};
      for (int j = 0; j < 30; ++j) payload.push_back(static_cast<std::uint8_t>(0x30 + i + j));
      Pkt p = packet(e, kAv1PayloadType, payload, i == n - 1);
      p.keyframe = keyframe;
      p.start = i == 0;
      out.push_back(std::move(p));
    }
    return out;
  }
  std::vector<Pkt> av1_instant(bool keyframe) {
    std::vector<Pkt> out;
    for (int e = 0; e < static_cast<int>(enc_.size()); ++e) {
      auto f = av1(e, keyframe);
      out.insert(out.end(), f.begin(), f.end());
    }
    return out;
  }

  // One capture instant on every encoding, encoding 0 first.
  std::vector<Pkt> vp9_instant(bool keyframe) {
    std::vector<Pkt> out;
    for (int e = 0; e < static_cast<int>(enc_.size()); ++e) {
      auto f = vp9(e, keyframe);
      out.insert(out.end(), f.begin(), f.end());
    }
    return out;
  }
  std::vector<Pkt> h264_instant(bool keyframe) {
    std::vector<Pkt> out;
    for (int e = 0; e < static_cast<int>(enc_.size()); ++e) {
      auto f = h264(e, keyframe);
      out.insert(out.end(), f.begin(), f.end());
    }
    return out;
  }

 private:
  struct State {
    EncodingStart p;
    int index = 0;
    bool started = false;
  };
  static std::size_t idx(int e) { return static_cast<std::size_t>(e); }
  std::vector<State> enc_;
};

// What the receiver got for one forwarded packet.
struct Out {
  Pkt in;
  std::uint32_t ssrc = 0;
  std::int64_t seq = 0;  // unwrapped by the receiver
  std::int64_t ts = 0;
  std::optional<std::uint16_t> picture_id;
  std::optional<std::uint8_t> tl0;
  bool kept = false;  // every byte but seq/ts/ssrc/PictureID/TL0PICIDX unchanged
};

class Harness {
 public:
  explicit Harness(media::CodecPayloadTypes types = all_codecs(), int encodings = 3)
      : projection(kProjectedSsrc, encodings, types) {}

  VideoProjection::Decision offer(const Pkt& p) {
    auto parsed = rtp::RtpPacket::parse(p.bytes);
    REQUIRE(parsed);
    std::vector<std::uint8_t> copy = p.bytes;
    const auto d = projection.on_packet(now, copy, *parsed, p.encoding);
    if (d.forward) received.push_back(receive(p, copy));
    if (d.request_keyframe) ++requests;
    return d;
  }
  void offer_all(const std::vector<Pkt>& packets) {
    for (const auto& p : packets) offer(p);
  }
  void advance(std::chrono::milliseconds ms) { now += ms; }

  VideoProjection projection;
  Timestamp now{std::chrono::seconds(500)};
  std::vector<Out> received;
  int requests = 0;

 private:
  Out receive(const Pkt& in, const std::vector<std::uint8_t>& out) {
    auto parsed = rtp::RtpPacket::parse(out);
    REQUIRE(parsed);
    REQUIRE(parsed->header_size() == 12);
    Out r;
    r.in = in;
    r.ssrc = parsed->ssrc();
    r.seq = seq_.unwrap(parsed->sequence_number());
    r.ts = ts_.unwrap(parsed->timestamp());
    std::vector<std::size_t> rewritten = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    if (parsed->payload_type() == kVp9PayloadType) {
      // The hand-built layout: PictureID at payload bytes 1-2 (M kept), TL0PICIDX at 4.
      const auto pl = parsed->payload();
      REQUIRE(pl.size() > 5);
      CHECK((pl[1] & 0x80) != 0);
      r.picture_id = static_cast<std::uint16_t>(((pl[1] & 0x7F) << 8) | pl[2]);
      r.tl0 = pl[4];
      rewritten.insert(rewritten.end(), {13, 14, 16});
    } else if (parsed->payload_type() == kVp8PayloadType) {
      auto d = codecs::parse_vp8_descriptor(parsed->payload());
      REQUIRE(d);
      if (d->picture_id) {
        r.picture_id = *d->picture_id;
        rewritten.push_back(12 + d->picture_id_offset);
        if (d->picture_id_15_bit) rewritten.push_back(12 + d->picture_id_offset + 1);
      }
      if (d->tl0_pic_idx) {
        r.tl0 = *d->tl0_pic_idx;
        rewritten.push_back(12 + d->tl0_pic_idx_offset);
      }
    }
    bool same = out.size() == in.bytes.size() && out[0] == in.bytes[0] && out[1] == in.bytes[1];
    for (std::size_t i = 12; same && i < out.size(); ++i) {
      if (std::find(rewritten.begin(), rewritten.end(), i) == rewritten.end() && out[i] != in.bytes[i])
        same = false;
    }
    r.kept = same;
    return r;
  }

  rtp::SequenceNumberUnwrapper seq_;
  rtp::TimestampUnwrapper ts_;
};

int pid_step(std::uint16_t from, std::uint16_t to) { return (to - from) & 0x7FFF; }
int tl0_step(std::uint8_t from, std::uint8_t to) { return static_cast<std::uint8_t>(to - from); }

// Output sequence numbers +1 each; timestamps equal inside a picture and increasing between.
void check_continuous(const std::vector<Out>& r) {
  for (std::size_t i = 1; i < r.size(); ++i) {
    INFO("packet " << i);
    REQUIRE(r[i].seq == r[i - 1].seq + 1);
    const bool same_picture = r[i].in.encoding == r[i - 1].in.encoding && r[i].in.ts == r[i - 1].in.ts;
    if (same_picture) {
      REQUIRE(r[i].ts == r[i - 1].ts);
    } else {
      REQUIRE(r[i].ts > r[i - 1].ts);
    }
  }
}

// Within [from, to) one encoding, translated by fixed offsets; PictureID and TL0PICIDX (when
// `numbered`) keep their steps; the SSRC is the projected one and nothing else changed.
void check_translation(const std::vector<Out>& r, std::size_t from, std::size_t to, bool numbered) {
  rtp::SequenceNumberUnwrapper in_seq;
  rtp::TimestampUnwrapper in_ts;
  const std::int64_t seq_offset = r[from].seq - in_seq.unwrap(r[from].in.seq);
  const std::int64_t ts_offset = r[from].ts - in_ts.unwrap(r[from].in.ts);
  for (std::size_t i = from; i < to; ++i) {
    INFO("packet " << i);
    CHECK(r[i].ssrc == kProjectedSsrc);
    CHECK(r[i].in.encoding == r[from].in.encoding);
    REQUIRE(r[i].seq - in_seq.unwrap(r[i].in.seq) == seq_offset);
    REQUIRE(r[i].ts - in_ts.unwrap(r[i].in.ts) == ts_offset);
    CHECK(r[i].kept);
    if (numbered) {
      REQUIRE(r[i].picture_id);
      REQUIRE(r[i].tl0);
      CHECK(pid_step(r[from].in.picture_id, r[i].in.picture_id) ==
            pid_step(*r[from].picture_id, *r[i].picture_id));
      CHECK(tl0_step(r[from].in.tl0, r[i].in.tl0) == tl0_step(*r[from].tl0, *r[i].tl0));
    }
  }
}

std::size_t first_of_encoding(const std::vector<Out>& r, int e) {
  for (std::size_t i = 0; i < r.size(); ++i)
    if (r[i].in.encoding == e) return i;
  return r.size();
}

}  // namespace

TEST_CASE("VP9: forwarding starts at the first packet of a keyframe picture") {
  Harness h;
  auto src = Source::standard();
  h.projection.set_target(0);
  for (int i = 0; i < 3; ++i) {
    for (const auto& p : src.vp9_instant(false)) {
      const auto d = h.offer(p);
      CHECK_FALSE(d.forward);
      CHECK(d.request_keyframe);
      CHECK(d.keyframe_encoding == 0);
    }
    h.advance(33ms);
  }
  // A keyframe whose first packet was lost: its other packets (P=0, B=0) cannot start.
  auto lost_start = src.vp9(0, true);
  for (std::size_t i = 1; i < lost_start.size(); ++i) CHECK_FALSE(h.offer(lost_start[i]).forward);
  CHECK(h.received.empty());
  h.advance(33ms);
  const auto kf = src.vp9(0, true);
  for (const auto& p : kf) {
    const auto d = h.offer(p);
    CHECK(d.forward);
    CHECK_FALSE(d.request_keyframe);
  }
  REQUIRE(h.received.size() == kf.size());
  const auto& first = h.received.front();
  CHECK(first.in.start);
  CHECK(first.in.keyframe);
  CHECK(first.seq == 2);
  CHECK(first.ts == 3001);
  CHECK(first.picture_id == first.in.picture_id);
  CHECK(first.tl0 == first.in.tl0);
  CHECK(h.projection.counters().switches == 1);
  CHECK(h.projection.counters().dropped_bad_payload == 0);
  check_translation(h.received, 0, h.received.size(), true);
}

TEST_CASE("VP9 simulcast: switches wait for the target's keyframe; seq, ts, PictureID, TL0PICIDX continue") {
  const std::pair<int, int> cases[] = {{0, 2}, {2, 0}, {0, 1}, {1, 0}, {1, 2}};
  for (const auto& [from, to] : cases) {
    CAPTURE(from);
    CAPTURE(to);
    Harness h;
    auto src = Source::standard();
    h.projection.set_target(from);
    h.offer_all(src.vp9_instant(true));
    for (int i = 0; i < 20; ++i) {
      h.advance(33ms);
      h.offer_all(src.vp9_instant(false));
    }
    REQUIRE(h.projection.current_encoding() == from);
    h.projection.set_target(to);
    const auto dropped_before = h.projection.counters().dropped_before_keyframe;
    int target_packets = 0;
    for (int i = 0; i < 10; ++i) {
      h.advance(33ms);
      for (const auto& p : src.vp9_instant(false)) {
        const auto d = h.offer(p);
        CHECK(d.forward == (p.encoding == from));
        CHECK(d.request_keyframe);
        CHECK(d.keyframe_encoding == to);
        if (p.encoding == to) ++target_packets;
      }
      // A start of frame that is inter-picture predicted (P=1, B=1), even with an SS, never switches.
      h.advance(1ms);
      for (const auto& p : src.vp9(to, false, true, true)) {
        const auto d = h.offer(p);
        CHECK_FALSE(d.forward);
        CHECK(d.request_keyframe);
        ++target_packets;
      }
    }
    CHECK(h.projection.current_encoding() == from);
    CHECK(h.projection.counters().dropped_before_keyframe - dropped_before ==
          static_cast<std::uint64_t>(target_packets));
    CHECK(h.projection.counters().stale_keyframes == 0);
    h.advance(33ms);
    const std::size_t before = h.received.size();
    h.offer_all(src.vp9_instant(true));
    CHECK(h.projection.current_encoding() == to);
    for (int i = 0; i < 20; ++i) {
      h.advance(33ms);
      for (const auto& p : src.vp9_instant(false)) {
        const auto d = h.offer(p);
        CHECK(d.forward == (p.encoding == to));
        CHECK_FALSE(d.request_keyframe);
      }
    }
    check_continuous(h.received);
    const std::size_t sw = first_of_encoding(h.received, to);
    REQUIRE(sw >= before);
    REQUIRE(sw < h.received.size());
    check_translation(h.received, 0, sw, true);
    check_translation(h.received, sw, h.received.size(), true);
    const auto& last = h.received[sw - 1];
    const auto& first = h.received[sw];
    CHECK(first.in.keyframe);
    CHECK(first.in.start);
    CHECK(pid_step(*last.picture_id, *first.picture_id) == 1);
    CHECK(tl0_step(*last.tl0, *first.tl0) == 1);
    CHECK(first.ts > last.ts);
    CHECK(h.projection.counters().switches == 2);
    CHECK(h.projection.counters().dropped_bad_payload == 0);
  }
}

TEST_CASE("VP9 SVC keyframe: the switch happens at SID 0, not at an upper layer that arrives first") {
  for (const bool upper_d : {true, false}) {
    CAPTURE(upper_d);
    // Encoding 0 a single layer, encoding 1 three spatial layers (L3T2), one packet per layer
    // per delta picture and three per keyframe layer.
    Harness h(all_codecs(), 2);
    Source src({{0x1111, 65500, 1000, 0x7FF0, 7, 1, 1}, {0x2222, 900, 9000000, 40, 250, 1, 3}});
    h.projection.set_target(0);
    h.offer_all(src.vp9(0, true));
    for (int i = 0; i < 5; ++i) {
      h.advance(33ms);
      h.offer_all(src.vp9(0, false));
      h.offer_all(src.vp9(1, false));
    }
    h.projection.set_target(1);
    h.advance(33ms);
    h.offer_all(src.vp9(0, false));
    const std::size_t before = h.received.size();
    const Out last_old = h.received.back();

    const auto kf = src.vp9(1, true, upper_d);  // SID 0: [0,3), SID 1: [3,6), SID 2: [6,9)
    REQUIRE(kf.size() == 9);
    REQUIRE(kf[0].start);
    // Reordered: the first packets of SID 1 and SID 2 arrive before SID 0's.
    for (const std::size_t i : {std::size_t{3}, std::size_t{6}}) {
      CAPTURE(i);
      const auto d = h.offer(kf[i]);
      CHECK_FALSE(d.forward);
      CHECK(d.request_keyframe);
      CHECK(d.keyframe_encoding == 1);
      CHECK(h.projection.current_encoding() == 0);
    }
    const auto d0 = h.offer(kf[0]);
    CHECK(d0.forward);
    CHECK_FALSE(d0.request_keyframe);
    CHECK(h.projection.current_encoding() == 1);
    REQUIRE(h.received.size() == before + 1);
    CHECK(h.received.back().in.sid == 0);
    CHECK(h.received.back().seq == last_old.seq + 1);
    CHECK(pid_step(*last_old.picture_id, *h.received.back().picture_id) == 1);
    CHECK(tl0_step(*last_old.tl0, *h.received.back().tl0) == 1);
    const std::size_t rest[] = {1, 2, 4, 5, 7, 8};
    for (const std::size_t i : rest) CHECK(h.offer(kf[i]).forward);
    // Retransmissions of the two early packets land on their own slots.
    CHECK(h.offer(kf[3]).forward);
    CHECK(h.offer(kf[6]).forward);
    h.advance(33ms);
    h.offer_all(src.vp9(0, false));
    h.offer_all(src.vp9(1, false));

    std::vector<Out> got(h.received.begin() + static_cast<long>(before), h.received.end());
    REQUIRE(got.size() == 12);
    std::sort(got.begin(), got.end(), [](const Out& a, const Out& b) { return a.seq < b.seq; });
    CHECK(got.front().seq == last_old.seq + 1);
    check_continuous(got);
    check_translation(got, 0, got.size(), true);
    // All layers of one picture share the (rewritten) PictureID.
    for (std::size_t i = 0; i < 9; ++i) CHECK(got[i].picture_id == got[0].picture_id);
    CHECK(h.projection.counters().switches == 2);
  }
}

TEST_CASE("H.264 simulcast: switches at STAP-A(SPS, PPS) of a keyframe; seq and ts continue") {
  const std::pair<int, int> cases[] = {{0, 2}, {2, 0}, {1, 2}, {2, 1}};
  for (const auto& [from, to] : cases) {
    CAPTURE(from);
    CAPTURE(to);
    Harness h;
    auto src = Source::standard();
    h.projection.set_target(from);
    // Delta access units before any keyframe start nothing.
    for (const auto& p : src.h264_instant(false)) {
      const auto d = h.offer(p);
      CHECK_FALSE(d.forward);
      CHECK(d.request_keyframe);
    }
    h.advance(33ms);
    h.offer_all(src.h264_instant(true));
    REQUIRE(h.projection.current_encoding() == from);
    REQUIRE_FALSE(h.received.empty());
    CHECK(h.received.front().seq == 2);
    CHECK(h.received.front().ts == 3001);
    CHECK(h.received.front().in.start);
    CHECK(h.received.front().in.bytes[12] == kStapAHeader);
    for (int i = 0; i < 10; ++i) {
      h.advance(33ms);
      h.offer_all(src.h264_instant(false));
    }
    h.projection.set_target(to);
    for (int i = 0; i < 5; ++i) {
      h.advance(33ms);
      for (const auto& p : src.h264_instant(false)) {
        // Non-IDR slices of the target, single NAL or FU-A, never switch.
        const auto d = h.offer(p);
        CHECK(d.forward == (p.encoding == from));
        CHECK(d.request_keyframe);
        CHECK(d.keyframe_encoding == to);
      }
    }
    // A keyframe of the target whose STAP-A and first IDR fragment were lost: the remaining IDR
    // fragments (FU-A, S=0) do not start it.
    h.advance(33ms);
    const auto partial = src.h264(to, true);
    for (std::size_t i = 2; i < partial.size(); ++i) {
      const auto d = h.offer(partial[i]);
      CHECK_FALSE(d.forward);
      CHECK(d.request_keyframe);
    }
    CHECK(h.projection.current_encoding() == from);
    h.advance(33ms);
    const std::size_t before = h.received.size();
    h.offer_all(src.h264_instant(true));
    CHECK(h.projection.current_encoding() == to);
    for (int i = 0; i < 10; ++i) {
      h.advance(33ms);
      for (const auto& p : src.h264_instant(false)) {
        const auto d = h.offer(p);
        CHECK(d.forward == (p.encoding == to));
        CHECK_FALSE(d.request_keyframe);
      }
    }
    check_continuous(h.received);
    const std::size_t sw = first_of_encoding(h.received, to);
    REQUIRE(sw >= before);
    REQUIRE(sw < h.received.size());
    check_translation(h.received, 0, sw, false);
    check_translation(h.received, sw, h.received.size(), false);
    const auto& first = h.received[sw];
    CHECK(first.in.keyframe);
    CHECK(first.in.start);
    CHECK(first.in.bytes[12] == kStapAHeader);
    CHECK(first.ts > h.received[sw - 1].ts);
    CHECK(h.projection.counters().switches == 2);
    CHECK(h.projection.counters().dropped_bad_payload == 0);
  }
}

TEST_CASE("H.264: a single FU-A IDR start is a keyframe start too, a lone non-IDR slice is not") {
  Harness h;
  auto src = Source::standard();
  h.projection.set_target(1);
  h.offer_all(src.h264(1, false));  // FU-A non-IDR fragments
  CHECK(h.received.empty());
  const auto kf = src.h264(1, true);
  // The STAP-A lost: the IDR picture still starts at its first slice's first fragment.
  for (std::size_t i = 1; i < kf.size(); ++i) CHECK(h.offer(kf[i]).forward);
  CHECK(h.projection.current_encoding() == 1);
  CHECK(h.received.front().in.bytes[13] == 0x85);  // FU header S=1, type 5
}

TEST_CASE("H.264: a malformed payload is forwarded when current but never taken for a keyframe") {
  // RFC 6184 violations the parser refuses: STAP-A(SPS, PPS) then a unit size past the end;
  // a reserved NAL type; an FU-A of an IDR with S and E both set; an empty payload.
  auto truncated_stap = stap_a_sps_pps();
  truncated_stap.insert(truncated_stap.end(), {0x00, 0x40, 0x65, 0x88});
  const std::vector<std::vector<std::uint8_t>> malformed = {
      truncated_stap,
      {0x7E, 0x88, 0x01, 0x02},  // type 30
      {kFuAIdrIndicator, 0xC5, kFirstMbZero, 0x11, 0x22},
      {},
  };
  Harness h;
  auto src = Source::standard();
  h.projection.set_target(0);
  h.offer_all(src.h264(0, true));
  REQUIRE(h.projection.current_encoding() == 0);
  h.projection.set_target(1);
  for (std::size_t m = 0; m < malformed.size(); ++m) {
    CAPTURE(m);
    h.advance(33ms);
    h.offer_all(src.h264(0, false));
    // As a new access unit of the target: no switch.
    src.next_picture(1, true);
    const auto d1 = h.offer(src.packet(1, kH264PayloadType, malformed[m], true));
    CHECK_FALSE(d1.forward);
    CHECK(d1.request_keyframe);
    CHECK(d1.keyframe_encoding == 1);
    CHECK(h.projection.current_encoding() == 0);
    // Of the current encoding: forwarded in its slot.
    src.next_picture(0, true);
    const std::size_t n = h.received.size();
    const auto d0 = h.offer(src.packet(0, kH264PayloadType, malformed[m], true));
    CHECK(d0.forward);
    REQUIRE(h.received.size() == n + 1);
    CHECK(h.received.back().seq == h.received[n - 1].seq + 1);
    CHECK(h.received.back().kept);
  }
  CHECK(h.projection.counters().dropped_bad_payload == 0);
  CHECK(h.projection.counters().switches == 1);
  CHECK(h.projection.counters().stale_keyframes == 0);
  // The target's next real keyframe still switches.
  h.advance(33ms);
  h.offer_all(src.h264(1, true));
  CHECK(h.projection.current_encoding() == 1);
  check_continuous(h.received);
}

TEST_CASE("VP8 with the default payload types behaves as before") {
  for (const bool with_other_codecs : {false, true}) {
    CAPTURE(with_other_codecs);
    Harness h(with_other_codecs ? all_codecs() : media::CodecPayloadTypes{});
    auto src = test::Vp8SimulcastSource::standard();
    auto convert = [](const std::vector<test::GeneratedPacket>& in) {
      std::vector<Pkt> out;
      for (const auto& g : in) {
        Pkt p;
        p.bytes = g.bytes;
        p.encoding = g.encoding;
        p.seq = g.seq;
        p.ts = g.ts;
        p.picture_id = g.picture_id;
        p.tl0 = g.tl0;
        p.keyframe = g.keyframe;
        p.start = g.start;
        p.marker = g.marker;
        out.push_back(std::move(p));
      }
      return out;
    };
    h.projection.set_target(0);
    h.offer_all(convert(src.instant(false)));
    CHECK(h.received.empty());
    h.offer_all(convert(src.instant(true)));
    REQUIRE_FALSE(h.received.empty());
    CHECK(h.received.front().in.start);
    CHECK(h.received.front().seq == 2);
    CHECK(h.received.front().ts == 3001);
    h.projection.set_target(1);
    for (int i = 0; i < 4; ++i) {
      h.advance(33ms);
      for (const auto& p : convert(src.instant(false))) {
        const auto d = h.offer(p);
        CHECK(d.forward == (p.encoding == 0));
        CHECK(d.request_keyframe);
      }
    }
    h.advance(33ms);
    h.offer_all(convert(src.instant(true)));
    CHECK(h.projection.current_encoding() == 1);
    check_continuous(h.received);
    const std::size_t sw = first_of_encoding(h.received, 1);
    REQUIRE(sw < h.received.size());
    check_translation(h.received, 0, sw, true);
    check_translation(h.received, sw, h.received.size(), true);
    CHECK(pid_step(*h.received[sw - 1].picture_id, *h.received[sw].picture_id) == 1);
    CHECK(tl0_step(*h.received[sw - 1].tl0, *h.received[sw].tl0) == 1);
    CHECK(h.projection.counters().dropped_bad_payload == 0);
  }
}

TEST_CASE(
    "AV1 simulcast: nothing before a keyframe, switches at a new coded video sequence; seq and ts continue") {
  Harness h;
  auto src = Source::standard();
  h.projection.set_target(0);
  for (const auto& p : src.av1_instant(false)) {
    const auto d = h.offer(p);
    CHECK_FALSE(d.forward);
    if (p.encoding == 0) CHECK(d.request_keyframe);
  }
  h.advance(33ms);
  h.offer_all(src.av1_instant(true));
  REQUIRE(h.projection.current_encoding() == 0);
  REQUIRE_FALSE(h.received.empty());
  CHECK(h.received.front().in.keyframe);
  CHECK(h.received.front().in.start);
  CHECK(h.received.front().seq == 2);
  for (int i = 0; i < 5; ++i) {
    h.advance(33ms);
    h.offer_all(src.av1_instant(false));
  }
  h.projection.set_target(2);
  for (int i = 0; i < 3; ++i) {
    h.advance(33ms);
    for (const auto& p : src.av1_instant(false)) CHECK(h.offer(p).forward == (p.encoding == 0));
  }
  // A keyframe whose first packet (N=1) was lost does not start the switch.
  h.advance(33ms);
  const auto partial = src.av1(2, true);
  for (std::size_t i = 1; i < partial.size(); ++i) CHECK_FALSE(h.offer(partial[i]).forward);
  CHECK(h.projection.current_encoding() == 0);
  h.advance(33ms);
  const std::size_t before = h.received.size();
  h.offer_all(src.av1_instant(true));
  CHECK(h.projection.current_encoding() == 2);
  for (int i = 0; i < 5; ++i) {
    h.advance(33ms);
    for (const auto& p : src.av1_instant(false)) CHECK(h.offer(p).forward == (p.encoding == 2));
  }
  check_continuous(h.received);
  const std::size_t sw = first_of_encoding(h.received, 2);
  REQUIRE(sw >= before);
  REQUIRE(sw < h.received.size());
  check_translation(h.received, 0, sw, false);
  check_translation(h.received, sw, h.received.size(), false);
  CHECK(h.received[sw].in.keyframe);
  CHECK(h.received[sw].in.start);
  CHECK(h.projection.counters().switches == 2);
}
