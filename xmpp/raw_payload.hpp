// A gloox stanza extension that keeps the matched child element as it arrived, so the parsers
// see every attribute and unknown child (gloox rebuilds stanzas from their typed extensions and
// would drop the rest); on an outgoing stanza it carries a hand-built element. Used by the
// bridge's plugins and by the focus.
#pragma once

#include <memory>
#include <string>

#include <gloox/gloox.h>
#include <gloox/stanzaextension.h>
#include <gloox/tag.h>

namespace jvb::xmpp {

// gloox extension type ids of this module (gloox reserves ids below ExtUser).
inline constexpr int kExtColibri2Request = gloox::ExtUser + 101;
inline constexpr int kExtHealthCheck = gloox::ExtUser + 102;
inline constexpr int kExtVersionRequest = gloox::ExtUser + 103;
inline constexpr int kExtMucUser = gloox::ExtUser + 104;
inline constexpr int kExtColibriStats = gloox::ExtUser + 105;
inline constexpr int kExtOtherRequest = gloox::ExtUser + 106;

class RawPayload : public gloox::StanzaExtension {
 public:
  // `filter` is gloox's XPath subset, e.g. "/iq/healthcheck[@xmlns='...']".
  RawPayload(int type, std::string filter, const gloox::Tag* matched = nullptr)
      : RawPayload(type, std::move(filter),
                   std::unique_ptr<gloox::Tag>(matched ? matched->clone() : nullptr)) {}
  // Takes `element` for an outgoing stanza.
  RawPayload(int type, std::string filter, std::unique_ptr<gloox::Tag> element)
      : StanzaExtension(type), filter_(std::move(filter)), tag_(std::move(element)) {
    m_valid = true;
  }

  // The element as received (null in the registered prototype).
  const gloox::Tag* payload() const { return tag_.get(); }

  const std::string& filterString() const override { return filter_; }
  StanzaExtension* newInstance(const gloox::Tag* tag) const override {
    return new RawPayload(extensionType(), filter_, tag);
  }
  gloox::Tag* tag() const override { return tag_ ? tag_->clone() : nullptr; }
  StanzaExtension* clone() const override { return new RawPayload(extensionType(), filter_, tag_.get()); }

 private:
  std::string filter_;
  std::unique_ptr<gloox::Tag> tag_;
};

}  // namespace jvb::xmpp
