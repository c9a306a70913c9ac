import TrucConcurrency

/// What one PDF may cost, spent inside the reader's loops (not only between files): cross-reference
/// entries declared, objects parsed, bytes inflated, object streams inflated, and the document's work budget.
/// Past any of them the reader throws `PDFSyntaxError.tooComplex`, which the hub answers with 422 too-complex.
final class PDFBudget {
    struct Limits: Sendable {
        /// Cross-reference entries read, over every section of the file.
        var maxEntries = 1 << 20
        /// Cross-reference sections (revisions and their `/XRefStm`s) followed.
        var maxSections = 256
        /// Bytes inflated from the file's streams, in total.
        var maxInflated = 64 << 20
        /// Objects parsed (each object once per revision that is compared).
        var maxObjects = 1 << 20
        /// Bytes of one decoded stream.
        var maxStream = 16 << 20
        static let `default` = Limits()
    }

    let limits: Limits
    let budget: WorkBudget?
    private(set) var entries = 0
    private(set) var inflated = 0
    private(set) var objects = 0

    init(_ limits: Limits = .default, budget: WorkBudget? = nil) {
        self.limits = limits
        self.budget = budget
    }

    func spendEntries(_ n: Int) throws {
        entries = Checked.add(entries, n) ?? .max
        guard entries <= limits.maxEntries else {
            throw PDFSyntaxError.tooComplex("the file declares more than \(limits.maxEntries) cross-reference entries")
        }
    }

    func spendInflated(_ n: Int) throws {
        inflated = Checked.add(inflated, n) ?? .max
        guard inflated <= limits.maxInflated else { throw inflatedTooMuch }
        try checkTime()
    }

    /// Before inflating anything: nothing once the budget is spent.
    func requireInflationRoom() throws {
        guard inflated < limits.maxInflated else { throw inflatedTooMuch }
        try checkTime()
    }

    private var inflatedTooMuch: PDFSyntaxError {
        .tooComplex("reading the file would inflate more than \(limits.maxInflated >> 20) MiB")
    }

    func spendObject() throws {
        objects += 1
        guard objects <= limits.maxObjects else { throw PDFSyntaxError.tooComplex("the file needs more than \(limits.maxObjects) objects read") }
        if objects & 255 == 0 { try checkTime() }
    }

    func checkTime() throws {
        if let budget, budget.spent {
            throw PDFSyntaxError.tooComplex("reading the file took longer than the work budget for one document")
        }
    }
}
