// The bridge's typed configuration, built the way JVB builds its own (jicoco's
// JitsiConfig.loadNewConfig): jvb.conf (with its includes) over JVB's application overrides over
// JVM-style system properties over the reference defaults, substitutions resolved once over the
// merged tree, and then, key by key, a value from the legacy sip-communicator.properties wins
// where that key has a legacy name (jitsi-metaconfig asks the legacy source first).
//
// Loading is pure apart from reading the named files. Problems an admin can fix are returned
// as an Error ("file:line:column: message" for syntax, "key: message" for bad values);
// unknown keys and dropped XMPP accounts are warnings, never failures.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bridge/core/result.hpp"
#include "config/hocon/hocon.hpp"

namespace jvb::config {

using std::chrono::milliseconds;

// A bit rate in bits per second.
struct Bitrate {
  std::int64_t bps = 0;
  friend bool operator==(Bitrate, Bitrate) = default;
};

// JVB's bandwidth notation: "500 kbps", "2.5 Mbps", "20mbps", "1000000" (bps). Units bps,
// kbps, mbps, gbps, case-insensitive, decimal. Unlike JVB, fractions are honoured ("2.5
// Mbps" is 2,500,000 bps, where JVB drops the dot and reads 25 Mbps).
std::optional<Bitrate> parse_bitrate(std::string_view text);

struct HttpServerConfig {
  int port = -1;                    // -1: off
  int tls_port = -1;                // used only with key_store_path
  std::optional<std::string> host;  // unset: all addresses
  std::optional<std::string> key_store_path;
  bool send_server_version = false;
};

struct XmppAccount {
  std::string id;  // the key under apis.xmpp-client.configs, e.g. "shard"
  std::string hostname;
  int port = 5222;
  std::string domain;  // defaults to hostname
  std::string username;
  std::string password;
  std::vector<std::string> muc_jids;
  std::string muc_nickname;
  bool disable_certificate_verification = false;
  std::string security_mode;  // "required", "ifpossible" or "disabled"
};

struct StaticMapping {
  std::string local_address;
  std::string public_address;
  std::optional<int> local_port;  // both ports or neither
  std::optional<int> public_port;
  std::string name;
};

struct BridgeConfig {
  struct Ice {
    int udp_port = 10000;
    std::optional<std::string> ufrag_prefix;
    std::string keep_alive_strategy;
    std::string nomination_strategy;
    bool advertise_private_candidates = true;
    bool resolve_remote_candidates = false;
    bool restart_enabled = true;
    milliseconds restart_transition_window{};
    milliseconds restart_timeout{};
  } ice;

  struct Harvest {
    bool use_ipv6 = true;
    bool use_link_local_addresses = false;
    std::vector<std::string> allowed_addresses, blocked_addresses;
    std::vector<std::string> allowed_interfaces, blocked_interfaces;
    std::int64_t udp_receive_buffer_size = 0;
    bool aws_enabled = true;
    bool aws_force = false;
    std::vector<std::string> stun_addresses;  // "host:port"
    std::vector<StaticMapping> static_mappings;
  } harvest;

  struct ConsentFreshness {
    milliseconds interval{};
    milliseconds original_wait_interval{};
    milliseconds max_wait_interval{};
    int max_retransmissions = 0;
    bool randomize_interval = true;
  } consent_freshness;

  struct Http {
    HttpServerConfig private_server;
    HttpServerConfig public_server;
  } http;

  struct Apis {
    bool rest_enabled = false;
    milliseconds presence_interval{};
    // apis.xmpp-client.stats-filter: when enabled, the presence carries only these stats.
    bool stats_filter_enabled = false;
    std::vector<std::string> stats_whitelist;
    std::vector<XmppAccount> xmpp_accounts;
    // Ours, not JVB's (which dropped component mode in 2020): videobridge.apis.xmpp-component.
    struct XmppComponent {
      bool enabled = false;
      std::string hostname = "localhost";
      int port = 5347;
      std::string domain;  // the component's JID, e.g. jvb.meet.example.org
      std::string secret;
      std::vector<std::string> allowed_jids;  // bare JIDs that may send requests; empty: any
    } xmpp_component;
  } apis;

