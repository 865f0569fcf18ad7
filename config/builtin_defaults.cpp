// Default values of every key JVB defines (the jvb.conf key tree), written as HOCON. The
// key set doubles as the list of known keys: anything an admin writes outside it is
// reported as unknown. kReferenceDefaults holds exactly the keys of JVB's, jitsi-media-
// transform's and ice4j's reference files (a unit test compares them); the HTTP servers'
// remaining defaults live in jicoco's code, hence kJicocoDefaults.
#include "config/builtin_defaults.hpp"

namespace jvb::config {

const std::string_view kReferenceDefaults = R"HOCON(
videobridge {
  entity-expiration { timeout = 1 minute, check-interval = ${videobridge.entity-expiration.timeout} }
  health {
    interval = 1 minute
    timeout = 90 seconds
    max-check-duration = 3 seconds
    sticky-failures = false
    require-valid-address = true
    require-stun = false
  }
  ep-connection-status {
    first-transfer-timeout = 15 seconds
    max-inactivity-limit = 8 seconds
    check-interval = 500 milliseconds
  }
  cc {
    bwe-change-threshold = 0.15
    default-max-height-px = 180
    initial-max-height-px = 0
    onstage-preferred-height-px = 360
    onstage-preferred-framerate = 30
    allow-oversend-onstage = true
    max-oversend-bitrate = 500 kbps
    trust-bwe = true
    padding-period = 15ms
    max-time-between-calculations = 5 seconds
    jvb-last-n = -1
    initial-last-n = -1
    use-vla-target-bitrate = false
  }
  cryptex { endpoint = false, relay = false }
  apis {
    xmpp-client {
      presence-interval = ${videobridge.stats.interval}
      stats-filter {
        enabled = false
        whitelist = [ "average_participant_stress", "colibri2", "current_timestamp", "drain",
          "graceful_shutdown", "healthy", "region", "relay_id", "release", "shutting_down",
          "stress_level", "version" ]
      }
      jid-cache-size = 1000
      configs { }
    }
    rest { enabled = false }
  }
  rest {
    debug.enabled = true
    drain.enabled = true
    health.enabled = true
    prometheus.enabled = true
    rtcstats.enabled = true
    shutdown.enabled = false
    version.enabled = true
  }
  http-servers {
    public { port = -1, tls-port = -1 }
    private.host = 127.0.0.1
  }
  relay { enabled = false }
  load-management {
    reducer-enabled = false
    load-measurements {
      packet-rate { load-threshold = 50000, recovery-threshold = 40000 }
      cpu-usage { load-threshold = 0.9, recovery-threshold = 0.72, detect-cpu-steal = true }
      load-measurement = "cpu-usage"
    }
    load-reducers.last-n {
      reduction-scale = .75
      recover-scale = 1.25
      impact-time = 1 minute
      minimum-last-n-value = 1
      maximum-enforced-last-n-value = 40
    }
    conference-last-n-limits { }
    average-participant-stress = 0.01
  }
  sctp { enabled = true, max-channels = 1 }
  stats {
    interval = 5 seconds
    transit-time { enable-json = true, enable-prometheus = false, enable-jitter = false }
    jvm.enabled = true
  }
  websockets {
    enabled = false
    server-id = "default-id"
    enable-compression = true
    send-keepalive-pings = true
    keepalive-ping-interval = 15 seconds
    idle-timeout = 60 seconds
    domains = []
    relay-domains = []
  }
  ice {
    udp.port = 10000
    keep-alive-strategy = "selected_only"
    resolve-remote-candidates = false
    nomination-strategy = "NominateFirstHostOrReflexiveValid"
    advertise-private-candidates = true
    restart { enabled = true, transition-window = 3 seconds, timeout = 20 seconds }
  }
  transport.send.queue-size = 1024
  speech-activity {
    recent-speakers-count = 10
    enable-silence-detection = false
    silence-detection-timeout = 3 seconds
  }
  loudest {
    route-loudest-only = false
    num-loudest = 3
    always-route-dominant = true
    energy-expire-time = 150 milliseconds
    energy-alpha-pct = 50
  }
  version.announce = false
  shutdown {
    graceful-shutdown-max-duration = 24 hours
    graceful-shutdown-min-participants = 0
    shutting-down-delay = 1 minutes
  }
  initial-drain-mode = false
  stats-filter-threshold = 20
  redact-remote-addresses = true
  redact-colibri-http-headers = true
  connection-stats { enabled = true, interval = 10 seconds }
  ssrc-limit { video = 50, audio = 50 }
  exporter { base-delay = 1 second, max-delay = 30 seconds, stable-connection-threshold = 30 seconds }
}

tracing { enabled = false, service-name = "jvb" }

jmt {
  bwe {
    estimator {
      engine = GoogleCc2
      initial-bw = 2500 kbps
      min-bw = 30 kbps
      max-bw = 20 mbps
      GoogleCc {
        default-window-size = 5 seconds
        default-bucket-size = 100 ms
        default-initial-ignore-bwe-period = 10 seconds
      }
      GoogleCc2 {
        default-window-size = 1 seconds
        default-bucket-size = 20 ms
        default-initial-ignore-bwe-period = 0 seconds
      }
    }
    send-side {
      low-loss-threshold = 0.02
      high-loss-threshold = 0.1
      bitrate-threshold = 100 kbps
      loss-experiment {
        probability = 0
        low-loss-threshold = ${jmt.bwe.send-side.low-loss-threshold}
        high-loss-threshold = ${jmt.bwe.send-side.high-loss-threshold}
        bitrate-threshold = ${jmt.bwe.send-side.bitrate-threshold}
      }
      timeout-experiment.probability = 0
    }
    overuse-detector { initial-threshold = 25.0, overusing-time-threshold = 100.0 }
  }
  dtls {
    handshake-timeout = 30 seconds
    cipher-suites = [
      TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
      TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
      TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
      TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
      TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
    ]
    local-fingerprint-hash-function = sha-256
    accepted-fingerprint-hash-functions = [ sha-512, sha-384, sha-256, sha-1 ]
  }
  keyframe {
    min-interval = 200 ms
    max-requests = 3
    max-request-interval = 10 s
    source-wide-min-interval = 200 ms
    source-wide-max-requests = 1
    source-wide-max-request-interval = 200 ms
  }
  srtp {
    max-consecutive-packets-discarded-early = -1
    protection-profiles = [ "SRTP_AEAD_AES_128_GCM", "SRTP_AES128_CM_HMAC_SHA1_80" ]
    factory-class = "OpenSSL"
  }
  audio {
    red { policy = NOOP, distance = TWO, vad-only = true }
    level { forwarded-silence-packets-limit = 3, discard-silence = true }
  }
  rtp.bitrate-calculator { }
  transceiver { recv.queue-size = 1024, send.queue-size = 1024 }
  debug {
    pcap { enabled = false, start-enabled = false, directory = "/tmp" }
    packet-loss {
      incoming { uniform-rate = 0 %, burst-size = 0, burst-interval = 0 }
      outgoing { uniform-rate = 0 %, burst-size = 0, burst-interval = 0 }
    }
    packet-timeline { enabled = false, log-fraction = 10000 }
    payload-verification.enabled = false
  }
}

ice4j {
  ice { max-check-list-size = 100, termination-delay = 3 seconds }
  software = "ice4j.org"
  use-component-socket = true
  send-to-last-received-from-address = false
  redact-remote-addresses = false
  consent-freshness {
    interval = 15 seconds
    original-wait-interval = 500 milliseconds
    max-wait-interval = 500 milliseconds
    max-retransmissions = 30
    randomize-interval = true
  }
  harvest {
    use-ipv6 = true
    use-link-local-addresses = true
    timeout = 15 seconds
    udp { use-dynamic-ports = true, socket-pool-size = 0 }
    allowed-addresses = []
    blocked-addresses = []
    allowed-interfaces = []
    blocked-interfaces = []
    mapping {
      aws { enabled = true, force = false }
      stun.addresses = []
      static-mappings = []
    }
  }
}
)HOCON";

const std::string_view kJicocoDefaults = R"HOCON(
videobridge.http-servers {
  public { need-client-auth = false, send-server-version = false }
  private { port = 8080, tls-port = 8443, need-client-auth = false, send-server-version = false }
}
)HOCON";

const std::string_view kApplicationOverrides = R"HOCON(
ice4j {
  consent-freshness { interval = 5 seconds, max-retransmissions = 5 }
  harvest {
    use-link-local-addresses = false
    udp { receive-buffer-size = 10485760, use-dynamic-ports = false }
  }
  redact-remote-addresses = ${videobridge.redact-remote-addresses}
}
)HOCON";

}  // namespace jvb::config
