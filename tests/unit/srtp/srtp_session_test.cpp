// Tests for bridge/srtp/srtp_session: SRTP/SRTCP round trips for both profiles (RFC 3711 §3.3-3.4,
// RFC 7714), tag and index sizes, authentication and replay failures, hostile input, and JVB's
// rules: no inbound state for an SSRC that never authenticates, repeated protection allowed
// outbound (as JVB's SrtpDecryptTest and its plain retransmissions need).
#include "bridge/srtp/srtp_session.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <vector>

namespace jvb::srtp {
namespace {

using Direction = SrtpSession::Direction;
using Bytes = std::vector<std::uint8_t>;

constexpr SrtpProfile kProfiles[] = {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAes128CmHmacSha1_80};

Bytes make_key(SrtpProfile profile, std::uint8_t seed) {
  Bytes key(key_length(profile) + salt_length(profile));
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(seed + i * 13);
  return key;
}

std::unique_ptr<SrtpSession> make_session(SrtpProfile profile, Direction direction, std::uint8_t seed = 1) {
  auto session = SrtpSession::create(profile, direction, make_key(profile, seed));
  REQUIRE_MESSAGE(session.has_value(), session.error());
  return std::move(session.value());
}

void put32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

// A plain RTP packet (RFC 3550 §5.1) with `payload` bytes, in a buffer with kMaxTrailer spare.
// The vector's size is the buffer; the packet length is returned separately.
Bytes make_rtp(std::uint16_t seq, std::uint32_t ssrc, std::size_t payload = 100) {
  Bytes b(12 + payload + SrtpSession::kMaxTrailer, 0);
  b[0] = 0x80;
  b[1] = 96;
  b[2] = static_cast<std::uint8_t>(seq >> 8);
  b[3] = static_cast<std::uint8_t>(seq);
  put32(b, 4, 90000u * seq);
  put32(b, 8, ssrc);
  for (std::size_t i = 0; i < payload; ++i) b[12 + i] = static_cast<std::uint8_t>(i * 7 + seq);
  return b;
}
std::size_t rtp_length(const Bytes& b) { return b.size() - SrtpSession::kMaxTrailer; }

// An RTCP receiver report with one report block (RFC 3550 §6.4.2): 32 bytes.
Bytes make_rtcp(std::uint32_t ssrc) {
  Bytes b(32 + SrtpSession::kMaxTrailer, 0);
  b[0] = 0x81;
  b[1] = 201;
  b[3] = 7;
  put32(b, 4, ssrc);
  for (std::size_t i = 8; i < 32; ++i) b[i] = static_cast<std::uint8_t>(i);
  return b;
}
constexpr std::size_t kRtcpLength = 32;

// Protects `plain` (packet of `length` bytes) and returns exactly the protected bytes.
Bytes protect(SrtpSession& tx, Bytes plain, std::size_t length, bool rtcp = false) {
  auto r = rtcp ? tx.protect_rtcp(plain, length) : tx.protect_rtp(plain, length);
  REQUIRE_MESSAGE(r.has_value(), error_name(r.error()));
  plain.resize(*r);
  return plain;
}

// libsrtp keeps a session's streams in our hash table (bridge/srtp/srtp_stream_list.c): a
// receiver's session in a large room holds hundreds. Every stream must stay reachable through
// growth, removals (tombstones) and re-insertion, and a removed one must really be gone.
TEST_CASE("SrtpSession: hundreds of streams in one session, removed and added again") {
  const auto p = SrtpProfile::kAeadAes128Gcm;
  auto tx = make_session(p, Direction::kOutbound);
  auto rx = make_session(p, Direction::kInbound);
  std::mt19937 random(7);
  std::vector<std::uint32_t> ssrcs;
  for (int i = 0; i < 600; ++i) ssrcs.push_back(i < 300 ? 1000u + static_cast<std::uint32_t>(i) : random());
  auto round_trip = [&](std::uint32_t ssrc, std::uint16_t seq) {
    Bytes plain = make_rtp(seq, ssrc);
    Bytes wire = protect(*tx, plain, rtp_length(plain));
    auto r = rx->unprotect_rtp(wire);
    return r.has_value() && *r == rtp_length(plain) && std::memcmp(wire.data(), plain.data(), *r) == 0;
  };
  for (std::uint32_t ssrc : ssrcs) CHECK(round_trip(ssrc, 1));
  for (std::uint32_t ssrc : ssrcs) {
    CHECK(tx->has_stream(ssrc));
    CHECK(rx->has_stream(ssrc));
  }
  // Every other stream goes; the rest must still be found past the tombstones.
  for (std::size_t i = 0; i < ssrcs.size(); i += 2) {
    tx->remove_stream(ssrcs[i]);
    rx->remove_stream(ssrcs[i]);
  }
  for (std::size_t i = 0; i < ssrcs.size(); ++i) {
    CHECK(tx->has_stream(ssrcs[i]) == (i % 2 == 1));
    CHECK(rx->has_stream(ssrcs[i]) == (i % 2 == 1));
  }
  for (std::size_t i = 1; i < ssrcs.size(); i += 2) CHECK(round_trip(ssrcs[i], 2));
  // Removed streams come back as new ones (fresh replay state: sequence 1 again is accepted).
  for (std::size_t i = 0; i < ssrcs.size(); i += 2) CHECK(round_trip(ssrcs[i], 1));
  for (std::uint32_t ssrc : ssrcs) CHECK(rx->has_stream(ssrc));
}

TEST_CASE("SrtpSession: create checks the key length") {
  for (SrtpProfile p : kProfiles) {
    Bytes key = make_key(p, 3);
    CHECK(SrtpSession::create(p, Direction::kInbound, key).has_value());
    key.pop_back();
    auto r = SrtpSession::create(p, Direction::kOutbound, key);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().find("must be") != std::string::npos);
    CHECK_FALSE(SrtpSession::create(p, Direction::kOutbound, {}).has_value());
  }
}

TEST_CASE("SrtpSession: RTP round trip, both profiles") {
  for (SrtpProfile p : kProfiles) {
    CAPTURE(profile_name(p));
    auto tx = make_session(p, Direction::kOutbound);
    auto rx = make_session(p, Direction::kInbound);
    for (std::uint16_t seq = 1000; seq < 1010; ++seq) {
      Bytes plain = make_rtp(seq, 0x11223344);
      const std::size_t len = rtp_length(plain);
      Bytes wire = protect(*tx, plain, len);
      CHECK(wire.size() == len + (p == SrtpProfile::kAeadAes128Gcm ? 16 : 10));
      CHECK(std::memcmp(wire.data(), plain.data(), 12) == 0);  // header stays clear
      CHECK(std::memcmp(wire.data() + 12, plain.data() + 12, len - 12) != 0);
      auto r = rx->unprotect_rtp(wire);
      REQUIRE_MESSAGE(r.has_value(), error_name(r.error()));
      CHECK(*r == len);
      CHECK(std::memcmp(wire.data(), plain.data(), len) == 0);
    }
  }
}

TEST_CASE("SrtpSession: RTCP round trip adds tag and SRTCP index") {
  for (SrtpProfile p : kProfiles) {
    CAPTURE(profile_name(p));
    auto tx = make_session(p, Direction::kOutbound);
    auto rx = make_session(p, Direction::kInbound);
    for (int i = 0; i < 3; ++i) {
      Bytes plain = make_rtcp(0xCAFE0001);
      Bytes wire = protect(*tx, plain, kRtcpLength, true);
      CHECK(wire.size() == kRtcpLength + (p == SrtpProfile::kAeadAes128Gcm ? 16 : 10) + 4);
      // E flag set, index counts up from 1 (RFC 3711 §3.4).
      const std::size_t index_at = wire.size() - (p == SrtpProfile::kAeadAes128Gcm ? 4 : 14);
      CHECK(wire[index_at] == 0x80);
      CHECK(wire[index_at + 3] == i + 1);
      auto r = rx->unprotect_rtcp(wire);
      REQUIRE_MESSAGE(r.has_value(), error_name(r.error()));
      CHECK(*r == kRtcpLength);
      CHECK(std::memcmp(wire.data(), plain.data(), kRtcpLength) == 0);
    }
  }
}

TEST_CASE("SrtpSession: RTP with CSRCs and a header extension, and across a sequence wrap") {
  for (SrtpProfile p : kProfiles) {
    CAPTURE(profile_name(p));
    auto tx = make_session(p, Direction::kOutbound);
    auto rx = make_session(p, Direction::kInbound);
    for (std::uint32_t n = 65530; n < 65545; ++n) {
      Bytes plain = make_rtp(static_cast<std::uint16_t>(n), 42, 60);
      // 1 CSRC plus a one-byte-header extension of one word (RFC 8285 §4.2) in front of the payload.
      plain[0] = 0x91;
      const std::uint8_t extra[] = {0, 0, 0, 7, 0xBE, 0xDE, 0, 1, 0x10, 0xAA, 0, 0};
      plain.insert(plain.begin() + 12, std::begin(extra), std::end(extra));
      const std::size_t len = rtp_length(plain);
      Bytes wire = protect(*tx, plain, len);
      auto r = rx->unprotect_rtp(wire);
      REQUIRE_MESSAGE(r.has_value(), error_name(r.error()));
      CHECK(*r == len);
      CHECK(std::memcmp(wire.data(), plain.data(), len) == 0);
    }
  }
}

TEST_CASE("SrtpSession: a changed bit fails authentication") {
  for (SrtpProfile p : kProfiles) {
    CAPTURE(profile_name(p));
    auto tx = make_session(p, Direction::kOutbound);
    auto rx = make_session(p, Direction::kInbound);
    Bytes wire = protect(*tx, make_rtp(7, 99), rtp_length(make_rtp(7, 99)));
    for (std::size_t at : {std::size_t{1}, std::size_t{5}, std::size_t{20}, wire.size() - 1}) {
      CAPTURE(at);
      Bytes bad = wire;
      bad[at] ^= 0x01;
      auto r = rx->unprotect_rtp(bad);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error() == SrtpError::kAuthFailed);
    }
    Bytes rtcp = protect(*tx, make_rtcp(99), kRtcpLength, true);
    rtcp[10] ^= 0x80;
    auto r = rx->unprotect_rtcp(rtcp);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == SrtpError::kAuthFailed);
    // The untouched packet still goes through: the failures left no state behind.
    CHECK(rx->unprotect_rtp(wire).has_value());
  }
}

