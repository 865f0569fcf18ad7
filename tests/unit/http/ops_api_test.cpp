// The operator routes' handlers (drain, shutdown and muc-client, as JVB's Drain.java,
// Shutdown.java and MucClient.java answer) against a fake bridge: statuses, bodies, and what
// reaches the bridge for good and bad input.
#include "bridge/http/ops_api.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace jvb::http {
namespace {

struct FakeBridge {
  bool drain = false;
  std::vector<bool> shutdowns;
  std::vector<config::XmppAccount> accounts;
  OpsApi::AddOutcome next_outcome = OpsApi::AddOutcome::kAdded;

  OpsApi api() {
    OpsApi a;
    a.drain = [this] { return drain; };
    a.set_drain = [this](bool on) { drain = on; };
    a.shutdown = [this](bool graceful) { shutdowns.push_back(graceful); };
    a.add_muc_client = [this](const config::XmppAccount& account) {
      accounts.push_back(account);
      return next_outcome;
    };
    a.remove_muc_client = [this](const std::string& id) {
      auto it = std::find_if(accounts.begin(), accounts.end(), [&](const auto& x) { return x.id == id; });
      if (it == accounts.end()) return false;
      accounts.erase(it);
      return true;
    };
    a.muc_client_ids = [this] {
      std::vector<std::string> ids;
      for (const auto& x : accounts) ids.push_back(x.id);
      return ids;
    };
    return a;
  }
};

Request json_request(std::string body, std::string type = "application/json") {
  Request r;
  r.method = "POST";
  r.body = std::move(body);
  r.content_type = std::move(type);
  return r;
}

TEST_CASE("drain: GET gives the flag, enable and disable set it") {
  FakeBridge b;
  auto api = b.api();
  auto r = handle_drain_get(api);
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json");
  CHECK(nlohmann::json::parse(r.body) == nlohmann::json{{"drain", false}});
  r = handle_drain_set(api, true);
  CHECK(r.status == 200);
  CHECK(r.body.empty());
  CHECK(b.drain);
  CHECK(nlohmann::json::parse(handle_drain_get(api).body)["drain"] == true);
  CHECK(handle_drain_set(api, false).status == 200);
  CHECK_FALSE(b.drain);
}

TEST_CASE("shutdown: boolean and string forms") {
  struct Case {
    const char* body;
    bool graceful;
  };
  for (auto c :
       {Case{R"({"graceful-shutdown": true})", true}, Case{R"({"graceful-shutdown": false})", false},
        Case{R"({"graceful-shutdown": "true"})", true}, Case{R"({"graceful-shutdown": "false"})", false},
        Case{R"({"graceful-shutdown": "TRUE", "other": 1})", true}}) {
    CAPTURE(c.body);
    FakeBridge b;
    auto r = handle_shutdown(b.api(), json_request(c.body, "application/json; charset=utf-8"));
    CHECK(r.status == 200);
    CHECK(r.body.empty());
    REQUIRE(b.shutdowns.size() == 1);
    CHECK(b.shutdowns[0] == c.graceful);
  }
}

TEST_CASE("shutdown: bad requests change nothing") {
  for (const char* body : {"{}", R"({"graceful_shutdown": true})", R"({"graceful-shutdown": null})",
                           R"({"graceful-shutdown": "yes"})", R"({"graceful-shutdown": 1})",
                           R"({"graceful-shutdown": [true]})", "[true]", "true", "{not json", ""}) {
    CAPTURE(body);
    FakeBridge b;
    auto r = handle_shutdown(b.api(), json_request(body));
    CHECK(r.status == 400);
    CHECK_FALSE(r.body.empty());
    CHECK(b.shutdowns.empty());
  }
  FakeBridge b;
  CHECK(handle_shutdown(b.api(), json_request(R"({"graceful-shutdown": true})", "text/plain")).status == 415);
  CHECK(handle_shutdown(b.api(), json_request(R"({"graceful-shutdown": true})", "")).status == 415);
  CHECK(b.shutdowns.empty());
}

const char* kShard2 = R"({"id":"shard2","hostname":"10.0.0.5","port":"5222","domain":"auth.meet.example.com",
  "username":"jvb","password":"s3cret","muc_jids":"jvbbrewery@internal.auth.meet.example.com",
  "muc_nickname":"jvb-eu-1","disable_certificate_verification":"true"})";

