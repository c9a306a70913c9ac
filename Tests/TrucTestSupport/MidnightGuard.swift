import Foundation

/// Tests whose expectations name "today" — a Vietnam day (UTC+7: midnight is 17:00 UTC) — start no later than
/// `margin` seconds before that day ends: one that straddled midnight would count its documents on one day and ask
/// for the other (seen in a full run at 17:00:10 UTC). Waits at most `margin` seconds, once a day.
package enum MidnightGuard {
    package static func awayFromMidnight(margin: Double = 120) async throws {
        let now = Date().timeIntervalSince1970
        let secondsIntoDay = (now + 7 * 3600).truncatingRemainder(dividingBy: 86_400)
        let left = 86_400 - secondsIntoDay
        if left < margin { try await Task.sleep(for: .seconds(left + 1)) }
    }
}
