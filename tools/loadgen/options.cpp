// See options.hpp.
#include "tools/loadgen/options.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "bridge/core/strings.hpp"

namespace jvb::loadgen {

std::string usage() {
  return R"(usage: loadgen --bridge URL [options]
Synthetic Jitsi participants driving a real bridge over UDP (ICE, DTLS-SRTP) and colibri-ws.

  --bridge URL            the bridge's private HTTP server (REST Colibri2), default http://127.0.0.1:8080/
  --janus URL             drive Janus's VideoRoom through its HTTP API instead (e.g.
                          http://127.0.0.1:8088/janus): a room per conference, a publisher and a
                          multistream subscriber PeerConnection per participant; --max-height
                          picks the simulcast substream, --last-n and --on-stage do not apply
  --srtp-profiles LIST    the DTLS use_srtp profiles the endpoints offer or accept, comma-separated
                          (SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_HMAC_SHA1_80); default: both, GCM first
  --conferences C         conferences (default 1)
  --participants P        participants per conference (default 3)
  --senders S             the first S of each conference send VP8 simulcast (default: all)
  --speakers K            the first K of each conference speak; others send silence (default 1)
  --last-n N              lastN in ReceiverVideoConstraints (default -1, unlimited)
  --max-height H          default maxHeight in ReceiverVideoConstraints (default 180)
  --on-stage              each receiver puts the first other sender of its conference on stage (720)
  --duration SECONDS      measurement time (default 10)
  --warmup SECONDS        after all endpoints connected, before measuring (default 1)
  --connect-timeout SECONDS  measure anyway after this long (default 20)
  --bind ADDRESS          local address of the endpoints' UDP sockets (default 127.0.0.1)
  --dtx                   silent participants send one packet every 400 ms
  --sample K              1 in K endpoints decrypts and parses all media (latency, layers);
                          default: every endpoint up to 20 endpoints, then about 20 of them
  --json FILE             also write the results as JSON
  --bridge-pid PID        report the server's CPU time during the measurement (from /proc)
  --verbose               log the transports' state changes
)";
}

Result<Options, std::string> parse_options(std::span<const std::string_view> args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    auto value = [&]() -> Result<std::string_view, std::string> {
      if (i + 1 >= args.size()) return unexpected(std::string(arg) + " needs a value");
      return args[++i];
    };
    auto integer = [&](int& out, int min) -> std::optional<std::string> {
      auto v = value();
      if (!v) return v.error();
      auto n = parse_number<int>(*v);
      if (!n || *n < min)
        return std::string(arg) + ": not an integer >= " + std::to_string(min) + ": " + std::string(*v);
      out = *n;
      return std::nullopt;
    };
    auto seconds = [&](double& out, double min) -> std::optional<std::string> {
      auto v = value();
      if (!v) return v.error();
      auto n = parse_number<double>(*v);
      if (!n || !std::isfinite(*n) || *n < min)
        return std::string(arg) + ": not a number of seconds >= " + std::to_string(min) + ": " +
               std::string(*v);
      out = *n;
      return std::nullopt;
    };
    auto text = [&](std::string& out) -> std::optional<std::string> {
      auto v = value();
      if (!v) return v.error();
      if (v->empty()) return std::string(arg) + " needs a non-empty value";
      out = std::string(*v);
      return std::nullopt;
    };
    std::optional<std::string> error;
    if (arg == "--bridge") {
      error = text(o.bridge_url);
    } else if (arg == "--janus") {
      error = text(o.janus_url);
    } else if (arg == "--srtp-profiles") {
      std::string list;
      error = text(list);
      o.srtp_profiles.clear();
      for (std::size_t start = 0; !error && start <= list.size();) {
        std::size_t comma = std::min(list.find(',', start), list.size());
        std::string name = list.substr(start, comma - start);
        auto profile = srtp::profile_from_name(name);
        if (!profile)
          error = "--srtp-profiles: unknown profile " + name;
        else
          o.srtp_profiles.push_back(*profile);
        start = comma + 1;
      }
    } else if (arg == "--conferences") {
      error = integer(o.conferences, 1);
    } else if (arg == "--participants") {
      error = integer(o.participants, 1);
    } else if (arg == "--senders") {
      error = integer(o.senders, 0);
    } else if (arg == "--speakers") {
      error = integer(o.speakers, 0);
    } else if (arg == "--last-n") {
      error = integer(o.last_n, -1);
    } else if (arg == "--max-height") {
      error = integer(o.max_height, -1);
    } else if (arg == "--on-stage") {
      o.on_stage = true;
    } else if (arg == "--duration") {
      error = seconds(o.duration_s, 0.1);
    } else if (arg == "--warmup") {
      error = seconds(o.warmup_s, 0);
    } else if (arg == "--connect-timeout") {
      error = seconds(o.connect_timeout_s, 1);
    } else if (arg == "--bind") {
      error = text(o.bind);
    } else if (arg == "--dtx") {
      o.dtx = true;
    } else if (arg == "--sample") {
      error = integer(o.sample, 1);
    } else if (arg == "--json") {
      error = text(o.json_path);
    } else if (arg == "--bridge-pid") {
      error = integer(o.bridge_pid, 1);
    } else if (arg == "--verbose") {
      o.verbose = true;
    } else if (arg == "--help" || arg == "-h") {
      o.help = true;
    } else {
      error = "unknown argument " + std::string(arg);
    }
    if (error) return unexpected(*error);
  }
  if (o.senders > o.participants)
    return unexpected("--senders " + std::to_string(o.senders) + " is more than --participants " +
                      std::to_string(o.participants));
  if (o.speakers > o.participants)
    return unexpected("--speakers " + std::to_string(o.speakers) + " is more than --participants " +
                      std::to_string(o.participants));
  if (o.bridge_url.rfind("http://", 0) != 0 && o.bridge_url.rfind("https://", 0) != 0)
    return unexpected("--bridge must be an http:// or https:// URL: " + o.bridge_url);
  if (!o.janus_url.empty() && o.janus_url.rfind("http://", 0) != 0 && o.janus_url.rfind("https://", 0) != 0)
    return unexpected("--janus must be an http:// or https:// URL: " + o.janus_url);
  return o;
}

}  // namespace jvb::loadgen
