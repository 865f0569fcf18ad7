// STUN Binding messages for ICE over libnice's STUN library (RFC 5389 §6-7, §10, §15; RFC 8445
// §7.2-7.3). See stun_message.hpp for the contract. One libnice gotcha shapes this file:
// stun_usage_ice_conncheck_create_reply() builds a success response even for a request that
// failed validation, so stun_agent_validate() is checked first.
#include "ice/stun_message.hpp"

#include <cstring>
#include <tuple>

extern "C" {
#include <stun/stunagent.h>
#include <stun/usages/ice.h>
}

namespace jvb::ice {
namespace {

constexpr std::size_t kHeaderSize = 20;
constexpr std::uint32_t kMagicCookie = 0x2112A442;
constexpr std::uint16_t kAttrUsername = 0x0006;
// Big enough for any check we build or answer: the attributes we add are well under 200 bytes.
constexpr std::size_t kMaxBuiltMessage = 576;

// Attributes we understand. Anything comprehension-required (< 0x8000) not listed here makes
// libnice refuse the message (RFC 5389 §7.3.1). Zero-terminated, static: libnice keeps the pointer.
const std::uint16_t kKnownAttributes[] = {
    STUN_ATTRIBUTE_MAPPED_ADDRESS,  STUN_ATTRIBUTE_USERNAME,           STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
    STUN_ATTRIBUTE_ERROR_CODE,      STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
    STUN_ATTRIBUTE_PRIORITY,        STUN_ATTRIBUTE_USE_CANDIDATE,      STUN_ATTRIBUTE_ICE_CONTROLLED,
    STUN_ATTRIBUTE_ICE_CONTROLLING, STUN_ATTRIBUTE_FINGERPRINT,        0};

std::uint16_t read16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}
std::uint32_t read32(std::span<const std::uint8_t> b, std::size_t at) {
  return (static_cast<std::uint32_t>(read16(b, at)) << 16) | read16(b, at + 2);
}

// libnice validater state for inbound requests: which credentials the USERNAME selected.
struct RequestLookup {
  std::span<const IceCredentials> credentials;
  bool ufrag_matched = false;
  std::size_t index = 0;
};

bool request_validater(StunAgent*, StunMessage*, std::uint8_t* username, std::uint16_t username_len,
                       std::uint8_t** password, std::size_t* password_len, void* user_data) {
  auto* lookup = static_cast<RequestLookup*>(user_data);
  if (username == nullptr) return false;
  std::string_view user(reinterpret_cast<const char*>(username), username_len);
  const auto colon = user.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view local = user.substr(0, colon);
  for (std::size_t i = 0; i < lookup->credentials.size(); ++i) {
    const IceCredentials& c = lookup->credentials[i];
    if (c.ufrag.empty() || c.ufrag != local) continue;
    lookup->ufrag_matched = true;
    lookup->index = i;
    // libnice only reads the key, within stun_agent_validate and the reply builder; the span
    // outlives both.
    *password = reinterpret_cast<std::uint8_t*>(const_cast<char*>(c.pwd.data()));
    *password_len = c.pwd.size();
    return true;
  }
  return false;
}

StunVerdict verdict_of(StunValidationStatus s, bool ufrag_matched) {
  switch (s) {
    case STUN_VALIDATION_SUCCESS:
      return StunVerdict::kOk;
    case STUN_VALIDATION_NOT_STUN:
    case STUN_VALIDATION_INCOMPLETE_STUN:
      return StunVerdict::kNotStun;
    case STUN_VALIDATION_BAD_REQUEST:
    case STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST:
    case STUN_VALIDATION_FORBIDDEN:
      return StunVerdict::kBadRequest;
    case STUN_VALIDATION_UNAUTHORIZED:
      return ufrag_matched ? StunVerdict::kBadIntegrity : StunVerdict::kUnknownUfrag;
    case STUN_VALIDATION_UNMATCHED_RESPONSE:
      return StunVerdict::kUnmatchedResponse;
    case STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE:
    case STUN_VALIDATION_UNKNOWN_ATTRIBUTE:
      return StunVerdict::kUnknownAttribute;
  }
  return StunVerdict::kBadRequest;
}

sockaddr_storage to_storage(const SocketAddress& a) {
  sockaddr_storage ss{};
  std::memcpy(&ss, a.sockaddr_ptr(), a.sockaddr_len());
  return ss;
}

}  // namespace

