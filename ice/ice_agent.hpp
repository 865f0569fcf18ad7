// One endpoint's full ICE agent (RFC 8445) on the bridge's single shared UDP socket, with
// consent freshness (RFC 7675). Component 1, UDP, one local base: the shared socket, so every
// candidate pair is (that base, a remote candidate). Remote candidates come from signaling or
// are learned as peer-reflexive from inbound checks (RFC 8445 §7.3.1.3).
//
// Sans-IO (see ARCHITECTURE.md): the owner feeds it time and STUN datagrams and drains
// Transmits and IceEvents; it never reads a clock, opens a socket or keeps global state. The
// owner must call handle_timeout() at next_timeout(), and after any other call, drain
// poll_transmit()/poll_event() and re-read next_timeout(). Nothing calls back into the owner.
// Not thread-safe: one owner thread (the media worker of the endpoint).
//
// Behaviour in short:
//  - checks are paced at one per Ta (IceConfig::pacing), triggered checks first (§6.1.4);
//    each is a STUN transaction retransmitted with exponential backoff until it times out;
//  - the controlling agent nominates the first pair that becomes valid (regular nomination,
//    §8.1.1, like JVB's NominateFirstHostOrReflexiveValid: our only base is a host candidate, so
//    every valid pair qualifies) by repeating the check with USE-CANDIDATE; the controlled agent
//    selects the pair the peer nominates (§7.3.1.5, §8.1.1);
//  - role conflicts are resolved by tie-breaker (§7.3.1.1, §7.2.5.1);
//  - the selected pair is kept alive by consent checks (RFC 7675 §5.1) in both roles; without a
//    successful response for consent_timeout the pair is dropped and the agent fails;
//  - when consent checks on the selected pair stop being answered (a whole transaction timed
//    out) while another pair has been validated more recently, typically a new peer-reflexive
//    address after a NAT rebinding, the controlling agent nominates that pair and the controlled
//    agent switches to it;
//  - restart() is make-before-break: the previous generation's selected pair carries media and
//    its checks are answered until a pair of the new generation is selected.
//
// Invalid input is dropped and counted, and never answered: no 400/401 error responses, so an
// unauthenticated sender can never make the bridge send anything (no reflection or
// amplification). The only error response is 487 to an authenticated request (RFC 8445
// §7.3.1.1). Requests with unknown comprehension-required attributes are dropped, not
// answered with 420.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "bridge/core/socket_address.hpp"
#include "bridge/core/time.hpp"
#include "ice/candidate.hpp"
#include "ice/credentials.hpp"
#include "ice/stun_message.hpp"

namespace jvb::ice {

enum class IceRole { kControlling, kControlled };
enum class IceState { kNew, kChecking, kConnected, kFailed, kClosed };

struct IceConfig {
  Duration pacing = std::chrono::milliseconds(50);           // Ta (RFC 8445 §14.2 default)
  Duration consent_interval = std::chrono::seconds(5);       // ice4j.consent-freshness.interval (JVB: 5 s)
  bool randomize_consent_interval = true;                    // 0.8..1.2 x interval (RFC 7675 §5.1)
  Duration consent_timeout = std::chrono::seconds(30);       // RFC 7675 §5.1: consent expires after 30 s
  Duration connectivity_timeout = std::chrono::seconds(30);  // no pair selected this long -> kFailed
  std::size_t max_pairs = 100;                               // ice4j.ice.max-check-list-size
  std::string software;                                      // SOFTWARE attribute; empty = omit

