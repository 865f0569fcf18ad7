// Tests of bridge/doctor/xmpp_checks.hpp: Prosody unreachable, each way a login fails, and what
// the doctor sees in the brewery with and without a running bridge.
#include "bridge/doctor/xmpp_checks.hpp"

#include <doctest/doctest.h>

#include "tests/unit/doctor/findings_util.hpp"

namespace jvb::doctor {
namespace {

using test::contains;
using test::fix_says;
using test::only;

config::XmppAccount account() {
  config::XmppAccount a;
  a.id = "shard";
  a.hostname = "localhost";
  a.port = 5222;
  a.domain = "auth.meet.example.com";
  a.username = "jvb";
  a.password = "secret";
  a.muc_jids = {"jvbbrewery@internal.auth.meet.example.com"};
  a.muc_nickname = "jvb-1";
  a.security_mode = "ifpossible";
  return a;
}

XmppProbe online(std::vector<BreweryVisit> rooms) {
  XmppProbe p;
  p.login.outcome = LoginOutcome::kOnline;
  p.rooms = std::move(rooms);
  return p;
}

BreweryVisit visit() {
  BreweryVisit v;
  v.room = "jvbbrewery@internal.auth.meet.example.com";
  v.doctor_nickname = "jvb-1-doctor";
  v.joined = true;
  return v;
}

BreweryVisit with_bridge(std::map<std::string, std::string> stats = {{"healthy", "true"},
                                                                     {"drain", "false"}}) {
  BreweryVisit v = visit();
  v.bridge_present = true;
  v.bridge_stats = std::move(stats);
  v.other_occupants = 1;
  return v;
}

TEST_CASE("no way in for Jicofo: FAIL; a component or REST: OK; an account: nothing to say") {
  config::BridgeConfig c;
  const auto& none = only(check_signaling_configured(c), "signaling");
  CHECK(none.severity == Severity::kFail);
  CHECK(fix_says(none, "videobridge.apis.xmpp-client.configs"));
  c.apis.xmpp_component.enabled = true;
  c.apis.xmpp_component.domain = "jvb.meet.example.com";
  CHECK(only(check_signaling_configured(c), "signaling").severity == Severity::kOk);
  c.apis.xmpp_component.enabled = false;
  c.apis.rest_enabled = true;
  CHECK(only(check_signaling_configured(c), "signaling").severity == Severity::kOk);
  c.apis.xmpp_accounts.push_back(account());
  CHECK(check_signaling_configured(c).empty());
}

TEST_CASE("Prosody not reachable: FAIL for each way a connect fails, with HOSTNAME/PORT") {
  struct Case {
    TcpOutcome outcome;
    const char* error;
    const char* what;
    const char* fix;
  };
  for (const Case& k :
       {Case{TcpOutcome::kRefused, "Connection refused", "connection refused", "systemctl start prosody"},
        Case{TcpOutcome::kUnresolved, "Name or service not known", "does not resolve", "HOSTNAME"},
        Case{TcpOutcome::kTimeout, "no answer", "did not answer", "allow TCP 5222"},
        Case{TcpOutcome::kUnreachable, "No route to host", "No route to host", "HOSTNAME and PORT"}}) {
    XmppProbe p;
    p.tcp = {k.outcome, k.error};
    auto findings = check_xmpp_account(account(), p, BridgeState::kNotRunning);
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].check == "xmpp shard");
    CHECK(findings[0].severity == Severity::kFail);
    CHECK(contains(findings[0].what, k.what));
    CHECK(fix_says(findings[0], k.fix));
  }
}

TEST_CASE("logged in: OK") {
  auto findings = check_xmpp_account(account(), online({}), BridgeState::kNotRunning);
  const auto& f = only(findings, "xmpp shard");
  CHECK(f.severity == Severity::kOk);
  CHECK(f.what == "logged in to localhost:5222 as jvb@auth.meet.example.com");
}

TEST_CASE("wrong credentials: FAIL, with how to set the password in Prosody; no brewery check") {
  XmppProbe p;
  p.login = {LoginOutcome::kAuthFailed, "not-authorized", {}};
  auto findings = check_xmpp_account(account(), p, BridgeState::kNotRunning);
  REQUIRE(findings.size() == 1);
  const auto& f = findings[0];
  CHECK(f.severity == Severity::kFail);
  CHECK(f.what == "Prosody refused the credentials of jvb@auth.meet.example.com (not-authorized)");
  CHECK(fix_says(f, "videobridge.apis.xmpp-client.configs.shard"));
  CHECK(fix_says(f, "prosodyctl register jvb auth.meet.example.com"));
}

