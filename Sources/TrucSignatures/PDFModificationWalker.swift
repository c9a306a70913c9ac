

extension PDFModifications {
    /// Where an object is reached from, which decides what may change in it.
    enum Role: Hashable {
        /// Anything the document shows or uses: nothing may change.
        case content
        case catalog, info, dss, acroForm
        /// An array of fields (AcroForm `/Fields`) or of a page's annotations (`/Annots`).
        case fields, annots
        /// A signature field (or widget) added after the signature.
        case newSignature
        /// Under a new signature field or the DSS: new objects may be added, existing ones stay as signed.
        case added
        /// The catalog's XMP metadata stream (`/Metadata`), which signing tools update (pyHanko: LTA_UPDATES).
        case metadata
    }

    struct Reference: Hashable {
        let number: Int
        let generation: Int
    }

    static let dssKeys: Set<String> = ["Type", "Certs", "OCSPs", "CRLs", "VRI", "Cert", "OCSP", "CRL", "TU", "TS"]
    static let streamKeys: Set<String> = ["Length", "Filter", "DecodeParms", "DL"]
    static let acroFormKeys: Set<String> = ["Fields", "SigFlags", "DR", "DA"]
    static let filledFieldKeys: Set<String> = ["V", "AP", "AS"]

    /// A VRI map's key: the hex SHA-1 of a signature value (40 hex digits).
    static func isVRIKey(_ key: String) -> Bool { key.utf8.count == 40 && key.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) || ($0 >= 0x61 && $0 <= 0x66) } }

    struct Walker {
        let signed: PDFRevision
        let final: PDFRevision
        let permitSignatures: Bool
        var result = PDFModifications()
        var queue: [(Reference, Role)] = []
        var seen: Set<Visit> = []
        /// New objects a permitted change put in place of an old value (a form, a field list, a page's
        /// annotations), with that old value: checked against it when visited.
        var replacements: [Reference: PDFValue] = [:]

        struct Visit: Hashable {
            let reference: Reference
            let role: Role
        }

        init(signed: PDFRevision, final: PDFRevision, permitSignatures: Bool) {
            self.signed = signed
            self.final = final
            self.permitSignatures = permitSignatures
        }

        mutating func run() throws -> PDFModifications {
            guard case .reference(let n, let g)? = final.trailer["Root"], signed.trailer["Root"] == .reference(n, g) else {
                return fail("the document catalog (/Root) is replaced")
            }
            if final.trailer["Encrypt"] != signed.trailer["Encrypt"] { return fail("the encryption dictionary (/Encrypt) is changed") }
            enqueue(Reference(number: n, generation: g), .catalog)
            if case .reference(let i, let ig)? = final.trailer["Info"] { enqueue(Reference(number: i, generation: ig), .info) }
            while let (reference, role) = queue.popLast() {
                try visit(reference, role)
                if result.problem != nil { break }
            }
            return result
        }

        mutating func fail(_ problem: String) -> PDFModifications {
            if result.problem == nil { result.problem = problem }
            return result
        }

        mutating func enqueue(_ reference: Reference, _ role: Role) {
            if seen.insert(Visit(reference: reference, role: role)).inserted { queue.append((reference, role)) }
        }

        /// One object in one role: unchanged, or changed as the role permits; then what it refers to.
        mutating func visit(_ reference: Reference, _ role: Role) throws {
            let (n, g) = (reference.number, reference.generation)
            let new = try final.object(n, generation: g)
            var overrides: [String: Role] = [:]
            var added: Set<Reference> = []
            if try !unchanged(reference, new) {
                let old = try signed.object(n, generation: g)
                guard let permitted = try permit(reference, role, old: old, new: new, overrides: &overrides, added: &added) else { return }
                result.level = max(result.level, permitted)
            }
            if let value = new?.value { walk(value, role, overrides: overrides, added: added) }
        }

        /// True when the object is the one the signed revision has: the same entry (the same bytes), or an
        /// equal value and stream.
        func unchanged(_ reference: Reference, _ new: PDFObject?) throws -> Bool {
            let entry = final.entry(reference.number), before = signed.entry(reference.number)
            if let entry, entry == before {
                if case .compressed(let stream, _) = entry { if final.entry(stream) == signed.entry(stream) { return true } } else { return true }
            }
            let old = try signed.object(reference.number, generation: reference.generation)
            return Self.same(old, new, final.file)
        }

        static func same(_ a: PDFObject?, _ b: PDFObject?, _ file: PDFFile) -> Bool {
            guard let a, let b else { return a == nil && b == nil }
            guard a.value == b.value, (a.stream == nil) == (b.stream == nil) else { return false }
            guard a.stream != nil else { return true }
            guard let x = file.rawStream(a), let y = file.rawStream(b), x.count == y.count else { return false }
            return x.elementsEqual(y)
        }

        /// The level of a permitted change, or nil after recording why it is not permitted.
        mutating func permit(_ reference: Reference, _ role: Role, old: PDFObject?, new: PDFObject?,
                             overrides: inout [String: Role], added: inout Set<Reference>) throws -> Level? {
            let n = reference.number
            func refuse(_ problem: String) -> Level? { _ = fail(problem); return nil }
            guard let new else { return refuse("object \(n), part of the signed document, is removed") }
            let newDictionary = new.value.dictionary
            switch role {
            case .content:
                guard let old else { return refuse("object \(n) \(reference.generation), which the signed document refers to, is first defined after the signature") }
                if let level = try contentChange(old: old, new: new, overrides: &overrides, added: &added) { return level }
                return result.problem == nil ? refuse("object \(n), part of the signed document, is changed after the signature") : nil
            case .catalog:
                guard let was = old?.value.dictionary, let now = newDictionary, new.stream == nil else { return refuse("the document catalog is not a dictionary") }
                var level = Level.none
                for key in Set(was.keys).union(now.keys).sorted() where was[key] != now[key] {
                    switch key {
                    case "DSS", "Extensions", "Metadata": level = max(level, .validationData)
                    case "AcroForm":
                        // what the form gains is judged where it is visited (a document time-stamp is validation data)
                        guard try change(old: was[key], new: now[key], .acroForm, added: &added) else { return nil }
                        level = max(level, .validationData)
                    default: return refuse("the catalog is changed after the signature (/\(key))")
                    }
                }
                return level
            case .acroForm, .fields, .annots:
                guard let before = old?.value ?? replacements[reference] else {
                    return refuse("object \(n) \(reference.generation), which the signed document refers to, is first defined after the signature")
                }
                guard new.stream == nil, try compare(before, new.value, role, added: &added) else { return nil }
                return .validationData
            case .newSignature:
                guard old == nil else { return refuse("object \(n) of the signed document is reused as a new signature field") }
                return try newSignature(n, new)
            case .dss:
                if new.stream != nil {
                    guard Set(newDictionary?.keys ?? [:].keys).isSubset(of: PDFModifications.streamKeys) else {
                        return refuse("a stream of the validation data is not plain data (object \(n))")
                    }
                } else if let dictionary = newDictionary {
                    guard dictionary.keys.allSatisfy({ PDFModifications.dssKeys.contains($0) || isVRIKey($0) }),
                          dictionary["Type"].map({ $0 == .name("DSS") || $0 == .name("VRI") }) ?? true else {
                        return refuse("object \(n) in the validation data is not DSS or VRI data")
                    }
                } else if new.value.array == nil {
                    return refuse("object \(n) in the validation data is not an array, DSS or VRI data")
                }
                return .validationData
            case .added:
                guard old == nil else { return refuse("object \(n), part of the signed document, is changed after the signature") }
                return .validationData
            case .info:
                guard newDictionary != nil, new.stream == nil else { return refuse("the document information (object \(n)) is not a dictionary") }
                return .validationData
            case .metadata:
                guard new.stream != nil, let dictionary = newDictionary, dictionary["Type"] == .name("Metadata"), dictionary["Subtype"] == .name("XML"),
                      Set(dictionary.keys).isSubset(of: PDFModifications.streamKeys.union(["Type", "Subtype"])) else {
                    return refuse("the document's metadata (object \(n)) is replaced by something that is not an XMP stream")
                }
                return .validationData
            }
        }

        /// Changes of an object the document uses that are still permitted: a page gaining signature widgets, a
        /// signature field left empty at signing being signed.
        mutating func contentChange(old: PDFObject, new: PDFObject, overrides: inout [String: Role], added: inout Set<Reference>) throws -> Level? {
            guard old.stream == nil, new.stream == nil, let was = old.value.dictionary, let now = new.value.dictionary else { return nil }
            let changed = Set(was.keys).union(now.keys).filter { was[$0] != now[$0] }
            if was["Type"] == .name("Page"), now["Type"] == .name("Page"), changed == ["Annots"] {
                guard try change(old: was["Annots"], new: now["Annots"], .annots, added: &added) else { return nil }
                return .validationData
            }
            if was["FT"] == .name("Sig"), now["FT"] == .name("Sig"), was["V"] == nil, changed.isSubset(of: PDFModifications.filledFieldKeys) {
                guard permitSignatures else { _ = fail("a signature is added after a certification that permits no changes (DocMDP P=1)"); return nil }
                overrides = ["V": .added, "AP": .added]
                return .signatures
            }
            return nil
        }

        /// A key of a changed object whose value is a form, a field list or an annotation list (`role`): the same
        /// reference (the object is checked when visited), a new object (checked against the old value when
        /// visited), or a direct value compared here. Another object of the signed document is refused.
        mutating func change(old: PDFValue?, new: PDFValue?, _ role: Role, added: inout Set<Reference>) throws -> Bool {
            let before = try signed.resolve(old) ?? (role == .acroForm ? .dictionary([:]) : .array([]))
            switch new {
            case .reference(let n, let g)?:
                if old == new { return true }
                guard !signed.defines(n) else {
                    _ = fail("object \(n) of the signed document is put in place of another after the signature")
                    return false
                }
                replacements[Reference(number: n, generation: g)] = before
                return true
            case let value?:
                return try compare(before, value, role, added: &added)
            case nil:
                return try compare(before, role == .acroForm ? .dictionary([:]) : .array([]), role, added: &added)
            }
        }

        /// An old and a new form, field list or annotation list.
        mutating func compare(_ old: PDFValue, _ new: PDFValue, _ role: Role, added: inout Set<Reference>) throws -> Bool {
            if role == .acroForm {
                guard let was = old.dictionary, let now = new.dictionary else { _ = fail("the form is not a dictionary"); return false }
                for key in Set(was.keys).union(now.keys).sorted() where was[key] != now[key] && !PDFModifications.acroFormKeys.contains(key) {
                    _ = fail("the form is changed after the signature (/\(key))")
                    return false
                }
                return was["Fields"] == now["Fields"] ? true : try change(old: was["Fields"], new: now["Fields"], .fields, added: &added)
            }
            guard let was = old.array, let now = new.array else { _ = fail("a list of fields or annotations is not an array"); return false }
            return try listChange(old: was, new: now, what: role == .fields ? "a field" : "an annotation", added: &added)
        }

        /// A list that keeps every entry the signed revision had and only gains references to objects the
        /// signed revision never defined (which are then checked as new signature fields).
        mutating func listChange(old: [PDFValue], new: [PDFValue], what: String, added: inout Set<Reference>) throws -> Bool {
            // In linear time (a page may list 100,000 annotations): references as sets; entries written directly
            // (not references) must stay exactly as they were.
            func split(_ list: [PDFValue]) -> (Set<Reference>, [PDFValue]) {
                var references = Set<Reference>(), direct: [PDFValue] = []
                for entry in list {
                    if case .reference(let n, let g) = entry { references.insert(Reference(number: n, generation: g)) } else { direct.append(entry) }
                }
                return (references, direct)
            }
            let (kept, keptDirect) = split(old), (now, nowDirect) = split(new)
            guard kept.isSubset(of: now), keptDirect.count <= nowDirect.count, nowDirect.starts(with: keptDirect) else {
                _ = fail("\(what) of the signed document is removed after the signature")
                return false
            }
            guard nowDirect.count == keptDirect.count else {
                _ = fail("\(what) that is not a new signature field is added after the signature")
                return false
            }
            for entry in new {
                guard case .reference(let n, let g) = entry, !kept.contains(Reference(number: n, generation: g)) else { continue }
                guard !signed.defines(n) else {
                    _ = fail("\(what) that is not a new signature field is added after the signature")
                    return false
                }
                added.insert(Reference(number: n, generation: g))
            }
            return true
        }

        /// A new signature field (or its widget): `/FT /Sig` on it or its parent; after a P=1 certification only
        /// a document time-stamp.
        mutating func newSignature(_ n: Int, _ object: PDFObject) throws -> Level? {
            guard object.stream == nil, let dictionary = object.value.dictionary else { _ = fail("object \(n), added as a field, is not a dictionary"); return nil }
            let parent = try final.resolve(dictionary["Parent"])?.dictionary
            guard (dictionary["FT"] ?? parent?["FT"]) == .name("Sig") else {
                _ = fail("a form field or annotation that is not a signature is added after the signature (object \(n))")
                return nil
            }
            let value = try final.resolve(dictionary["V"] ?? parent?["V"])?.dictionary
            if value?["Type"] == .name("DocTimeStamp") || value?["SubFilter"] == .name(PDFVerifier.documentTimeStamp) { return .validationData }
            guard permitSignatures else {
                _ = fail("a signature is added after a certification that permits no changes (DocMDP P=1)")
                return nil
            }
            return .signatures
        }

        /// Queues the references in `value`, each with the role its place gives it.
        mutating func walk(_ value: PDFValue, _ role: Role, overrides: [String: Role], added: Set<Reference>) {
            switch value {
            case .reference(let n, let g):
                let reference = Reference(number: n, generation: g)
                enqueue(reference, added.contains(reference) ? .newSignature : role)
            case .array(let items):
                let itemRole: Role = role == .fields || role == .annots ? .content : role
                for item in items { walk(item, itemRole, overrides: [:], added: added) }
            case .dictionary(let dictionary):
                // in key order: the walk, and so the first change reported, is the same for every reading of the file
                for (key, child) in dictionary.sorted(by: { $0.key < $1.key }) {
                    walk(child, overrides[key] ?? Self.role(of: key, in: dictionary, under: role), overrides: [:], added: added)
                }
            default:
                break
            }
        }

        /// The role of what `key` of a dictionary in `role` refers to.
        static func role(of key: String, in dictionary: [String: PDFValue], under role: Role) -> Role {
            switch role {
            case .catalog:
                switch key {
                case "DSS": .dss
                case "Extensions": .added
                case "AcroForm": .acroForm
                case "Metadata": .metadata
                default: .content
                }
            case .acroForm:
                key == "Fields" ? .fields : key == "DR" ? .added : .content
            case .content:
                key == "Annots" && dictionary["Type"] == .name("Page") ? .annots : .content
            case .newSignature:
                key == "P" || key == "Parent" ? .content : key == "Kids" ? .newSignature : .added
            case .info, .metadata: .added
            case .dss, .added, .fields, .annots: role
            }
        }
    }
}