TEST_CASE("SrtpSession: replays and packets older than the window are rejected") {
  for (SrtpProfile p : kProfiles) {
    CAPTURE(profile_name(p));
    auto tx = make_session(p, Direction::kOutbound);
    auto rx = make_session(p, Direction::kInbound);
    Bytes first = protect(*tx, make_rtp(10, 5), rtp_length(make_rtp(10, 5)));
    Bytes copy = first;
    REQUIRE(rx->unprotect_rtp(first).has_value());
    auto again = rx->unprotect_rtp(copy);
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error() == SrtpError::kReplay);

    // Move the window forward by more than its size; seq 11 is new but too old.
    Bytes late = protect(*tx, make_rtp(11, 5), rtp_length(make_rtp(11, 5)));
    Bytes ahead = protect(*tx, make_rtp(10 + SrtpSession::kReplayWindow + 10, 5),
                          rtp_length(make_rtp(10 + SrtpSession::kReplayWindow + 10, 5)));
    REQUIRE(rx->unprotect_rtp(ahead).has_value());
    auto old = rx->unprotect_rtp(late);
    REQUIRE_FALSE(old.has_value());
    CHECK(old.error() == SrtpError::kReplay);

    // Inside the window, reordering is fine.
    Bytes a = protect(*tx, make_rtp(2000, 5), rtp_length(make_rtp(2000, 5)));
    Bytes b = protect(*tx, make_rtp(1990, 5), rtp_length(make_rtp(1990, 5)));
    CHECK(rx->unprotect_rtp(a).has_value());
    CHECK(rx->unprotect_rtp(b).has_value());

    Bytes rtcp = protect(*tx, make_rtcp(5), kRtcpLength, true);
    Bytes rtcp_copy = rtcp;
    REQUIRE(rx->unprotect_rtcp(rtcp).has_value());
    auto r = rx->unprotect_rtcp(rtcp_copy);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == SrtpError::kReplay);
  }
}

