// Full ICE agent (RFC 8445 §6-§9) with consent freshness (RFC 7675). See ice_agent.hpp.
#include "ice/ice_agent.hpp"

#include <algorithm>
#include <utility>

namespace jvb::ice {
namespace {

// libnice remembers kMaxOutstandingTransactions request ids; stay well below so that a check
// can always be built (consent, nomination) even with a full check list in flight.
constexpr std::size_t kMaxTransactions = 150;

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

IceAgent::IceAgent(IceConfig config, IceRole role, IceCredentials local, std::uint64_t tie_breaker,
                   std::uint32_t local_priority)
    : config_(std::move(config)),
      controlling_(role == IceRole::kControlling),
      tie_breaker_(tie_breaker),
      local_priority_(local_priority),
      stun_(config_.software),
      rng_(tie_breaker ^ 0x6A09E667F3BCC908ULL) {
  current_.local = std::move(local);
  accepted_local_[0] = current_.local;
  if (config_.max_pairs == 0) config_.max_pairs = 1;
}

IceAgent::~IceAgent() = default;

// ---------------------------------------------------------------------------------------------
// Signaling side.

void IceAgent::set_remote_credentials(IceCredentials remote) {
  if (state_ == IceState::kClosed || remote.ufrag.empty() || remote.pwd.empty()) return;
  if (current_.remote) return;  // a change of credentials is a restart, which clears them first
  current_.remote_pwd = std::make_shared<const std::string>(remote.pwd);
  current_.remote = std::move(remote);
  start_pending_ = true;
}

void IceAgent::add_remote_candidate(const Candidate& c) {
  if (state_ == IceState::kClosed) return;
  if (c.component != 1 || !c.address.is_set() || c.address.port() == 0) return;
  if (c.transport != "udp" && c.transport != "UDP") return;
  if (Pair* existing = find_pair(c.address)) {
    // A signaled candidate we had learned as peer-reflexive: keep the check state, take the
    // signaled identity (RFC 8445 §7.3.1.3 describes the reverse order).
    if (existing->remote_type == CandidateType::kPeerReflexive) {
      existing->remote_type = c.type;
      existing->foundation = c.foundation;
    }
    return;
  }
  add_pair(c.address, c.type, c.priority, c.foundation);
}

void IceAgent::restart(IceCredentials new_local) {
  if (state_ == IceState::kClosed) return;
  // Transactions of the abandoned check list end now; consent on the selected pair goes on.
  for (auto it = transactions_.begin(); it != transactions_.end();) {
    if (it->kind != TxKind::kConsent) {
      stun_.forget_transaction(it->id);
      it = transactions_.erase(it);
    } else {
      ++it;
    }
  }
  const std::uint32_t next_id = current_.id + 1;
  if (selected_) {
    // Make-before-break: keep the generation the selected pair belongs to (it already is
    // previous_ when a second restart comes before the first one completed).
    if (selected_->generation == current_.id) previous_ = std::move(current_);
  } else {
    previous_.reset();
  }
  current_ = Generation{};
  current_.id = next_id;
  current_.local = std::move(new_local);
  accepted_local_[0] = current_.local;
  accepted_count_ = 1;
  if (previous_) {
    accepted_local_[1] = previous_->local;
    accepted_count_ = 2;
  }
  pairs_.clear();
  triggered_.clear();
  nominating_.reset();
  start_pending_ = false;
  checks_started_.reset();
  if (!selected_) set_state(IceState::kNew);
}

void IceAgent::close() {
  for (const auto& tx : transactions_) stun_.forget_transaction(tx.id);
  transactions_.clear();
  pairs_.clear();
  triggered_.clear();
  transmits_.clear();
  if (selected_) {
    selected_.reset();
    events_.push_back({IceEventKind::kSelectedPairChanged, state_, SocketAddress{}});
  }
  set_state(IceState::kClosed);
}

// ---------------------------------------------------------------------------------------------
// Inputs.

void IceAgent::touch(Timestamp now) {
  last_now_ = std::max(last_now_, now);
  if (start_pending_) {
    start_pending_ = false;
    checks_started_ = now;
    if (state_ == IceState::kNew) set_state(IceState::kChecking);
  }
}

void IceAgent::handle_stun(Timestamp now, const SocketAddress& from, std::span<const std::uint8_t> datagram) {
  if (state_ == IceState::kClosed) {
    ++counters_.dropped_while_closed;
    return;
  }
  touch(now);
  const auto header = peek_stun_header(datagram);
  if (!header || !from.is_set()) {
    ++counters_.malformed;
    return;
  }
  if (header->method != kStunMethodBinding) {
    ++counters_.not_binding;
    return;
  }
  switch (header->cls) {
    case StunClass::kRequest:
      handle_request(now, from, datagram);
      break;
    case StunClass::kIndication:
      ++counters_.indications_received;  // RFC 8445 §11 keepalive; nothing to do
      break;
    case StunClass::kSuccess:
    case StunClass::kError:
      handle_response(now, from, datagram);
      break;
  }
  run_checks(now);
}

void IceAgent::handle_request(Timestamp now, const SocketAddress& from,
                              std::span<const std::uint8_t> datagram) {
  const bool was_controlling = controlling_;
  InboundRequest req = stun_.process_request(
      datagram, from, std::span<const IceCredentials>(accepted_local_.data(), accepted_count_), controlling_,
      tie_breaker_);
  switch (req.verdict) {
    case StunVerdict::kOk:
      break;
    case StunVerdict::kNotStun:
      ++counters_.malformed;
      return;
    case StunVerdict::kUnknownUfrag:
      ++counters_.unknown_ufrag;
      return;
    case StunVerdict::kBadIntegrity:
      ++counters_.bad_integrity;
      return;
    case StunVerdict::kUnknownAttribute:
      ++counters_.unknown_attributes;
      return;
    case StunVerdict::kNotBindingRequest:
      ++counters_.not_binding;
      return;
    case StunVerdict::kBadRequest:
    case StunVerdict::kUnmatchedResponse:
      ++counters_.bad_request;
      return;
  }
  ++counters_.requests_received;
  if (req.role_conflict != RoleConflict::kNone) ++counters_.role_conflicts;
  if (req.role_conflict == RoleConflict::kRejected) {
    // RFC 8445 §7.3.1.1: we keep our role and answer 487; the request is not processed further.
    ++counters_.role_conflict_responses_sent;
    transmits_.push_back({from, std::move(req.reply)});
    return;
  }
  ++counters_.success_responses_sent;
  transmits_.push_back({from, std::move(req.reply)});
  if (controlling_ != was_controlling) {
    recompute_priorities();
    if (!controlling_) nominating_.reset();
    nominate_if_needed();
  }
  mark_validated(from);

  // Only the current generation's check list learns from requests; the previous generation's
  // requests are answered (above) so its selected pair keeps working, nothing more.
  if (req.credentials_index != 0 || state_ == IceState::kFailed) return;

  Pair* pair = find_pair(from);
  if (!pair) {
    // RFC 8445 §7.3.1.3: a peer-reflexive remote candidate, with the PRIORITY of the request.
    pair =
        add_pair(from, CandidateType::kPeerReflexive, req.priority, "prflx" + std::to_string(++prflx_count_));
    if (!pair) return;
  }
  // RFC 8445 §7.3.1.4: triggered check, unless the pair already succeeded or is being checked.
  if (pair->state == PairState::kFrozen || pair->state == PairState::kWaiting ||
      pair->state == PairState::kFailed) {
    pair->state = PairState::kWaiting;
    enqueue_triggered(*pair);
  }
  // RFC 8445 §7.3.1.5: USE-CANDIDATE from the controlling agent.
  if (!controlling_ && req.use_candidate) {
    if (pair->state == PairState::kSucceeded) {
      const bool same = selected_ && selected_->remote == from && selected_->generation == current_.id;
      if (!same) select(now, from, pair->last_success.value_or(now));
    } else {
      pair->nominate_on_success = true;
    }
  }
}

void IceAgent::handle_response(Timestamp now, const SocketAddress& from,
                               std::span<const std::uint8_t> datagram) {
  InboundResponse resp = stun_.process_response(datagram);
  switch (resp.verdict) {
    case StunVerdict::kOk:
      break;
    case StunVerdict::kUnmatchedResponse:
      ++counters_.unmatched_responses;
      return;
    case StunVerdict::kBadIntegrity:
    case StunVerdict::kUnknownUfrag:
      ++counters_.bad_integrity;
      return;
    case StunVerdict::kUnknownAttribute:
      ++counters_.unknown_attributes;
      return;
    case StunVerdict::kNotStun:
      ++counters_.malformed;
      return;
    case StunVerdict::kNotBindingRequest:
      ++counters_.not_binding;
      return;
    case StunVerdict::kBadRequest:
      ++counters_.bad_request;
      return;
  }
  auto it = std::find_if(transactions_.begin(), transactions_.end(),
                         [&](const Transaction& t) { return t.id == resp.transaction; });
  if (it == transactions_.end()) {
    // libnice matched it, so we must have sent it; it can only be one we abandoned on restart.
    ++counters_.unmatched_responses;
    return;
  }
  Transaction tx = std::move(*it);
  transactions_.erase(it);  // libnice already ended the transaction on its side
  if (tx.kind == TxKind::kConsent && selected_ && selected_->remote == tx.remote) {
    selected_->consent_in_flight = false;
  }
  if (!resp.success) {
    ++counters_.error_responses_received;
    if (resp.error_code == 487 && tx.kind != TxKind::kConsent && tx.generation == current_.id) {
      // RFC 8445 §7.2.5.1: the peer wants us in the other role; switch (once per check: the
      // request carried our role at the time, and the peer's view is what counts) and retry.
      ++counters_.role_conflicts;
      if (controlling_ == tx.controlling) {
        controlling_ = !tx.controlling;
        recompute_priorities();
        if (!controlling_) nominating_.reset();
      }
      if (Pair* p = find_pair(tx.remote)) {
        p->state = PairState::kWaiting;
        enqueue_triggered(*p);
      }
      return;
    }
    if (tx.kind == TxKind::kNomination && nominating_ == tx.remote) nominating_.reset();
    if (tx.kind != TxKind::kConsent && tx.generation == current_.id) {
      if (Pair* p = find_pair(tx.remote)) {
        p->state = PairState::kFailed;
        unfreeze_foundation(p->foundation, false);
      }
    }
    return;
  }
  ++counters_.success_responses_received;
  if (from != tx.remote) {
    // RFC 8445 §7.2.5.2.1: non-symmetric transport addresses make the check fail.
    ++counters_.asymmetric_responses;
    if (tx.kind == TxKind::kNomination && nominating_ == tx.remote) nominating_.reset();
    if (tx.kind != TxKind::kConsent && tx.generation == current_.id) {
      if (Pair* p = find_pair(tx.remote)) p->state = PairState::kFailed;
    }
    return;
  }
  on_check_success(now, tx);
}

void IceAgent::on_check_success(Timestamp now, const Transaction& tx) {
  mark_validated(tx.remote);
  // RFC 7675 §5.1: any authenticated response on the selected pair refreshes consent.
  if (selected_ && selected_->remote == tx.remote) {
    selected_->consent_ok = now;
    selected_->consent_failing = false;
  }
  if (tx.generation != current_.id || state_ == IceState::kFailed) return;
  Pair* pair = find_pair(tx.remote);
  if (!pair) return;
  pair->state = PairState::kSucceeded;
  pair->last_success = now;
  unfreeze_foundation(pair->foundation, true);

  const bool selected_here =
      selected_ && selected_->remote == tx.remote && selected_->generation == current_.id;
  if (controlling_) {
    if (tx.kind == TxKind::kNomination) {
      if (nominating_ == tx.remote) nominating_.reset();
      if (!selected_here) select(now, tx.remote, now);
    } else {
      nominate_if_needed();
    }
  } else if (pair->nominate_on_success) {
    pair->nominate_on_success = false;
    if (!selected_here) select(now, tx.remote, now);
  }
  maybe_switch_selected(now);
}

void IceAgent::nominate_if_needed() {
  // Regular nomination (RFC 8445 §8.1.1) of the first valid pair: JVB's
  // NominateFirstHostOrReflexiveValid, and every pair of ours has a host local candidate. When
  // several became valid at once, the one with the highest priority.
  if (!controlling_ || nominating_ || state_ == IceState::kFailed) return;
  if (selected_ && selected_->generation == current_.id) return;
  Pair* best = nullptr;
  for (Pair& p : pairs_) {
    if (p.state == PairState::kSucceeded && (!best || p.priority > best->priority)) best = &p;
  }
  if (!best) return;
  nominating_ = best->remote;
  // Ahead of every other triggered check.
  triggered_.erase(std::remove(triggered_.begin(), triggered_.end(), best->remote), triggered_.end());
  triggered_.push_front(best->remote);
  best->triggered = true;
}

void IceAgent::handle_timeout(Timestamp now) {
  if (state_ == IceState::kClosed) return;
  touch(now);
  // Retransmissions and timeouts. Collect first: a timeout may start other transactions.
  std::vector<Transaction> expired;
  for (auto it = transactions_.begin(); it != transactions_.end();) {
    if (it->next > now) {
      ++it;
      continue;
    }
    if (it->retransmissions < it->max_retransmissions) {
      ++it->retransmissions;
      ++counters_.retransmissions;
      transmits_.push_back({it->remote, it->bytes});
      it->rto = std::min(it->rto * 2, it->max_rto);
      it->next = now + it->rto;
      ++it;
    } else {
      stun_.forget_transaction(it->id);
      expired.push_back(std::move(*it));
      it = transactions_.erase(it);
    }
  }
  for (const auto& tx : expired) on_transaction_timeout(now, tx);

  run_consent(now);
  if (state_ == IceState::kChecking && !selected_ && checks_started_ &&
      now - *checks_started_ >= config_.connectivity_timeout) {
    ++counters_.connectivity_timeouts;
    set_state(IceState::kFailed);
  }
  run_checks(now);
}

void IceAgent::on_transaction_timeout(Timestamp now, const Transaction& tx) {
  ++counters_.transaction_timeouts;
  if (tx.kind == TxKind::kConsent) {
    if (selected_ && selected_->remote == tx.remote) {
      selected_->consent_in_flight = false;
      selected_->consent_failing = true;
      maybe_switch_selected(now);
    }
    return;
  }
  if (tx.kind == TxKind::kNomination && nominating_ == tx.remote) nominating_.reset();
  if (tx.generation != current_.id) return;
  if (Pair* p = find_pair(tx.remote)) {
    if (p->state == PairState::kInProgress) {
      p->state = PairState::kFailed;
      unfreeze_foundation(p->foundation, false);
    }
    // A failed nomination: the pair is out, offer the next valid one.
    if (tx.kind == TxKind::kNomination) {
      p->state = PairState::kFailed;
      nominate_if_needed();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Check list (RFC 8445 §6.1.4).

bool IceAgent::checks_wanted() const {
  if (!current_.remote || start_pending_) return false;
  if (state_ == IceState::kFailed || state_ == IceState::kClosed) return false;
  return true;
}

std::optional<Timestamp> IceAgent::next_check_time() const {
  if (!checks_wanted() || transactions_.size() >= kMaxTransactions) return std::nullopt;
  bool work = !triggered_.empty();
  // Ordinary checks stop once this generation has a selected pair (RFC 8445 §8.1.2).
  const bool done = selected_ && selected_->generation == current_.id;
  if (!work && !done) {
    work = std::any_of(pairs_.begin(), pairs_.end(), [](const Pair& p) {
      return p.state == PairState::kWaiting || p.state == PairState::kFrozen;
    });
  }
  if (!work) return std::nullopt;
  return last_check_ ? *last_check_ + config_.pacing : last_now_;
}

void IceAgent::run_checks(Timestamp now) {
  const auto due = next_check_time();
  if (!due || *due > now) return;
  // Even if nothing can be sent below, do not come back before the next Ta.
  last_check_ = now;
  // One check per Ta: a triggered one first.
  while (!triggered_.empty()) {
    const SocketAddress remote = triggered_.front();
    triggered_.pop_front();
    Pair* p = find_pair(remote);
    if (!p) continue;
    p->triggered = false;
    const bool nominate = controlling_ && nominating_ == remote;
    if (nominate && has_transaction(remote, TxKind::kNomination)) continue;
    if (send_check(now, remote, current_, nominate ? TxKind::kNomination : TxKind::kCheck)) {
      if (!nominate) p->state = PairState::kInProgress;
    }
    return;
  }
  if (selected_ && selected_->generation == current_.id) return;
  Pair* best = nullptr;
  for (Pair& p : pairs_) {
    if (p.state == PairState::kWaiting && (!best || p.priority > best->priority)) best = &p;
  }
  if (!best) {
    // No Waiting pair: unfreeze the best Frozen one (RFC 8445 §6.1.4.2).
    for (Pair& p : pairs_) {
      if (p.state == PairState::kFrozen && (!best || p.priority > best->priority)) best = &p;
    }
  }
  if (!best) return;
  if (send_check(now, best->remote, current_, TxKind::kCheck)) best->state = PairState::kInProgress;
}

bool IceAgent::has_transaction(const SocketAddress& remote, TxKind kind) const {
  return std::any_of(transactions_.begin(), transactions_.end(),
                     [&](const Transaction& t) { return t.kind == kind && t.remote == remote; });
}

bool IceAgent::send_check(Timestamp now, const SocketAddress& remote, const Generation& gen, TxKind kind) {
  if (!gen.remote || !gen.remote_pwd || transactions_.size() >= kMaxTransactions) return false;
  // RFC 8445 §7.2.2: USERNAME is "<remote ufrag>:<local ufrag>", signed with the remote password.
  const std::string username = gen.remote->ufrag + ":" + gen.local.ufrag;
  BindingRequestParams params;
  params.username = username;
  params.priority = local_priority_;
  params.controlling = controlling_;
  params.tie_breaker = tie_breaker_;
  // Consent checks from the controlling side repeat USE-CANDIDATE: harmless on an already
  // nominated pair, and it repairs a nomination whose response was lost.
  params.use_candidate = controlling_ && (kind == TxKind::kNomination || kind == TxKind::kConsent);
  auto req = stun_.build_binding_request(params, *gen.remote_pwd);
  if (!req) return false;
  Transaction tx;
  tx.id = req->transaction;
  tx.remote = remote;
  tx.generation = gen.id;
  tx.kind = kind;
  tx.key = gen.remote_pwd;
  tx.controlling = controlling_;
  if (kind == TxKind::kConsent) {
    tx.rto = config_.consent_rto;
    tx.max_rto = config_.consent_rto;
    tx.max_retransmissions = config_.consent_max_retransmissions;
    ++counters_.consent_checks_sent;
  } else {
    tx.rto = config_.check_rto;
    tx.max_rto = std::max(config_.check_rto, config_.check_max_rto);
    tx.max_retransmissions = config_.check_max_retransmissions;
    ++counters_.checks_sent;
    last_check_ = now;
  }
  tx.next = now + tx.rto;
  transmits_.push_back({remote, req->bytes});
  tx.bytes = std::move(req->bytes);
  transactions_.push_back(std::move(tx));
  return true;
}

IceAgent::Pair* IceAgent::find_pair(const SocketAddress& remote) {
  for (Pair& p : pairs_) {
    if (p.remote == remote) return &p;
  }
  return nullptr;
}

IceAgent::Pair* IceAgent::add_pair(const SocketAddress& remote, CandidateType type,
                                   std::uint32_t remote_priority, std::string foundation) {
  if (pairs_.size() >= config_.max_pairs) {
    ++counters_.pairs_dropped;
    return nullptr;
  }
  Pair p;
  p.remote = remote;
  p.remote_type = type;
  p.remote_priority = remote_priority;
  p.foundation = std::move(foundation);
  p.priority = pair_priority(remote_priority);
  // RFC 8445 §6.1.2.6: one pair per foundation starts Waiting, the others wait Frozen.
  const bool sibling_active = std::any_of(pairs_.begin(), pairs_.end(), [&](const Pair& o) {
    return o.foundation == p.foundation &&
           (o.state == PairState::kWaiting || o.state == PairState::kInProgress);
  });
  p.state = sibling_active ? PairState::kFrozen : PairState::kWaiting;
  pairs_.push_back(std::move(p));
  return &pairs_.back();
}

std::uint64_t IceAgent::pair_priority(std::uint32_t remote_priority) const {
  // RFC 8445 §6.1.2.3: G is the controlling agent's candidate priority, D the controlled one's.
  const std::uint64_t g = controlling_ ? local_priority_ : remote_priority;
  const std::uint64_t d = controlling_ ? remote_priority : local_priority_;
  return (std::min(g, d) << 32) + 2 * std::max(g, d) + (g > d ? 1 : 0);
}

void IceAgent::recompute_priorities() {
  for (Pair& p : pairs_) p.priority = pair_priority(p.remote_priority);
}

void IceAgent::enqueue_triggered(Pair& pair) {
  if (pair.triggered) return;
  pair.triggered = true;
  triggered_.push_back(pair.remote);
}

void IceAgent::unfreeze_foundation(const std::string& foundation, bool all) {
  for (Pair& p : pairs_) {
    if (p.state == PairState::kFrozen && p.foundation == foundation) {
      p.state = PairState::kWaiting;
      if (!all) return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Selected pair and consent freshness (RFC 7675).

Duration IceAgent::consent_delay() {
  if (!config_.randomize_consent_interval) return config_.consent_interval;
  // RFC 7675 §5.1: uniformly in [0.8, 1.2] x the interval, to avoid synchronised bursts.
  const std::uint64_t r = splitmix64(rng_) % 401;  // 0..400 -> 0.8..1.2 in steps of 0.001
  return config_.consent_interval * 8 / 10 + config_.consent_interval * static_cast<std::int64_t>(r) / 1000;
}

void IceAgent::run_consent(Timestamp now) {
  if (!selected_) return;
  if (now - selected_->consent_ok >= config_.consent_timeout) {
    // RFC 7675 §5.1: consent expired; stop sending media and fail.
    ++counters_.consent_expirations;
    for (auto it = transactions_.begin(); it != transactions_.end();) {
      if (it->kind == TxKind::kConsent) {
        stun_.forget_transaction(it->id);
        it = transactions_.erase(it);
      } else {
        ++it;
      }
    }
    drop_selected();
    set_state(IceState::kFailed);
    return;
  }
  if (selected_->consent_in_flight || now < selected_->next_consent) return;
  const Generation* gen = generation_by_id(selected_->generation);
  if (!gen) return;
  if (send_check(now, selected_->remote, *gen, TxKind::kConsent)) {
    selected_->consent_in_flight = true;
    selected_->next_consent = now + consent_delay();
  }
}

void IceAgent::maybe_switch_selected(Timestamp now) {
  if (!selected_ || !selected_->consent_failing) return;
  // The selected pair stopped answering; a pair validated since its last success is most likely
  // the same peer behind a new NAT binding.
  const Pair* best = nullptr;
  for (const Pair& p : pairs_) {
    if (p.state != PairState::kSucceeded || !p.last_success || *p.last_success <= selected_->consent_ok)
      continue;
    if (p.remote == selected_->remote && selected_->generation == current_.id) continue;
    if (!best || *p.last_success > *best->last_success) best = &p;
  }
  if (!best) return;
  if (controlling_) {
    if (nominating_) return;
    nominating_ = best->remote;
    enqueue_triggered(*find_pair(best->remote));
  } else {
    select(now, best->remote, *best->last_success);
  }
}

void IceAgent::select(Timestamp now, const SocketAddress& remote, Timestamp consent_ok) {
  Selected s;
  s.remote = remote;
  s.generation = current_.id;
  s.consent_ok = consent_ok;
  s.next_consent = now + consent_delay();
  // Consent transactions on the pair we leave are of no use any more.
  for (auto it = transactions_.begin(); it != transactions_.end();) {
    if (it->kind == TxKind::kConsent) {
      stun_.forget_transaction(it->id);
      it = transactions_.erase(it);
    } else {
      ++it;
    }
  }
  selected_ = s;
  ++counters_.selected_pair_changes;
  // The restart is complete: the previous generation is no longer answered.
  if (previous_) {
    previous_.reset();
    accepted_count_ = 1;
  }
  mark_validated(remote);
  events_.push_back({IceEventKind::kSelectedPairChanged, state_, remote});
  set_state(IceState::kConnected);
}

void IceAgent::drop_selected() {
  if (!selected_) return;
  selected_.reset();
  nominating_.reset();
  events_.push_back({IceEventKind::kSelectedPairChanged, state_, SocketAddress{}});
}

void IceAgent::mark_validated(const SocketAddress& remote) {
  // Bounded: addresses only get here by authenticating with our password.
  if (validated_.size() >= 2 * config_.max_pairs + 8) return;
  if (validated_.insert(remote).second) events_.push_back({IceEventKind::kAddressValidated, state_, remote});
}

void IceAgent::set_state(IceState s) {
  if (state_ == s) return;
  state_ = s;
  events_.push_back({IceEventKind::kStateChanged, s, SocketAddress{}});
}

const IceAgent::Generation* IceAgent::generation_by_id(std::uint32_t id) const {
  if (current_.id == id) return &current_;
  if (previous_ && previous_->id == id) return &*previous_;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Outputs.

std::optional<Timestamp> IceAgent::next_timeout() const {
  if (state_ == IceState::kClosed) return std::nullopt;
  if (start_pending_) return last_now_;
  std::optional<Timestamp> t;
  auto consider = [&t](Timestamp c) {
    if (!t || c < *t) t = c;
  };
  for (const auto& tx : transactions_) consider(tx.next);
  if (selected_) {
    consider(selected_->consent_ok + config_.consent_timeout);
    if (!selected_->consent_in_flight) consider(selected_->next_consent);
  }
  if (state_ == IceState::kChecking && !selected_ && checks_started_) {
    consider(*checks_started_ + config_.connectivity_timeout);
  }
  if (auto c = next_check_time()) consider(*c);
  return t;
}

std::optional<Transmit> IceAgent::poll_transmit() {
  if (transmits_.empty()) return std::nullopt;
  Transmit t = std::move(transmits_.front());
  transmits_.pop_front();
  return t;
}

std::optional<IceEvent> IceAgent::poll_event() {
  if (events_.empty()) return std::nullopt;
  IceEvent e = events_.front();
  events_.pop_front();
  return e;
}

std::optional<SocketAddress> IceAgent::selected_remote() const {
  if (!selected_) return std::nullopt;
  return selected_->remote;
}

std::optional<CandidateType> IceAgent::selected_remote_type() const {
  if (!selected_) return std::nullopt;
  for (const auto& pair : pairs_) {
    if (pair.remote == selected_->remote) return pair.remote_type;
  }
  return std::nullopt;
}

std::optional<std::uint32_t> IceAgent::selected_generation() const {
  if (!selected_) return std::nullopt;
  return selected_->generation;
}

bool IceAgent::is_validated(const SocketAddress& from) const { return validated_.count(from) != 0; }

}  // namespace jvb::ice
