// Tests of bridge/rtcp/transport_cc.hpp (draft-holmer-rmcat-transport-wide-cc-extensions-01
// §3.1): a hand-built feedback with all three chunk kinds, the draft's run-length example,
// malformed input, and the builder's encoding, rounding and splitting.
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <vector>

#include "bridge/rtcp/transport_cc.hpp"

using namespace jvb::rtcp;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

namespace {

// base seq 153, 23 statuses, reference time 16 (1.024 s), feedback count 7. Chunks:
//   0x2005: run of 5 "received, small delta"                       seqs 153-157
//   0x9F1C: one-bit vector 0 1 1 1 1 1 0 0 0 1 1 1 0 0             seqs 158-171
//   0xD840: two-bit vector small, large, not received, small, (3 padding symbols)  seqs 172-175
// Deltas (250 us ticks): 1 2 3 4 5 | 10 0 255 4 4 4 4 4 | 7 -4 200, then one zero pad byte.
// clang-format off
const Bytes kFeedback{
    0x8F, 205, 0x00, 0x0A,   // V=2 FMT=15, PT=205, length 10 words
    0xFA, 0x17, 0xFA, 0x17,  // sender SSRC
    0x01, 0x02, 0x03, 0x04,  // media SSRC
    0x00, 0x99, 0x00, 0x17,  // base sequence 153, status count 23
    0x00, 0x00, 0x10, 0x07,  // reference time 16, fb pkt. count 7
    0x20, 0x05, 0x9F, 0x1C, 0xD8, 0x40,    // chunks
    1, 2, 3, 4, 5,                         // small deltas of the run
    10, 0, 255, 4, 4, 4, 4, 4,             // small deltas of the one-bit vector
    7, 0xFF, 0xFC, 200,                    // small, large (-4), small
    0x00};                                 // padding to 32 bits
// clang-format on

jvb::Timestamp at(std::chrono::microseconds us) { return jvb::Timestamp(us); }

TransportFeedback parse_ok(std::span<const std::uint8_t> bytes) {
  auto pkt = parse_rtcp_packet(bytes);
  REQUIRE(pkt);
  auto f = TransportFeedback::parse(*pkt);
  REQUIRE(f);
  return *f;
}

}  // namespace

TEST_CASE("parse the hand-built feedback") {
  const TransportFeedback f = parse_ok(kFeedback);
  CHECK(f.sender_ssrc() == 0xFA17FA17u);
  CHECK(f.media_ssrc() == 0x01020304u);
  CHECK(f.base_sequence() == 153);
  CHECK(f.status_count() == 23);
  CHECK(f.reference_time_ticks() == 16);
  CHECK(f.reference_time() == 1024ms);
  CHECK(f.feedback_count() == 7);
  CHECK(f.received_count() == 16);

  const auto all = f.all_packets();
  REQUIRE(all.size() == 23);
  const std::vector<int> received_seqs{153, 154, 155, 156, 157, 159, 160, 161,
                                       162, 163, 167, 168, 169, 172, 173, 175};
  const std::vector<int> ticks{1, 2, 3, 4, 5, 10, 0, 255, 4, 4, 4, 4, 4, 7, -4, 200};
  std::size_t k = 0;
  std::int64_t cumulative = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].sequence_number == 153 + i);
    const bool expect_received = k < received_seqs.size() && received_seqs[k] == static_cast<int>(153 + i);
    CHECK(all[i].received() == expect_received);
    if (expect_received) {
      cumulative += ticks[k];
      CHECK(all[i].delta_ticks == ticks[k]);
      CHECK(all[i].arrival == 1024ms + cumulative * 250us);
      CHECK(all[i].status == (ticks[k] == -4 ? TccStatus::kLargeDelta : TccStatus::kSmallDelta));
      ++k;
    } else {
      CHECK(all[i].status == TccStatus::kNotReceived);
    }
  }
  CHECK(k == received_seqs.size());
}