  struct Rest {
    bool debug = true, drain = true, health = true, prometheus = true, rtcstats = true, shutdown = false,
         version = true;
  } rest;

  struct Health {
    milliseconds interval{};
    milliseconds timeout{};
    milliseconds max_check_duration{};
    bool sticky_failures = false;
    bool require_valid_address = true;
    bool require_stun = false;
  } health;

  struct Websockets {
    bool enabled = false;
    std::vector<std::string> domains;  // the legacy single `domain` first
    std::optional<bool> tls;
    std::string server_id;
  } websockets;

  struct Stats {
    milliseconds interval{};
  } stats;

  struct Expiration {
    milliseconds timeout{};
    milliseconds check_interval{};
  } expiration;

  struct Shutdown {
    milliseconds graceful_shutdown_max_duration{};
    int graceful_shutdown_min_participants = 0;
    milliseconds shutting_down_delay{};
  } shutdown;

  struct Relay {
    bool enabled = false;
    std::optional<std::string> region;
    std::optional<std::string> relay_id;
  } relay;

  struct Sctp {
    bool enabled = true;
    int max_channels = 1;
  } sctp;

  struct Cc {
    double bwe_change_threshold = 0.15;
    int default_max_height_px = 180;
    int onstage_preferred_height_px = 360;
    double onstage_preferred_framerate = 30;
    bool allow_oversend_onstage = true;
    Bitrate max_oversend_bitrate;
    bool trust_bwe = true;
    milliseconds padding_period{};
    int jvb_last_n = -1;
    int initial_last_n = -1;
    int initial_max_height_px = 0;  // before a receiver's first ReceiverVideoConstraints
    // conference size -> last-n limit (cc.conference-last-n-limits)
    std::map<int, int> conference_last_n_limits;
    std::optional<Bitrate> assumed_bandwidth_limit;
  } cc;

  struct SpeechActivity {
    int recent_speakers_count = 10;
    bool enable_silence_detection = false;
    milliseconds silence_detection_timeout{3000};
  } speech_activity;

  struct SsrcLimit {
    int video = 50;
    int audio = 50;
  } ssrc_limit;

  struct EndpointConnectionStatus {
    milliseconds first_transfer_timeout{15000};
    milliseconds max_inactivity_limit{8000};
    milliseconds check_interval{500};
  } ep_connection_status;

  bool version_announce = false;
  int stats_filter_threshold = 20;

  // ConnectionStats (the downlink estimate) to each endpoint, this often.
  struct ConnectionStats {
    bool enabled = true;
    milliseconds interval{10000};
  } connection_stats;

  struct Bwe {
    std::string engine;
    Bitrate initial_bw, min_bw, max_bw;
  } bwe;

  struct Load {
    std::string load_measurement;
    double packet_rate_load_threshold = 0;
    double cpu_usage_load_threshold = 0;
    bool detect_cpu_steal = true;  // cpu-usage: stolen time counts as load
    double average_participant_stress = 0;
  } load;

  struct Media {
    std::vector<std::string> srtp_protection_profiles;
    milliseconds dtls_handshake_timeout{};
    std::string local_fingerprint_hash_function;
    // videobridge.media-workers (this bridge's own key): threads that forward media, each with
    // its own socket of the one port; 0 (absent) means one per core the process may run on.
    int workers = 0;
  } media;

  bool initial_drain_mode = false;
  std::optional<std::string> version_release;
  bool redact_remote_addresses = true;
};

// Where configuration comes from (see config/launch.hpp for how these are found).
struct ConfigSources {
  // jvb.conf; nullopt runs on the built-in defaults alone.
  std::optional<std::filesystem::path> application_file;
  // sip-communicator.properties; a missing file is not an error (most installs have none).
  std::optional<std::filesystem::path> legacy_properties_file;
  // -Dkey=value pairs other than the launcher's own.
  std::vector<std::pair<std::string, std::string>> system_properties;
};

struct LoadedConfig {
  BridgeConfig config;
  std::vector<std::string> warnings;
};

Result<LoadedConfig, hocon::Error> load_bridge_config(const ConfigSources& sources,
                                                      const hocon::EnvLookup& env);

// The effective configuration in the jvb.conf key layout, secrets redacted.
hocon::Value to_value(const BridgeConfig& config);

}  // namespace jvb::config
