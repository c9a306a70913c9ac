import Foundation

/// A database path in the temporary directory that nothing uses yet.
func temporaryPath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("truc-sqlite-\(UUID().uuidString).db").path
}
