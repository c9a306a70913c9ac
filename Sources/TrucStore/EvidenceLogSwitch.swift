import Synchronization
import Foundation

/// Whether this process writes the evidence log (`truc serve --evidence-log off` turns it off, to measure what it
/// costs: the gap shows, as messages without events, in `truc log verify`). Read by the stores where they write
/// events; set once, before the hub starts.
package enum EvidenceLogSwitch {
    private static let state = Atomic<Bool>(true)
    package static var isOn: Bool { state.load(ordering: .relaxed) }
    package static func set(_ on: Bool) { state.store(on, ordering: .relaxed) }
}