TEST_CASE("muc-client add: the documented example") {
  FakeBridge b;
  auto r = handle_muc_client_add(b.api(), json_request(kShard2));
  CHECK(r.status == 200);
  REQUIRE(b.accounts.size() == 1);
  const auto& a = b.accounts[0];
  CHECK(a.id == "shard2");
  CHECK(a.hostname == "10.0.0.5");
  CHECK(a.port == 5222);
  CHECK(a.domain == "auth.meet.example.com");
  CHECK(a.username == "jvb");
  CHECK(a.password == "s3cret");
  CHECK(a.muc_jids == std::vector<std::string>{"jvbbrewery@internal.auth.meet.example.com"});
  CHECK(a.muc_nickname == "jvb-eu-1");
  CHECK(a.disable_certificate_verification);
  CHECK(a.security_mode == "required");
  // An unchanged or replaced account is a success too.
  b.next_outcome = OpsApi::AddOutcome::kUnchanged;
  CHECK(handle_muc_client_add(b.api(), json_request(kShard2)).status == 200);
  b.next_outcome = OpsApi::AddOutcome::kReplaced;
  CHECK(handle_muc_client_add(b.api(), json_request(kShard2)).status == 200);
}

TEST_CASE("muc-client add: names are case-insensitive, non-string fields are ignored") {
  FakeBridge b;
  auto r = handle_muc_client_add(b.api(), json_request(R"({"id":"s","HostName":"localhost","PORT":5223,
      "Username":"jvb","PASSWORD":"p","Muc_Jids":"a@b, c@d","MUC_NICKNAME":"n",
      "DISABLE_CERTIFICATE_VERIFICATION":true})"));
  CHECK(r.status == 200);
  REQUIRE(b.accounts.size() == 1);
  CHECK(b.accounts[0].port == 5222);  // the number was ignored: the default stays
  CHECK_FALSE(b.accounts[0].disable_certificate_verification);
  CHECK(b.accounts[0].domain == "localhost");
  CHECK(b.accounts[0].muc_jids.size() == 2);
  CHECK(b.accounts[0].security_mode == "ifpossible");  // a local host name
}

TEST_CASE("muc-client add: 400 for what the configuration would refuse") {
  const std::string base =
      R"("hostname":"h","username":"u","password":"p","muc_jids":"a@b","muc_nickname":"n")";
  std::vector<std::pair<std::string, std::string>> cases = {
      {"[1]", "JSON object"},
      {"{bad", "not valid JSON"},
      {"{" + base + "}", "Missing id"},
      {R"({"id":7,)" + base + "}", "Missing id"},
      {R"({"id":"",)" + base + "}", "Missing id"},
      {R"({"id":"x","hostname":"h","username":"u","password":"p","muc_jids":"a@b"})",
       "XMPP account 'x' is incomplete (missing MUC_NICKNAME)"},
      {R"({"id":"x","hostname":"h","username":"u","password":7,"muc_jids":"a@b","muc_nickname":"n"})",
       "missing PASSWORD"},
      {R"({"id":"x",)" + base + R"(,"port":"70000"})", "PORT \"70000\" is not a port number"},
      {R"({"id":"x",)" + base + R"(,"port":"52x"})", "is not a port number"},
      {R"({"id":"x",)" + base + R"(,"security_mode":"sometimes"})", "SECURITY_MODE"},
      {R"({"id":"x","hostname":"h","username":"u","password":"p","muc_jids":" , ","muc_nickname":"n"})",
       "MUC_JIDS"},
  };
  for (const auto& [body, why] : cases) {
    CAPTURE(body);
    FakeBridge b;
    auto r = handle_muc_client_add(b.api(), json_request(body));
    CHECK(r.status == 400);
    CHECK(r.body.find(why) != std::string::npos);
    CHECK(b.accounts.empty());
  }
  FakeBridge b;
  CHECK(handle_muc_client_add(b.api(), json_request(kShard2, "application/x-www-form-urlencoded")).status ==
        415);
  CHECK(b.accounts.empty());
}

TEST_CASE("muc-client remove and list") {
  FakeBridge b;
  auto api = b.api();
  CHECK(handle_muc_client_list(api).body == "[]");
  REQUIRE(handle_muc_client_add(api, json_request(kShard2)).status == 200);
  auto list = handle_muc_client_list(api);
  CHECK(list.status == 200);
  CHECK(list.content_type == "application/json");
  CHECK(nlohmann::json::parse(list.body) == nlohmann::json::array({"shard2"}));

  CHECK(handle_muc_client_remove(api, json_request(R"({"id":"nope"})")).status == 400);
  CHECK(handle_muc_client_remove(api, json_request(R"({"id":5})")).status == 400);
  CHECK(handle_muc_client_remove(api, json_request(R"({})")).status == 400);
  CHECK(handle_muc_client_remove(api, json_request("nonsense")).status == 400);
  CHECK(handle_muc_client_remove(api, json_request(R"({"id":"shard2"})", "text/plain")).status == 415);
  CHECK(b.accounts.size() == 1);
  CHECK(handle_muc_client_remove(api, json_request(R"({"id":"shard2"})")).status == 200);
  CHECK(b.accounts.empty());
  CHECK(handle_muc_client_list(api).body == "[]");
}

}  // namespace
}  // namespace jvb::http
