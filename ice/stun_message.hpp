// STUN (RFC 5389) Binding messages as ICE uses them (RFC 8445 §7), over libnice's STUN library.
// This header and stun_message.cpp are the only places that see libnice; everything else in
// ice/ works with the plain types below.
//
// StunSession wraps one libnice StunAgent: the set of transactions we have sent (needed to
// validate their responses), the SOFTWARE value, and the builders. One session per ICE agent,
// because libnice remembers at most kMaxOutstandingTransactions request ids per StunAgent.
//
// Inbound requests are validated and answered in one call (process_request): libnice's reply
// builder would happily build a success response for a request that failed validation, so the
// two steps are fused here and no caller can get them in the wrong order.
//
// Not thread-safe; owned by one IceAgent and called only from its owner's thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/socket_address.hpp"
#include "ice/credentials.hpp"

namespace jvb::ice {

using TransactionId = std::array<std::uint8_t, 12>;

// libnice's STUN_AGENT_MAX_SAVED_IDS: requests it can remember at once per StunAgent.
inline constexpr std::size_t kMaxOutstandingTransactions = 200;

enum class StunClass { kRequest, kIndication, kSuccess, kError };

// What a datagram is, from the 20-byte header alone (RFC 5389 §6), without any validation
// beyond the framing: two zero bits, the magic cookie, a length that matches the datagram.
struct StunHeader {
  StunClass cls = StunClass::kRequest;
  std::uint16_t method = 0;  // 0x001 = Binding
  TransactionId transaction{};
};
inline constexpr std::uint16_t kStunMethodBinding = 0x001;

std::optional<StunHeader> peek_stun_header(std::span<const std::uint8_t> datagram);

// The USERNAME attribute of a well-framed STUN message, without validating anything else; a
// view into `datagram`. For the first-contact demux (an unknown address is routed by the
// USERNAME's local ufrag, as JVB's single-port ICE does).
std::optional<std::string_view> peek_username(std::span<const std::uint8_t> datagram);

// Why a STUN message was refused. Names follow what the caller counts.
enum class StunVerdict {
  kOk,
  kNotStun,            // not STUN framing, or truncated
  kBadRequest,         // no magic cookie, missing/bad FINGERPRINT, missing USERNAME or
                       // MESSAGE-INTEGRITY (RFC 5389 §10.1.2)
  kUnknownUfrag,       // USERNAME's first part is none of our local ufrags
  kBadIntegrity,       // MESSAGE-INTEGRITY does not verify with the password
  kUnmatchedResponse,  // a response to no transaction of ours
  kUnknownAttribute,   // comprehension-required attribute we do not know (RFC 5389 §7.3.1)
  kNotBindingRequest,  // a request or indication of another method, or an indication
};

enum class RoleConflict {
  kNone,
  kSwitched,  // RFC 8445 §7.3.1.1: we changed role and answered with success
  kRejected,  // we kept our role and answered 487 (Role Conflict)
};

struct InboundRequest {
  StunVerdict verdict = StunVerdict::kNotStun;
  std::size_t credentials_index = 0;  // which of the offered local credentials matched
  std::string remote_ufrag;           // USERNAME's second part
  std::uint32_t priority = 0;         // PRIORITY (0 if absent)
  bool use_candidate = false;
  RoleConflict role_conflict = RoleConflict::kNone;
  bool peer_controlling = false;    // the peer put ICE-CONTROLLING (else ICE-CONTROLLED/none)
  std::vector<std::uint8_t> reply;  // what to send back; empty when nothing is sent
};

struct InboundResponse {
  StunVerdict verdict = StunVerdict::kNotStun;
  TransactionId transaction{};
  bool success = false;                 // success response (else error response)
  int error_code = 0;                   // for error responses (487 = role conflict)
  std::optional<SocketAddress> mapped;  // XOR-MAPPED-ADDRESS of a success response
};

struct BindingRequestParams {
  std::string_view username;  // "<remote ufrag>:<local ufrag>" (RFC 8445 §7.2.2)
  std::uint32_t priority = 0;
  bool controlling = false;
  std::uint64_t tie_breaker = 0;
  bool use_candidate = false;
};

struct OutboundRequest {
  TransactionId transaction{};
  std::vector<std::uint8_t> bytes;
};

class StunSession {
 public:
  // `software` is put in every message we build, unless empty.
  explicit StunSession(std::string software = {});
  ~StunSession();
  StunSession(const StunSession&) = delete;
  StunSession& operator=(const StunSession&) = delete;

  // A request arriving at us. Validates framing, FINGERPRINT, the USERNAME against
  // `local_credentials` (its first part must be one of their ufrags) and MESSAGE-INTEGRITY with
  // that entry's password. Only then builds the reply: success with XOR-MAPPED-ADDRESS = `from`,
  // or 487 when a role conflict is resolved in our favour. `controlling` is our role, updated in
  // place when the conflict makes us switch. Invalid requests get no reply at all.
  InboundRequest process_request(std::span<const std::uint8_t> datagram, const SocketAddress& from,
                                 std::span<const IceCredentials> local_credentials, bool& controlling,
                                 std::uint64_t tie_breaker);

  // A response to one of our requests: matched by transaction id, authenticated with the key that
  // request was sent with. A matched, authenticated response ends its transaction.
  InboundResponse process_response(std::span<const std::uint8_t> datagram);

  // A connectivity check (RFC 8445 §7.2.2) signed with `remote_password`; nullopt if libnice
  // cannot build it (for example kMaxOutstandingTransactions are outstanding).
  std::optional<OutboundRequest> build_binding_request(const BindingRequestParams& params,
                                                       std::string_view remote_password);

  // Stop expecting a response to `id` (on timeout): frees libnice's slot.
  void forget_transaction(const TransactionId& id);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jvb::ice
