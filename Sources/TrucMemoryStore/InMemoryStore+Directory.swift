import Foundation
package import TrucCore
import TrucCrypto
import TrucLog
package import TrucStore

// The DirectoryStore, CredentialStore, ClientSystemStore, SealStore and SessionStore roles in memory.
extension InMemoryStore {
    package func agency(_ code: String) -> Agency? { agencyByCode[code] }

    package func agencies() -> [Agency] { agencyByCode.keys.sorted().compactMap { agencyByCode[$0] } }

    package func agenciesVersion() -> Int64 { directoryVersionNumber }

    package func upsert(_ agency: Agency) {
        let before = agencyByCode[agency.code]
        logDirectoryChange(code: agency.code, name: agency.name, parent: agency.parent, deleted: false)
        agencyByCode[agency.code] = agency
        if agencyCreated[agency.code] == nil { agencyCreated[agency.code] = now() }
        directoryVersionNumber += 1
        if let before, before.pushURL != agency.pushURL { retarget(agency.code, to: agency.pushURL) }
        if before != agency { logAgencyChange(agency, by: nil) }
    }

    /// The agency's waiting deliveries follow a change of how it takes delivery (as the SQLite store's `retarget`).
    func retarget(_ code: String, to pushURL: String?) {
        let now = now()
        for i in deliveries.indices where deliveries[i].recipient == code {
            if let pushURL {
                if [.awaitingPull, .queued, .waitingRetry].contains(deliveries[i].state) {
                    deliveries[i].state = .queued
                    deliveries[i].target = pushURL
                    deliveries[i].nextAttemptAt = now
                    deliveries[i].updatedAt = now
                } else if deliveries[i].state == .dead, deliveries[i].target != nil {
                    deliveries[i].target = pushURL
                }
            } else if [.queued, .sending, .waitingRetry].contains(deliveries[i].state) {
                deliveries[i].state = .awaitingPull
                deliveries[i].target = nil
                deliveries[i].nextAttemptAt = nil
                deliveries[i].updatedAt = now
            }
        }
    }

    @discardableResult
    package func removeAgency(_ code: String) -> Bool { remove(code, by: nil) }

    /// Removes an agency and its tokens (`by`: the client system that asked).
    func remove(_ code: String, by system: String?) -> Bool {
        guard let existing = agencyByCode[code] else { return false }
        tokens = tokens.filter { $0.value.agency != code }
        logDirectoryChange(code: code, name: existing.name, parent: existing.parent, deleted: true)
        agencyByCode[code] = nil
        agencyCreated[code] = nil
        mails[code] = nil
        sealsByAgency[code] = nil
        directoryVersionNumber += 1
        logOperator("agency-removed", ["agency": .string(code), "system": system.map { .string($0) }])
        return true
    }

    func logAgencyChange(_ agency: Agency, by system: String?) {
        var details = LogEvent.agencyDetails(code: agency.code, name: agency.name, parent: agency.parent,
                                             certificateIdentifier: agency.certificateIdentifier, certificateSHA256: agency.certificateSHA256,
                                             pushURL: agency.pushURL, relay: agency.relay)
        details["system"] = system.map { .string($0) }
        logOperator("agency-changed", details)
    }

    func logDirectoryChange(code: String, name: String, parent: String?, deleted: Bool) {
        directoryLog.append(DirectoryChange(code: code, name: name, parent: parent, deleted: deleted, at: now(),
                                            version: Int64(directoryLog.count + 1)))
    }

    /// Each code's latest change (its version is the change's sequence number), deletions included.
    package func directoryChanges() -> [DirectoryChange] {
        var latest: [String: DirectoryChange] = [:]
        for change in directoryLog { latest[change.code] = change }
        return latest.keys.sorted().compactMap { latest[$0] }
    }

    // MARK: credentials

    package func issueToken(for code: String) throws -> String {
        try issue(prefix: "truc_", role: "agency", for: code)
    }

    package func issueViewerToken(for code: String) throws -> String {
        try issue(prefix: "trucv_", role: "viewer", for: code)
    }

    func issue(prefix: String, role: String, for code: String) throws -> String {
        guard agencyByCode[code] != nil else { throw StoreError.notFound("no agency \(code)") }
        let token = prefix + (try secureRandomBytes(32)).hexString
        tokens[Self.tokenHash(token)] = Token(agency: code, role: role)
        logOperator("token-issued", ["agency": .string(code), "role": .string(role), "credential": .string(Self.tokenHash(token))])
        return token
    }

    package func revokeTokens(of code: String, role: String?) throws -> Int {
        guard agencyByCode[code] != nil else { throw StoreError.notFound("no agency \(code)") }
        let revoked = tokens.filter { $0.value.agency == code && (role == nil || $0.value.role == role) }.map(\.key)
        for hash in revoked { tokens[hash] = nil }
        if !revoked.isEmpty {
            logOperator("tokens-revoked", ["agency": .string(code), "role": role.map { .string($0) }, "count": .integer(Int64(revoked.count))])
        }
        return revoked.count
    }

    package func credential(forToken token: String) -> (agency: Agency, role: String)? {
        guard let found = tokens[Self.tokenHash(token)], let agency = agencyByCode[found.agency] else { return nil }
        return (agency, found.role)
    }

    package func agency(forCertificateSHA256 fingerprint: String, identifiers: [String]) -> Agency? {
        let all = agencies()
        if let pinned = all.first(where: { $0.certificateSHA256 == fingerprint }) { return pinned }
        for identifier in identifiers {
            let matches = all.filter { $0.certificateIdentifier == identifier && $0.certificateSHA256 == nil }
            if matches.count == 1 { return matches[0] }
        }
        return nil
    }

