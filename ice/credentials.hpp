// Local ICE credentials (RFC 8445 §5.3): the username fragment and password that the bridge
// signals for one endpoint, and that the peer signs its checks with.
#pragma once

#include <string>
#include <string_view>

namespace jvb::ice {

struct IceCredentials {
  std::string ufrag, pwd;
};

inline bool operator==(const IceCredentials& a, const IceCredentials& b) {
  return a.ufrag == b.ufrag && a.pwd == b.pwd;
}

// Fresh random credentials from getrandom(2): an 8-character ufrag (RFC 8839 asks for at least
// 4) after `ufrag_prefix` (JVB's ice.ufrag-prefix), and a 24-character password (at least 22,
// i.e. 128 bits of ice-chars). Characters are from the ice-char set ALPHA / DIGIT / "+" / "/".
IceCredentials generate_credentials(std::string_view ufrag_prefix = {});

}  // namespace jvb::ice