TEST_CASE("iteration does not allocate and matches all_packets") {
  const TransportFeedback f = parse_ok(kFeedback);
  auto it = f.packets();
  std::size_t n = 0;
  std::uint16_t last = 0;
  while (auto s = it.next()) {
    last = s->sequence_number;
    ++n;
  }
  CHECK(n == 23);
  CHECK(last == 175);
  CHECK_FALSE(it.next());
}

TEST_CASE("the draft's run-length example: 221 packets not received (0x00DD)") {
  const Bytes pkt{0x8F, 205,  0x00, 0x05, 0,    0,    0,    1,    0,    0,    0,    2,
                  0x00, 0x00, 0x00, 0xDD, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0xDD, 0x00, 0x00};
  const TransportFeedback f = parse_ok(pkt);
  CHECK(f.status_count() == 221);
  CHECK(f.received_count() == 0);
  CHECK(f.reference_time_ticks() == -1);  // 24-bit signed
  const auto all = f.all_packets();
  REQUIRE(all.size() == 221);
  CHECK(all.back().sequence_number == 220);
  for (const auto& s : all) CHECK_FALSE(s.received());
}

TEST_CASE("sequence numbers wrap inside a feedback") {
  Bytes pkt = kFeedback;
  pkt[12] = 0xFF;
  pkt[13] = 0xF0;  // base 65520
  const auto all = parse_ok(pkt).all_packets();
  CHECK(all[15].sequence_number == 65535);
  CHECK(all[16].sequence_number == 0);
}

TEST_CASE("malformed feedback") {
  auto parse = [](const Bytes& b) { return TransportFeedback::parse(*parse_rtcp_packet(b)); };
  Bytes nack = kFeedback;
  nack[0] = 0x81;
  CHECK(parse(nack).error() == RtcpError::kWrongType);
  // Header cut short.
  CHECK(parse(Bytes{0x8F, 205, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1}).error() ==
        RtcpError::kBadLength);
  // Status count zero.
  Bytes zero = kFeedback;
  zero[14] = 0;
  zero[15] = 0;
  CHECK(parse(zero).error() == RtcpError::kMalformed);
  // More statuses than chunks.
  Bytes many = kFeedback;
  many[15] = 200;
  CHECK(parse(many).error() == RtcpError::kBadLength);
  // Deltas missing: claim fewer bytes in the length.
  Bytes short_deltas = kFeedback;
  short_deltas[3] = 0x08;
  short_deltas.resize(36);
  CHECK(parse(short_deltas).error() == RtcpError::kBadLength);
  // A reserved symbol (11) in a counted two-bit slot.
  Bytes reserved = kFeedback;
  reserved[24] = 0xDC;  // 11 01 11 00 ...: second symbol reserved
  CHECK(parse(reserved).error() == RtcpError::kMalformed);
  // A run of the reserved symbol.
  Bytes reserved_run = kFeedback;
  reserved_run[20] = 0x60;  // 0 11 ...
  CHECK(parse(reserved_run).error() == RtcpError::kMalformed);
}

TEST_CASE("reserved symbols past the status count are padding") {
  Bytes pkt = kFeedback;
  pkt[25] = 0x43;  // last two-bit symbol (uncounted) = 11
  CHECK(parse_ok(pkt).status_count() == 23);
}

TEST_CASE("builder: 20 received packets make one run-length chunk") {
  std::vector<TccPacket> in;
  for (int i = 0; i < 20; ++i)
    in.push_back({static_cast<std::uint16_t>(1000 + i), at(1'000'000us + i * 1ms)});
  std::array<std::uint8_t, 128> out{};
  auto r = write_transport_feedback(out, {1, 2, 3}, in);
  REQUIRE(r);
  CHECK(r->packets == 20);
  CHECK(r->bytes == 44);  // 20 header + 2 chunk + 20 deltas + 2 padding
  CHECK(out[20] == 0x20);
  CHECK(out[21] == 20);
  const TransportFeedback f = parse_ok(std::span<const std::uint8_t>(out.data(), r->bytes));
  CHECK(f.base_sequence() == 1000);
  CHECK(f.feedback_count() == 3);
  CHECK(f.reference_time_ticks() == 15);  // 1 s rounded down to 64 ms
  const auto all = f.all_packets();
  REQUIRE(all.size() == 20);
  for (int i = 0; i < 20; ++i) {
    CHECK(all[i].received());
    CHECK(all[i].arrival == 1'000'000us + i * 1ms);
  }
}

