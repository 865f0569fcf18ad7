// Candidate SDP round trips and refusals (RFC 8839 §5.1), priorities (RFC 8445 §5.1.2.1).
#include "ice/candidate.hpp"

#include <doctest/doctest.h>

using jvb::SocketAddress;
using jvb::ice::Candidate;
using jvb::ice::candidate_priority;
using jvb::ice::CandidateType;

TEST_CASE("candidate_priority follows RFC 8445 §5.1.2.1") {
  CHECK(candidate_priority(CandidateType::kHost, 65535, 1) == 2130706431u);  // (126<<24)|(65535<<8)|255
  CHECK(candidate_priority(CandidateType::kPeerReflexive, 65535, 1) == 1862270975u);
  CHECK(candidate_priority(CandidateType::kServerReflexive, 65535, 1) == 1694498815u);
  CHECK(candidate_priority(CandidateType::kRelayed, 0, 1) == 255u);
  CHECK(candidate_priority(CandidateType::kHost, 0, 2) == (126u << 24) + 254u);
}

TEST_CASE("to_sdp of a host candidate") {
  Candidate c;
  c.foundation = "1";
  c.priority = 2130706431;
  c.address = *SocketAddress::parse("127.0.0.1", 10000);
  CHECK(c.to_sdp() == "candidate:1 1 udp 2130706431 127.0.0.1 10000 typ host generation 0");
}

TEST_CASE("to_sdp / parse_sdp round trips") {
  Candidate c;
  c.foundation = "2";
  c.priority = 1694498815;
  c.address = *SocketAddress::parse("203.0.113.7", 10000);
  c.type = CandidateType::kServerReflexive;
  c.related = *SocketAddress::parse("10.0.0.5", 10000);
  c.generation = 3;
  const std::string sdp = c.to_sdp();
  CHECK(sdp ==
        "candidate:2 1 udp 1694498815 203.0.113.7 10000 typ srflx raddr 10.0.0.5 rport 10000 generation 3");
  auto back = Candidate::parse_sdp(sdp);
  REQUIRE(back);
  CHECK(back->foundation == "2");
  CHECK(back->priority == c.priority);
  CHECK(back->address == c.address);
  CHECK(back->type == CandidateType::kServerReflexive);
  REQUIRE(back->related);
  CHECK(*back->related == *c.related);
  CHECK(back->generation == 3);
  CHECK(back->to_sdp() == sdp);

  Candidate v6;
  v6.foundation = "abc+/";
  v6.priority = 1;
  v6.address = *SocketAddress::parse("2001:db8::1", 5000);
  v6.type = CandidateType::kRelayed;
  auto v6back = Candidate::parse_sdp("a=" + v6.to_sdp() + "\r\n");
  REQUIRE(v6back);
  CHECK(v6back->address == v6.address);
  CHECK(v6back->type == CandidateType::kRelayed);
}

TEST_CASE("parse_sdp accepts browser lines") {
  auto c = Candidate::parse_sdp(
      "candidate:842163049 1 udp 1677729535 198.51.100.4 61722 typ srflx raddr 0.0.0.0 rport 0 generation 0 "
      "ufrag EsQh network-cost 999");
  REQUIRE(c);
  CHECK(c->address.port() == 61722);
  CHECK(c->type == CandidateType::kServerReflexive);
  auto no_prefix = Candidate::parse_sdp("1 1 UDP 2122260223 192.168.1.2 54321 typ host");
  REQUIRE(no_prefix);
  CHECK(no_prefix->transport == "udp");
  CHECK(no_prefix->priority == 2122260223u);
  auto prflx = Candidate::parse_sdp(
      "a=candidate:3 1 udp 1845501695 192.0.2.1 4000 typ prflx raddr 10.0.0.1 rport 4000");
  REQUIRE(prflx);
  CHECK(prflx->type == CandidateType::kPeerReflexive);
}

TEST_CASE("parse_sdp refuses what the bridge cannot use or does not understand") {
  // mDNS hostname candidate
  CHECK_FALSE(Candidate::parse_sdp(
      "candidate:1 1 udp 2122260223 6f1a7c0e-1b2c-4d5e-8f90-a1b2c3d4e5f6.local 54321 typ host"));
  CHECK_FALSE(Candidate::parse_sdp("candidate:1 1 udp 2122260223 example.com 54321 typ host"));
  // TCP
  CHECK_FALSE(Candidate::parse_sdp("candidate:1 1 tcp 1518280447 192.168.1.2 9 typ host tcptype active"));
  // malformed
  CHECK_FALSE(Candidate::parse_sdp(""));
  CHECK_FALSE(Candidate::parse_sdp("candidate:"));
  CHECK_FALSE(Candidate::parse_sdp("candidate:1 1 udp 2122260223 192.168.1.2 54321 host"));
  CHECK_FALSE(Candidate::parse_sdp("candidate:1 1 udp 2122260223 192.168.1.2 54321 typ"));
  CHECK_FALSE(Candidate::parse_sdp("candidate:1 1 udp 2122260223 192.168.1.2 65536 typ host"));
  CHECK_FALSE(Candidate::parse_sdp("candidate:1 1 udp 2122260223 192.168.1.2 -1 typ host"));
  CHECK_FALSE(Candidate::parse_sdp("candidate:1 1 udp 99999999999 192.168.1.2 5 typ host"));
  CHECK_FALSE(Candidate::parse_sdp("candidate:1 0 udp 2122260223 192.168.1.2 5 typ host"));
  CHECK_FALSE(Candidate::parse_sdp("candidate:1 x udp 2122260223 192.168.1.2 5 typ host"));
  CHECK_FALSE(Candidate::parse_sdp("candidate:1 1 udp 2122260223 192.168.1.2 5 typ bogus"));
  CHECK_FALSE(Candidate::parse_sdp("candidate:1 1 udp 2122260223 192.168.1.2 5 typ host generation"));
  CHECK_FALSE(Candidate::parse_sdp("candidate:1 1 udp 2122260223 192.168.1.2 5 typ srflx raddr 10.0.0.1"));
  CHECK_FALSE(Candidate::parse_sdp("candidate:f\xc3\xa9 1 udp 2122260223 192.168.1.2 5 typ host"));
  CHECK_FALSE(Candidate::parse_sdp("candidate:1 1 udp 2122260223 192.168.1.2.3 5 typ host"));
}
