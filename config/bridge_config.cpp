// Builds BridgeConfig from the layered HOCON tree and the legacy properties, with JVB's
// precedence (jicoco's JitsiConfig; a legacy key wins) and value conversions (JVB's *Config.kt
// classes, and the legacy-key mappings of jitsi-metaconfig).
#include "config/bridge_config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "config/builtin_defaults.hpp"
#include "config/config_text.hpp"
#include "config/hocon/units.hpp"
#include "config/java_properties.hpp"
#include "config/xmpp_accounts.hpp"

namespace jvb::config {
namespace {

using hocon::Value;

// How a legacy sip-communicator.properties value maps onto the new key's meaning.
enum class LegacyForm { kSame, kInverted, kMillis, kSeconds, kPercent, kSemicolonList, kCommaList };

struct Legacy {
  std::string_view key;
  LegacyForm form = LegacyForm::kSame;
};

// Reads typed values: the legacy property first (where the key has one), then the tree.
// A value of the wrong type is remembered as the first error; reading goes on so that all
// getters can be written without checks, and load_bridge_config() reports the error.
class Reader {
 public:
  Reader(const Value& tree, const std::map<std::string, std::string>& legacy, std::string tree_origin,
         std::string legacy_origin)
      : tree_(tree),
        legacy_(legacy),
        tree_origin_(std::move(tree_origin)),
        legacy_origin_(std::move(legacy_origin)) {}

  const Value* find(std::string_view path) const { return tree_.find(path); }
  const std::string* legacy(std::string_view key) const {
    if (key.empty()) return nullptr;
    auto it = legacy_.find(std::string(key));
    return it == legacy_.end() ? nullptr : &it->second;
  }

  std::int64_t integer(std::string_view path, Legacy lg = {}) {
    if (const std::string* s = legacy(lg.key)) {
      if (auto v = Value::string(trim(*s)).to_int()) return *v;
      fail_legacy(lg.key, "expected an integer", *s);
      return 0;
    }
    const Value* v = require(path);
    if (!v) return 0;
    if (auto i = v->to_int()) return *i;
    fail(path, "expected an integer", *v);
    return 0;
  }

  int port(std::string_view path, Legacy lg = {}) {
    std::int64_t p = integer(path, lg);
    if (p < -1 || p > 65535) {
      fail(path, "expected a port number (0-65535, or -1 for off)", Value::number(std::to_string(p)));
      return -1;
    }
    return static_cast<int>(p);
  }

  double real(std::string_view path, Legacy lg = {}) {
    if (const std::string* s = legacy(lg.key)) {
      if (auto v = Value::string(trim(*s)).to_double()) {
        return lg.form == LegacyForm::kPercent ? *v / 100.0 : *v;
      }
      fail_legacy(lg.key, "expected a number", *s);
      return 0;
    }
    const Value* v = require(path);
    if (!v) return 0;
    if (auto d = v->to_double()) return *d;
    fail(path, "expected a number", *v);
    return 0;
  }

  bool boolean(std::string_view path, Legacy lg = {}) {
    if (const std::string* s = legacy(lg.key)) {
      bool b = java_parse_boolean(*s);
      return lg.form == LegacyForm::kInverted ? !b : b;
    }
    const Value* v = require(path);
    if (!v) return false;
    if (auto b = v->to_bool()) return *b;
    fail(path, "expected a boolean", *v);
    return false;
  }

  std::optional<bool> optional_boolean(std::string_view path, Legacy lg = {}) {
    if (legacy(lg.key) || present(path)) return boolean(path, lg);
    return std::nullopt;
  }

  std::string string(std::string_view path, Legacy lg = {}) {
    if (const std::string* s = legacy(lg.key)) return *s;
    const Value* v = require(path);
    if (!v) return {};
    if (auto s = v->to_string()) return *s;
    fail(path, "expected a string", *v);
    return {};
  }

  std::optional<std::string> optional_string(std::string_view path, Legacy lg = {}) {
    if (legacy(lg.key) || present(path)) return string(path, lg);
    return std::nullopt;
  }

  milliseconds duration(std::string_view path, Legacy lg = {}) {
    if (const std::string* s = legacy(lg.key)) {
      auto n = Value::string(trim(*s)).to_int();
      if (!n || *n < 0) {
        fail_legacy(lg.key, "expected a whole number", *s);
        return {};
      }
      return lg.form == LegacyForm::kSeconds ? milliseconds(*n * 1000) : milliseconds(*n);
    }
    const Value* v = require(path);
    if (!v) return {};
    auto d = hocon::to_duration(*v);
    if (!d || d->count() < 0) {
      fail(path, "expected a duration such as \"5 seconds\" or \"200 ms\"", *v);
      return {};
    }
    return std::chrono::duration_cast<milliseconds>(*d);
  }