  // Connectivity-check transactions (RFC 5389 §7.2.1, RFC 8445 §14.3): first RTO 500 ms, the
  // floor RFC 8445 §14.3 sets; doubled after each retransmission up to 1.6 s (ice4j's
  // max-wait-interval); 6 retransmissions, then one more RTO for the answer. A check thus
  // gives up ~9.5 s after it was first sent (sends at 0, 0.5, 1.5, 3.1, 4.7, 6.3, 7.9 s), about
  // what ice4j (6.3 s) and libwebrtc do, and well inside connectivity_timeout.
  Duration check_rto = std::chrono::milliseconds(500);
  Duration check_max_rto = std::chrono::milliseconds(1600);
  unsigned check_max_retransmissions = 6;
  // Consent checks (RFC 7675 §5.1): JVB's ice4j.consent-freshness.original-wait-interval =
  // max-wait-interval = 500 ms and max-retransmissions = 5: a consent transaction gives up after
  // 3 s, so several fit in consent_timeout.
  Duration consent_rto = std::chrono::milliseconds(500);
  unsigned consent_max_retransmissions = 5;
};

struct Transmit {
  SocketAddress destination;
  std::vector<std::uint8_t> bytes;
};

enum class IceEventKind { kStateChanged, kSelectedPairChanged, kAddressValidated };
// kStateChanged: `state` is the new state. kSelectedPairChanged: `remote` is the new media
// destination, or unset (is_set() false) when the selected pair was dropped. kAddressValidated:
// `remote` completed a check (either direction) for the first time; the demux may bind it.
struct IceEvent {
  IceEventKind kind;
  IceState state;
  SocketAddress remote;
};

class IceAgent {
 public:
  IceAgent(
      IceConfig config, IceRole role, IceCredentials local, std::uint64_t tie_breaker,
      std::uint32_t local_priority /* PRIORITY to put in checks: a prflx priority of our host candidate */);
  ~IceAgent();
  IceAgent(const IceAgent&) = delete;
  IceAgent& operator=(const IceAgent&) = delete;

  // The peer's ufrag and password for the current generation; checks start with the next call
  // to handle_timeout(). Setting them again with other values is ignored (use restart()).
  void set_remote_credentials(IceCredentials remote);
  // Ignores non-UDP candidates, components other than 1, unset addresses and duplicates; at most
  // max_pairs pairs are kept (later candidates are counted in pairs_dropped).
  void add_remote_candidate(const Candidate& candidate);
  // ICE restart (RFC 8445 §9): new local credentials; remote credentials and candidates must be
  // given again. The current selected pair keeps carrying media (and answering and sending
  // consent with the old credentials) until a pair of the new generation is selected.
  void restart(IceCredentials new_local);
  // Stops everything: no more transmits or timeouts; state kClosed.
  void close();

  void handle_stun(Timestamp now, const SocketAddress& from, std::span<const std::uint8_t> datagram);
  void handle_timeout(Timestamp now);
  std::optional<Timestamp> next_timeout() const;
  std::optional<Transmit> poll_transmit();
  std::optional<IceEvent> poll_event();

  IceState state() const { return state_; }
  IceRole role() const { return controlling_ ? IceRole::kControlling : IceRole::kControlled; }
  const IceCredentials& local_credentials() const { return current_.local; }
  // Where media goes; nullopt before nomination and after consent expired.
  std::optional<SocketAddress> selected_remote() const;
  // The type of the selected pair's remote candidate (kRelayed: the peer is behind TURN).
  std::optional<CandidateType> selected_remote_type() const;
  // A check with `from` succeeded (either direction): non-STUN traffic from it may be accepted.
  bool is_validated(const SocketAddress& from) const;
  // Generation of the local credentials (0, then +1 per restart) and of the selected pair.
  std::uint32_t generation() const { return current_.id; }
  std::optional<std::uint32_t> selected_generation() const;
  std::size_t pair_count() const { return pairs_.size(); }