std::optional<StunHeader> peek_stun_header(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < kHeaderSize) return std::nullopt;
  const std::uint16_t type = read16(datagram, 0);
  const std::uint16_t length = read16(datagram, 2);
  if ((type & 0xC000) != 0 || (length & 3) != 0) return std::nullopt;
  if (read32(datagram, 4) != kMagicCookie) return std::nullopt;
  if (kHeaderSize + length != datagram.size()) return std::nullopt;
  StunHeader h;
  // RFC 5389 §6: the class is bits C1 (0x0100) and C0 (0x0010); the method the other 12 bits.
  const unsigned cls = ((type >> 7) & 0x2) | ((type >> 4) & 0x1);
  h.cls = cls == 0   ? StunClass::kRequest
          : cls == 1 ? StunClass::kIndication
          : cls == 2 ? StunClass::kSuccess
                     : StunClass::kError;
  h.method = static_cast<std::uint16_t>((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
  std::memcpy(h.transaction.data(), datagram.data() + 8, h.transaction.size());
  return h;
}

std::optional<std::string_view> peek_username(std::span<const std::uint8_t> datagram) {
  if (!peek_stun_header(datagram)) return std::nullopt;
  std::size_t at = kHeaderSize;
  while (at + 4 <= datagram.size()) {
    const std::uint16_t attr = read16(datagram, at);
    const std::size_t len = read16(datagram, at + 2);
    const std::size_t value = at + 4;
    if (len > datagram.size() - value) return std::nullopt;
    if (attr == kAttrUsername) {
      return std::string_view(reinterpret_cast<const char*>(datagram.data() + value), len);
    }
    at = value + ((len + 3) & ~std::size_t{3});
  }
  return std::nullopt;
}

struct StunSession::Impl {
  StunAgent agent{};
  // libnice keeps a pointer to the SOFTWARE text, so it lives here, beside the agent, on the heap.
  std::string software;
};

StunSession::StunSession(std::string software) : impl_(std::make_unique<Impl>()) {
  impl_->software = std::move(software);
  stun_agent_init(&impl_->agent, kKnownAttributes, STUN_COMPATIBILITY_RFC5389,
                  static_cast<StunAgentUsageFlags>(STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
                                                   STUN_AGENT_USAGE_USE_FINGERPRINT));
  if (!impl_->software.empty()) stun_agent_set_software(&impl_->agent, impl_->software.c_str());
}

StunSession::~StunSession() = default;

InboundRequest StunSession::process_request(std::span<const std::uint8_t> datagram, const SocketAddress& from,
                                            std::span<const IceCredentials> local_credentials,
                                            bool& controlling, std::uint64_t tie_breaker) {
  InboundRequest out;
  const auto header = peek_stun_header(datagram);
  if (!header) return out;  // kNotStun
  if (header->cls != StunClass::kRequest || header->method != kStunMethodBinding) {
    out.verdict = StunVerdict::kNotBindingRequest;
    return out;
  }
  if (!from.is_set()) {
    out.verdict = StunVerdict::kBadRequest;
    return out;
  }
  RequestLookup lookup{local_credentials};
  StunMessage req{};
  const StunValidationStatus status =
      stun_agent_validate(&impl_->agent, &req, datagram.data(), datagram.size(), request_validater, &lookup);
  out.verdict = verdict_of(status, lookup.ufrag_matched);
  // The reply builder below, stun_usage_ice_conncheck_create_reply(), builds a success response
  // even for a request that failed validation: nothing is built unless validation succeeded.
  if (out.verdict != StunVerdict::kOk) return out;

  out.credentials_index = lookup.index;
  std::uint16_t ulen = 0;
  if (const auto* user = static_cast<const char*>(stun_message_find(&req, STUN_ATTRIBUTE_USERNAME, &ulen))) {
    std::string_view u(user, ulen);
    const auto colon = u.find(':');
    if (colon != std::string_view::npos) out.remote_ufrag = std::string(u.substr(colon + 1));
  }
  out.priority = stun_usage_ice_conncheck_priority(&req);
  out.use_candidate = stun_usage_ice_conncheck_use_candidate(&req);
  std::uint64_t peer_tie = 0;
  out.peer_controlling =
      stun_message_find64(&req, STUN_ATTRIBUTE_ICE_CONTROLLING, &peer_tie) == STUN_MESSAGE_RETURN_SUCCESS;

  std::uint8_t buf[kMaxBuiltMessage];
  std::size_t len = sizeof buf;
  StunMessage reply{};
  const sockaddr_storage src = to_storage(from);
  const bool was_controlling = controlling;
  const StunUsageIceReturn r =
      stun_usage_ice_conncheck_create_reply(&impl_->agent, &req, &reply, buf, &len, &src, from.sockaddr_len(),
                                            &controlling, tie_breaker, STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
  if (r == STUN_USAGE_ICE_RETURN_ROLE_CONFLICT) {
    out.role_conflict = controlling != was_controlling ? RoleConflict::kSwitched : RoleConflict::kRejected;
  } else if (r != STUN_USAGE_ICE_RETURN_SUCCESS) {
    out.verdict = StunVerdict::kBadRequest;
    return out;
  }
  out.reply.assign(buf, buf + len);
  return out;
}

InboundResponse StunSession::process_response(std::span<const std::uint8_t> datagram) {
  InboundResponse out;
  const auto header = peek_stun_header(datagram);
  if (!header) return out;
  if (header->method != kStunMethodBinding ||
      (header->cls != StunClass::kSuccess && header->cls != StunClass::kError)) {
    out.verdict = StunVerdict::kNotBindingRequest;
    return out;
  }
  out.transaction = header->transaction;
  StunMessage msg{};
  // Responses are authenticated with the key saved with their transaction; no validater needed.
  const StunValidationStatus status =
      stun_agent_validate(&impl_->agent, &msg, datagram.data(), datagram.size(), nullptr, nullptr);
  out.verdict = verdict_of(status, true);
  if (out.verdict != StunVerdict::kOk) return out;
  if (header->cls == StunClass::kError) {
    int code = 0;
    if (stun_message_find_error(&msg, &code) != STUN_MESSAGE_RETURN_SUCCESS) {
      out.verdict = StunVerdict::kBadRequest;
      return out;
    }
    out.error_code = code;
    return out;
  }
  // A 400/401 error is accepted by libnice without MESSAGE-INTEGRITY; a success never is, because
  // the key saved with the transaction is set for every check we send.
  if (msg.key == nullptr) {
    out.verdict = StunVerdict::kBadIntegrity;
    return out;
  }
  out.success = true;
  sockaddr_storage mapped{};
  socklen_t mapped_len = sizeof mapped;
  if (stun_usage_ice_conncheck_process(&msg, &mapped, &mapped_len, STUN_USAGE_ICE_COMPATIBILITY_RFC5245) ==
      STUN_USAGE_ICE_RETURN_SUCCESS) {
    out.mapped = SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&mapped), mapped_len);
  }
  return out;
}

