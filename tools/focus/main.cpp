// `focus`: the Jicofo stand-in for the demo (`make run`) and the browser tests. Serves the call
// page and its WebSocket signaling, and allocates endpoints on the bridge over Colibri2 REST.
//
//   focus --bridge http://127.0.0.1:PORT/ [--listen 127.0.0.1:0] [--page-dir DIR] [--verbose]
//
// Prints exactly one line "Focus listening on http://HOST:PORT/" once it accepts connections
// (scripts and tests wait for it). SIGINT/SIGTERM expire the conferences on the bridge and exit 0;
// a second signal exits at once.
#include <glib-unix.h>
#include <glib.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>

#include "bridge/core/log.hpp"
#include "tools/focus/focus_server.hpp"

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
  std::fprintf(
      stderr,
      "usage: focus --bridge http://127.0.0.1:PORT/ [--listen HOST:PORT] [--page-dir DIR] [--verbose]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  jvb::focus::FocusOptions options;
  options.page_dir = JVB_FOCUS_PAGE_DIR;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--verbose") {
      jvb::log::set_level(jvb::log::Level::kFine);  // every Colibri2 request and answer
      continue;
    }
    if (i + 1 >= argc) return usage();
    std::string value = argv[++i];
    if (arg == "--bridge") {
      options.bridge_url = value;
    } else if (arg == "--listen") {
      auto colon = value.rfind(':');
      if (colon == std::string::npos) return usage();
      options.listen_host = value.substr(0, colon);
      try {
        options.listen_port = std::stoi(value.substr(colon + 1));
      } catch (const std::exception&) {
        return usage();
      }
      if (options.listen_port < 0 || options.listen_port > 65535) return usage();
    } else if (arg == "--page-dir") {
      options.page_dir = value;
    } else {
      return usage();
    }
  }
  if (options.bridge_url.empty()) return usage();

  auto server = jvb::focus::FocusServer::start(options);
  if (!server) {
    std::fprintf(stderr, "focus: %s\n", server.error().c_str());
    return 1;
  }
  GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
  Stop stop{loop, server->get()};
  guint sigint = g_unix_signal_add(SIGINT, on_signal, &stop);
  guint sigterm = g_unix_signal_add(SIGTERM, on_signal, &stop);
  std::printf("Focus listening on %s\n", (*server)->url().c_str());
  std::fflush(stdout);
  kLog.info("Bridge at {}, page from {}", options.bridge_url, options.page_dir);
  g_main_loop_run(loop);
  g_source_remove(sigint);
  g_source_remove(sigterm);
  server->reset();
  g_main_loop_unref(loop);
  kLog.info("Stopped");
  return 0;
}