  Bitrate bitrate(std::string_view path) {
    const Value* v = require(path);
    if (!v) return {};
    auto text = v->to_string();
    auto b = text ? parse_bitrate(*text) : std::nullopt;
    if (!b) {
      fail(path, "expected a bit rate such as \"500 kbps\" or \"2.5 Mbps\"", *v);
      return {};
    }
    return *b;
  }

  std::optional<Bitrate> optional_bitrate(std::string_view path) {
    if (!present(path)) return std::nullopt;
    return bitrate(path);
  }

  std::vector<std::string> string_list(std::string_view path, Legacy lg = {}) {
    if (const std::string* s = legacy(lg.key)) {
      return split_list(*s, lg.form == LegacyForm::kSemicolonList ? ';' : ',');
    }
    std::vector<std::string> out;
    const Value* v = require(path);
    if (!v) return out;
    const hocon::Array* items = v->as_array();
    if (!items) {
      fail(path, "expected a list", *v);
      return out;
    }
    for (const Value& item : *items) {
      if (auto s = item.to_string()) {
        out.push_back(*s);
      } else {
        fail(path, "expected a list of strings", *v);
        break;
      }
    }
    return out;
  }

  bool present(std::string_view path) const {
    const Value* v = find(path);
    return v && !v->is_null();
  }

  void fail(std::string_view path, std::string_view what, const Value& got) {
    if (error_) return;
    error_ = hocon::Error{tree_origin_, 0, 0,
                          std::string(path) + ": " + std::string(what) + ", found " + got.to_json()};
  }
  void fail_legacy(std::string_view key, std::string_view what, std::string_view got) {
    if (error_) return;
    error_ =
        hocon::Error{legacy_origin_, 0, 0,
                     std::string(key) + ": " + std::string(what) + ", found \"" + std::string(got) + "\""};
  }

  const std::optional<hocon::Error>& error() const { return error_; }

 private:
  const Value* require(std::string_view path) {
    const Value* v = find(path);
    if (!v || v->is_null()) {
      // Every required key has a built-in default, so this means an admin set it to null.
      if (!error_) error_ = hocon::Error{tree_origin_, 0, 0, std::string(path) + ": must not be null"};
      return nullptr;
    }
    return v;
  }