TEST_CASE("SrtpSession: outbound may protect the same packet twice") {
  for (SrtpProfile p : kProfiles) {
    CAPTURE(profile_name(p));
    auto tx = make_session(p, Direction::kOutbound);
    auto rx = make_session(p, Direction::kInbound);
    Bytes plain = make_rtp(500, 77);
    Bytes one = protect(*tx, plain, rtp_length(plain));
    Bytes two = protect(*tx, plain, rtp_length(plain));  // a re-send of the identical packet
    CHECK(one == two);
    CHECK(tx->has_stream(77));
    CHECK(rx->unprotect_rtp(one).has_value());
    auto r = rx->unprotect_rtp(two);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == SrtpError::kReplay);  // the receiver still sees a duplicate
  }
}

TEST_CASE("SrtpSession: a wrong key fails and leaves no state for that SSRC") {
  for (SrtpProfile p : kProfiles) {
    CAPTURE(profile_name(p));
    auto rx = make_session(p, Direction::kInbound, 1);
    auto good_tx = make_session(p, Direction::kOutbound, 1);
    auto bad_tx = make_session(p, Direction::kOutbound, 2);
    constexpr std::uint32_t kSsrc = 0xABCD0001;

    Bytes forged = protect(*bad_tx, make_rtp(5, kSsrc), rtp_length(make_rtp(5, kSsrc)));
    auto r = rx->unprotect_rtp(forged);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == SrtpError::kAuthFailed);
    CHECK_FALSE(rx->has_stream(kSsrc));
    Bytes forged_rtcp = protect(*bad_tx, make_rtcp(kSsrc), kRtcpLength, true);
    auto rr = rx->unprotect_rtcp(forged_rtcp);
    REQUIRE_FALSE(rr.has_value());
    CHECK(rr.error() == SrtpError::kAuthFailed);
    CHECK_FALSE(rx->has_stream(kSsrc));

    // Had the forged seq 5 been recorded, the genuine seq 5 would now be a replay.
    Bytes genuine = protect(*good_tx, make_rtp(5, kSsrc), rtp_length(make_rtp(5, kSsrc)));
    auto ok = rx->unprotect_rtp(genuine);
    REQUIRE_MESSAGE(ok.has_value(), error_name(ok.error()));
    CHECK(rx->has_stream(kSsrc));
    CHECK_FALSE(rx->has_stream(kSsrc + 1));
    Bytes genuine_rtcp = protect(*good_tx, make_rtcp(kSsrc), kRtcpLength, true);
    CHECK(rx->unprotect_rtcp(genuine_rtcp).has_value());

    // After authenticating, forgeries for that SSRC are still rejected.
    Bytes forged2 = protect(*bad_tx, make_rtp(6, kSsrc), rtp_length(make_rtp(6, kSsrc)));
    CHECK(rx->unprotect_rtp(forged2).error() == SrtpError::kAuthFailed);
  }
}