  struct Counters {
    std::uint64_t requests_received = 0;  // authenticated Binding requests
    std::uint64_t success_responses_sent = 0;
    std::uint64_t role_conflict_responses_sent = 0;  // 487
    std::uint64_t checks_sent = 0;                   // connectivity and nomination transactions
    std::uint64_t consent_checks_sent = 0;
    std::uint64_t retransmissions = 0;
    std::uint64_t transaction_timeouts = 0;
    std::uint64_t success_responses_received = 0;
    std::uint64_t error_responses_received = 0;
    std::uint64_t indications_received = 0;  // Binding indications (keepalives): ignored
    // Dropped input, by reason.
    std::uint64_t malformed = 0;    // not STUN, truncated, garbage
    std::uint64_t bad_request = 0;  // no cookie, bad/missing FINGERPRINT, missing USERNAME/M-I
    std::uint64_t unknown_ufrag = 0;
    std::uint64_t bad_integrity = 0;
    std::uint64_t unknown_attributes = 0;
    std::uint64_t unmatched_responses = 0;
    std::uint64_t not_binding = 0;           // other STUN methods
    std::uint64_t asymmetric_responses = 0;  // response from another address (RFC 8445 §7.2.5.2.1)
    std::uint64_t dropped_while_closed = 0;
    // Events.
    std::uint64_t role_conflicts = 0;  // resolved either way, inbound or 487 received
    std::uint64_t pairs_dropped = 0;   // candidates beyond max_pairs
    std::uint64_t consent_expirations = 0;
    std::uint64_t connectivity_timeouts = 0;
    std::uint64_t selected_pair_changes = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  enum class PairState { kFrozen, kWaiting, kInProgress, kSucceeded, kFailed };
  struct Pair {
    SocketAddress remote;
    CandidateType remote_type = CandidateType::kHost;
    std::string foundation;  // the remote candidate's: our one base makes it the pair's
    std::uint32_t remote_priority = 0;
    std::uint64_t priority = 0;
    PairState state = PairState::kFrozen;
    bool triggered = false;            // in the triggered-check queue
    bool nominate_on_success = false;  // controlled: USE-CANDIDATE seen before our check succeeded
    std::optional<Timestamp> last_success;
  };
  enum class TxKind { kCheck, kNomination, kConsent };
  struct Transaction {
    TransactionId id{};
    SocketAddress remote;
    std::uint32_t generation = 0;
    TxKind kind = TxKind::kCheck;
    bool controlling = false;  // the role the request announced
    std::vector<std::uint8_t> bytes;
    std::shared_ptr<const std::string> key;  // libnice keeps a pointer to it until the response
    unsigned retransmissions = 0;
    unsigned max_retransmissions = 0;
    Duration rto{};
    Duration max_rto{};
    Timestamp next{};  // next retransmission, or the timeout after the last one
  };
  struct Generation {
    std::uint32_t id = 0;
    IceCredentials local;
    std::optional<IceCredentials> remote;
    std::shared_ptr<const std::string> remote_pwd;  // stable storage for libnice's saved key
  };
  struct Selected {
    SocketAddress remote;
    std::uint32_t generation = 0;
    Timestamp consent_ok{};  // last successful response on this pair
    Timestamp next_consent{};
    bool consent_in_flight = false;
    bool consent_failing = false;  // the last consent transaction timed out unanswered
  };

  void touch(Timestamp now);
  void handle_request(Timestamp now, const SocketAddress& from, std::span<const std::uint8_t> datagram);
  void handle_response(Timestamp now, const SocketAddress& from, std::span<const std::uint8_t> datagram);
  void on_check_success(Timestamp now, const Transaction& tx);
  void on_transaction_timeout(Timestamp now, const Transaction& tx);
  void run_checks(Timestamp now);
  void run_consent(Timestamp now);
  void maybe_switch_selected(Timestamp now);
  void nominate_if_needed();

  Pair* find_pair(const SocketAddress& remote);
  Pair* add_pair(const SocketAddress& remote, CandidateType type, std::uint32_t remote_priority,
                 std::string foundation);
  std::uint64_t pair_priority(std::uint32_t remote_priority) const;
  void recompute_priorities();
  void enqueue_triggered(Pair& pair);
  void unfreeze_foundation(const std::string& foundation, bool all);
  bool send_check(Timestamp now, const SocketAddress& remote, const Generation& gen, TxKind kind);
  bool has_transaction(const SocketAddress& remote, TxKind kind) const;
  void select(Timestamp now, const SocketAddress& remote, Timestamp consent_ok);
  void drop_selected();
  void mark_validated(const SocketAddress& remote);
  void set_state(IceState s);
  const Generation* generation_by_id(std::uint32_t id) const;
  Duration consent_delay();
  bool checks_wanted() const;
  std::optional<Timestamp> next_check_time() const;

  IceConfig config_;
  bool controlling_;
  std::uint64_t tie_breaker_;
  std::uint32_t local_priority_;
  StunSession stun_;
  IceState state_ = IceState::kNew;

  Generation current_;
  std::optional<Generation> previous_;            // during a make-before-break restart
  std::array<IceCredentials, 2> accepted_local_;  // current_, previous_ local credentials
  std::size_t accepted_count_ = 1;

  std::vector<Pair> pairs_;  // current generation; bounded by max_pairs
  std::deque<SocketAddress> triggered_;
  std::vector<Transaction> transactions_;
  std::optional<Selected> selected_;
  std::optional<SocketAddress> nominating_;  // controlling: USE-CANDIDATE check in flight
  std::unordered_set<SocketAddress> validated_;
  std::uint32_t prflx_count_ = 0;

  bool start_pending_ = false;  // remote credentials set, checks start at the next call
  std::optional<Timestamp> checks_started_;
  std::optional<Timestamp> last_check_;
  Timestamp last_now_{};
  std::uint64_t rng_;

  std::deque<Transmit> transmits_;
  std::deque<IceEvent> events_;
  Counters counters_;
};

}  // namespace jvb::ice
