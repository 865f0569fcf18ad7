// StunSession and the header peeks: requests built here validate on another session, bad
// requests are refused with the right verdict and never answered, responses are matched to
// their transactions, role conflicts (RFC 8445 §7.3.1.1).
#include "ice/stun_message.hpp"

#include <doctest/doctest.h>

#include <array>
#include <vector>

using namespace jvb::ice;
using jvb::SocketAddress;

namespace {

const IceCredentials kServer{"srvA", "srvpasswordAAAAAAAAAAAA"};
const IceCredentials kClient{"cliA", "clipasswordAAAAAAAAAAAA"};

SocketAddress addr(const char* ip, std::uint16_t port) { return *SocketAddress::parse(ip, port); }

// A check from the client to the server: USERNAME "srvA:cliA", signed with the server's pwd.
OutboundRequest client_check(StunSession& client, bool use_candidate = false, bool controlling = false,
                             std::string_view pwd = kServer.pwd, std::uint64_t tie = 0x1111) {
  BindingRequestParams p;
  const std::string user = kServer.ufrag + ":" + kClient.ufrag;
  p.username = user;
  p.priority = 1853824767;
  p.controlling = controlling;
  p.tie_breaker = tie;
  p.use_candidate = use_candidate;
  auto r = client.build_binding_request(p, pwd);
  REQUIRE(r);
  return *r;
}

std::array<IceCredentials, 1> server_creds() { return {kServer}; }

}  // namespace

TEST_CASE("peek_stun_header and peek_username on a built request") {
  StunSession client("test-agent");
  auto req = client_check(client, true);
  auto h = peek_stun_header(req.bytes);
  REQUIRE(h);
  CHECK(h->cls == StunClass::kRequest);
  CHECK(h->method == kStunMethodBinding);
  CHECK(h->transaction == req.transaction);
  auto u = peek_username(req.bytes);
  REQUIRE(u);
  CHECK(*u == "srvA:cliA");

  // Truncations and framing errors are refused.
  for (std::size_t n = 0; n < req.bytes.size(); ++n) {
    std::span<const std::uint8_t> cut(req.bytes.data(), n);
    CHECK_FALSE(peek_stun_header(cut));
    CHECK_FALSE(peek_username(cut));
  }
  auto bad_cookie = req.bytes;
  bad_cookie[4] ^= 1;
  CHECK_FALSE(peek_stun_header(bad_cookie));
  auto top_bits = req.bytes;
  top_bits[0] |= 0x40;
  CHECK_FALSE(peek_stun_header(top_bits));
  // An attribute whose length runs past the end.
  auto overrun = req.bytes;
  overrun[20 + 2] = 0xFF;
  overrun[20 + 3] = 0xFF;
  auto first_attr = peek_username(overrun);
  CHECK((!first_attr || *first_attr != "srvA:cliA"));
}

TEST_CASE("a request built by one session validates on another and gets a success reply") {
  StunSession client, server;
  auto req = client_check(client, true);
  bool controlling = true;
  const auto from = addr("192.0.2.10", 50000);
  auto creds = server_creds();
  auto in = server.process_request(req.bytes, from, creds, controlling, 0xAAAA);
  REQUIRE(in.verdict == StunVerdict::kOk);
  CHECK(in.credentials_index == 0);
  CHECK(in.remote_ufrag == "cliA");
  CHECK(in.priority == 1853824767u);
  CHECK(in.use_candidate);
  CHECK_FALSE(in.peer_controlling);
  CHECK(in.role_conflict == RoleConflict::kNone);
  CHECK(controlling);
  REQUIRE_FALSE(in.reply.empty());
  auto rh = peek_stun_header(in.reply);
  REQUIRE(rh);
  CHECK(rh->cls == StunClass::kSuccess);
  CHECK(rh->transaction == req.transaction);

  // The client validates the reply with the key the request was sent with and reads the
  // XOR-MAPPED-ADDRESS.
  auto resp = client.process_response(in.reply);
  REQUIRE(resp.verdict == StunVerdict::kOk);
  CHECK(resp.success);
  CHECK(resp.transaction == req.transaction);
  REQUIRE(resp.mapped);
  CHECK(*resp.mapped == from);
  // The transaction is over: the same response again is unmatched.
  CHECK(client.process_response(in.reply).verdict == StunVerdict::kUnmatchedResponse);
}