TEST_CASE("SrtpSession: many forged SSRCs create no streams") {
  auto rx = make_session(SrtpProfile::kAeadAes128Gcm, Direction::kInbound, 1);
  auto bad_tx = make_session(SrtpProfile::kAeadAes128Gcm, Direction::kOutbound, 9);
  for (std::uint32_t ssrc = 1; ssrc <= 200; ++ssrc) {
    Bytes forged = protect(*bad_tx, make_rtp(1, ssrc), rtp_length(make_rtp(1, ssrc)));
    CHECK(rx->unprotect_rtp(forged).error() == SrtpError::kAuthFailed);
  }
  int streams = 0;
  for (std::uint32_t ssrc = 1; ssrc <= 200; ++ssrc) streams += rx->has_stream(ssrc) ? 1 : 0;
  CHECK(streams == 0);
}

TEST_CASE("SrtpSession: remove_stream forgets the replay state") {
  auto tx = make_session(SrtpProfile::kAes128CmHmacSha1_80, Direction::kOutbound);
  auto rx = make_session(SrtpProfile::kAes128CmHmacSha1_80, Direction::kInbound);
  Bytes wire = protect(*tx, make_rtp(3, 8), rtp_length(make_rtp(3, 8)));
  Bytes copy = wire;
  REQUIRE(rx->unprotect_rtp(wire).has_value());
  REQUIRE(rx->has_stream(8));
  rx->remove_stream(8);
  CHECK_FALSE(rx->has_stream(8));
  CHECK(rx->unprotect_rtp(copy).has_value());
  rx->remove_stream(12345);  // unknown: no effect
}

