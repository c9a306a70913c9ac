/// Truc's version: `truc --version`, the validator named in ETSI validation reports.
package enum TrucVersion {
    package static let string = "0.1.0"
}