TEST_CASE("each other login failure: FAIL with its fix") {
  struct Case {
    LoginOutcome outcome;
    const char* detail;
    const char* what;
    const char* fix;
  };
  for (const Case& k :
       {Case{LoginOutcome::kTlsFailed, "TLS failed", "TLS with localhost:5222 failed",
             "DISABLE_CERTIFICATE_VERIFICATION = true"},
        Case{LoginOutcome::kTlsNotOffered, "", "does not offer TLS", "SECURITY_MODE"},
        Case{LoginOutcome::kNoMechanism, "", "no SASL mechanism", "SCRAM-SHA-1"},
        Case{LoginOutcome::kStreamError, "host-unknown", "ended the stream: host-unknown", "VirtualHost"},
        Case{LoginOutcome::kTimeout, "", "no XMPP session", "prosody.log"},
        Case{LoginOutcome::kClosed, "I/O error", "ended during the login", "prosody.log"}}) {
    XmppProbe p;
    p.login = {k.outcome, k.detail, {"XmppSession: [shard (doctor)] rejecting the TLS certificate"}};
    auto findings = check_xmpp_account(account(), p, BridgeState::kNotRunning);
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].severity == Severity::kFail);
    CHECK(contains(findings[0].what, k.what));
    CHECK(fix_says(findings[0], k.fix));
    CHECK(test::detail_says(findings[0], "rejecting the TLS certificate"));
  }
}

TEST_CASE("the running bridge is in the brewery: OK") {
  auto findings = check_xmpp_account(account(), online({with_bridge()}), BridgeState::kRunning);
  const auto& f = only(findings, "brewery shard");
  CHECK(f.severity == Severity::kOk);
  CHECK(f.what == "the bridge is in jvbbrewery@internal.auth.meet.example.com as jvb-1 (1 other occupant)");
}

TEST_CASE("the bridge is in the brewery but draining: WARN; unhealthy: FAIL; without stats: WARN") {
  auto drain =
      only(check_xmpp_account(account(), online({with_bridge({{"drain", "true"}, {"healthy", "true"}})}),
                              BridgeState::kRunning),
           "brewery shard");
  CHECK(drain.severity == Severity::kWarn);
  CHECK(fix_says(drain, "/colibri/drain/disable"));
  auto sick = only(
      check_xmpp_account(account(), online({with_bridge({{"healthy", "false"}})}), BridgeState::kRunning),
      "brewery shard");
  CHECK(sick.severity == Severity::kFail);
  CHECK(contains(sick.what, "unhealthy"));
  auto bare =
      only(check_xmpp_account(account(), online({with_bridge({})}), BridgeState::kRunning), "brewery shard");
  CHECK(bare.severity == Severity::kWarn);
  CHECK(contains(bare.what, "no stats"));
}

TEST_CASE("the running bridge is not in the brewery: FAIL") {
  const auto& f =
      only(check_xmpp_account(account(), online({visit()}), BridgeState::kRunning), "brewery shard");
  CHECK(f.severity == Severity::kFail);
  CHECK(f.what ==
        "the running bridge is not in jvbbrewery@internal.auth.meet.example.com as jvb-1: Jicofo cannot "
        "find it");
  CHECK(fix_says(f, "cannot join"));
}

TEST_CASE("someone else has this bridge's nickname while no bridge runs here: FAIL") {
  const auto& f =
      only(check_xmpp_account(account(), online({with_bridge()}), BridgeState::kNotRunning), "brewery shard");
  CHECK(f.severity == Severity::kFail);
  CHECK(contains(f.what, "already uses this bridge's nickname jvb-1"));
  CHECK(fix_says(f, "uuidgen"));
}

TEST_CASE("no bridge running: OK when the room exists, WARN when the doctor created it") {
  auto existing = visit();
  existing.other_occupants = 1;
  const auto& ok_room =
      only(check_xmpp_account(account(), online({existing}), BridgeState::kNotRunning), "brewery shard");
  CHECK(ok_room.severity == Severity::kOk);
  CHECK(contains(ok_room.what, "may join"));
  CHECK(contains(ok_room.what, "not checked"));
  auto created = visit();
  created.created = true;
  const auto& empty =
      only(check_xmpp_account(account(), online({created}), BridgeState::kNotRunning), "brewery shard");
  CHECK(empty.severity == Severity::kWarn);
  CHECK(contains(empty.what, "did not exist"));
  CHECK(fix_says(empty, "jicofo.bridge.brewery-jid"));
  CHECK(only(check_xmpp_account(account(), online({visit()}), BridgeState::kUnknown), "brewery shard")
            .severity == Severity::kWarn);
}

TEST_CASE("the brewery cannot be joined: FAIL, with a fix for the condition") {
  auto missing = visit();
  missing.joined = false;
  missing.error = "item-not-found";
  const auto& f =
      only(check_xmpp_account(account(), online({missing}), BridgeState::kNotRunning), "brewery shard");
  CHECK(f.severity == Severity::kFail);
  CHECK(f.what == "cannot join jvbbrewery@internal.auth.meet.example.com: item-not-found");
  CHECK(fix_says(f, "internal MUC component"));
  auto forbidden = visit();
  forbidden.joined = false;
  forbidden.error = "forbidden";
  forbidden.error_text = "members only";
  const auto& g =
      only(check_xmpp_account(account(), online({forbidden}), BridgeState::kNotRunning), "brewery shard");
  CHECK(contains(g.what, "forbidden (members only)"));
  CHECK(fix_says(g, "must let jvb@auth.meet.example.com join"));
  auto silent = visit();
  silent.joined = false;
  silent.error = "no answer within 5000 ms";
  CHECK(only(check_xmpp_account(account(), online({silent}), BridgeState::kNotRunning), "brewery shard")
            .severity == Severity::kFail);
}

}  // namespace
}  // namespace jvb::doctor
