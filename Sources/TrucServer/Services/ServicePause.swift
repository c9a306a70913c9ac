import ServiceLifecycle

/// Waits `duration` between a service's rounds, or less when the hub begins to stop: no wait of a background
/// service may hold up a graceful shutdown. (A sequencer backing off 30 s after a store failure, a time-stamper
/// backing off 5 minutes, made SIGTERM take as long: the process was killed instead of stopping.)
func pauseUnlessStopping(for duration: Duration) async {
    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
}
