// libFuzzer target: what `videobridge doctor` reads from the network and the kernel. A STUN
// Binding message (any STUN server, or anyone, may answer the doctor's probes), an HTTP
// response (whatever holds the HTTP port), /proc/net text and a "host:port" from the
// configuration. Beyond memory safety: a success response the parser accepts with a mapped
// address writes back and parses to the same message; a port it returns is a port.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "bridge/doctor/probes.hpp"
#include "bridge/doctor/stun_binding.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace jvb::doctor;
  std::span<const std::uint8_t> bytes(data, size);
  if (auto binding = parse_binding(bytes)) {
    if (binding->kind == StunBindingKind::kSuccess && binding->mapped) {
      std::array<std::uint8_t, kStunMaxBindingSize> out{};
      std::size_t n = write_binding_success(binding->id, *binding->mapped, out);
      if (n == 0) std::abort();
      auto again = parse_binding(std::span<const std::uint8_t>(out.data(), n));
      if (!again || again->kind != StunBindingKind::kSuccess || again->id != binding->id ||
          again->mapped != binding->mapped)
        std::abort();
    }
  }
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto answer = parse_http_response(text)) {
    if (answer->body.size() > size) std::abort();
  }
  (void)socket_inodes(text, 10000, false);
  (void)socket_inodes(text, 8080, true);
  if (auto host_port = split_host_port(text, 3478)) {
    if (host_port->second < 0 || host_port->second > 65535) std::abort();
  }
  return 0;
}