    // MARK: client systems

    package func addSystem(id: String, name: String, agencies codes: [String], secret: String?, directoryChanges: Bool) throws -> String {
        guard ClientSystem.isValidId(id) else { throw StoreError.invalid("a systemid is 1–64 letters, digits, '.', '-' or '_'") }
        for code in codes where agencyByCode[code] == nil { throw StoreError.notFound("no agency \(code)") }
        let plain = try secret ?? ("vxp_" + secureRandomBytes(24).hexString)
        guard !plain.isEmpty else { throw StoreError.invalid("the secret is empty") }
        for code in codes {
            if let owner = systemOf[code], owner != id { throw StoreError.conflict("agency \(code) already belongs to system \(owner)") }
        }
        let created = systemsById[id]?.createdAt ?? now()
        systemsById[id] = System(name: name, secret: Array(plain.utf8), createdAt: created, directoryChanges: directoryChanges)
        systemOf = systemOf.filter { $0.value != id }
        for code in codes { systemOf[code] = id }
        logOperator("system-changed", ["system": .string(id), "name": .string(name), "agencies": .strings(codes),
                                       "credential": .string(Digest.sha256(Array(plain.utf8)).hexString),
                                       "directoryChanges": directoryChanges ? .string("yes") : nil])
        return plain
    }

    package func systems() -> [ClientSystem] {
        systemsById.keys.sorted().compactMap { id in
            systemsById[id].map { ClientSystem(id: id, name: $0.name, agencies: systemAgencies(id), createdAt: $0.createdAt, directoryChanges: $0.directoryChanges) }
        }
    }

    package func system(_ id: String) -> (ClientSystem, secret: [UInt8])? {
        guard let found = systemsById[id] else { return nil }
        return (ClientSystem(id: id, name: found.name, agencies: systemAgencies(id), createdAt: found.createdAt, directoryChanges: found.directoryChanges),
                found.secret)
    }

    func systemAgencies(_ id: String) -> [String] { systemOf.filter { $0.value == id }.keys.sorted() }

    package func vxpHeaderFirstUse(hash: String, system: String, operation: String, at time: Int64) -> String {
        let key = hash.lowercased()
        if let first = vxpHeaders[key] { return first }
        vxpHeaders[key] = operation
        return operation
    }

    @discardableResult
    package func removeSystem(_ id: String) -> Bool {
        systemOf = systemOf.filter { $0.value != id }
        guard systemsById.removeValue(forKey: id) != nil else { return false }
        logOperator("system-removed", ["system": .string(id)])
        return true
    }

    package func registerAgency(_ agency: Agency, mail: String?, for system: String) throws {
        if let owner = systemOf[agency.code] {
            guard owner == system else { throw StoreError.conflict("agency \(agency.code) belongs to another system") }
        } else if agencyByCode[agency.code] != nil {
            throw StoreError.conflict("agency \(agency.code) is registered at this hub and not bound to system \(system)")
        }
        logDirectoryChange(code: agency.code, name: agency.name, parent: agency.parent, deleted: false)
        var stored = agencyByCode[agency.code] ?? Agency(code: agency.code, name: agency.name)
        stored.name = agency.name
        stored.parent = agency.parent
        agencyByCode[agency.code] = stored
        mails[agency.code] = mail
        if agencyCreated[agency.code] == nil { agencyCreated[agency.code] = now() }
        directoryVersionNumber += 1
        systemOf[agency.code] = system
        logAgencyChange(agency, by: system)
    }

    package func deleteAgency(_ code: String, for system: String) throws -> Bool {
        guard let owner = systemOf[code] else {
            if agencyByCode[code] != nil { throw StoreError.conflict("agency \(code) is not bound to system \(system)") }
            return false
        }
        guard owner == system else { throw StoreError.conflict("agency \(code) belongs to another system") }
        systemOf[code] = nil
        return remove(code, by: system)
    }

    package func directory() -> [(agency: Agency, mail: String?, system: String?, createdAt: Int64)] {
        agencies().map { ($0, mails[$0.code], systemOf[$0.code], agencyCreated[$0.code] ?? 0) }
    }

    package func directoryVersion() -> String { "\(directoryVersionNumber)/\(statAgencies.count)" }

    // MARK: seals and sessions

    package func seals(of agency: String) -> [String] { sealsByAgency[agency] ?? [] }

    package func setSeals(_ identifiers: [String], of agency: String) throws {
        guard agencyByCode[agency] != nil else { throw StoreError.notFound("no agency \(agency)") }
        var unique: [String] = []
        for identifier in identifiers where !unique.contains(identifier) { unique.append(identifier) }
        sealsByAgency[agency] = unique
    }

    package func createSession(idHash: String, csrf: String, expires: Int64) {
        let now = now()
        sessions = sessions.filter { $0.value.expires > now }
        sessions[idHash] = (csrf, expires, now)
    }

    package func sessionCSRF(idHash: String, now: Int64, idleSeconds: Int64) -> String? {
        guard let session = sessions[idHash], session.expires > now else { return nil }
        if let lastSeen = session.lastSeen, now - lastSeen > idleSeconds { return nil }
        if session.lastSeen.map({ now - $0 >= 60 }) ?? true { sessions[idHash]?.lastSeen = now }
        return session.csrf
    }

    package func endSession(idHash: String) { sessions[idHash] = nil }

    package func endAllSessions() -> Int {
        defer { sessions.removeAll() }
        return sessions.count
    }
}
