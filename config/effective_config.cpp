// The effective configuration as a tree in jvb.conf's key layout, for --print-config: what
// the bridge will actually use after defaults, jvb.conf, system properties and legacy
// properties were combined. Durations and bit rates are written in forms that HOCON (and so
// jvb.conf) accepts back. Secrets are redacted: this output ends up pasted in bug reports.
#include <string>

#include "config/bridge_config.hpp"

namespace jvb::config {
namespace {

using hocon::Array;
using hocon::Object;
using hocon::Value;

Value num(std::int64_t n) { return Value::number(std::to_string(n)); }
Value real(double d) {
  std::string s = std::to_string(d);
  // std::to_string gives six decimals; drop trailing zeros for readability.
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return Value::number(s);
}
Value str(std::string s) { return Value::string(std::move(s)); }
Value flag(bool b) { return Value::boolean(b); }
Value opt(const std::optional<std::string>& s) { return s ? str(*s) : Value(); }
Value list(const std::vector<std::string>& items) {
  Array out;
  for (const auto& i : items) out.push_back(str(i));
  return Value::array(std::move(out));
}
Value obj(Object o) { return Value::object(std::move(o)); }

Value duration(milliseconds d) {
  auto ms = d.count();
  if (ms != 0 && ms % 3'600'000 == 0) return str(std::to_string(ms / 3'600'000) + " hours");
  if (ms != 0 && ms % 60'000 == 0) return str(std::to_string(ms / 60'000) + " minutes");
  if (ms != 0 && ms % 1000 == 0) return str(std::to_string(ms / 1000) + " seconds");
  return str(std::to_string(ms) + " ms");
}

Value bitrate(Bitrate b) {
  if (b.bps != 0 && b.bps % 1'000'000 == 0) return str(std::to_string(b.bps / 1'000'000) + " Mbps");
  if (b.bps != 0 && b.bps % 1000 == 0) return str(std::to_string(b.bps / 1000) + " kbps");
  return str(std::to_string(b.bps) + " bps");
}

Value last_n_limits(const std::map<int, int>& limits) {
  Object o;
  for (const auto& [size, limit] : limits) o.emplace(std::to_string(size), num(limit));
  return obj(std::move(o));
}
Value http_server(const HttpServerConfig& s) {
  return obj({{"port", num(s.port)},
              {"tls-port", num(s.tls_port)},
              {"host", opt(s.host)},
              {"key-store-path", opt(s.key_store_path)},
              {"send-server-version", flag(s.send_server_version)}});
}

Value accounts(const std::vector<XmppAccount>& all) {
  Object out;
  for (const auto& a : all) {
    std::string jids;
    for (const auto& j : a.muc_jids) jids += (jids.empty() ? "" : ",") + j;
    out[a.id] = obj({{"HOSTNAME", str(a.hostname)},
                     {"PORT", num(a.port)},
                     {"DOMAIN", str(a.domain)},
                     {"USERNAME", str(a.username)},
                     {"PASSWORD", str("********")},
                     {"MUC_JIDS", str(jids)},
                     {"MUC_NICKNAME", str(a.muc_nickname)},
                     {"DISABLE_CERTIFICATE_VERIFICATION", flag(a.disable_certificate_verification)},
                     {"SECURITY_MODE", str(a.security_mode)}});
  }
  return obj(std::move(out));
}

Value component(const BridgeConfig::Apis::XmppComponent& c) {
  if (!c.enabled) return obj({{"enabled", flag(false)}});
  return obj({{"enabled", flag(true)},
              {"hostname", str(c.hostname)},
              {"port", num(c.port)},
              {"domain", str(c.domain)},
              {"secret", str("********")},
              {"allowed-jids", list(c.allowed_jids)}});
}

Value mappings(const std::vector<StaticMapping>& all) {
  Array out;
  for (const auto& m : all) {
    Object o{{"local-address", str(m.local_address)}, {"public-address", str(m.public_address)}};
    if (m.local_port) o["local-port"] = num(*m.local_port);
    if (m.public_port) o["public-port"] = num(*m.public_port);
    if (!m.name.empty()) o["name"] = str(m.name);
    out.push_back(obj(std::move(o)));
  }
  return Value::array(std::move(out));
}

}  // namespace

