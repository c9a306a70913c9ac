package import Foundation
import Subprocess
import Synchronization
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A long-running program (a server, a responder) run by swift-subprocess in a task of its own, with the part of
/// Foundation's `Process` the tests use: set `executableURL`, `arguments`, `environment` (replaces this
/// process's), `standardOutput`/`standardError`/`standardInput` (a `FileHandle` or a `Pipe`; nothing: /dev/null),
/// start it with `Program.launch`, then `isRunning`, `terminate()`, `kill()`, `waitUntilExit()`, `terminationStatus`.
package final class SpawnedProcess: @unchecked Sendable {
    package var executableURL: URL?
    package var arguments: [String] = []
    package var environment: [String: String]?
    package var standardOutput: Any?
    package var standardError: Any?
    package var standardInput: Any?

    private struct State {
        var pid: pid_t = 0
        var status: Int32?
        var ended: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    package init() {}

    package var processIdentifier: Int32 { state.withLock { $0.pid } }

    /// The descriptor to give the child, and whether it is ours to close once the child has it: the handle's own
    /// (kept open by its `FileHandle`), or a new one on /dev/null for nothing or `FileHandle.nullDevice` (whose
    /// descriptor number is not one to pass on: it can name another file of this process by then).
    static func descriptor(_ handle: Any?, reading: Bool) -> (FileDescriptor, close: Bool) {
        switch handle {
        case let file as FileHandle where file !== FileHandle.nullDevice: return (FileDescriptor(rawValue: file.fileDescriptor), false)
        case let pipe as Pipe:
            return (FileDescriptor(rawValue: reading ? pipe.fileHandleForReading.fileDescriptor : pipe.fileHandleForWriting.fileDescriptor), false)
        default: return (FileDescriptor(rawValue: open("/dev/null", O_RDWR | O_CLOEXEC)), true)
        }
    }

    func start() async throws {
        guard let executableURL else { throw CocoaError(.fileNoSuchFile) }
        let variables = environment.map { Environment.custom(Environment.keyed($0)) } ?? .inherit
        let configuration = Configuration(executable: .path(FilePath(executableURL.path)), arguments: Arguments(arguments), environment: variables)
        let input = Self.descriptor(standardInput, reading: true), output = Self.descriptor(standardOutput, reading: false),
            error = Self.descriptor(standardError, reading: false)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let started = Started(continuation)
            Task.detached { [self] in
                let status: Int32
                do {
                    let result = try await Subprocess.run(configuration,
                                                          input: .fileDescriptor(input.0, closeAfterSpawningProcess: input.close),
                                                          output: .fileDescriptor(output.0, closeAfterSpawningProcess: output.close),
                                                          error: .fileDescriptor(error.0, closeAfterSpawningProcess: error.close)) { execution in
                        state.withLock { $0.pid = execution.processIdentifier.value }
                        started.resume(with: .success(()))
                    }
                    status = result.terminationStatus.code
                } catch {
                    started.resume(with: .failure(error))
                    status = 127
                }
                let waiting = state.withLock { state in
                    state.status = status
                    defer { state.ended = [] }
                    return state.ended
                }
                for waiter in waiting { waiter.resume() }
            }
        }
        // The child holds the pipes' writing ends now: ours are closed so that readers see the end.
        for handle in [standardOutput, standardError] { if let pipe = handle as? Pipe { try? pipe.fileHandleForWriting.close() } }
    }

    /// True from start until the program has ended and been reaped.
    package var isRunning: Bool { state.withLock { $0.pid > 0 && $0.status == nil } }

    package func terminate() { if isRunning { Glibc.kill(processIdentifier, SIGTERM) } }

    /// SIGKILL to the program and everything it started, without waiting: for `defer` blocks, which cannot wait.
    package func kill() { if isRunning { Program.killTree(processIdentifier) } }

    package func waitUntilExit() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.status != nil || state.pid == 0 { return true }
                state.ended.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// The exit status, or the number of the signal that ended it (as Foundation reports it).
    package var terminationStatus: Int32 { state.withLock { $0.status ?? 0 } }
}

/// A continuation resumed once: when the program runs, or with the error that kept it from starting.
private final class Started: Sendable {
    private let continuation: Mutex<CheckedContinuation<Void, any Error>?>

    init(_ continuation: CheckedContinuation<Void, any Error>) { self.continuation = Mutex(continuation) }

    func resume(with result: Result<Void, any Error>) { continuation.withLock { $0.take() }?.resume(with: result) }
}