TEST_CASE("builder: a large delta among seven makes a two-bit chunk") {
  std::vector<TccPacket> in;
  const std::chrono::microseconds times[] = {64000us,  64250us,  164250us, 164500us,
                                             164750us, 165000us, 165250us};
  for (int i = 0; i < 7; ++i) in.push_back({static_cast<std::uint16_t>(i), at(times[i])});
  std::array<std::uint8_t, 64> out{};
  auto r = write_transport_feedback(out, {}, in);
  REQUIRE(r);
  // small, small, large (400 ticks), small x4: 11 01 01 10 01 01 01 01
  CHECK(out[20] == 0xD6);
  CHECK(out[21] == 0x55);
  const auto all = parse_ok(std::span<const std::uint8_t>(out.data(), r->bytes)).all_packets();
  REQUIRE(all.size() == 7);
  CHECK(all[2].status == TccStatus::kLargeDelta);
  CHECK(all[2].delta_ticks == 400);
  for (int i = 0; i < 7; ++i) CHECK(all[i].arrival == times[i]);
}

TEST_CASE("builder: alternating loss makes a one-bit chunk") {
  std::vector<TccPacket> in;
  for (int i = 0; i < 14; ++i) {
    TccPacket p{static_cast<std::uint16_t>(i), std::nullopt};
    if (i % 2 == 0) p.arrival = at(640ms + i * 1ms);
    in.push_back(p);
  }
  std::array<std::uint8_t, 64> out{};
  auto r = write_transport_feedback(out, {}, in);
  REQUIRE(r);
  CHECK(out[20] == 0xAA);
  CHECK(out[21] == 0xAA);
  const TransportFeedback f = parse_ok(std::span<const std::uint8_t>(out.data(), r->bytes));
  CHECK(f.status_count() == 14);
  CHECK(f.received_count() == 7);
}

TEST_CASE("builder: skipped sequence numbers are reported lost, across a wrap") {
  const std::vector<TccPacket> in{{65530, at(100ms)}, {65535, at(101ms)}, {3, at(102ms)}};
  std::array<std::uint8_t, 64> out{};
  auto r = write_transport_feedback(out, {}, in);
  REQUIRE(r);
  const auto all = parse_ok(std::span<const std::uint8_t>(out.data(), r->bytes)).all_packets();
  REQUIRE(all.size() == 10);
  CHECK(all[0].received());
  CHECK_FALSE(all[1].received());
  CHECK(all[5].sequence_number == 65535);
  CHECK(all[5].received());
  CHECK(all[9].sequence_number == 3);
  CHECK(all[9].arrival == 102ms);
}