std::optional<OutboundRequest> StunSession::build_binding_request(const BindingRequestParams& params,
                                                                  std::string_view remote_password) {
  if (params.username.empty() || remote_password.empty()) return std::nullopt;
  std::uint8_t buf[kMaxBuiltMessage];
  StunMessage msg{};
  // libnice stores this key pointer with the transaction and reads it again when the response
  // arrives; the caller keeps the password alive until the transaction ends (see IceAgent).
  const std::size_t len = stun_usage_ice_conncheck_create(
      &impl_->agent, &msg, buf, sizeof buf, reinterpret_cast<const std::uint8_t*>(params.username.data()),
      params.username.size(), reinterpret_cast<const std::uint8_t*>(remote_password.data()),
      remote_password.size(), params.use_candidate, params.controlling, params.priority, params.tie_breaker,
      nullptr, STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
  if (len == 0) return std::nullopt;
  OutboundRequest out;
  // libnice's id is the 16 bytes after the type and length: magic cookie + transaction id.
  StunTransactionId full;
  stun_message_id(&msg, full);
  static_assert(sizeof full == 4 + std::tuple_size_v<TransactionId>);
  std::memcpy(out.transaction.data(), full + 4, out.transaction.size());
  out.bytes.assign(buf, buf + len);
  return out;
}

void StunSession::forget_transaction(const TransactionId& id) {
  StunTransactionId tid;
  const std::uint32_t cookie = kMagicCookie;
  tid[0] = static_cast<std::uint8_t>(cookie >> 24);
  tid[1] = static_cast<std::uint8_t>(cookie >> 16);
  tid[2] = static_cast<std::uint8_t>(cookie >> 8);
  tid[3] = static_cast<std::uint8_t>(cookie);
  static_assert(sizeof tid == 4 + std::tuple_size_v<TransactionId>);
  std::memcpy(tid + 4, id.data(), id.size());
  stun_agent_forget_transaction(&impl_->agent, tid);
}

}  // namespace jvb::ice