hocon::Value to_value(const BridgeConfig& c) {
  Object videobridge{
      {"ice", obj({{"udp", obj({{"port", num(c.ice.udp_port)}})},
                   {"ufrag-prefix", opt(c.ice.ufrag_prefix)},
                   {"keep-alive-strategy", str(c.ice.keep_alive_strategy)},
                   {"nomination-strategy", str(c.ice.nomination_strategy)},
                   {"advertise-private-candidates", flag(c.ice.advertise_private_candidates)},
                   {"resolve-remote-candidates", flag(c.ice.resolve_remote_candidates)},
                   {"restart", obj({{"enabled", flag(c.ice.restart_enabled)},
                                    {"transition-window", duration(c.ice.restart_transition_window)},
                                    {"timeout", duration(c.ice.restart_timeout)}})}})},
      {"http-servers",
       obj({{"private", http_server(c.http.private_server)}, {"public", http_server(c.http.public_server)}})},
      {"apis", obj({{"rest", obj({{"enabled", flag(c.apis.rest_enabled)}})},
                    {"xmpp-client", obj({{"presence-interval", duration(c.apis.presence_interval)},
                                         {"stats-filter", obj({{"enabled", flag(c.apis.stats_filter_enabled)},
                                                               {"whitelist", list(c.apis.stats_whitelist)}})},
                                         {"configs", accounts(c.apis.xmpp_accounts)}})},
                    {"xmpp-component", component(c.apis.xmpp_component)}})},
      {"rest", obj({{"debug", obj({{"enabled", flag(c.rest.debug)}})},
                    {"drain", obj({{"enabled", flag(c.rest.drain)}})},
                    {"health", obj({{"enabled", flag(c.rest.health)}})},
                    {"prometheus", obj({{"enabled", flag(c.rest.prometheus)}})},
                    {"rtcstats", obj({{"enabled", flag(c.rest.rtcstats)}})},
                    {"shutdown", obj({{"enabled", flag(c.rest.shutdown)}})},
                    {"version", obj({{"enabled", flag(c.rest.version)}})}})},
      {"health", obj({{"interval", duration(c.health.interval)},
                      {"timeout", duration(c.health.timeout)},
                      {"max-check-duration", duration(c.health.max_check_duration)},
                      {"sticky-failures", flag(c.health.sticky_failures)},
                      {"require-valid-address", flag(c.health.require_valid_address)},
                      {"require-stun", flag(c.health.require_stun)}})},
      {"websockets", obj({{"enabled", flag(c.websockets.enabled)},
                          {"domains", list(c.websockets.domains)},
                          {"tls", c.websockets.tls ? flag(*c.websockets.tls) : Value()},
                          {"server-id", str(c.websockets.server_id)}})},
      {"stats", obj({{"interval", duration(c.stats.interval)}})},
      {"entity-expiration", obj({{"timeout", duration(c.expiration.timeout)},
                                 {"check-interval", duration(c.expiration.check_interval)}})},
      {"shutdown",
       obj({{"graceful-shutdown-max-duration", duration(c.shutdown.graceful_shutdown_max_duration)},
            {"graceful-shutdown-min-participants", num(c.shutdown.graceful_shutdown_min_participants)},
            {"shutting-down-delay", duration(c.shutdown.shutting_down_delay)}})},
      {"relay", obj({{"enabled", flag(c.relay.enabled)},
                     {"region", opt(c.relay.region)},
                     {"relay-id", opt(c.relay.relay_id)}})},
      {"sctp", obj({{"enabled", flag(c.sctp.enabled)}, {"max-channels", num(c.sctp.max_channels)}})},
      {"media-workers", num(c.media.workers)},
      {"cc", obj({{"bwe-change-threshold", real(c.cc.bwe_change_threshold)},
                  {"default-max-height-px", num(c.cc.default_max_height_px)},
                  {"onstage-preferred-height-px", num(c.cc.onstage_preferred_height_px)},
                  {"onstage-preferred-framerate", real(c.cc.onstage_preferred_framerate)},
                  {"allow-oversend-onstage", flag(c.cc.allow_oversend_onstage)},
                  {"max-oversend-bitrate", bitrate(c.cc.max_oversend_bitrate)},
                  {"trust-bwe", flag(c.cc.trust_bwe)},
                  {"padding-period", duration(c.cc.padding_period)},
                  {"jvb-last-n", num(c.cc.jvb_last_n)},
                  {"initial-last-n", num(c.cc.initial_last_n)},
                  {"initial-max-height-px", num(c.cc.initial_max_height_px)},
                  {"assumed-bandwidth-limit",
                   c.cc.assumed_bandwidth_limit ? bitrate(*c.cc.assumed_bandwidth_limit) : Value()}})},
      {"load-management",
       obj({{"load-measurements",
             obj({{"load-measurement", str(c.load.load_measurement)},
                  {"packet-rate", obj({{"load-threshold", real(c.load.packet_rate_load_threshold)}})},
                  {"cpu-usage", obj({{"load-threshold", real(c.load.cpu_usage_load_threshold)},
                                     {"detect-cpu-steal", flag(c.load.detect_cpu_steal)}})}})},
            {"average-participant-stress", real(c.load.average_participant_stress)},
            {"conference-last-n-limits", last_n_limits(c.cc.conference_last_n_limits)}})},
      {"speech-activity",
       obj({{"recent-speakers-count", num(c.speech_activity.recent_speakers_count)},
            {"enable-silence-detection", flag(c.speech_activity.enable_silence_detection)},
            {"silence-detection-timeout", duration(c.speech_activity.silence_detection_timeout)}})},
      {"ssrc-limit", obj({{"video", num(c.ssrc_limit.video)}, {"audio", num(c.ssrc_limit.audio)}})},
      {"ep-connection-status",
       obj({{"first-transfer-timeout", duration(c.ep_connection_status.first_transfer_timeout)},
            {"max-inactivity-limit", duration(c.ep_connection_status.max_inactivity_limit)},
            {"check-interval", duration(c.ep_connection_status.check_interval)}})},
      {"stats-filter-threshold", num(c.stats_filter_threshold)},
      {"connection-stats", obj({{"enabled", flag(c.connection_stats.enabled)},
                                {"interval", duration(c.connection_stats.interval)}})},
      {"initial-drain-mode", flag(c.initial_drain_mode)},
      {"version", obj({{"release", opt(c.version_release)}, {"announce", flag(c.version_announce)}})},
      {"redact-remote-addresses", flag(c.redact_remote_addresses)},
  };
  const auto& h = c.harvest;
  const auto& cf = c.consent_freshness;
  Object ice4j{
      {"harvest",
       obj({{"use-ipv6", flag(h.use_ipv6)},
            {"use-link-local-addresses", flag(h.use_link_local_addresses)},
            {"allowed-addresses", list(h.allowed_addresses)},
            {"blocked-addresses", list(h.blocked_addresses)},
            {"allowed-interfaces", list(h.allowed_interfaces)},
            {"blocked-interfaces", list(h.blocked_interfaces)},
            {"udp", obj({{"receive-buffer-size", num(h.udp_receive_buffer_size)}})},
            {"mapping", obj({{"aws", obj({{"enabled", flag(h.aws_enabled)}, {"force", flag(h.aws_force)}})},
                             {"stun", obj({{"addresses", list(h.stun_addresses)}})},
                             {"static-mappings", mappings(h.static_mappings)}})}})},
      {"consent-freshness", obj({{"interval", duration(cf.interval)},
                                 {"original-wait-interval", duration(cf.original_wait_interval)},
                                 {"max-wait-interval", duration(cf.max_wait_interval)},
                                 {"max-retransmissions", num(cf.max_retransmissions)},
                                 {"randomize-interval", flag(cf.randomize_interval)}})},
  };
  Object jmt{
      {"bwe", obj({{"estimator", obj({{"engine", str(c.bwe.engine)},
                                      {"initial-bw", bitrate(c.bwe.initial_bw)},
                                      {"min-bw", bitrate(c.bwe.min_bw)},
                                      {"max-bw", bitrate(c.bwe.max_bw)}})}})},
      {"srtp", obj({{"protection-profiles", list(c.media.srtp_protection_profiles)}})},
      {"dtls", obj({{"handshake-timeout", duration(c.media.dtls_handshake_timeout)},
                    {"local-fingerprint-hash-function", str(c.media.local_fingerprint_hash_function)}})},
  };
  return obj({{"videobridge", obj(std::move(videobridge))},
              {"ice4j", obj(std::move(ice4j))},
              {"jmt", obj(std::move(jmt))}});
}

}  // namespace jvb::config