TEST_CASE("builder: negative deltas and rounding without drift") {
  // 333 us apart, the last one earlier than its predecessor (reordered on the way).
  const std::vector<TccPacket> in{{1, at(6400'000us)},
                                  {2, at(6400'333us)},
                                  {3, at(6400'666us)},
                                  {4, at(6400'999us)},
                                  {5, at(6400'100us)}};
  std::array<std::uint8_t, 64> out{};
  auto r = write_transport_feedback(out, {}, in);
  REQUIRE(r);
  const auto all = parse_ok(std::span<const std::uint8_t>(out.data(), r->bytes)).all_packets();
  REQUIRE(all.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    const auto err = all[i].arrival - in[i].arrival->time_since_epoch();
    CHECK(err <= 125us);
    CHECK(err >= -125us);
  }
  CHECK(all[4].status == TccStatus::kLargeDelta);
  CHECK(all[4].delta_ticks < 0);
}

TEST_CASE("builder: splits when the buffer is full, and the rest follows in the next one") {
  std::vector<TccPacket> in;
  std::uint16_t seq = 60000;
  std::chrono::microseconds t = 5s;
  for (int i = 0; i < 3000; ++i) {
    TccPacket p{seq, std::nullopt};
    if (i % 3 != 0) p.arrival = at(t);
    t += (i % 7 == 0) ? 70ms : 1ms;  // some large deltas
    seq = static_cast<std::uint16_t>(seq + 1 + (i % 11 == 0 ? 2 : 0));
    in.push_back(p);
  }
  std::array<std::uint8_t, 200> out{};
  std::size_t done = 0;
  std::size_t feedbacks = 0;
  while (done < in.size()) {
    auto r = write_transport_feedback(out, {1, 2, static_cast<std::uint8_t>(feedbacks)},
                                      std::span<const TccPacket>(in).subspan(done));
    REQUIRE(r);
    CHECK(r->bytes <= out.size());
    CHECK(r->packets > 0);
    const auto all = parse_ok(std::span<const std::uint8_t>(out.data(), r->bytes)).all_packets();
    // The last status is the last packet written; every input packet is in there.
    std::size_t j = 0;
    for (std::size_t i = done; i < done + r->packets; ++i) {
      while (j < all.size() && all[j].sequence_number != in[i].sequence_number) {
        CHECK_FALSE(all[j].received());
        ++j;
      }
      REQUIRE(j < all.size());
      CHECK(all[j].received() == in[i].arrival.has_value());
      if (in[i].arrival) CHECK(all[j].arrival - in[i].arrival->time_since_epoch() <= 125us);
      ++j;
    }
    CHECK(j == all.size());
    done += r->packets;
    ++feedbacks;
  }
  CHECK(feedbacks > 10);
}

TEST_CASE("builder: a delta beyond 16 bits ends the feedback") {
  const std::vector<TccPacket> in{{1, at(1s)}, {2, at(1s + 9s)}};
  std::array<std::uint8_t, 64> out{};
  auto r = write_transport_feedback(out, {}, in);
  REQUIRE(r);
  CHECK(r->packets == 1);
  auto r2 = write_transport_feedback(out, {}, std::span<const TccPacket>(in).subspan(1));
  REQUIRE(r2);
  CHECK(r2->packets == 1);
}

TEST_CASE("builder: status count is capped at 0xFFFF") {
  const std::vector<TccPacket> in{{0, at(1s)}, {0x7FFF, at(1s)}, {0xFFFE, at(1s)}, {0xFFFF, at(1s)}};
  std::vector<std::uint8_t> out(1000);
  auto r = write_transport_feedback(out, {}, in);
  REQUIRE(r);
  CHECK(r->packets == 3);
  const TransportFeedback f = parse_ok(std::span<const std::uint8_t>(out.data(), r->bytes));
  CHECK(f.status_count() == 0xFFFF);
  CHECK(f.received_count() == 3);
}

TEST_CASE("builder errors") {
  std::array<std::uint8_t, 64> out{};
  CHECK(write_transport_feedback(out, {}, {}).error() == RtcpError::kInvalidArgument);
  const std::vector<TccPacket> repeat{{5, at(1s)}, {5, at(1s)}};
  CHECK(write_transport_feedback(out, {}, repeat).error() == RtcpError::kInvalidArgument);
  const std::vector<TccPacket> backwards{{5, at(1s)}, {4, at(1s)}};
  CHECK(write_transport_feedback(out, {}, backwards).error() == RtcpError::kInvalidArgument);
  const std::vector<TccPacket> one{{5, at(1s)}};
  CHECK(write_transport_feedback(std::span<std::uint8_t>(out.data(), 23), {}, one).error() ==
        RtcpError::kBufferTooSmall);
  CHECK(write_transport_feedback(std::span<std::uint8_t>(out.data(), 24), {}, one)->bytes == 24);
}

TEST_CASE("builder: nothing received at all") {
  const std::vector<TccPacket> in{{7, std::nullopt}, {8, std::nullopt}};
  std::array<std::uint8_t, 64> out{};
  auto r = write_transport_feedback(out, {}, in);
  REQUIRE(r);
  const TransportFeedback f = parse_ok(std::span<const std::uint8_t>(out.data(), r->bytes));
  CHECK(f.status_count() == 2);
  CHECK(f.received_count() == 0);
  CHECK(f.reference_time_ticks() == 0);
}