TEST_CASE("SrtpSession: short, truncated and garbage input is an error, never a crash") {
  for (SrtpProfile p : kProfiles) {
    CAPTURE(profile_name(p));
    auto tx = make_session(p, Direction::kOutbound);
    auto rx = make_session(p, Direction::kInbound);
    Bytes wire = protect(*tx, make_rtp(1, 3), rtp_length(make_rtp(1, 3)));
    for (std::size_t n = 0; n < wire.size(); ++n) {
      Bytes cut(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
      auto r = rx->unprotect_rtp(cut);
      REQUIRE_FALSE(r.has_value());
      if (n < 12 + tag_length(p)) CHECK(r.error() == SrtpError::kTooShort);
    }
    Bytes rtcp = protect(*tx, make_rtcp(3), kRtcpLength, true);
    for (std::size_t n = 0; n < rtcp.size(); ++n) {
      Bytes cut(rtcp.begin(), rtcp.begin() + static_cast<std::ptrdiff_t>(n));
      auto r = rx->unprotect_rtcp(cut);
      REQUIRE_FALSE(r.has_value());
      if (n < 8 + rtcp_trailer_length(p)) CHECK(r.error() == SrtpError::kTooShort);
    }

    Bytes not_v2 = wire;
    not_v2[0] = 0x40;
    CHECK(rx->unprotect_rtp(not_v2).error() == SrtpError::kBadParam);
    // CSRC count and extension length pointing past the end.
    Bytes csrc = wire;
    csrc[0] = 0x8F;
    CHECK_FALSE(rx->unprotect_rtp(std::span(csrc).first(30)).has_value());
    Bytes ext = wire;
    ext[0] = 0x90;
    ext[14] = 0xFF;
    ext[15] = 0xFF;
    CHECK_FALSE(rx->unprotect_rtp(ext).has_value());

    std::mt19937 rng(1234);
    for (int i = 0; i < 500; ++i) {
      Bytes junk(rng() % 200);
      for (auto& byte : junk) byte = static_cast<std::uint8_t>(rng());
      if (!junk.empty()) junk[0] = static_cast<std::uint8_t>(0x80 | (junk[0] & 0x3F));
      Bytes junk2 = junk;
      CHECK_FALSE(rx->unprotect_rtp(junk).has_value());
      CHECK_FALSE(rx->unprotect_rtcp(junk2).has_value());
    }
    CHECK(rx->unprotect_rtp(wire).has_value());  // the good packet still works afterwards
  }
}

TEST_CASE("SrtpSession: protect checks lengths and room for the trailer") {
  for (SrtpProfile p : kProfiles) {
    CAPTURE(profile_name(p));
    auto tx = make_session(p, Direction::kOutbound);
    Bytes plain = make_rtp(1, 1);
    const std::size_t len = rtp_length(plain);
    CHECK(tx->protect_rtp(plain, plain.size() + 1).error() == SrtpError::kBadParam);
    CHECK(tx->protect_rtp(plain, 11).error() == SrtpError::kTooShort);
    CHECK(tx->protect_rtp(std::span(plain).first(len + tag_length(p) - 1), len).error() ==
          SrtpError::kBadParam);
    CHECK(tx->protect_rtp(std::span(plain).first(len + tag_length(p)), len).has_value());
    Bytes rtcp = make_rtcp(1);
    CHECK(tx->protect_rtcp(rtcp, 7).error() == SrtpError::kTooShort);
    CHECK(tx->protect_rtcp(std::span(rtcp).first(kRtcpLength + rtcp_trailer_length(p) - 1), kRtcpLength)
              .error() == SrtpError::kBadParam);
    CHECK(tx->protect_rtcp(std::span(rtcp).first(kRtcpLength + SrtpSession::kMaxTrailer), kRtcpLength)
              .has_value());
    Bytes not_v2 = make_rtp(2, 1);
    not_v2[0] = 0;
    CHECK(tx->protect_rtp(not_v2, len).error() == SrtpError::kBadParam);
  }
}

TEST_CASE("SrtpSession: error names") {
  CHECK(error_name(SrtpError::kAuthFailed) == "auth_failed");
  CHECK(error_name(SrtpError::kReplay) == "replay");
  CHECK(error_name(SrtpError::kTooShort) == "too_short");
  CHECK(error_name(SrtpError::kBadParam) == "bad_param");
  CHECK(error_name(SrtpError::kOther) == "other");
}

}  // namespace
}  // namespace jvb::srtp
