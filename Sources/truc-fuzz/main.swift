// libFuzzer entry point for Truc's parsers (see scripts/fuzz.sh, which builds this with
// -sanitize=fuzzer,address -parse-as-library -DTRUC_FUZZING in its own scratch path). In an ordinary build it
// is an empty program. The target is chosen by TRUC_FUZZ_TARGET (edxml, base64, zip, pdf, cms, vxp, receipt, date).
#if TRUC_FUZZING
import CFuzzDriver
import Foundation
import TrucFuzzing

let fuzzTarget: FuzzTarget = {
    guard let name = ProcessInfo.processInfo.environment["TRUC_FUZZ_TARGET"], let target = FuzzTarget(rawValue: name) else {
        fatalError("set TRUC_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzTarget.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

/// SwiftPM links `main` to this name in debug builds; release builds use libFuzzer's own main.
@_cdecl("truc_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzz(data, size) }
}
#endif
