// `focus`: the Jicofo stand-in for the demo (`make run`) and the browser tests. Serves the call
// page and its WebSocket signaling, and allocates endpoints on the bridge with Colibri2, either
// over the bridge's private REST API or over XMPP through the brewery MUC as Jicofo does.
//
//   REST:  focus --bridge http://127.0.0.1:PORT/ [common options]
//   XMPP:  focus --xmpp HOST:PORT --domain auth.meet.test [--user focus] --password PASS
//                --brewery jvbbrewery@internal.auth.meet.test [--disable-certificate-verification]
//                [--bridge-http http://127.0.0.1:PORT/] [common options]
//   common: [--listen 127.0.0.1:0] [--page-dir DIR] [--no-sctp] [--verbose]
//
// In XMPP mode --bridge-http only feeds the pages' bitrate panel (GET /debug); without it the
// panel says stats are unavailable. --no-sctp leaves SCTP out of the endpoint creates: no data
// line in the offers, so the pages get no bridge channel (and, from a JVB, no video).
// Prints exactly one line "Focus listening on http://HOST:PORT/" once it accepts connections
// (scripts and tests wait for it), and logs "Bridge <occupant> joined the brewery (stress S)"
// for every bridge it discovers.
// SIGINT/SIGTERM expire the conferences on the bridge and exit 0; a second signal exits at once.
#include <glib-unix.h>
#include <glib.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "bridge/core/log.hpp"
#include "tools/focus/focus_server.hpp"
#include "tools/focus/rest_colibri_client.hpp"
#include "tools/focus/xmpp_colibri_client.hpp"

#ifndef JVB_FOCUS_PAGE_DIR
#define JVB_FOCUS_PAGE_DIR "tools/focus/page"
#endif

namespace {

const jvb::log::Logger kLog{"Focus"};
constexpr guint kShutdownLimitS = 5;

struct Stop {
  GMainLoop* loop = nullptr;
  jvb::focus::FocusServer* server = nullptr;
  bool stopping = false;
};

gboolean on_signal(gpointer data) {
  auto* stop = static_cast<Stop*>(data);
  if (stop->stopping) {
    g_main_loop_quit(stop->loop);
    return G_SOURCE_CONTINUE;
  }
  stop->stopping = true;
  kLog.info("Stopping: expiring conferences on the bridge");
  stop->server->shutdown([stop] { g_main_loop_quit(stop->loop); });
  // The bridge client's own timeout bounds this too; this is the backstop.
  g_timeout_add_seconds(
      kShutdownLimitS,
      [](gpointer d) -> gboolean {
        g_main_loop_quit(static_cast<Stop*>(d)->loop);
        return G_SOURCE_REMOVE;
      },
      stop);
  return G_SOURCE_CONTINUE;
}

int usage() {
  std::fprintf(stderr,
               "usage: focus --bridge http://127.0.0.1:PORT/ [COMMON]\n"
               "       focus --xmpp HOST:PORT --domain DOMAIN [--user focus] --password PASS\n"
               "             --brewery ROOM@MUC.DOMAIN [--disable-certificate-verification]\n"
               "             [--bridge-http http://127.0.0.1:PORT/] [COMMON]\n"
               "COMMON: [--listen HOST:PORT] [--page-dir DIR] [--no-sctp] [--verbose]\n");
  return 2;
}

// "host:port" with a port in 0..65535; the host is everything before the last colon.
std::optional<std::pair<std::string, int>> parse_host_port(const std::string& value) {
  auto colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  int port = -1;
  try {
    std::size_t used = 0;
    port = std::stoi(value.substr(colon + 1), &used);
    if (used != value.size() - colon - 1) return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (port < 0 || port > 65535) return std::nullopt;
  return std::make_pair(value.substr(0, colon), port);
}

}  // namespace

int main(int argc, char** argv) {
  jvb::focus::FocusOptions options;
  options.page_dir = JVB_FOCUS_PAGE_DIR;
  std::string rest_url, xmpp_target;
  jvb::focus::XmppColibriOptions xmpp;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--verbose") {
      jvb::log::set_level(jvb::log::Level::kFine);  // every Colibri2 request and answer
      continue;
    }
    if (arg == "--no-sctp") {
      options.sctp = false;
      continue;
    }
    if (arg == "--disable-certificate-verification") {
      xmpp.disable_certificate_verification = true;
      continue;
    }
    if (i + 1 >= argc) return usage();
    std::string value = argv[++i];
    if (arg == "--bridge") {
      rest_url = value;
    } else if (arg == "--bridge-http") {
      options.stats_url = value;
    } else if (arg == "--xmpp") {
      auto target = parse_host_port(value);
      if (!target || target->second == 0) return usage();
      xmpp_target = value;
      xmpp.host = target->first;
      xmpp.port = target->second;
    } else if (arg == "--domain") {
      xmpp.domain = value;
    } else if (arg == "--user") {
      xmpp.user = value;
    } else if (arg == "--password") {
      xmpp.password = value;
    } else if (arg == "--brewery") {
      xmpp.brewery = value;
    } else if (arg == "--listen") {
      auto listen = parse_host_port(value);
      if (!listen) return usage();
      options.listen_host = listen->first;
      options.listen_port = listen->second;
    } else if (arg == "--page-dir") {
      options.page_dir = value;
    } else {
      return usage();
    }
  }
  // Exactly one way to reach the bridge.
  if (rest_url.empty() == xmpp_target.empty()) return usage();

  std::unique_ptr<jvb::focus::ColibriClient> colibri;
  jvb::focus::XmppColibriClient* xmpp_client = nullptr;
  if (!rest_url.empty()) {
    if (options.stats_url.empty()) options.stats_url = rest_url;
    colibri = std::make_unique<jvb::focus::RestColibriClient>(rest_url);
  } else {
    if (xmpp.domain.empty() || xmpp.user.empty() || xmpp.brewery.empty() ||
        xmpp.brewery.find('@') == std::string::npos)
      return usage();
    auto client = std::make_unique<jvb::focus::XmppColibriClient>(xmpp);
    xmpp_client = client.get();
    colibri = std::move(client);
  }
  std::string colibri_description = colibri->describe();

  auto server = jvb::focus::FocusServer::start(options, std::move(colibri));
  if (!server) {
    std::fprintf(stderr, "focus: %s\n", server.error().c_str());
    return 1;
  }
  // Connect only once the server exists: the stream's callbacks run from the loop below.
  if (xmpp_client) xmpp_client->start();
  GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
  Stop stop{loop, server->get()};
  guint sigint = g_unix_signal_add(SIGINT, on_signal, &stop);
  guint sigterm = g_unix_signal_add(SIGTERM, on_signal, &stop);
  std::printf("Focus listening on %s\n", (*server)->url().c_str());
  std::fflush(stdout);
  kLog.info("Bridge at {}, page from {}", colibri_description, options.page_dir);
  g_main_loop_run(loop);
  g_source_remove(sigint);
  g_source_remove(sigterm);
  server->reset();
  g_main_loop_unref(loop);
  kLog.info("Stopped");
  return 0;
}
