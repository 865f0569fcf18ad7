// Typed configuration: defaults, jvb.conf overrides, system properties, legacy
// sip-communicator.properties precedence, XMPP accounts, bit rates, warnings and errors.
#include "config/bridge_config.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "config/builtin_defaults.hpp"
#include "tests/unit/test_util.hpp"

namespace jvb::config {
namespace {

using namespace std::chrono_literals;

hocon::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

LoadedConfig load(const test::TempDir& dir, std::string_view jvb_conf, std::string_view legacy = {},
                  ConfigSources extra = {}, hocon::EnvLookup env = env_of({})) {
  ConfigSources s = std::move(extra);
  s.application_file = dir.write("jvb.conf", jvb_conf);
  if (!legacy.empty()) s.legacy_properties_file = dir.write("sip-communicator.properties", legacy);
  auto r = load_bridge_config(s, env);
  if (!r) FAIL(r.error().to_string());
  return std::move(r).value();
}

bool has_warning(const LoadedConfig& c, std::string_view needle) {
  return std::any_of(c.warnings.begin(), c.warnings.end(),
                     [&](const std::string& w) { return w.find(needle) != std::string::npos; });
}

TEST_CASE("defaults are JVB's reference values") {
  auto r = load_bridge_config({}, env_of({}));
  REQUIRE(r);
  const BridgeConfig& c = r->config;
  CHECK(r->warnings.empty());
  CHECK(c.ice.udp_port == 10000);
  CHECK(c.ice.keep_alive_strategy == "selected_only");
  CHECK(c.ice.nomination_strategy == "NominateFirstHostOrReflexiveValid");
  CHECK(c.ice.restart_timeout == 20s);
  CHECK(c.http.private_server.port == 8080);
  CHECK(c.http.private_server.host == "127.0.0.1");
  CHECK(c.http.public_server.port == -1);
  CHECK_FALSE(c.apis.rest_enabled);
  CHECK(c.apis.presence_interval == 5s);  // a substitution of videobridge.stats.interval
  CHECK(c.expiration.check_interval == 60s);
  CHECK(c.health.interval == 60s);
  CHECK(c.health.timeout == 90s);
  CHECK(c.health.require_valid_address);
  CHECK(c.consent_freshness.interval == 5s);  // JVB's application override of ice4j's 15 s
  CHECK(c.consent_freshness.max_retransmissions == 5);
  CHECK_FALSE(c.harvest.use_link_local_addresses);
  CHECK(c.harvest.udp_receive_buffer_size == 10485760);
  CHECK(c.cc.max_oversend_bitrate == Bitrate{500'000});
  CHECK(c.cc.padding_period == 15ms);
  CHECK(c.bwe.initial_bw == Bitrate{2'500'000});
  CHECK(c.bwe.max_bw == Bitrate{20'000'000});
  CHECK(c.websockets.server_id == "default-id");
  CHECK(c.shutdown.shutting_down_delay == 60s);
  CHECK(c.media.srtp_protection_profiles ==
        std::vector<std::string>{"SRTP_AEAD_AES_128_GCM", "SRTP_AES128_CM_HMAC_SHA1_80"});
  CHECK(c.apis.xmpp_accounts.empty());
}

// Every key of JVB's own reference files must have the same default in ours, and ours must
// define nothing JVB does not.
TEST_CASE("built-in defaults equal JVB's reference files") {
  auto shared = test::shared_dir();
  if (!shared) {
    MESSAGE("skipped: JVB_SHARED_DIR is not set or does not exist");
    return;
  }
  auto jvb = hocon::parse_file(*shared / "data/jvb/jvb-reference.conf");
  auto jmt = hocon::parse_file(*shared / "data/jvb/jmt-reference.conf");
  auto ice4j = hocon::parse_file(*shared / "data/jvb/ice4j-reference.conf");
  REQUIRE(jvb);
  REQUIRE(jmt);
  REQUIRE(ice4j);
  auto theirs = hocon::resolve(jvb->with_fallback(*jmt).with_fallback(*ice4j), env_of({}));
  auto ours_doc = hocon::parse_string(kReferenceDefaults, "<built-in defaults>");
  REQUIRE(ours_doc);
  auto ours = hocon::resolve(*ours_doc, env_of({}));
  REQUIRE(theirs);
  REQUIRE(ours);
  // Both directions: compare leaves found in one tree with the other.
  std::function<void(const hocon::Value&, const hocon::Value&, const std::string&)> compare =
      [&](const hocon::Value& a, const hocon::Value& b, const std::string& path) {
        if (const hocon::Object* o = a.as_object()) {
          REQUIRE_MESSAGE(b.as_object(), path);
          for (const auto& [k, v] : *o) {
            auto it = b.as_object()->find(k);
            CHECK_MESSAGE(it != b.as_object()->end(), "missing key: " << path << "." << k);
            if (it != b.as_object()->end()) compare(v, it->second, path + "." + k);
          }
        } else {
          CHECK_MESSAGE(a == b, path << ": " << a.to_json() << " vs " << b.to_json());
        }
      };
  compare(*theirs, *ours, "");
  compare(*ours, *theirs, "");
}

TEST_CASE("jvb.conf overrides defaults, and substitutions in defaults see the override") {
  test::TempDir dir;
  auto c = load(dir, R"(
    videobridge {
      ice.udp.port = 10001
      stats.interval = 7 seconds
      entity-expiration.timeout = 2 minutes
      http-servers.private { host = 0.0.0.0, port = "8888" }
      apis.rest.enabled = yes
    }
    videobridge.health.require-valid-address = false
  )");
  CHECK(c.config.ice.udp_port == 10001);
  CHECK(c.config.apis.presence_interval == 7s);
  CHECK(c.config.expiration.check_interval == 120s);
  CHECK(c.config.http.private_server.host == "0.0.0.0");
  CHECK(c.config.http.private_server.port == 8888);
  CHECK(c.config.apis.rest_enabled);
  CHECK_FALSE(c.config.health.require_valid_address);
  CHECK(c.warnings.empty());
}

TEST_CASE("system properties beat defaults but not jvb.conf") {
  test::TempDir dir;
  ConfigSources extra;
  extra.system_properties = {{"videobridge.ice.udp.port", "10002"},
                             {"videobridge.websockets.server-id", "from-sysprop"}};
  auto c = load(dir, "videobridge.ice.udp.port = 10003", {}, extra);
  CHECK(c.config.ice.udp_port == 10003);
  CHECK(c.config.websockets.server_id == "from-sysprop");
}

TEST_CASE("legacy properties win over jvb.conf, with their conversions") {
  test::TempDir dir;
  auto c = load(dir, R"(
    videobridge.ice.udp.port = 10003
    videobridge.websockets { enabled = true, domain = "meet.example.com:443" }
    videobridge.health.interval = 10 seconds
    ice4j.harvest.use-ipv6 = true
  )",
                R"(
org.jitsi.videobridge.SINGLE_PORT_HARVESTER_PORT=10004
org.jitsi.videobridge.rest.COLIBRI_WS_DISABLE=true
org.jitsi.videobridge.health.INTERVAL=30000
org.jitsi.videobridge.EXPIRE_CHECK_SLEEP_SEC=5
org.jitsi.videobridge.BWE_CHANGE_THRESHOLD_PCT=20
org.ice4j.ipv6.DISABLED=true
org.ice4j.ice.harvest.ALLOWED_ADDRESSES=10.0.0.5;10.0.0.6
org.ice4j.ice.harvest.STUN_MAPPING_HARVESTER_ADDRESSES=stun1.example.com:443, stun2.example.com:3478
org.ice4j.ice.harvest.NAT_HARVESTER_LOCAL_ADDRESS=10.0.0.5
org.ice4j.ice.harvest.NAT_HARVESTER_PUBLIC_ADDRESS=203.0.113.10
org.ice4j.ice.harvest.DISABLE_AWS_HARVESTER=true
)");
  CHECK(c.config.ice.udp_port == 10004);
  CHECK_FALSE(c.config.websockets.enabled);  // COLIBRI_WS_DISABLE is inverted
  CHECK(c.config.websockets.domains == std::vector<std::string>{"meet.example.com:443"});
  CHECK(c.config.health.interval == 30s);                            // legacy value is in milliseconds
  CHECK(c.config.expiration.check_interval == 5s);                   // legacy value is in seconds
  CHECK(c.config.cc.bwe_change_threshold == doctest::Approx(0.20));  // percent
  CHECK_FALSE(c.config.harvest.use_ipv6);
  CHECK_FALSE(c.config.harvest.aws_enabled);
  CHECK(c.config.harvest.allowed_addresses == std::vector<std::string>{"10.0.0.5", "10.0.0.6"});
  CHECK(c.config.harvest.stun_addresses ==
        std::vector<std::string>{"stun1.example.com:443", "stun2.example.com:3478"});
  REQUIRE(c.config.harvest.static_mappings.size() == 1);
  CHECK(c.config.harvest.static_mappings[0].local_address == "10.0.0.5");
  CHECK(c.config.harvest.static_mappings[0].public_address == "203.0.113.10");
  CHECK_FALSE(c.config.harvest.static_mappings[0].local_port.has_value());
}

TEST_CASE("a missing legacy properties file is not an error") {
  test::TempDir dir;
  ConfigSources s;
  s.legacy_properties_file = dir.path() / "absent.properties";
  CHECK(load_bridge_config(s, env_of({})));
}

TEST_CASE("XMPP accounts: Debian's upper-case form with an unquoted UUID nickname") {
  test::TempDir dir;
  auto c = load(dir, R"(
    videobridge {
      apis.xmpp-client.configs {
        shard {
          HOSTNAME=localhost
          DOMAIN="auth.meet.example.com"
          USERNAME=jvb
          PASSWORD="Qw8#zP2a"
          MUC_JIDS="jvbbrewery@internal.auth.meet.example.com"
          MUC_NICKNAME=0c8f2d5e-6b1a-4e3f-9a7c-5d2e1f0b3a49
        }
      }
    }
  )");
  REQUIRE(c.config.apis.xmpp_accounts.size() == 1);
  const XmppAccount& a = c.config.apis.xmpp_accounts[0];
  CHECK(a.id == "shard");
  CHECK(a.hostname == "localhost");
  CHECK(a.port == 5222);
  CHECK(a.domain == "auth.meet.example.com");
  CHECK(a.password == "Qw8#zP2a");
  CHECK(a.muc_jids == std::vector<std::string>{"jvbbrewery@internal.auth.meet.example.com"});
  CHECK(a.muc_nickname == "0c8f2d5e-6b1a-4e3f-9a7c-5d2e1f0b3a49");
  CHECK(a.security_mode == "ifpossible");  // localhost
  CHECK_FALSE(a.disable_certificate_verification);
}

TEST_CASE("XMPP accounts: keys are case-insensitive, values become strings") {
  test::TempDir dir;
  auto c = load(dir, R"(
    videobridge.apis.xmpp-client.configs {
      xmpp-server-1 {
        hostname = "xmpp.example.net"
        Port = 5223
        username = "jvb"
        password = ${?JVB_PASSWORD}
        muc_jids = "JvbBrewery@internal.auth.example.net, second@internal.auth.example.net"
        muc_nickname = "jvb-eu-1"
        disable_certificate_verification = TRUE
      }
      incomplete { hostname = "x", username = "y", password = ${?UNSET_SECRET}, muc_jids = "a@b", muc_nickname = "n" }
    }
  )",
                {}, {}, env_of({{"JVB_PASSWORD", "s3cret"}}));
  REQUIRE(c.config.apis.xmpp_accounts.size() == 1);
  const XmppAccount& a = c.config.apis.xmpp_accounts[0];
  CHECK(a.port == 5223);
  CHECK(a.domain == "xmpp.example.net");  // DOMAIN defaults to HOSTNAME
  CHECK(a.password == "s3cret");
  CHECK(a.muc_jids.size() == 2);
  CHECK(a.muc_jids[1] == "second@internal.auth.example.net");
  CHECK(a.disable_certificate_verification);
  CHECK(a.security_mode == "required");  // not a local host name
  CHECK(has_warning(c, "'incomplete' is incomplete (missing PASSWORD)"));
}

TEST_CASE("XMPP accounts: a complete legacy account replaces jvb.conf's accounts") {
  test::TempDir dir;
  const char* conf = R"(
    videobridge.apis.xmpp-client.configs.shard {
      HOSTNAME = conf-host, USERNAME = jvb, PASSWORD = p, MUC_JIDS = "a@b", MUC_NICKNAME = n
    }
  )";
  auto c = load(dir, conf, R"(
org.jitsi.videobridge.xmpp.user.shard.HOSTNAME=legacy-host
org.jitsi.videobridge.xmpp.user.shard.DOMAIN=auth.meet.example.com
org.jitsi.videobridge.xmpp.user.shard.USERNAME=jvb
org.jitsi.videobridge.xmpp.user.shard.PASSWORD=Qw8#zP2a
org.jitsi.videobridge.xmpp.user.shard.MUC_JIDS=JvbBrewery@internal.auth.meet.example.com
org.jitsi.videobridge.xmpp.user.shard.MUC_NICKNAME=0c8f2d5e
)");
  REQUIRE(c.config.apis.xmpp_accounts.size() == 1);
  CHECK(c.config.apis.xmpp_accounts[0].hostname == "legacy-host");
  CHECK(c.config.apis.xmpp_accounts[0].password == "Qw8#zP2a");
  CHECK(has_warning(c, "is ignored"));

