import Foundation
package enum StoreError: Error, CustomStringConvertible {
    case notFound(String)
    case conflict(String)
    case invalid(String)
    package var description: String {
        switch self {
        case .notFound(let m), .conflict(let m), .invalid(let m): m
        }
    }
}

/// A column's value as it leaves one store and enters another (`truc migrate`), free of either engine's types.
package enum StoreValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case bytes([UInt8])
}
