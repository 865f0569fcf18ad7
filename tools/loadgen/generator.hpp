// The load generator's thin shell (see ARCHITECTURE.md): everything on the one GLib main loop. It
// allocates each endpoint on the bridge as Jicofo does (tools/focus's REST ColibriClient:
// endpoint create with medias, ice-controlling transport and the source-names capability, then
// an update with the client's transport and sources), owns one UDP socket per synthetic
// endpoint, opens each endpoint's colibri-ws channel, drives the endpoints' timers from one
// loop timer, and runs the phases: allocate and connect -> warm up -> measure -> expire.
//
// The sockets, the timers, the phases and the measurement are generator_base.hpp's, shared with
// janus_generator.hpp.
//
// Control thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tools/focus/colibri_client.hpp"
#include "tools/loadgen/bridge_channel_client.hpp"
#include "tools/loadgen/generator_base.hpp"

namespace jvb::loadgen {

class Generator : public GeneratorBase {
 public:
  Generator(Options options, Plan plan, GMainLoop* loop);
  ~Generator() override;

  std::optional<std::string> prepare() override;

 private:
  // Per endpoint, beside its peer (same index): the allocation and the bridge channel.
  struct Slot {
    std::unique_ptr<BridgeChannelClient> channel;
    bool channel_open = false;
    bool channel_done = false;  // open, failed, or none offered
    std::string error;
  };

  void begin() override;
  bool all_settled() const override;
  std::optional<std::string> nothing_to_measure() const override;
  Report report_on(RunInfo& run) override;
  std::size_t send_expiry() override;

  void create_endpoint(std::size_t index);
  void on_created(std::size_t index, const focus::ColibriResult& reply);
  void fail_slot(std::size_t index, std::string error);

  EndpointConfig endpoint_config_;
  std::unique_ptr<focus::ColibriClient> colibri_;
  struct _SoupSession* ws_session_ = nullptr;
  std::vector<Slot> slots_;
};

}  // namespace jvb::loadgen
