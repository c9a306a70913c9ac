import ServiceLifecycle
import TrucRevocation

/// Refreshes the fetched CRLs before their `nextUpdate` (and when older than the freshness), so that a
/// CRL the CA publishes after the hub started is picked up without a restart and intake rarely waits for a
/// CA. Shuts the revocation HTTP client down when the hub stops.
struct RevocationRefreshService: Service {
    let revocation: NetworkRevocation
    let interval: Duration

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            revocation.refreshCRLs()
            await pauseUnlessStopping(for: interval)
        }
        await revocation.shutdown()
    }
}
