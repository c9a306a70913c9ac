import Foundation
import NIOConcurrencyHelpers
import Prometheus
import TrucCore
import TrucCrypto
import TrucRevocation
import TrucStore

/// The hub's Prometheus metrics (text format at `GET /metrics`, operator credential): intake results by
/// sender, verdict buckets, delivery attempts by kind and outcome, intake latency; queue depth by state and
/// the age of the oldest undelivered message are read from the store at each scrape. One registry per hub.
package final class HubMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let intakeLatency: DurationHistogram
    /// Counters and histograms by metric and label values, made once: the registry's `make…` builds names,
    /// checks help texts and takes its lock on every call, a visible share of a small request's time.
    private let counters = NIOLockedValueBox<[[String]: Counter]>([:])
    private let histograms = NIOLockedValueBox<[[String]: DurationHistogram]>([:])

    package init() {
        intakeLatency = registry.makeDurationHistogram(
            descriptor: Self.name("intake_duration", "seconds", "Time to answer POST /v1/messages"),
            buckets: [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                      .milliseconds(500), .seconds(1), .seconds(5)])
    }

    /// Messages posted, by result — never by agency: a national hub has 30,000 of them (per-agency detail is in
    /// the API: statistics and refusals). The result is a bounded set (accepted, duplicate, the error codes).
    func intake(result: String, duration: Duration) {
        counter(["intake", result]) {
            $0.makeCounter(descriptor: Self.name("intake", "total", "Messages posted to the hub, by result (accepted, duplicate, or the error code)"),
                           labels: [("result", result)])
        }.increment()
        intakeLatency.recordNanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + Int64(duration.components.attoseconds / 1_000_000_000))
    }

    /// Every HTTP request, by matched route (not the raw path: ids would explode the label set), method and status.
    func request(route: String, method: String, status: Int, duration: Duration) {
        let key = ["http_request_duration", route, method, String(status)]
        let histogram = histograms.withLockedValue { $0[key] } ?? histograms.withLockedValue { cache in
            let made = registry.makeDurationHistogram(
                descriptor: Self.name("http_request_duration", "seconds", "Time to answer a request, by route, method and status"),
                labels: [("route", route), ("method", method), ("status", String(status))],
                buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                          .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5)])
            cache[key] = made
            return made
        }
        histogram.recordNanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + Int64(duration.components.attoseconds / 1_000_000_000))
    }

    /// Calls in the national SDK's dialect, by operation and result (ok or Truc's error code).
    func vxp(operation: String, result: String) {
        counter(["vxp_calls", operation, result]) {
            $0.makeCounter(descriptor: Self.name("vxp_calls", "total", "Calls in the national SDK's dialect, by operation and result"),
                           labels: [("operation", operation), ("result", result)])
        }.increment()
    }

    func verdict(bucket: String) {
        counter(["verification", bucket]) {
            $0.makeCounter(descriptor: Self.name("verification", "total", "Signature verdicts of accepted messages, by statistics bucket"),
                           labels: [("bucket", bucket)])
        }.increment()
    }

    func delivery(how: String, outcome: String) {
        counter(["delivery_attempts", how, outcome]) {
            $0.makeCounter(descriptor: Self.name("delivery_attempts", "total", "Push and forward attempts, by outcome (delivered, retry, dead)"),
                           labels: [("how", how), ("outcome", outcome)])
        }.increment()
    }

    /// A background service's error that it recovered from (logged, retried with backoff).
    func serviceError(service: String) {
        counter(["service_errors", service]) {
            $0.makeCounter(descriptor: Self.name("service_errors", "total", "Errors a background service recovered from, by service"),
                           labels: [("service", service)])
        }.increment()
    }

    /// An archive round that stopped (the archive could not be written or recorded): nothing more is purged until
    /// the next round succeeds.
    func archiveFailed() {
        counter(["archive_failures"]) {
            $0.makeCounter(descriptor: Self.name("archive_failures", "total", "Purge rounds stopped because an archive could not be written or recorded"))
        }.increment()
    }

    /// An archive file written, synced and recorded.
    func archived(bytes: Int, at time: Int64) {
        counter(["archive_files"]) {
            $0.makeCounter(descriptor: Self.name("archive_files_written", "total", "Archive files this node wrote and recorded"))
        }.increment()
        counter(["archive_bytes"]) {
            $0.makeCounter(descriptor: Self.name("archive_written", "bytes_total", "Bytes of archive files this node wrote"))
        }.increment(by: Int64(bytes))
        registry.makeGauge(descriptor: Self.name("archive_last_success", "timestamp_seconds", "When this node last wrote and recorded an archive (0: never)"))
            .set(Double(time))
    }

    /// Payloads purged (after their archive was recorded).
    func purged(messages: Int, bytes: Int64) {
        counter(["purged_messages"]) {
            $0.makeCounter(descriptor: Self.name("purged_payloads", "total", "Payloads this node purged after archiving them"))
        }.increment(by: Int64(messages))
        counter(["purged_bytes"]) {
            $0.makeCounter(descriptor: Self.name("purged_payload", "bytes_total", "Payload bytes this node purged after archiving them"))
        }.increment(by: bytes)
    }

    /// The counter for `key` (metric name, then label values), made by `make` the first time.
    private func counter(_ key: [String], _ make: (PrometheusCollectorRegistry) -> Counter) -> Counter {
        if let found = counters.withLockedValue({ $0[key] }) { return found }
        return counters.withLockedValue { cache in
            if let found = cache[key] { return found }
            let made = make(registry)
            cache[key] = made
            return made
        }
    }

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "truc", metricName: metric, unitName: unit, helpText: help)
    }

    /// The text exposition, with the store's current queue figures and the gauges alerts need.
    func render(store: any EvidenceLogStore & OperationsStore & RetentionStore & WitnessStore, sources: GaugeSources? = nil) async throws -> [UInt8] {
        let now = Int64(Date().timeIntervalSince1970)
        if let sources { try await gauges(store: store, sources: sources, now: now) }
        // While the store is down the queue figures keep their last values (truc_ready says why).
        if sources?.health.isDown != true {
            try await queueGauges(store: store, now: now)
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    private func queueGauges(store: any EvidenceLogStore & OperationsStore & RetentionStore & WitnessStore, now: Int64) async throws {
        let (depths, oldest) = try await store.queueFigures(now: now)
        for state in DeliveryState.allCases {
            registry.makeGauge(descriptor: Self.name("queue_depth", "deliveries", "Deliveries by state"), labels: [("state", state.rawValue)])
                .set(Double(depths[state.rawValue] ?? 0))
        }
        registry.makeGauge(descriptor: Self.name("oldest_undelivered", "seconds", "Age of the oldest delivery not yet delivered, failed or dead"))
            .set(Double(oldest ?? 0))
    }
}

/// What the alerting gauges read besides the store: certificates, the trust directory, peers, the disk.
struct GaugeSources: Sendable {
    let trust: TrustState
    /// The hub's own TLS certificate chain and the client-certificate CAs (read once at start).
    let hubCertificates: [Certificate]
    let clientCAs: [Certificate]
    let peers: PeerStatusBoard
    let minFreeDiskBytes: Int64
    /// The store's state as the node's probe last saw it (no gauge waits for a store that is down).
    let health: StoreHealth
    /// A TSA time-stamps the evidence log's checkpoints (`--tsa-url`): their backlog is a gauge.
    var timeStamping = false
    /// The storage forecast (cached: it scans the messages) and its alert threshold in days.
    var forecaster: StorageForecaster? = nil
    var forecastThresholdDays = 30
}

extension HubMetrics {
    /// Readiness, free disk, the oldest message awaiting pull, certificate and CRL expiry, peer reachability.
    /// Label values are bounded by configuration (certificates, peers), never by agencies.
    func gauges(store: any EvidenceLogStore & OperationsStore & RetentionStore & WitnessStore, sources: GaugeSources, now: Int64) async throws {
        let free = store.freeDiskBytes() ?? 0
        let writable = !sources.health.isDown
        registry.makeGauge(descriptor: Self.name("ready", "", "1 when /readyz would answer 200 (store writable, disk above the threshold)"))
            .set(writable && free >= sources.minFreeDiskBytes ? 1.0 : 0.0)
        registry.makeGauge(descriptor: Self.name("disk_free", "bytes", "Free space in the data directory's file system")).set(Double(free))
        registry.makeGauge(descriptor: Self.name("disk_free_threshold", "bytes", "The --min-free-disk threshold of /readyz"))
            .set(Double(sources.minFreeDiskBytes))
        if writable {
            registry.makeGauge(descriptor: Self.name("oldest_awaiting_pull", "seconds", "Age of the oldest message waiting in an inbox to be pulled"))
                .set(Double(try await store.oldestAwaitingPull(now: now) ?? 0))
            // The evidence log: events waiting for their leaf, the latest checkpoint's age, checkpoints waiting for the TSA.
            registry.makeGauge(descriptor: Self.name("log_unsequenced", "events", "Evidence-log events written and not yet given a leaf"))
                .set(Double(try await store.unsequencedLogEvents()))
            let latest = try await store.checkpoint(size: nil)
            registry.makeGauge(descriptor: Self.name("log_checkpoint", "timestamp_seconds", "When the latest signed checkpoint of the evidence log was made (0: none)"))
                .set(Double(latest?.at ?? 0))
            registry.makeGauge(descriptor: Self.name("log_untimestamped", "checkpoints", "Signed checkpoints waiting for the TSA's time-stamp (0 without --tsa-url)"))
                .set(sources.timeStamping ? Double(try await store.checkpointsAwaitingTimeStamp(limit: 10_000).count) : 0)
            if let forecaster = sources.forecaster {
                let forecast = try await forecaster.current()
                for row in forecast.volume {
                    let labels = [("kind", row.kind), ("state", row.purged ? "purged" : row.final ? "final" : "pending")]
                    registry.makeGauge(descriptor: Self.name("stored_messages", "", "Messages the store holds, by kind and by whether every delivery is final"),
                                       labels: labels).set(Double(row.messages))
                    registry.makeGauge(descriptor: Self.name("stored_payload", "bytes", "Payload bytes the store holds, by kind and state"), labels: labels)
                        .set(Double(row.payloadBytes))
                }
                registry.makeGauge(descriptor: Self.name("store_disk", "bytes", "Bytes the store takes on disk (SQLite files and payload segments, or the PostgreSQL database)"))
                    .set(Double(forecast.diskBytes))
                registry.makeGauge(descriptor: Self.name("store_growth", "bytes_per_day", "The store's growth on disk over the last 7 days, per day"))
                    .set(forecast.growthBytesPerDay)
                if let days = forecast.daysUntilFull {
                    registry.makeGauge(descriptor: Self.name("disk_full_in", "days", "Days until the data directory's file system is full at the last 7 days' rate (+Inf: not growing)"))
                        .set(days)
                }
                registry.makeGauge(descriptor: Self.name("disk_full_in_threshold", "days", "The storage forecast's alert threshold (--disk-forecast-days)"))
                    .set(Double(sources.forecastThresholdDays))
            }
            let totals = try await store.purgeTotals()
            registry.makeGauge(descriptor: Self.name("store_purged_payloads", "", "Payloads purged from the store after archiving, all nodes, since the beginning"))
                .set(Double(totals.messages))
            registry.makeGauge(descriptor: Self.name("store_purged_payload", "bytes", "Payload bytes purged from the store after archiving, all nodes"))
                .set(Double(totals.bytes))
            registry.makeGauge(descriptor: Self.name("store_archives", "", "Archive files the store recorded")).set(Double(totals.archives))
            registry.makeGauge(descriptor: Self.name("store_archived", "bytes", "Bytes of the archive files the store recorded")).set(Double(totals.archivedBytes))
            registry.makeGauge(descriptor: Self.name("witness_forks", "", "Forks this hub saw as a witness: checkpoints of a watched log that did not extend the one it cosigned"))
                .set(Double(try await store.forkCount()))
        }
        let expiry = Self.name("certificate_expiry", "timestamp_seconds", "notAfter of the hub's, the client CAs' and the trust directory's certificates")
        let trust = sources.trust.trust
        for (role, certificates) in [("hub", sources.hubCertificates), ("client-ca", sources.clientCAs), ("trust-anchor", trust.anchors),
                                     ("trust-intermediate", trust.intermediates)] {
            for certificate in certificates {
                registry.makeGauge(descriptor: expiry, labels: [("role", role), ("subject", certificate.subject)]).set(Double(certificate.notAfter))
            }
        }
        for crl in trust.crls {
            registry.makeGauge(descriptor: Self.name("crl_next_update", "timestamp_seconds", "nextUpdate of each CRL of the trust directory"),
                               labels: [("issuer", crl.issuer)]).set(Double(crl.nextUpdate ?? 0))
        }
        if let network = sources.trust.revocation as? NetworkRevocation {
            for (url, stats) in network.responders {
                let lookups = Self.name("revocation_lookups", "", "Revocation lookups per OCSP responder or CRL URL, answered from the cache (hit) or not (miss)")
                registry.makeGauge(descriptor: lookups, labels: [("url", url), ("result", "hit")]).set(Double(stats.hits))
                registry.makeGauge(descriptor: lookups, labels: [("url", url), ("result", "miss")]).set(Double(stats.misses))
                registry.makeGauge(descriptor: Self.name("revocation_fetches", "", "OCSP and CRL fetches per URL"), labels: [("url", url)]).set(Double(stats.fetches))
                registry.makeGauge(descriptor: Self.name("revocation_fetch_failures", "", "OCSP and CRL fetches that gave no usable answer, per URL"),
                                   labels: [("url", url)]).set(Double(stats.failures))
                registry.makeGauge(descriptor: Self.name("revocation_fetch_duration", "seconds", "Total time spent fetching, per URL"),
                                   labels: [("url", url)]).set(stats.fetchSeconds)
            }
            for crl in network.crlStates {
                registry.makeGauge(descriptor: Self.name("revocation_crl_age", "seconds", "Age (now - thisUpdate) of each fetched CRL"), labels: [("url", crl.url)])
                    .set(Double(now - crl.thisUpdate))
                if let next = crl.nextUpdate {
                    registry.makeGauge(descriptor: Self.name("crl_next_update", "timestamp_seconds", "nextUpdate of each CRL of the trust directory"),
                                       labels: [("issuer", crl.issuer)]).set(Double(next))
                }
            }
        }
        for peer in await sources.peers.snapshot() {
            guard let reachable = peer.reachable else { continue }
            registry.makeGauge(descriptor: Self.name("peer_up", "", "1 when the last contact with a peer hub succeeded"), labels: [("peer", peer.code)])
                .set(reachable ? 1.0 : 0.0)
        }
    }
}