  // An incomplete legacy account does not displace jvb.conf's.
  test::TempDir dir2;
  auto c2 = load(dir2, conf, "org.jitsi.videobridge.xmpp.user.shard.HOSTNAME=legacy-host\n");
  REQUIRE(c2.config.apis.xmpp_accounts.size() == 1);
  CHECK(c2.config.apis.xmpp_accounts[0].hostname == "conf-host");
}

TEST_CASE("bit rates") {
  CHECK(parse_bitrate("500 kbps") == Bitrate{500'000});
  CHECK(parse_bitrate("2500 kbps") == Bitrate{2'500'000});
  CHECK(parse_bitrate("2.5 Mbps") == Bitrate{2'500'000});
  CHECK(parse_bitrate("20mbps") == Bitrate{20'000'000});
  CHECK(parse_bitrate("30 KBPS") == Bitrate{30'000});
  CHECK(parse_bitrate("1000000") == Bitrate{1'000'000});
  CHECK(parse_bitrate("1 gbps") == Bitrate{1'000'000'000});
  CHECK_FALSE(parse_bitrate(""));
  CHECK_FALSE(parse_bitrate("kbps"));
  CHECK_FALSE(parse_bitrate("10 furlongs"));
  CHECK_FALSE(parse_bitrate("1.2.3 kbps"));
  CHECK_FALSE(parse_bitrate("-5 kbps"));

  test::TempDir dir;
  auto c = load(dir, "videobridge.cc { max-oversend-bitrate = 2.5 Mbps, assumed-bandwidth-limit = 10 Mbps }");
  CHECK(c.config.cc.max_oversend_bitrate == Bitrate{2'500'000});
  CHECK(c.config.cc.assumed_bandwidth_limit == Bitrate{10'000'000});
}

TEST_CASE("unknown and obsolete keys are warnings naming the key") {
  test::TempDir dir;
  auto c = load(dir, R"(
    videobridge {
      ice.udp.prot = 10000
      stats.enabled = true
      sctp.use-usrsctp = false
      websockets.tls = true
      http-servers.private.host = 0.0.0.0
    }
    mystery.key = 1
  )");
  CHECK(has_warning(c, "'videobridge.ice.udp.prot'"));
  CHECK(has_warning(c, "'mystery'"));
  CHECK(has_warning(c, "'videobridge.stats.enabled' is obsolete"));
  CHECK(has_warning(c, "'videobridge.sctp.use-usrsctp' is obsolete"));
  CHECK_FALSE(has_warning(c, "websockets.tls"));
  CHECK_FALSE(has_warning(c, "private.host"));
  CHECK(c.config.ice.udp_port == 10000);
}

TEST_CASE("static mappings: docker's form with a trailing comma, and bad entries skipped") {
  test::TempDir dir;
  auto c = load(dir, R"(
    ice4j.harvest.mapping.static-mappings = [
      { local-address = "172.18.0.5", public-address = "203.0.113.10", name = "ip-0" },
      { local-address = "172.18.0.5", public-address = "203.0.113.11", local-port = 10000, public-port = 30000 },
      { local-address = "172.18.0.5", public-address = "203.0.113.12", local-port = 10000 },
    ]
  )");
  REQUIRE(c.config.harvest.static_mappings.size() == 2);
  CHECK(c.config.harvest.static_mappings[0].name == "ip-0");
  CHECK(c.config.harvest.static_mappings[1].public_port == 30000);
  CHECK(has_warning(c, "static-mappings[2]: give both"));
}

TEST_CASE("bad values are errors naming the key") {
  test::TempDir dir;
  auto check_error = [&](std::string_view conf, std::string_view needle) {
    ConfigSources s;
    s.application_file = dir.write("bad.conf", conf);
    auto r = load_bridge_config(s, env_of({}));
    REQUIRE_FALSE(r);
    CHECK_MESSAGE(r.error().to_string().find(needle) != std::string::npos, r.error().to_string());
  };
  check_error("videobridge.ice.udp.port = ten-thousand", "videobridge.ice.udp.port: expected an integer");
  check_error("videobridge.ice.udp.port = 70000", "videobridge.ice.udp.port: expected a port number");
  check_error("videobridge.health.interval = soon", "videobridge.health.interval: expected a duration");
  check_error("videobridge.cc.max-oversend-bitrate = fast", "max-oversend-bitrate: expected a bit rate");
  check_error("videobridge.apis.rest.enabled = maybe", "videobridge.apis.rest.enabled: expected a boolean");
  check_error("videobridge.relay.enabled = true", "relay-id: is required");
  check_error("videobridge.apis.xmpp-component { enabled = true, secret = s }",
              "videobridge.apis.xmpp-component.domain: must not be null");
  check_error("videobridge { ice { udp.port = 1 }", "bad.conf:1:");  // unclosed brace: a syntax error
}

TEST_CASE("the presence stats filter: JVB's default whitelist, off by default") {
  test::TempDir dir;
  auto off = load(dir, "");
  CHECK_FALSE(off.config.apis.stats_filter_enabled);
  CHECK(off.config.apis.stats_whitelist.size() == 12);
  auto on =
      load(dir, R"(videobridge.apis.xmpp-client.stats-filter { enabled = true, whitelist = [ drain ] })");
  CHECK(on.config.apis.stats_filter_enabled);
  CHECK(on.config.apis.stats_whitelist == std::vector<std::string>{"drain"});
}

TEST_CASE("the XEP-0114 component: off by default, its keys known, read when enabled") {
  test::TempDir dir;
  auto off = load(dir, "videobridge.apis.xmpp-component { enabled = false, domain = jvb.example.org }");
  CHECK_FALSE(off.config.apis.xmpp_component.enabled);
  CHECK_FALSE(has_warning(off, "xmpp-component"));
  auto on = load(dir, R"(
    videobridge.apis.xmpp-component {
      enabled = true
      hostname = "xmpp.example.org"
      port = 5348
      domain = "jvb.example.org"
      secret = "s3cret"
      allowed-jids = [ "focus@auth.example.org" ]
    }
  )");
  const auto& c = on.config.apis.xmpp_component;
  CHECK(c.enabled);
  CHECK(c.hostname == "xmpp.example.org");
  CHECK(c.port == 5348);
  CHECK(c.domain == "jvb.example.org");
  CHECK(c.secret == "s3cret");
  CHECK(c.allowed_jids == std::vector<std::string>{"focus@auth.example.org"});
  CHECK(on.warnings.empty());
  CHECK(to_value(on.config).to_json().find("s3cret") == std::string::npos);
  auto defaults = load(dir, "videobridge.apis.xmpp-component { enabled = true, domain = d, secret = s }");
  CHECK(defaults.config.apis.xmpp_component.hostname == "localhost");
  CHECK(defaults.config.apis.xmpp_component.port == 5347);
}

TEST_CASE("a missing explicit config file is an error naming it") {
  ConfigSources s;
  s.application_file = "/nonexistent/dir/jvb.conf";
  auto r = load_bridge_config(s, env_of({}));
  REQUIRE_FALSE(r);
  CHECK(r.error().to_string().find("/nonexistent/dir/jvb.conf") != std::string::npos);
}

TEST_CASE("the effective configuration redacts passwords and round-trips key values") {
  test::TempDir dir;
  auto c = load(dir, R"(
    videobridge.apis.xmpp-client.configs.shard {
      HOSTNAME = h, USERNAME = u, PASSWORD = "very-secret", MUC_JIDS = "a@b", MUC_NICKNAME = n
    }
    videobridge.ice.udp.port = 10005
  )");
  hocon::Value v = to_value(c.config);
  std::string json = v.to_json();
  CHECK(json.find("very-secret") == std::string::npos);
  REQUIRE(v.find("videobridge.ice.udp.port"));
  CHECK(v.find("videobridge.ice.udp.port")->to_int() == 10005);
  CHECK(v.find("videobridge.health.interval")->to_string() == "1 minutes");
  CHECK(v.find("videobridge.cc.max-oversend-bitrate")->to_string() == "500 kbps");
  // Feeding the printed configuration back gives the same configuration.
  auto again = load(dir, json);
  CHECK(to_value(again.config) == v);
}

}  // namespace
}  // namespace jvb::config
