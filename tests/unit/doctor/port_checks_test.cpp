// Tests of bridge/doctor/port_checks.hpp: the media port's findings (free and receiving, dropped
// by a firewall, held by a bridge or something else) and the HTTP servers'.
#include "bridge/doctor/port_checks.hpp"

#include <doctest/doctest.h>

#include "tests/unit/doctor/findings_util.hpp"

namespace jvb::doctor {
namespace {

using test::contains;
using test::fix_says;
using test::only;

RoundTrip trip(std::string target, std::string type, bool local, bool arrived, bool answered,
               std::string error = {}) {
  return {std::move(target), std::move(type), local, arrived, answered, std::move(error)};
}

MediaPortProbe free_port(std::vector<RoundTrip> trips) {
  MediaPortProbe p;
  p.port = 10000;
  p.round_trips = std::move(trips);
  return p;
}

MediaPortProbe taken(std::optional<PortOwner> owner, std::optional<HttpAnswer> health) {
  MediaPortProbe p;
  p.port = 10000;
  p.bind = {BindOutcome::kInUse, "Address already in use", std::move(owner)};
  p.health = std::move(health);
  return p;
}

TEST_CASE("a free port that receives through every advertised address: OK") {
  auto probe = free_port({trip("10.0.0.5:10000", "host", true, true, true),
                          trip("203.0.113.10:10000", "srflx", false, true, true)});
  auto findings = check_media_port(probe);
  const auto& f = only(findings, "media port");
  CHECK(f.severity == Severity::kOk);
  CHECK(f.what ==
        "UDP 10000 is free and receives: a STUN round trip through 10.0.0.5:10000, 203.0.113.10:10000 "
        "came back");
  CHECK(bridge_state(probe) == BridgeState::kNotRunning);
}

TEST_CASE("a local firewall drops the port: FAIL with the rules to open it") {
  auto findings = check_media_port(free_port({trip("10.0.0.5:10000", "host", true, false, false)}));
  const auto& f = only(findings, "media port");
  CHECK(f.severity == Severity::kFail);
  CHECK(contains(f.what,
                 "UDP 10000 does not receive: a STUN request sent to 10.0.0.5:10000 (host) never arrived"));
  CHECK(fix_says(f, "nft add rule inet filter input udp dport 10000 accept"));
  CHECK(fix_says(f, "iptables -I INPUT -p udp --dport 10000 -j ACCEPT"));
  CHECK(fix_says(f, "ufw allow 10000/udp"));
  CHECK(fix_says(f, "security group"));
}

TEST_CASE("the public address does not come back through the NAT: WARN (no hairpin, or no forward)") {
  auto findings = check_media_port(free_port({trip("10.0.0.5:10000", "host", true, true, true),
                                              trip("203.0.113.10:10000", "srflx", false, false, false)}));
  CHECK(findings.size() == 2);
  CHECK(findings[0].severity == Severity::kOk);
  CHECK(contains(findings[0].what, "10.0.0.5:10000"));
  CHECK(findings[1].severity == Severity::kWarn);
  CHECK(contains(findings[1].what, "203.0.113.10:10000"));
  CHECK(fix_says(findings[1], "forward UDP 10000 on the NAT/router"));
  CHECK(exit_status(findings) == 0);
}

TEST_CASE("the request arrives but its answer is dropped on the way out: FAIL") {
  const auto& f =
      only(check_media_port(free_port({trip("10.0.0.5:10000", "host", true, true, false)})), "media port");
  CHECK(f.severity == Severity::kFail);
  CHECK(contains(f.what, "outgoing UDP from port 10000 is dropped"));
  CHECK(fix_says(f, "output udp sport 10000 accept"));
}

TEST_CASE("a send error: FAIL for a local address, WARN for a public one") {
  auto local = check_media_port(
      free_port({trip("10.0.0.5:10000", "host", true, false, false, "Operation not permitted")}));
  CHECK(only(local, "media port").severity == Severity::kFail);
  CHECK(contains(only(local, "media port").what, "Operation not permitted"));
  auto remote = check_media_port(
      free_port({trip("203.0.113.10:10000", "srflx", false, false, false, "Network is unreachable")}));
  CHECK(only(remote, "media port").severity == Severity::kWarn);
}

TEST_CASE("a free port with nothing advertised: WARN") {
  CHECK(only(check_media_port(free_port({})), "media port").severity == Severity::kWarn);
}

TEST_CASE("held by the running bridge, healthy: OK") {
  auto probe = taken(PortOwner{4242, "videobridge"}, HttpAnswer{200, "", ""});
  const auto& f = only(check_media_port(probe), "media port");
  CHECK(f.severity == Severity::kOk);
  CHECK(f.what ==
        "UDP 10000 is held by the running bridge, videobridge (pid 4242), which reports healthy on "
        "/about/health");
  CHECK(bridge_state(probe) == BridgeState::kRunning);
}

TEST_CASE("held by the running bridge, unhealthy: FAIL with its reason") {
  auto probe = taken(PortOwner{4242, "videobridge"},
                     HttpAnswer{500, "No valid IP addresses available for harvesting.", ""});
  const auto& f = only(check_media_port(probe), "media port");
  CHECK(f.severity == Severity::kFail);
  CHECK(contains(f.what, "(500): No valid IP addresses available for harvesting."));
}

TEST_CASE("held by the bridge, whose private server does not answer: WARN") {
  auto probe = taken(PortOwner{4242, "videobridge"}, HttpAnswer{0, "", "connection refused"});
  const auto& f = only(check_media_port(probe), "media port");
  CHECK(f.severity == Severity::kWarn);
  CHECK(contains(f.what, "health is unknown (connection refused)"));
  CHECK(bridge_state(probe) == BridgeState::kRunning);
}

TEST_CASE("held by Java (JVB): FAIL, stop it") {
  auto probe = taken(PortOwner{77, "java"}, HttpAnswer{200, "", ""});
  const auto& f = only(check_media_port(probe), "media port");
  CHECK(f.severity == Severity::kFail);
  CHECK(contains(f.what, "java (pid 77), most likely Jitsi Videobridge"));
  CHECK(fix_says(f, "systemctl disable --now jitsi-videobridge2"));
}

TEST_CASE("held by another program: FAIL, name it") {
  auto probe = taken(PortOwner{12, "coturn"}, std::nullopt);
  const auto& f = only(check_media_port(probe), "media port");
  CHECK(f.severity == Severity::kFail);
  CHECK(contains(f.what, "held by coturn (pid 12)"));
  CHECK(fix_says(f, "stop coturn"));
  CHECK(fix_says(f, "videobridge.ice.udp.port"));
  CHECK(bridge_state(probe) == BridgeState::kUnknown);
}

TEST_CASE("held by an unknown process: FAIL unless a bridge answers on the private server") {
  auto unknown = taken(std::nullopt, HttpAnswer{0, "", "the private HTTP server is not listening"});
  CHECK(only(check_media_port(unknown), "media port").severity == Severity::kFail);
  CHECK(bridge_state(unknown) == BridgeState::kUnknown);
  auto answering = taken(std::nullopt, HttpAnswer{200, "", ""});
  const auto& f = only(check_media_port(answering), "media port");
  CHECK(f.severity == Severity::kOk);
  CHECK(contains(f.what, "held by a running bridge"));
  CHECK(bridge_state(answering) == BridgeState::kRunning);
}

TEST_CASE("a port the doctor may not bind: FAIL") {
  MediaPortProbe p;
  p.port = 100;
  p.bind = {BindOutcome::kDenied, "Permission denied", std::nullopt};
  const auto& f = only(check_media_port(p), "media port");
  CHECK(f.severity == Severity::kFail);
  CHECK(fix_says(f, "CAP_NET_BIND_SERVICE"));
}

HttpServerProbe http_probe(std::string name, BindOutcome outcome,
                           std::optional<PortOwner> owner = std::nullopt,
                           std::optional<HttpAnswer> answer = std::nullopt) {
  HttpServerProbe p;
  p.name = std::move(name);
  p.host = "127.0.0.1";
  p.port = 8080;
  p.bind = {outcome, outcome == BindOutcome::kFree ? "" : "Address already in use", std::move(owner)};
  p.answer = std::move(answer);
  return p;
}

config::HttpServerConfig server_config(int port, std::string host = "127.0.0.1") {
  config::HttpServerConfig s;
  s.port = port;
  s.host = std::move(host);
  return s;
}

TEST_CASE("HTTP servers: off, free, served by the bridge") {
  CHECK(only(check_http_server(http_probe("private", BindOutcome::kFree), server_config(-1), true,
                               BridgeState::kNotRunning),
             "http private")
            .what == "off (videobridge.http-servers.private.port = -1)");
  auto off = check_http_server(http_probe("public", BindOutcome::kFree), server_config(9090, ""), false,
                               BridgeState::kNotRunning);
  CHECK(contains(only(off, "http public").what, "websockets.enabled is false"));
  const auto& free = only(check_http_server(http_probe("private", BindOutcome::kFree), server_config(8080),
                                            true, BridgeState::kNotRunning),
                          "http private");
  CHECK(free.severity == Severity::kOk);
  CHECK(free.what == "TCP 127.0.0.1:8080 is free: the bridge will listen there");
  const auto& ours =
      only(check_http_server(http_probe("private", BindOutcome::kInUse, PortOwner{5, "videobridge"}),
                             server_config(8080), true, BridgeState::kRunning),
           "http private");
  CHECK(ours.severity == Severity::kOk);
  CHECK(contains(ours.what, "served by the running bridge, videobridge (pid 5)"));
  const auto& answered = only(
      check_http_server(http_probe("private", BindOutcome::kInUse, std::nullopt, HttpAnswer{200, "", ""}),
                        server_config(8080), true, BridgeState::kRunning),
      "http private");
  CHECK(answered.severity == Severity::kOk);
}

TEST_CASE("HTTP servers: taken by another program, or an address that is not ours: FAIL") {
  const auto& other =
      only(check_http_server(http_probe("private", BindOutcome::kInUse, PortOwner{9, "nginx"}),
                             server_config(8080), true, BridgeState::kNotRunning),
           "http private");
  CHECK(other.severity == Severity::kFail);
  CHECK(contains(other.what, "taken by nginx (pid 9)"));
  CHECK(fix_says(other, "videobridge.http-servers.private.port"));
  const auto& unknown = only(check_http_server(http_probe("private", BindOutcome::kInUse),
                                               server_config(8080), true, BridgeState::kNotRunning),
                             "http private");
  CHECK(unknown.severity == Severity::kFail);
  auto p = http_probe("private", BindOutcome::kAddressNotAvailable);
  p.host = "10.9.9.9";
  const auto& host = only(
      check_http_server(p, server_config(8080, "10.9.9.9"), true, BridgeState::kNotRunning), "http private");
  CHECK(host.severity == Severity::kFail);
  CHECK(fix_says(host, "videobridge.http-servers.private.host"));
}

TEST_CASE("HTTP servers: a Java key store, and a private server open to the network: WARN") {
  auto s = server_config(8080, "0.0.0.0");
  s.key_store_path = "/etc/jitsi/videobridge/ssl.store";
  auto findings =
      check_http_server(http_probe("private", BindOutcome::kFree), s, true, BridgeState::kNotRunning);
  REQUIRE(findings.size() == 3);
  CHECK(findings[0].severity == Severity::kOk);
  CHECK(findings[1].severity == Severity::kWarn);
  CHECK(contains(findings[1].what, "key-store-path"));
  CHECK(findings[2].severity == Severity::kWarn);
  CHECK(contains(findings[2].what, "listens on every address"));
  CHECK(fix_says(findings[2], "host = 127.0.0.1"));
}

}  // namespace
}  // namespace jvb::doctor
