// loadgen: N synthetic Jitsi participants in one process driving a real bridge end to end over
// UDP (ICE, DTLS-SRTP, RTP/RTCP) and colibri-ws, allocated through the bridge's REST Colibri2
// API as Jicofo would, or (with --janus) Janus's VideoRoom through its HTTP API, for comparison
// (janus_generator.hpp). Prints the totals (and writes them as JSON with --json); exits 0 when
// every endpoint connected and media flowed both ways, 1 otherwise, 2 on a bad command line.
// See options.cpp for the command line and generator.hpp for how the run is driven.
#include <glib-unix.h>
#include <glib.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string_view>
#include <vector>

#include "bridge/core/log.hpp"
#include "tools/loadgen/generator.hpp"
#include "tools/loadgen/janus_generator.hpp"
#include "tools/loadgen/options.hpp"
#include "tools/loadgen/report.hpp"
#include "tools/loadgen/scenario.hpp"

namespace {

// Runs one generator (ours or Janus's) to the end and prints its report; the exit status.
int run(jvb::loadgen::GeneratorBase& generator, const jvb::loadgen::Options& options, GMainLoop* loop) {
  using namespace jvb::loadgen;
  if (auto error = generator.prepare()) {
    say(*error);
    return 1;
  }
  guint sigint = g_unix_signal_add(
      SIGINT,
      [](gpointer data) -> gboolean {
        static_cast<GeneratorBase*>(data)->interrupt();
        return G_SOURCE_CONTINUE;
      },
      &generator);
  generator.start();
  g_main_loop_run(loop);
  g_source_remove(sigint);

  const Report& report = generator.report();
  std::fputs(format_text(report, options).c_str(), stdout);
  nlohmann::json details = generator.details();
  std::printf("server:     %s, %s PeerConnections, SRTP profiles %s\n",
              details["server"].get<std::string>().c_str(), details["peer_connections"].dump().c_str(),
              details["srtp_profiles"].dump().c_str());
  std::fflush(stdout);
  if (!options.json_path.empty()) {
    std::ofstream out(options.json_path);
    nlohmann::json json = to_json(report, options);
    json["server"] = details;
    out << json.dump(2) << "\n";
    if (!out) std::fprintf(stderr, "loadgen: cannot write %s\n", options.json_path.c_str());
  }
  return report.ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace jvb::loadgen;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  auto options = parse_options(args);
  if (!options) {
    std::fprintf(stderr, "loadgen: %s\n\n%s", options.error().c_str(), usage().c_str());
    return 2;
  }
  if (options->help) {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  // Results go to standard output; logs and progress to standard error.
  jvb::log::set_sink([](std::string_view line) { std::fwrite(line.data(), 1, line.size(), stderr); });
  jvb::log::set_level(options->verbose ? jvb::log::Level::kInfo : jvb::log::Level::kWarning);
  std::signal(SIGPIPE, SIG_IGN);

  Plan plan = make_plan(*options, g_random_int());
  GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
  std::unique_ptr<GeneratorBase> generator;
  if (options->janus_url.empty())
    generator = std::make_unique<Generator>(*options, std::move(plan), loop);
  else
    generator = std::make_unique<JanusGenerator>(*options, std::move(plan), loop);
  int status = run(*generator, *options, loop);
  generator.reset();
  g_main_loop_unref(loop);
  return status;
}
