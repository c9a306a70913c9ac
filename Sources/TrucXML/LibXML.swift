import CLibXML2

/// libxml2's process-wide set-up, done exactly once (Swift globals initialise thread-safely).
///
/// - `xmlInitParser` must run before any parse from several threads;
/// - the external entity loader is replaced by one that refuses everything, so that no code path
///   (parser, schema compiler, anything) can ever read a file or open a connection on behalf of a document.
/// `xmlCleanupParser` is never called: other threads may still be using the library.
private let libxmlSetUp: Void = {
    xmlInitParser()
    xmlSetExternalEntityLoader { _, _, _ in nil }
}()

package enum LibXML {
    /// Ensures the global set-up ran. Cheap after the first call.
    @inline(__always) package static func setUp() { _ = libxmlSetUp }
}