  const Value& tree_;
  const std::map<std::string, std::string>& legacy_;
  std::string tree_origin_;
  std::string legacy_origin_;
  std::optional<hocon::Error> error_;
};

// ---- NAT mappings (ice4j's HarvestConfig: static mappings, plus the legacy NAT_HARVESTER_* pair) ----

std::vector<StaticMapping> read_static_mappings(Reader& reader, std::vector<std::string>& warnings) {
  constexpr std::string_view kPath = "ice4j.harvest.mapping.static-mappings";
  std::vector<StaticMapping> out;
  const Value* v = reader.find(kPath);
  const hocon::Array* items = v ? v->as_array() : nullptr;
  if (v && !v->is_null() && !items) reader.fail(kPath, "expected a list of objects", *v);
  for (size_t i = 0; items && i < items->size(); ++i) {
    std::string label = std::string(kPath) + "[" + std::to_string(i) + "]";
    const Value& item = (*items)[i];
    if (!item.as_object()) {
      warnings.push_back(label + ": expected an object; skipped");
      continue;
    }
    auto text = [&](std::string_view key) -> std::string {
      const Value* f = item.find(key);
      auto s = f ? f->to_string() : std::nullopt;
      return s ? trim(*s) : std::string();
    };
    auto number = [&](std::string_view key) -> std::optional<std::int64_t> {
      const Value* f = item.find(key);
      return f ? f->to_int() : std::nullopt;
    };
    StaticMapping m;
    m.local_address = text("local-address");
    m.public_address = text("public-address");
    m.name = text("name");
    auto lp = number("local-port"), pp = number("public-port");
    if (m.local_address.empty() || m.public_address.empty()) {
      warnings.push_back(label + ": local-address and public-address are required; skipped");
      continue;
    }
    if (lp.has_value() != pp.has_value()) {
      warnings.push_back(label + ": give both local-port and public-port, or neither; skipped");
      continue;
    }
    if (lp) {
      if (*lp <= 0 || *lp > 65535 || *pp <= 0 || *pp > 65535) {
        warnings.push_back(label + ": ports must be 1-65535; skipped");
        continue;
      }
      m.local_port = static_cast<int>(*lp);
      m.public_port = static_cast<int>(*pp);
    }
    out.push_back(std::move(m));
  }
  const std::string* nat_local = reader.legacy("org.ice4j.ice.harvest.NAT_HARVESTER_LOCAL_ADDRESS");
  const std::string* nat_public = reader.legacy("org.ice4j.ice.harvest.NAT_HARVESTER_PUBLIC_ADDRESS");
  if (nat_local && nat_public && !trim(*nat_local).empty() && !trim(*nat_public).empty()) {
    out.push_back({trim(*nat_local), trim(*nat_public), std::nullopt, std::nullopt, "nat-harvester"});
  } else if ((nat_local != nullptr) != (nat_public != nullptr)) {
    warnings.push_back(
        "NAT_HARVESTER_LOCAL_ADDRESS and NAT_HARVESTER_PUBLIC_ADDRESS must be set together; ignored");
  }
  return out;
}

// ---- unknown keys ----

// Keys JVB reads that have no default (so they are absent from kReferenceDefaults), and old
// names JVB still honours.
const std::set<std::string, std::less<>> kOptionalKeys = {
    "videobridge.apis.xmpp-component",
    "videobridge.apis.xmpp-component.enabled",
    "videobridge.apis.xmpp-component.hostname",
    "videobridge.apis.xmpp-component.port",
    "videobridge.apis.xmpp-component.domain",
    "videobridge.apis.xmpp-component.secret",
    "videobridge.apis.xmpp-component.allowed-jids",
    "videobridge.ice.ufrag-prefix",
    "videobridge.websockets.domain",
    "videobridge.websockets.tls",
    "videobridge.websockets.relay-domain",
    "videobridge.relay.region",
    "videobridge.relay.relay-id",
    "videobridge.octo.enabled",
    "videobridge.octo.region",
    "videobridge.octo.relay-id",
    "videobridge.octo.bind-address",
    "videobridge.cc.assumed-bandwidth-limit",
    "videobridge.cc.initial-ignore-bwe-period",
    "videobridge.cc.thumbnail-max-height-px",
    "videobridge.cc.bwe-change-threshold-pct",
    "videobridge.cc.enable-onstage-video-suspend",
    "videobridge.version.release",
    "videobridge.exporter.max-reconnect-attempts",
    "ice4j.harvest.udp.receive-buffer-size",
    "videobridge.media-workers",
};
const std::set<std::string, std::less<>> kHttpServerOptionalKeys = {
    "host", "key-store-path", "key-store-password", "tls-protocols", "tls-cipher-suites"};
// Subtrees whose keys are chosen by the admin and checked by their own readers.
const std::set<std::string, std::less<>> kFreeFormKeys = {
    "videobridge.apis.xmpp-client.configs",
    "videobridge.load-management.conference-last-n-limits",
    "jmt.rtp.bitrate-calculator",
};
// Keys that JVB itself ignores today but real jvb.conf files still carry.
const std::set<std::string, std::less<>> kObsoleteKeys = {
    "videobridge.stats.enabled", "videobridge.stats.transports",       "videobridge.sctp.use-usrsctp",
    "videobridge.ice.tcp",       "ice4j.harvest.mapping.stun.enabled", "videobridge.multi-stream"};

std::string join_path(const std::string& parent, const std::string& key) {
  bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
  std::string segment = plain ? key : "\"" + key + "\"";
  return parent.empty() ? segment : parent + "." + segment;
}

void collect_paths(const Value& v, const std::string& path, std::set<std::string, std::less<>>& out) {
  if (!path.empty()) out.insert(path);
  if (const hocon::Object* o = v.as_object()) {
    for (const auto& [k, child] : *o) collect_paths(child, join_path(path, k), out);
  }
}

bool is_known(const std::string& path, const std::set<std::string, std::less<>>& known) {
  if (known.count(path) || kOptionalKeys.count(path)) return true;
  for (std::string_view server : {"videobridge.http-servers.private.", "videobridge.http-servers.public."}) {
    if (path.rfind(server, 0) == 0 && kHttpServerOptionalKeys.count(path.substr(server.size()))) return true;
  }
  return false;
}

void warn_unknown(const Value& v, const std::string& path, const std::set<std::string, std::less<>>& known,
                  std::vector<std::string>& warnings) {
  if (kFreeFormKeys.count(path)) return;
  if (kObsoleteKeys.count(path)) {
    warnings.push_back("configuration key '" + path + "' is obsolete and ignored (as by JVB)");
    return;
  }
  if (!path.empty() && !is_known(path, known)) {
    warnings.push_back("unknown configuration key '" + path + "' is ignored");
    return;
  }
  if (const hocon::Object* o = v.as_object()) {
    for (const auto& [k, child] : *o) warn_unknown(child, join_path(path, k), known, warnings);
  }
}

// ---- loading ----

Result<std::map<std::string, std::string>, hocon::Error> read_legacy(
    const std::optional<std::filesystem::path>& file) {
  std::map<std::string, std::string> out;
  if (!file) return out;
  std::ifstream in(*file, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(*file, ec)) return out;  // most installs have none
    return unexpected(hocon::Error{file->string(), 0, 0, "cannot be read"});
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  for (auto& entry : parse_java_properties(buffer.str())) out[trim(entry.key)] = trim(entry.value);
  return out;
}

BridgeConfig read_config(Reader& r, const std::map<std::string, std::string>& legacy,
                         std::vector<std::string>& warnings) {
  BridgeConfig c;
  constexpr auto kInv = LegacyForm::kInverted;
  constexpr auto kMs = LegacyForm::kMillis;

  c.ice.udp_port = r.port("videobridge.ice.udp.port", {"org.jitsi.videobridge.SINGLE_PORT_HARVESTER_PORT"});
  c.ice.ufrag_prefix =
      r.optional_string("videobridge.ice.ufrag-prefix", {"org.jitsi.videobridge.ICE_UFRAG_PREFIX"});
  c.ice.keep_alive_strategy =
      r.string("videobridge.ice.keep-alive-strategy", {"org.jitsi.videobridge.KEEP_ALIVE_STRATEGY"});
  c.ice.nomination_strategy = r.string("videobridge.ice.nomination-strategy");
  c.ice.advertise_private_candidates = r.boolean("videobridge.ice.advertise-private-candidates");
  c.ice.resolve_remote_candidates = r.boolean("videobridge.ice.resolve-remote-candidates");
  c.ice.restart_enabled = r.boolean("videobridge.ice.restart.enabled");
  c.ice.restart_transition_window = r.duration("videobridge.ice.restart.transition-window");
  c.ice.restart_timeout = r.duration("videobridge.ice.restart.timeout");
  // 0 asks the kernel for a free port: for tests, which must not depend on fixed ports.
  if (c.ice.udp_port < 0) {
    r.fail("videobridge.ice.udp.port", "expected a port number (0-65535)",
           Value::number(std::to_string(c.ice.udp_port)));
  }

  auto& h = c.harvest;
  h.use_ipv6 = r.boolean("ice4j.harvest.use-ipv6", {"org.ice4j.ipv6.DISABLED", kInv});
  h.use_link_local_addresses = r.boolean("ice4j.harvest.use-link-local-addresses",
                                         {"org.ice4j.ice.harvest.DISABLE_LINK_LOCAL_ADDRESSES", kInv});
  h.allowed_addresses =
      r.string_list("ice4j.harvest.allowed-addresses",
                    {"org.ice4j.ice.harvest.ALLOWED_ADDRESSES", LegacyForm::kSemicolonList});
  h.blocked_addresses =
      r.string_list("ice4j.harvest.blocked-addresses",
                    {"org.ice4j.ice.harvest.BLOCKED_ADDRESSES", LegacyForm::kSemicolonList});
  h.allowed_interfaces =
      r.string_list("ice4j.harvest.allowed-interfaces",
                    {"org.ice4j.ice.harvest.ALLOWED_INTERFACES", LegacyForm::kSemicolonList});
  h.blocked_interfaces =
      r.string_list("ice4j.harvest.blocked-interfaces",
                    {"org.ice4j.ice.harvest.BLOCKED_INTERFACES", LegacyForm::kSemicolonList});
  h.udp_receive_buffer_size = r.integer("ice4j.harvest.udp.receive-buffer-size",
                                        {"org.ice4j.ice.harvest.AbstractUdpListener.SO_RCVBUF"});
  h.aws_enabled =
      r.boolean("ice4j.harvest.mapping.aws.enabled", {"org.ice4j.ice.harvest.DISABLE_AWS_HARVESTER", kInv});
  h.aws_force = r.boolean("ice4j.harvest.mapping.aws.force", {"org.ice4j.ice.harvest.FORCE_AWS_HARVESTER"});
  h.stun_addresses =
      r.string_list("ice4j.harvest.mapping.stun.addresses",
                    {"org.ice4j.ice.harvest.STUN_MAPPING_HARVESTER_ADDRESSES", LegacyForm::kCommaList});
  h.static_mappings = read_static_mappings(r, warnings);

  auto& cf = c.consent_freshness;
  cf.interval =
      r.duration("ice4j.consent-freshness.interval", {"org.ice4j.ice.CONSENT_FRESHNESS_INTERVAL", kMs});
  cf.original_wait_interval = r.duration("ice4j.consent-freshness.original-wait-interval",
                                         {"org.ice4j.ice.CONSENT_FRESHNESS_WAIT_INTERVAL", kMs});
  cf.max_wait_interval = r.duration("ice4j.consent-freshness.max-wait-interval",
                                    {"org.ice4j.ice.CONSENT_FRESHNESS_MAX_WAIT_INTERVAL", kMs});
  cf.max_retransmissions =
      static_cast<int>(r.integer("ice4j.consent-freshness.max-retransmissions",
                                 {"org.ice4j.ice.CONSENT_FRESHNESS_MAX_RETRANSMISSIONS"}));
  cf.randomize_interval = r.boolean("ice4j.consent-freshness.randomize-interval");

  auto server = [&](std::string_view scope, std::string_view legacy_prefix) {
    std::string p = "videobridge.http-servers." + std::string(scope) + ".";
    std::string lp(legacy_prefix);
    std::string port_key = lp + "port", tls_key = lp + "tls.port", host_key = lp + "host",
                store_key = lp + "sslContextFactory.keyStorePath";
    HttpServerConfig s;
    s.port = r.port(p + "port", {port_key});
    s.tls_port = r.port(p + "tls-port", {tls_key});
    s.host = r.optional_string(p + "host", {host_key});
    s.key_store_path = r.optional_string(p + "key-store-path", {store_key});
    s.send_server_version = r.boolean(p + "send-server-version");
    return s;
  };
  c.http.private_server = server("private", "org.jitsi.videobridge.rest.private.jetty.");
  c.http.public_server = server("public", "org.jitsi.videobridge.rest.jetty.");

  // ENABLE_REST_COLIBRI can only switch the REST API off: JVB ANDs it with the new key.
  bool legacy_rest = true;
  if (const std::string* s = r.legacy("org.jitsi.videobridge.ENABLE_REST_COLIBRI"))
    legacy_rest = java_parse_boolean(*s);
  c.apis.rest_enabled = r.boolean("videobridge.apis.rest.enabled") && legacy_rest;
  c.apis.presence_interval = r.duration("videobridge.apis.xmpp-client.presence-interval");
  c.apis.stats_filter_enabled = r.boolean("videobridge.apis.xmpp-client.stats-filter.enabled");
  c.apis.stats_whitelist = r.string_list("videobridge.apis.xmpp-client.stats-filter.whitelist");
  c.apis.xmpp_accounts = read_xmpp_accounts(r.find("videobridge.apis.xmpp-client.configs"), legacy, warnings);
  auto& component = c.apis.xmpp_component;
  component.enabled = r.optional_boolean("videobridge.apis.xmpp-component.enabled").value_or(false);
  if (component.enabled) {
    component.hostname = r.optional_string("videobridge.apis.xmpp-component.hostname").value_or("localhost");
    if (r.present("videobridge.apis.xmpp-component.port"))
      component.port = r.port("videobridge.apis.xmpp-component.port");
    // Without these the server cannot accept the component: a configuration error.
    component.domain = r.string("videobridge.apis.xmpp-component.domain");
    component.secret = r.string("videobridge.apis.xmpp-component.secret");
    if (r.present("videobridge.apis.xmpp-component.allowed-jids"))
      component.allowed_jids = r.string_list("videobridge.apis.xmpp-component.allowed-jids");
  }

  c.rest.debug = r.boolean("videobridge.rest.debug.enabled");
  c.rest.drain = r.boolean("videobridge.rest.drain.enabled");
  c.rest.health = r.boolean("videobridge.rest.health.enabled");
  c.rest.prometheus = r.boolean("videobridge.rest.prometheus.enabled");
  c.rest.rtcstats = r.boolean("videobridge.rest.rtcstats.enabled");
  c.rest.shutdown =
      r.boolean("videobridge.rest.shutdown.enabled", {"org.jitsi.videobridge.ENABLE_REST_SHUTDOWN"}) &&
      c.apis.rest_enabled;
  c.rest.version = r.boolean("videobridge.rest.version.enabled");

  c.health.interval =
      r.duration("videobridge.health.interval", {"org.jitsi.videobridge.health.INTERVAL", kMs});
  c.health.timeout = r.duration("videobridge.health.timeout", {"org.jitsi.videobridge.health.TIMEOUT", kMs});
  c.health.max_check_duration = r.duration("videobridge.health.max-check-duration");
  c.health.sticky_failures =
      r.boolean("videobridge.health.sticky-failures", {"org.jitsi.videobridge.health.STICKY_FAILURES"});
  c.health.require_valid_address = r.boolean("videobridge.health.require-valid-address");
  c.health.require_stun = r.boolean("videobridge.health.require-stun");

  c.websockets.enabled =
      r.boolean("videobridge.websockets.enabled", {"org.jitsi.videobridge.rest.COLIBRI_WS_DISABLE", kInv});
  if (auto d = r.optional_string("videobridge.websockets.domain",
                                 {"org.jitsi.videobridge.rest.COLIBRI_WS_DOMAIN"})) {
    c.websockets.domains.push_back(*d);
  }
  for (auto& d : r.string_list("videobridge.websockets.domains")) c.websockets.domains.push_back(d);
  c.websockets.tls =
      r.optional_boolean("videobridge.websockets.tls", {"org.jitsi.videobridge.rest.COLIBRI_WS_TLS"});
  c.websockets.server_id =
      r.string("videobridge.websockets.server-id", {"org.jitsi.videobridge.rest.COLIBRI_WS_SERVER_ID"});

  c.stats.interval = r.duration("videobridge.stats.interval");
  c.expiration.timeout = r.duration("videobridge.entity-expiration.timeout");
  c.expiration.check_interval =
      r.duration("videobridge.entity-expiration.check-interval",
                 {"org.jitsi.videobridge.EXPIRE_CHECK_SLEEP_SEC", LegacyForm::kSeconds});

  c.shutdown.graceful_shutdown_max_duration =
      r.duration("videobridge.shutdown.graceful-shutdown-max-duration");
  c.shutdown.graceful_shutdown_min_participants =
      static_cast<int>(r.integer("videobridge.shutdown.graceful-shutdown-min-participants"));
  c.shutdown.shutting_down_delay = r.duration("videobridge.shutdown.shutting-down-delay");

  // relay.* falls back to the older octo.* names.
  c.relay.enabled = r.present("videobridge.relay.enabled") ? r.boolean("videobridge.relay.enabled") : false;
  if (!c.relay.enabled && r.present("videobridge.octo.enabled"))
    c.relay.enabled = r.boolean("videobridge.octo.enabled");
  c.relay.region = r.optional_string("videobridge.relay.region", {"org.jitsi.videobridge.REGION"});
  if (!c.relay.region) c.relay.region = r.optional_string("videobridge.octo.region");
  c.relay.relay_id = r.optional_string("videobridge.relay.relay-id");
  if (!c.relay.relay_id) c.relay.relay_id = r.optional_string("videobridge.octo.relay-id");
  if (!c.relay.relay_id) c.relay.relay_id = r.optional_string("videobridge.octo.bind-address");
  if (c.relay.enabled && !c.relay.relay_id) {
    r.fail("videobridge.relay.relay-id", "is required when relays are enabled", Value());
  }

  c.sctp.enabled = r.boolean("videobridge.sctp.enabled");
  c.sctp.max_channels = static_cast<int>(r.integer("videobridge.sctp.max-channels"));

  auto& cc = c.cc;
  if (r.present("videobridge.cc.bwe-change-threshold-pct") &&
      !r.legacy("org.jitsi.videobridge.BWE_CHANGE_THRESHOLD_PCT")) {
    cc.bwe_change_threshold = r.real("videobridge.cc.bwe-change-threshold-pct") / 100.0;
  } else {
    cc.bwe_change_threshold =
        r.real("videobridge.cc.bwe-change-threshold",
               {"org.jitsi.videobridge.BWE_CHANGE_THRESHOLD_PCT", LegacyForm::kPercent});
  }
  cc.default_max_height_px = static_cast<int>(r.present("videobridge.cc.thumbnail-max-height-px")
                                                  ? r.integer("videobridge.cc.thumbnail-max-height-px")
                                                  : r.integer("videobridge.cc.default-max-height-px"));
  cc.onstage_preferred_height_px = static_cast<int>(r.integer(
      "videobridge.cc.onstage-preferred-height-px", {"org.jitsi.videobridge.ONSTAGE_PREFERRED_HEIGHT"}));
  cc.onstage_preferred_framerate = r.real("videobridge.cc.onstage-preferred-framerate",
                                          {"org.jitsi.videobridge.ONSTAGE_PREFERRED_FRAME_RATE"});
  if (r.present("videobridge.cc.enable-onstage-video-suspend") &&
      !r.legacy("org.jitsi.videobridge.ENABLE_ONSTAGE_VIDEO_SUSPEND")) {
    cc.allow_oversend_onstage = !r.boolean("videobridge.cc.enable-onstage-video-suspend");
  } else {
    cc.allow_oversend_onstage = r.boolean("videobridge.cc.allow-oversend-onstage",
                                          {"org.jitsi.videobridge.ENABLE_ONSTAGE_VIDEO_SUSPEND", kInv});
  }
  cc.max_oversend_bitrate = r.bitrate("videobridge.cc.max-oversend-bitrate");
  cc.trust_bwe = r.boolean("videobridge.cc.trust-bwe", {"org.jitsi.videobridge.TRUST_BWE"});
  cc.padding_period =
      r.duration("videobridge.cc.padding-period", {"org.jitsi.videobridge.PADDING_PERIOD_MS", kMs});
  cc.jvb_last_n = static_cast<int>(r.integer("videobridge.cc.jvb-last-n"));
  cc.initial_last_n = static_cast<int>(r.integer("videobridge.cc.initial-last-n"));
  cc.assumed_bandwidth_limit = r.optional_bitrate("videobridge.cc.assumed-bandwidth-limit");
  cc.initial_max_height_px = static_cast<int>(r.integer("videobridge.cc.initial-max-height-px"));
  if (const Value* limits = r.find("videobridge.load-management.conference-last-n-limits")) {
    if (const hocon::Object* o = limits->as_object()) {
      for (const auto& [size, limit] : *o) {
        auto n = Value::string(trim(size)).to_int();
        auto l = limit.to_int();
        if (!n || *n < 0 || !l) {
          r.fail("videobridge.load-management.conference-last-n-limits." + size,
                 "expected a conference size mapped to a last-n limit, e.g. { 20 = 20, 50 = 10 }", limit);
          continue;
        }
        cc.conference_last_n_limits[static_cast<int>(*n)] = static_cast<int>(*l);
      }
    }
  }

  c.speech_activity.recent_speakers_count =
      static_cast<int>(r.integer("videobridge.speech-activity.recent-speakers-count"));
  c.speech_activity.enable_silence_detection =
      r.boolean("videobridge.speech-activity.enable-silence-detection");
  c.speech_activity.silence_detection_timeout =
      r.duration("videobridge.speech-activity.silence-detection-timeout");
  c.ssrc_limit.video = static_cast<int>(r.integer("videobridge.ssrc-limit.video"));
  c.ssrc_limit.audio = static_cast<int>(r.integer("videobridge.ssrc-limit.audio"));
  c.ep_connection_status.first_transfer_timeout =
      r.duration("videobridge.ep-connection-status.first-transfer-timeout",
                 {"org.jitsi.videobridge.EndpointConnectionStatus.FIRST_TRANSFER_TIMEOUT", kMs});
  c.ep_connection_status.max_inactivity_limit =
      r.duration("videobridge.ep-connection-status.max-inactivity-limit",
                 {"org.jitsi.videobridge.EndpointConnectionStatus.MAX_INACTIVITY_LIMIT", kMs});
  c.ep_connection_status.check_interval = r.duration("videobridge.ep-connection-status.check-interval");
  c.version_announce = r.boolean("videobridge.version.announce");
  c.stats_filter_threshold = static_cast<int>(r.integer("videobridge.stats-filter-threshold"));
  c.connection_stats.enabled = r.boolean("videobridge.connection-stats.enabled");
  c.connection_stats.interval = r.duration("videobridge.connection-stats.interval");

  c.bwe.engine = r.string("jmt.bwe.estimator.engine");
  c.bwe.initial_bw = r.bitrate("jmt.bwe.estimator.initial-bw");
  c.bwe.min_bw = r.bitrate("jmt.bwe.estimator.min-bw");
  c.bwe.max_bw = r.bitrate("jmt.bwe.estimator.max-bw");

  c.load.load_measurement = r.string("videobridge.load-management.load-measurements.load-measurement");
  c.load.packet_rate_load_threshold =
      r.real("videobridge.load-management.load-measurements.packet-rate.load-threshold");
  c.load.cpu_usage_load_threshold =
      r.real("videobridge.load-management.load-measurements.cpu-usage.load-threshold");
  c.load.detect_cpu_steal =
      r.boolean("videobridge.load-management.load-measurements.cpu-usage.detect-cpu-steal");
  c.load.average_participant_stress = r.real("videobridge.load-management.average-participant-stress");
  if (c.load.load_measurement != "cpu-usage" && c.load.load_measurement != "packet-rate") {
    r.fail("videobridge.load-management.load-measurements.load-measurement",
           "expected \"cpu-usage\" or \"packet-rate\"", Value::string(c.load.load_measurement));
  }

  c.media.srtp_protection_profiles = r.string_list("jmt.srtp.protection-profiles");
  c.media.dtls_handshake_timeout = r.duration("jmt.dtls.handshake-timeout");
  c.media.local_fingerprint_hash_function = r.string("jmt.dtls.local-fingerprint-hash-function");
  if (r.present("videobridge.media-workers")) {
    auto workers = r.integer("videobridge.media-workers");
    if (workers < 0 || workers > 64) {
      r.fail("videobridge.media-workers", "expected a number of threads (1-64, or 0 for one per core)",
             Value::number(std::to_string(workers)));
    } else {
      c.media.workers = static_cast<int>(workers);
    }
  }

  c.initial_drain_mode = r.boolean("videobridge.initial-drain-mode");
  c.version_release = r.optional_string("videobridge.version.release");
  c.redact_remote_addresses = r.boolean("videobridge.redact-remote-addresses");
  return c;
}

}  // namespace

std::optional<Bitrate> parse_bitrate(std::string_view text) {
  std::string s = trim(text);
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  std::string number = s.substr(0, i);
  if (std::count(number.begin(), number.end(), '.') > 1 || number == ".") return std::nullopt;
  std::string unit = to_upper(trim(std::string_view(s).substr(i)));
  double scale = 0;
  if (unit.empty() || unit == "BPS")
    scale = 1;
  else if (unit == "KBPS")
    scale = 1e3;
  else if (unit == "MBPS")
    scale = 1e6;
  else if (unit == "GBPS")
    scale = 1e9;
  else
    return std::nullopt;
  double value = std::strtod(number.c_str(), nullptr) * scale;
  if (!std::isfinite(value) || value > 9e15) return std::nullopt;
  return Bitrate{static_cast<std::int64_t>(std::llround(value))};
}

Result<LoadedConfig, hocon::Error> load_bridge_config(const ConfigSources& sources,
                                                      const hocon::EnvLookup& env) {
  auto reference = hocon::parse_string(kReferenceDefaults, "<built-in defaults>");
  auto jicoco = hocon::parse_string(kJicocoDefaults, "<built-in defaults>");
  auto application = hocon::parse_string(kApplicationOverrides, "<built-in application overrides>");
  // The built-in texts are part of the program; a failure here is a bug, and tests cover it.
  if (!reference) return unexpected(reference.error());
  if (!jicoco) return unexpected(jicoco.error());
  if (!application) return unexpected(application.error());
  *reference = jicoco->with_fallback(*reference);

  hocon::Document merged = application->with_fallback(
      hocon::document_from_properties(sources.system_properties, "<system properties>")
          .with_fallback(*reference));
  std::string origin = "<built-in defaults>";
  if (sources.application_file) {
    auto user = hocon::parse_file(*sources.application_file);
    if (!user) return unexpected(user.error());
    merged = user->with_fallback(merged);
    origin = sources.application_file->string();
  }
  auto tree = hocon::resolve(merged, env);
  if (!tree) return unexpected(tree.error());

  auto legacy = read_legacy(sources.legacy_properties_file);
  if (!legacy) return unexpected(legacy.error());

  LoadedConfig loaded;
  // Known keys: everything the built-in layers define.
  auto defaults_tree = hocon::resolve(application->with_fallback(*reference), env);
  if (!defaults_tree) return unexpected(defaults_tree.error());
  std::set<std::string, std::less<>> known;
  collect_paths(*defaults_tree, "", known);
  warn_unknown(*tree, "", known, loaded.warnings);

  Reader reader(*tree, *legacy, origin,
                sources.legacy_properties_file ? sources.legacy_properties_file->string() : "");
  loaded.config = read_config(reader, *legacy, loaded.warnings);
  if (reader.error()) return unexpected(*reader.error());
  return loaded;
}

}  // namespace jvb::config
