// The load generator's command line: what scenario to run against which bridge. Parsing is
// pure (strings in, Options or a message naming the bad argument out), so it is unit-tested.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/srtp/srtp_profile.hpp"

namespace jvb::loadgen {

struct Options {
  std::string bridge_url = "http://127.0.0.1:8080/";  // the bridge's private HTTP server
  // When set, the run drives Janus's VideoRoom through this HTTP API URL instead of the bridge
  // (janus_generator.hpp), e.g. http://127.0.0.1:8088/janus.
  std::string janus_url;
  // The endpoints' DTLS use_srtp list, in order; empty = the transport's default (GCM, then CM).
  std::vector<srtp::SrtpProfile> srtp_profiles;
  int conferences = 1;
  int participants = 3;   // per conference
  int senders = -1;       // video senders per conference, the first ones; -1 = every participant
  int speakers = 1;       // loud audio per conference, the first ones; the rest send silence
  int last_n = -1;        // ReceiverVideoConstraints lastN; -1 = unlimited
  int max_height = 180;   // defaultConstraints.maxHeight
  bool on_stage = false;  // each receiver puts its conference's first other sender on stage at 720p
  double duration_s = 10;
  double warmup_s = 1;            // after every endpoint connected, before measuring
  double connect_timeout_s = 20;  // measuring starts then even if some endpoints never connected
  std::string bind = "127.0.0.1";
  bool dtx = false;  // silent participants send a packet only every 400 ms
  int sample = 0;    // 1 in K endpoints decrypts and parses every packet; 0 = automatic
  std::string json_path;
  int bridge_pid = 0;  // when set, the server's CPU during the measurement is read from /proc
  bool verbose = false;
  bool help = false;

  int video_senders() const { return senders < 0 ? participants : senders; }
  int total_endpoints() const { return conferences * participants; }
};

Result<Options, std::string> parse_options(std::span<const std::string_view> args);
std::string usage();

}  // namespace jvb::loadgen
