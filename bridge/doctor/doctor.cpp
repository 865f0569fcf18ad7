// See doctor.hpp. The order of the checks follows what depends on what: the media port tells
// whether a bridge runs here, which the HTTP and brewery checks need to judge what they see.
#include "bridge/doctor/doctor.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bridge/core/log.hpp"
#include "bridge/core/version.hpp"
#include "bridge/doctor/address_checks.hpp"
#include "bridge/doctor/finding.hpp"
#include "bridge/doctor/port_checks.hpp"
#include "bridge/doctor/probes.hpp"
#include "bridge/doctor/system_checks.hpp"
#include "bridge/doctor/xmpp_checks.hpp"
#include "bridge/doctor/xmpp_probe.hpp"
#include "config/bridge_config.hpp"
#include "ice/host_addresses.hpp"

namespace jvb::doctor {
namespace {

constexpr milliseconds kStunTimeout{1'500};
constexpr milliseconds kRoundTripTimeout{2'000};
constexpr milliseconds kHttpTimeout{3'000};

// The log lines of the modules the doctor drives (the XMPP session), kept rather than printed:
// the report is the output, and a probe picks the lines that explain a failure.
class LogCapture {
 public:
  LogCapture() {
    log::set_level(log::Level::kInfo);
    log::set_sink([this](std::string_view line) {
      std::lock_guard<std::mutex> lock(mutex_);
      lines_.emplace_back(line);
    });
  }
  ~LogCapture() {
    log::set_sink([](std::string_view line) { std::fwrite(line.data(), 1, line.size(), stderr); });
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // Read only between probes, from the thread that logs.
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

std::vector<std::string> describe_sources(const config::LaunchOptions& launch) {
  std::vector<std::string> out;
  std::error_code ec;
  if (const auto& f = launch.sources.application_file) out.push_back(f->string());
  if (const auto& f = launch.sources.legacy_properties_file; f && std::filesystem::exists(*f, ec)) {
    out.push_back(f->string());
  }
  if (!launch.sources.system_properties.empty()) {
    out.push_back(std::to_string(launch.sources.system_properties.size()) + " -D properties");
  }
  return out;
}

HttpServerProbe probe_http_server(const std::string& name, const config::HttpServerConfig& server,
                                  const std::string& path) {
  HttpServerProbe probe;
  probe.name = name;
  probe.host = server.host.value_or("");
  probe.port = server.port;
  probe.bind = probe_tcp_listen(probe.host, probe.port);
  if (probe.bind.outcome == BindOutcome::kInUse)
    probe.answer = http_get(probe.host, probe.port, path, kHttpTimeout);
  return probe;
}

}  // namespace

int run(const config::LaunchOptions& launch, std::FILE* out) {
  LogCapture capture;
  std::vector<Finding> findings;
  auto emit = [&](std::vector<Finding> produced) {
    for (auto& f : produced) {
      std::fputs(format_finding(f).c_str(), out);
      std::fflush(out);
      findings.push_back(std::move(f));
    }
  };
  std::fprintf(out, "videobridge doctor %s\n", std::string(bridge_version()).c_str());

  auto loaded = config::load_bridge_config(launch.sources, hocon::process_environment());
  if (!loaded) {
    emit({fail("configuration", loaded.error().to_string(),
               {"correct the file at the place named; the bridge does not start with this error (exit status "
                "78)"})});
    std::fprintf(out, "%s\n", format_summary(findings).c_str());
    return exit_status(findings);
  }
  const config::BridgeConfig& config = loaded->config;
  emit(check_configuration(describe_sources(launch), launch.notes, loaded->warnings));

  // What is advertised, against the interfaces and the NAT.
  const auto hosts = ice::enumerate_host_addresses();
  std::vector<StunAnswer> stun;
  if (!config.harvest.stun_addresses.empty()) {
    stun = probe_stun(config.harvest.stun_addresses, stun_query_addresses(hosts, config), kStunTimeout);
  }
  emit(check_addresses(hosts, config, stun));

  // The media port, and the private server that tells whether a bridge holding it is healthy.
  auto candidates = ice::local_candidates(hosts, candidate_options(config));
  MediaPortProbe media = probe_media_port(config.ice.udp_port, candidates, hosts, kRoundTripTimeout);
  std::optional<HttpServerProbe> private_server;
  if (config.http.private_server.port != -1) {
    private_server = probe_http_server("private", config.http.private_server, "/about/health");
  }
  if (media.bind.outcome == BindOutcome::kInUse) {
    if (private_server && private_server->answer) {
      media.health = private_server->answer;
    } else {
      media.health = HttpAnswer{
          0,
          {},
          private_server ? "the private HTTP server is not listening" : "the private HTTP server is off"};
    }
  }
  emit(check_media_port(media));
  const BridgeState bridge = bridge_state(media);

  HttpServerProbe off;
  off.name = "private";
  emit(check_http_server(private_server ? *private_server : off, config.http.private_server, true, bridge));
  const bool public_started = config.http.public_server.port != -1 && config.websockets.enabled;
  off.name = "public";
  emit(check_http_server(public_started ? probe_http_server("public", config.http.public_server, "/") : off,
                         config.http.public_server, public_started, bridge));

  // Signaling.
  emit(check_signaling_configured(config));
  for (const auto& account : config.apis.xmpp_accounts) {
    emit(check_xmpp_account(account, probe_xmpp(account, XmppProbeOptions{}, capture.lines()), bridge));
  }

  // The machine.
  emit(check_udp_buffers(config, read_sysctl("net.core.rmem_max"),
                         read_sysctl("net.core.netdev_max_backlog")));
  emit(check_clock(probe_clock()));

  std::fprintf(out, "%s\n", format_summary(findings).c_str());
  return exit_status(findings);
}

}  // namespace jvb::doctor