TEST_CASE("the second of several local credentials is found by ufrag") {
  StunSession client, server;
  auto req = client_check(client);
  std::array<IceCredentials, 2> creds{IceCredentials{"new1", "newpasswordnewpassword12"}, kServer};
  bool controlling = false;
  auto in = server.process_request(req.bytes, addr("192.0.2.1", 1), creds, controlling, 1);
  CHECK(in.verdict == StunVerdict::kOk);
  CHECK(in.credentials_index == 1);
}

TEST_CASE("invalid requests are refused with the right verdict and never answered") {
  StunSession client, server;
  const auto from = addr("192.0.2.10", 50000);
  auto creds = server_creds();
  bool controlling = true;

  SUBCASE("wrong password") {
    auto req = client_check(client, false, false, "not-the-password-xxxxxx");
    auto in = server.process_request(req.bytes, from, creds, controlling, 1);
    CHECK(in.verdict == StunVerdict::kBadIntegrity);
    CHECK(in.reply.empty());
  }
  SUBCASE("unknown ufrag") {
    std::array<IceCredentials, 1> other{IceCredentials{"zzzz", kServer.pwd}};
    auto req = client_check(client);
    auto in = server.process_request(req.bytes, from, other, controlling, 1);
    CHECK(in.verdict == StunVerdict::kUnknownUfrag);
    CHECK(in.reply.empty());
  }
  SUBCASE("corrupted fingerprint") {
    auto req = client_check(client);
    req.bytes.back() ^= 0x55;
    auto in = server.process_request(req.bytes, from, creds, controlling, 1);
    CHECK(in.verdict == StunVerdict::kBadRequest);
    CHECK(in.reply.empty());
  }
  SUBCASE("a flipped bit in the body") {
    auto req = client_check(client);
    req.bytes[26] ^= 0x01;  // inside the first attribute's value
    auto in = server.process_request(req.bytes, from, creds, controlling, 1);
    CHECK(in.verdict != StunVerdict::kOk);
    CHECK(in.reply.empty());
  }
  SUBCASE("truncated") {
    auto req = client_check(client);
    for (std::size_t n = 0; n < req.bytes.size(); ++n) {
      auto in = server.process_request(std::span<const std::uint8_t>(req.bytes.data(), n), from, creds,
                                       controlling, 1);
      CHECK(in.verdict != StunVerdict::kOk);
      CHECK(in.reply.empty());
    }
  }
  SUBCASE("garbage and RTP") {
    std::vector<std::uint8_t> rtp{0x80, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    CHECK(server.process_request(rtp, from, creds, controlling, 1).verdict == StunVerdict::kNotStun);
    std::vector<std::uint8_t> zeros(20, 0);
    CHECK(server.process_request(zeros, from, creds, controlling, 1).verdict == StunVerdict::kNotStun);
  }
  SUBCASE("a response is not a request") {
    auto req = client_check(client);
    bool c2 = true;
    auto ok = server.process_request(req.bytes, from, creds, c2, 1);
    REQUIRE(ok.verdict == StunVerdict::kOk);
    auto in = server.process_request(ok.reply, from, creds, controlling, 1);
    CHECK(in.verdict == StunVerdict::kNotBindingRequest);
  }
  CHECK(controlling);
}

TEST_CASE("a response to no transaction, or forgotten, is unmatched") {
  StunSession client, server, stranger;
  auto creds = server_creds();
  bool controlling = true;
  auto req = client_check(client);
  auto in = server.process_request(req.bytes, addr("192.0.2.1", 9), creds, controlling, 1);
  REQUIRE(in.verdict == StunVerdict::kOk);
  CHECK(stranger.process_response(in.reply).verdict == StunVerdict::kUnmatchedResponse);
  client.forget_transaction(req.transaction);
  CHECK(client.process_response(in.reply).verdict == StunVerdict::kUnmatchedResponse);
}

TEST_CASE("a success response signed with another password is refused and keeps the transaction") {
  StunSession client, server;
  auto req = client_check(client);
  bool controlling = true;
  std::array<IceCredentials, 1> wrong{IceCredentials{"srvA", "otherpasswordotherpass12"}};
  // The server builds the reply with the pwd its validater returned: make the request validate
  // under a different pwd by building it with that one.
  auto req2 = client_check(client, false, false, wrong[0].pwd);
  auto in = server.process_request(req2.bytes, addr("192.0.2.1", 9), wrong, controlling, 1);
  REQUIRE(in.verdict == StunVerdict::kOk);
  // Graft req's transaction id onto the reply: now it matches `req`, whose key is kServer.pwd.
  std::copy(req.transaction.begin(), req.transaction.end(), in.reply.begin() + 8);
  auto resp = client.process_response(in.reply);
  CHECK(resp.verdict != StunVerdict::kOk);
  // `req` is still outstanding: a correct reply to it is accepted.
  auto creds = server_creds();
  auto good = server.process_request(req.bytes, addr("192.0.2.1", 9), creds, controlling, 1);
  REQUIRE(good.verdict == StunVerdict::kOk);
  CHECK(client.process_response(good.reply).verdict == StunVerdict::kOk);
}

TEST_CASE("role conflicts: 487 when our tie-breaker is larger, switch when smaller") {
  StunSession client, server;
  auto creds = server_creds();
  const auto from = addr("192.0.2.1", 9);
  SUBCASE("both controlling, ours larger: 487") {
    auto req = client_check(client, false, true, kServer.pwd, /*tie=*/5);
    bool controlling = true;
    auto in = server.process_request(req.bytes, from, creds, controlling, /*tie=*/10);
    REQUIRE(in.verdict == StunVerdict::kOk);
    CHECK(in.role_conflict == RoleConflict::kRejected);
    CHECK(controlling);
    CHECK(in.peer_controlling);
    auto resp = client.process_response(in.reply);
    REQUIRE(resp.verdict == StunVerdict::kOk);
    CHECK_FALSE(resp.success);
    CHECK(resp.error_code == 487);
  }
  SUBCASE("both controlling, ours smaller: we switch and answer success") {
    auto req = client_check(client, false, true, kServer.pwd, /*tie=*/50);
    bool controlling = true;
    auto in = server.process_request(req.bytes, from, creds, controlling, /*tie=*/10);
    REQUIRE(in.verdict == StunVerdict::kOk);
    CHECK(in.role_conflict == RoleConflict::kSwitched);
    CHECK_FALSE(controlling);
    auto resp = client.process_response(in.reply);
    CHECK(resp.verdict == StunVerdict::kOk);
    CHECK(resp.success);
  }
  SUBCASE("both controlled, ours larger: we switch to controlling") {
    auto req = client_check(client, false, false, kServer.pwd, /*tie=*/5);
    bool controlling = false;
    auto in = server.process_request(req.bytes, from, creds, controlling, /*tie=*/10);
    CHECK(in.role_conflict == RoleConflict::kSwitched);
    CHECK(controlling);
  }
}

TEST_CASE("SOFTWARE is included when configured") {
  StunSession with("jitsi-native-bridge"), without;
  auto a = client_check(with);
  auto b = client_check(without);
  const std::string_view sw = "jitsi-native-bridge";
  auto contains = [&](const std::vector<std::uint8_t>& v) {
    return std::string_view(reinterpret_cast<const char*>(v.data()), v.size()).find(sw) !=
           std::string_view::npos;
  };
  CHECK(contains(a.bytes));
  CHECK_FALSE(contains(b.bytes));
}
