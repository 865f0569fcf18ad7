// The doctor's visit to Prosody with one of the bridge's XMPP accounts: a TCP connect, then the
// login exactly as the bridge logs in (xmpp::XmppSession: the same TLS policy from SECURITY_MODE,
// the certificate checked against DOMAIN unless DISABLE_CERTIFICATE_VERIFICATION), then each
// brewery room of MUC_JIDS joined under MUC_NICKNAME + "-doctor" (XEP-0045 §7.2: the occupants'
// presences arrive before the joiner's own, so the roster is complete when the doctor sees
// itself), and left again. The doctor's presence carries no <stats>, so Jicofo, which takes only
// occupants with stats for bridges, ignores it.
//
// The only file of the doctor that sees gloox (xmpp_probe.cpp); it uses the xmpp module's session
// and stanza extensions, and would move into xmpp/ unchanged.
//
// Runs the thread-default GLib main context until it is done: call it from the thread that owns
// that context, with nothing else depending on the loop's timing meanwhile.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "bridge/doctor/probe_results.hpp"
#include "config/bridge_config.hpp"

namespace jvb::doctor {

struct XmppProbeOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds login_timeout{10'000};
  std::chrono::milliseconds join_timeout{5'000};
  std::string nickname_suffix = "-doctor";
};

// `log` is where the process's log sink collects lines meanwhile (doctor.cpp installs it): the
// XMPP stack's own warnings (a refused certificate, with its reasons) end up in the result.
XmppProbe probe_xmpp(const config::XmppAccount& account, const XmppProbeOptions& options,
                     const std::vector<std::string>& log);

}  // namespace jvb::doctor
