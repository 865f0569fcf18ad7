// See bridge_channel_client.hpp.
#include "tools/loadgen/bridge_channel_client.hpp"

#include <libsoup/soup.h>

#include <nlohmann/json.hpp>

namespace jvb::loadgen {

struct BridgeChannelClient::Impl {
  SoupMessage* message = nullptr;
  SoupWebsocketConnection* connection = nullptr;
  GCancellable* cancellable = nullptr;
  bool closed = false;
};

BridgeChannelClient::BridgeChannelClient(SoupSession* session, std::string url, std::function<void()> on_open,
                                         std::function<void(const std::string&)> on_closed)
    : impl_(std::make_unique<Impl>()), on_open_(std::move(on_open)), on_closed_(std::move(on_closed)) {
  impl_->cancellable = g_cancellable_new();
  impl_->message = soup_message_new("GET", url.c_str());
  if (!impl_->message) {
    impl_->closed = true;
    // Reported through the loop, like every other outcome, unless the client is gone by then.
    struct Later {
      std::weak_ptr<bool> alive;
      BridgeChannelClient* client;
    };
    g_idle_add_full(
        G_PRIORITY_DEFAULT,
        [](gpointer data) -> gboolean {
          std::unique_ptr<Later> later(static_cast<Later*>(data));
          if (!later->alive.expired() && later->client->on_closed_)
            later->client->on_closed_("invalid colibri-ws URL");
          return G_SOURCE_REMOVE;
        },
        new Later{alive_, this}, nullptr);
    return;
  }
  soup_session_websocket_connect_async(
      session, impl_->message, nullptr, nullptr, G_PRIORITY_DEFAULT, impl_->cancellable,
      reinterpret_cast<GAsyncReadyCallback>(&BridgeChannelClient::on_connected), this);
}

BridgeChannelClient::~BridgeChannelClient() {
  // A connect still in flight completes with G_IO_ERROR_CANCELLED; on_connected then touches
  // nothing of ours.
  g_cancellable_cancel(impl_->cancellable);
  if (impl_->connection) {
    g_signal_handlers_disconnect_by_data(impl_->connection, this);
    if (soup_websocket_connection_get_state(impl_->connection) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close(impl_->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
    g_object_unref(impl_->connection);
  }
  if (impl_->message) g_object_unref(impl_->message);
  g_object_unref(impl_->cancellable);
}

bool BridgeChannelClient::open() const {
  return impl_->connection && !impl_->closed &&
         soup_websocket_connection_get_state(impl_->connection) == SOUP_WEBSOCKET_STATE_OPEN;
}

void BridgeChannelClient::send(std::string text) {
  if (open()) {
    soup_websocket_connection_send_text(impl_->connection, text.c_str());
  } else if (!impl_->closed) {
    pending_.push_back(std::move(text));
  }
}

void BridgeChannelClient::on_connected(void* source, void* result, void* data) {
  GError* error = nullptr;
  SoupWebsocketConnection* connection =
      soup_session_websocket_connect_finish(SOUP_SESSION(source), static_cast<GAsyncResult*>(result), &error);
  if (error && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_error_free(error);
    return;  // the client is gone
  }
  auto* self = static_cast<BridgeChannelClient*>(data);
  if (!connection) {
    std::string why = error ? error->message : "unknown error";
    guint status = soup_message_get_status(self->impl_->message);
    if (status) why += " (HTTP " + std::to_string(status) + ")";
    if (error) g_error_free(error);
    self->impl_->closed = true;
    if (self->on_closed_) self->on_closed_("colibri-ws connect failed: " + why);
    return;
  }
  if (error) g_error_free(error);
  self->impl_->connection = connection;
  g_signal_connect(connection, "message", G_CALLBACK(&BridgeChannelClient::on_message), self);
  g_signal_connect(connection, "closed", G_CALLBACK(&BridgeChannelClient::on_close), self);
  if (self->on_open_) self->on_open_();
  for (auto& text : self->pending_) soup_websocket_connection_send_text(connection, text.c_str());
  self->pending_.clear();
}

void BridgeChannelClient::on_message(void*, int type, void* bytes, void* data) {
  auto* self = static_cast<BridgeChannelClient*>(data);
  if (type != SOUP_WEBSOCKET_DATA_TEXT) return;
  gsize size = 0;
  const auto* text = static_cast<const char*>(g_bytes_get_data(static_cast<GBytes*>(bytes), &size));
  auto message = nlohmann::json::parse(text, text + size, nullptr, false);
  std::string name = "?";
  if (message.is_object()) {
    auto it = message.find("colibriClass");
    if (it != message.end() && it->is_string()) name = it->get<std::string>();
  }
  ++self->received_[name];
}

void BridgeChannelClient::on_close(void* connection, void* data) {
  auto* self = static_cast<BridgeChannelClient*>(data);
  self->impl_->closed = true;
  auto* c = static_cast<SoupWebsocketConnection*>(connection);
  std::string why = "colibri-ws closed: " + std::to_string(soup_websocket_connection_get_close_code(c));
  if (const char* reason = soup_websocket_connection_get_close_data(c)) why += std::string(" ") + reason;
  if (self->on_closed_) self->on_closed_(why);
}

}  // namespace jvb::loadgen
