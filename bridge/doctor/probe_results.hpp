// What the doctor's probes saw, as plain values. The probes (probes.hpp, xmpp_probe.hpp) fill
// these from sockets, /proc and Prosody; the checks (*_checks.hpp) read only these and the
// configuration, so unit tests build every situation by hand.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace jvb::doctor {

// The process behind a socket, found through /proc (needs root for other users' processes).
struct PortOwner {
  int pid = 0;
  std::string name;  // /proc/PID/comm, e.g. "videobridge", "java"
};

enum class BindOutcome {
  kFree,                 // bound and released: nobody holds the port
  kInUse,                // EADDRINUSE
  kDenied,               // EACCES: a port below 1024 without CAP_NET_BIND_SERVICE
  kAddressNotAvailable,  // EADDRNOTAVAIL: the host to bind is not an address of this machine
  kError,
};

struct BindProbe {
  BindOutcome outcome = BindOutcome::kFree;
  std::string error;               // strerror for anything but kFree
  std::optional<PortOwner> owner;  // for kInUse, when /proc tells
};

// An HTTP answer (status 0: no answer, `error` says why).
struct HttpAnswer {
  int status = 0;
  std::string body;
  std::string error;
};

// One STUN Binding round trip from a socket of the doctor, through an advertised address, to
// the media port the doctor holds, and back.
struct RoundTrip {
  std::string target;            // "203.0.113.10:10000"
  std::string candidate_type;    // "host", "srflx"
  bool target_is_local = false;  // the target's address is on an interface of this machine
  bool request_arrived = false;  // the media port received the request
  bool answered = false;         // its answer came back
  std::string error;             // a send error, e.g. "Network is unreachable"
};

struct MediaPortProbe {
  int port = 10000;
  BindProbe bind;                      // the IPv4 wildcard address, as the bridge binds it
  std::vector<RoundTrip> round_trips;  // only when the doctor could bind the port
  std::optional<HttpAnswer> health;    // the private server's /about/health, when the port is taken
};

// A configured STUN server asked, from one local address, what that address looks like from
// outside.
struct StunAnswer {
  std::string server;         // as configured, "host:port"
  std::string local_address;  // the address the request left from
  std::optional<std::string> mapped_address;
  std::string error;  // no answer, or a name that does not resolve
};

struct HttpServerProbe {
  std::string name;  // "private", "public"
  std::string host;  // as bound ("" for every address)
  int port = -1;
  BindProbe bind;
  std::optional<HttpAnswer> answer;  // GET /about/health (private) or / (public) when the port is taken
};

enum class TcpOutcome { kConnected, kRefused, kTimeout, kUnresolved, kUnreachable, kError };

struct TcpProbe {
  TcpOutcome outcome = TcpOutcome::kConnected;
  std::string error;
};

enum class LoginOutcome {
  kNotTried,    // the TCP connect failed first
  kOnline,      // authenticated and bound
  kAuthFailed,  // SASL failure
  kTlsFailed,   // the certificate was refused, or the handshake failed
  kTlsNotOffered,
  kNoMechanism,  // no SASL mechanism in common
  kStreamError,  // e.g. host-unknown: DOMAIN is not served there
  kTimeout,
  kClosed,  // the connection ended otherwise
};

struct XmppLogin {
  LoginOutcome outcome = LoginOutcome::kNotTried;
  std::string detail;            // the connection error, the SASL condition
  std::vector<std::string> log;  // what the XMPP stack logged at warning or above meanwhile
};

// The doctor's visit to one brewery room under its own nickname.
struct BreweryVisit {
  std::string room;
  std::string doctor_nickname;
  bool joined = false;
  bool created = false;  // MUC status 201: the room did not exist before the doctor joined
  std::string error;     // the join's error condition ("forbidden"), or why there was no answer
  std::string error_text;
  bool bridge_present = false;                      // an occupant with the bridge's MUC_NICKNAME
  std::map<std::string, std::string> bridge_stats;  // that occupant's <stats>, name -> value
  int other_occupants = 0;
};

struct XmppProbe {
  TcpProbe tcp;
  XmppLogin login;
  std::vector<BreweryVisit> rooms;
};

// adjtimex(2) read-only.
struct ClockProbe {
  bool available = false;       // the call worked
  int state = 0;                // its return: TIME_OK, ..., TIME_ERROR (5)
  bool unsynchronized = false;  // STA_UNSYNC
  std::int64_t max_error_us = 0;
  std::int64_t est_error_us = 0;
};

// Whether a bridge is running on this machine, as far as the media port tells.
enum class BridgeState { kNotRunning, kRunning, kUnknown };

}  // namespace jvb::doctor
