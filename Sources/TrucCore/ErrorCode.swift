/// Every error code Truc answers with — in the HTTP API's `{"error":{"code","message"}}` and in the commands'
/// `truc: CODE: message` — with its HTTP status or exit code (or both) and what it means. This is the only place a
/// code is written: handlers and commands name a case, the status and the exit code come from here, and
/// `docs/errors.md`'s table is printed from it (a test compares). Adding a code is adding a case and its entry.
package enum ErrorCode: String, CaseIterable, Sendable {
    case addressUnusable = "address-unusable"
    case alreadyAcknowledged = "already-acknowledged"
    case archiveDamaged = "archive-damaged"
    case archiveDirUnusable = "archive-dir-unusable"
    case archiveUnreadable = "archive-unreadable"
    case backupDamaged = "backup-damaged"
    case backupFailed = "backup-failed"
    case backupKeyMissing = "backup-key-missing"
    case backupNotAuthentic = "backup-not-authentic"
    case backupUnsafeFile = "backup-unsafe-file"
    case backupUnsafePath = "backup-unsafe-path"
    case benchFailed = "bench-failed"
    case bundleUnreadable = "bundle-unreadable"
    case busy
    case certificateRejected = "certificate-rejected"
    case checkpointUnsigned = "checkpoint-unsigned"
    case configInvalid = "config-invalid"
    case configInvalidValue = "config-invalid-value"
    case configUnknownKey = "config-unknown-key"
    case configUnreadable = "config-unreadable"
    case conflict
    case copyMismatch = "copy-mismatch"
    case dataNotEmpty = "data-not-empty"
    case dataUnusable = "data-unusable"
    case dataUnwritable = "data-unwritable"
    case destinationExists = "destination-exists"
    case destinationNotEmpty = "destination-not-empty"
    case diskLow = "disk-low"
    case documentIdConflict = "document-id-conflict"
    case emptyDocument = "empty-document"
    case failed
    case fileUnreadable = "file-unreadable"
    case forbidden
    case forbiddenDtd = "forbidden-dtd"
    case gone
    case hopLimit = "hop-limit"
    case hubRefused = "hub-refused"
    case hubUnreachable = "hub-unreachable"
    case invalidAgency = "invalid-agency"
    case invalidArgument = "invalid-argument"
    case invalidAttachment = "invalid-attachment"
    case invalidBody = "invalid-body"
    case invalidDate = "invalid-date"
    case invalidMessage = "invalid-message"
    case invalidOption = "invalid-option"
    case invalidParameter = "invalid-parameter"
    case invalidReceipt = "invalid-receipt"
    case invalidSeal = "invalid-seal"
    case invalidSignature = "invalid-signature"
    case invalidTime = "invalid-time"
    case invalidVia = "invalid-via"
    case keyUnreadable = "key-unreadable"
    case logForked = "log-forked"
    case logInconsistent = "log-inconsistent"
    case logUnreadable = "log-unreadable"
    case loopDetected = "loop-detected"
    case malformedAgencyCode = "malformed-agency-code"
    case malformedXml = "malformed-xml"
    case methodNotAllowed = "method-not-allowed"
    case migrateFailed = "migrate-failed"
    case noCheckpoint = "no-checkpoint"
    case noRecipient = "no-recipient"
    case noRoute = "no-route"
    case noStore = "no-store"
    case notABackup = "not-a-backup"
    case notARecipient = "not-a-recipient"
    case notArchived = "not-archived"
    case notEdxml = "not-edxml"
    case notFound = "not-found"
    case notInCheckpoint = "not-in-checkpoint"
    case notLoggedYet = "not-logged-yet"
    case notTimeStamped = "not-time-stamped"
    case oldSizeMismatch = "old-size-mismatch"
    case outOfScope = "out-of-scope"
    case pkiDamaged = "pki-damaged"
    case pkiIncomplete = "pki-incomplete"
    case pkiKeyMismatch = "pki-key-mismatch"
    case portInUse = "port-in-use"
    case reasonRequired = "reason-required"
    case reasonTooLong = "reason-too-long"
    case reportUnsigned = "report-unsigned"
    case restoreFailed = "restore-failed"
    case revalidationFailed = "revalidation-failed"
    case schemaMismatch = "schema-mismatch"
    case senderMismatch = "sender-mismatch"
    case senderNotBehindPeer = "sender-not-behind-peer"
    case signingKeyUnreadable = "signing-key-unreadable"
    case sourceDamaged = "source-damaged"
    case stateUnreadable = "state-unreadable"
    case storeIsPostgres = "store-is-postgres"
    case storeTooNew = "store-too-new"
    case storeUnavailable = "store-unavailable"
    case tooComplex = "too-complex"
    case tooDeep = "too-deep"
    case tooLarge = "too-large"
    case tooManyAttempts = "too-many-attempts"
    case tooManyElements = "too-many-elements"
    case tooManyRecipients = "too-many-recipients"
    case trustUnreadable = "trust-unreadable"
    case unauthenticated
    case unknownAgency = "unknown-agency"
    case unknownClient = "unknown-client"
    case unknownDocument = "unknown-document"
    case unknownLog = "unknown-log"
    case unknownRecipient = "unknown-recipient"
    case unsupportedEncoding = "unsupported-encoding"
    case usage
    case verdictUnreadable = "verdict-unreadable"
    case verifyFailed = "verify-failed"
    case writeFailed = "write-failed"
    case xmlInternalError = "xml-internal-error"

    package struct Entry: Sendable {
        /// The HTTP status of an API answer with this code (nil: commands only).
        package let http: Int?
        /// The exit code of a command failing with this code (nil: the API only).
        package let exit: Int32?
        package let meaning: String
    }

    package var entry: Entry {
        switch self {
        case .addressUnusable: Entry(http: nil, exit: 3, meaning: "truc serve cannot listen on the address")
        case .alreadyAcknowledged: Entry(http: 409, exit: nil, meaning: "the message was acknowledged before, with another outcome")
        case .archiveDamaged: Entry(http: nil, exit: 1, meaning: "an archive holds the message but it does not verify")
        case .archiveDirUnusable: Entry(http: nil, exit: 2, meaning: "archive-dir is not a writable directory, or lies inside the data directory")
        case .archiveUnreadable: Entry(http: nil, exit: 2, meaning: "the archive directory or a file in it cannot be read")
        case .backupDamaged: Entry(http: nil, exit: 1, meaning: "a file of the backup does not match its manifest")
        case .backupFailed: Entry(http: nil, exit: 3, meaning: "the backup could not be written")
        case .backupKeyMissing: Entry(http: nil, exit: 2, meaning: "no backup key to check the backup with")
        case .backupNotAuthentic: Entry(http: nil, exit: 1, meaning: "the backup's manifest does not match the key: another installation made it, or it was changed")
        case .backupUnsafeFile: Entry(http: nil, exit: 1, meaning: "a file of the backup is not a regular file")
        case .backupUnsafePath: Entry(http: nil, exit: 1, meaning: "the manifest names a path a backup never holds")
        case .benchFailed: Entry(http: nil, exit: 1, meaning: "a benchmark could not run to its end")
        case .bundleUnreadable: Entry(http: nil, exit: 2, meaning: "the evidence bundle cannot be read")
        case .busy: Entry(http: 503, exit: nil, meaning: "the hub is at its admission limits (connections, buffered bytes, verification queue): retry after Retry-After")
        case .certificateRejected: Entry(http: 403, exit: nil, meaning: "the TLS client certificate is expired, revoked or otherwise not acceptable")
        case .checkpointUnsigned: Entry(http: 403, exit: nil, meaning: "a checkpoint given to this witness does not verify with the log's key")
        case .configInvalid: Entry(http: nil, exit: 2, meaning: "the config file is not a JSON object or YAML mapping")
        case .configInvalidValue: Entry(http: nil, exit: 2, meaning: "a key's value has the wrong type (named with where it came from)")
        case .configUnknownKey: Entry(http: nil, exit: 2, meaning: "the config file has a key truc serve does not have (the nearest one named)")
        case .configUnreadable: Entry(http: nil, exit: 2, meaning: "the config file cannot be read")
        case .conflict: Entry(http: nil, exit: 1, meaning: "the change conflicts with what the store holds")
        case .copyMismatch: Entry(http: nil, exit: 1, meaning: "truc migrate: a table's row count differs after the copy")
        case .dataNotEmpty: Entry(http: nil, exit: 2, meaning: "truc restore: the data directory is not empty")
        case .dataUnusable: Entry(http: nil, exit: 3, meaning: "the data directory cannot be created, written or opened")
        case .dataUnwritable: Entry(http: nil, exit: 3, meaning: "a file of the data directory cannot be written")
        case .destinationExists: Entry(http: nil, exit: 2, meaning: "truc backup: the destination exists")
        case .destinationNotEmpty: Entry(http: nil, exit: 2, meaning: "truc migrate: the PostgreSQL database already holds a hub")
        case .diskLow: Entry(http: 503, exit: nil, meaning: "the data directory has less free space than min-free-disk")
        case .documentIdConflict: Entry(http: 409, exit: nil, meaning: "another message of the sender already has this DocumentId and business type, with other bytes")
        case .emptyDocument: Entry(http: 400, exit: 2, meaning: "an empty or blank body or file")
        case .failed: Entry(http: nil, exit: 1, meaning: "an error no other code describes (its text says what happened)")
        case .fileUnreadable: Entry(http: nil, exit: 2, meaning: "a file given cannot be opened or read")
        case .forbidden: Entry(http: 403, exit: nil, meaning: "the caller may not do this")
        case .forbiddenDtd: Entry(http: 400, exit: 2, meaning: "a DOCTYPE: DTDs and entity declarations are never processed")
        case .gone: Entry(http: 410, exit: nil, meaning: "the message's payload was archived and purged: the archive named in the answer holds it")
        case .hopLimit: Entry(http: 422, exit: nil, meaning: "the message passed more hubs than the hop limit")
        case .hubRefused: Entry(http: nil, exit: 3, meaning: "the hub answered a command with an HTTP error")
        case .hubUnreachable: Entry(http: nil, exit: 3, meaning: "the hub cannot be reached")
        case .invalidAgency: Entry(http: 422, exit: 2, meaning: "an agency record with a field out of bounds")
        case .invalidArgument: Entry(http: nil, exit: 1, meaning: "the store refused a value (a systemid, a name)")
        case .invalidAttachment: Entry(http: 422, exit: nil, meaning: "an attachment cannot be decoded (base64, ZIP, zip bomb, sizes)")
        case .invalidBody: Entry(http: 400, exit: nil, meaning: "the request body is not the JSON the route takes")
        case .invalidDate: Entry(http: 400, exit: 2, meaning: "a date that is not yyyy-MM-dd with ASCII digits, or no such day")
        case .invalidMessage: Entry(http: 422, exit: nil, meaning: "the message is not valid edXML (its findings are in the answer)")
        case .invalidOption: Entry(http: nil, exit: 2, meaning: "an option's value is not one the command takes")
        case .invalidParameter: Entry(http: 400, exit: 2, meaning: "a query parameter or option out of its range or set")
        case .invalidReceipt: Entry(http: 422, exit: nil, meaning: "a relayed delivery receipt that does not verify or does not belong to the relaying peer")
        case .invalidSeal: Entry(http: 422, exit: 2, meaning: "an organisation-certificate identifier that is not one")
        case .invalidSignature: Entry(http: 422, exit: nil, meaning: "a signature of the message is invalid (with revocation-unknown invalid: also an unknown status)")
        case .invalidTime: Entry(http: nil, exit: 2, meaning: "a time that is not ISO 8601 (2026-11-22T10:00:00Z)")
        case .invalidVia: Entry(http: 400, exit: nil, meaning: "the Truc-Via header names something that is not a hub code")
        case .keyUnreadable: Entry(http: nil, exit: 2, meaning: "a log key file cannot be read")
        case .logForked: Entry(http: 409, exit: nil, meaning: "this witness saw another history of the log and will not cosign this one")
        case .logInconsistent: Entry(http: nil, exit: 1, meaning: "truc log verify or monitor: the log is not consistent with itself or with what was seen before")
        case .logUnreadable: Entry(http: nil, exit: 3, meaning: "the evidence log cannot be read from the store or the hub")
        case .loopDetected: Entry(http: 422, exit: nil, meaning: "the message already passed this hub")
        case .malformedAgencyCode: Entry(http: 422, exit: 2, meaning: "an agency code that is not one (QCVN 102:2016 or QĐ 20/2020 layout)")
        case .malformedXml: Entry(http: 400, exit: 2, meaning: "not well-formed XML (truncated, mismatched tags, invalid UTF-8, undeclared entity)")
        case .methodNotAllowed: Entry(http: 405, exit: nil, meaning: "the path is served, not with this method (Allow names those that are)")
        case .migrateFailed: Entry(http: nil, exit: 3, meaning: "truc migrate: the copy failed and was rolled back")
        case .noCheckpoint: Entry(http: 404, exit: nil, meaning: "no such checkpoint of the evidence log")
        case .noRecipient: Entry(http: 422, exit: nil, meaning: "the message names no recipient")
        case .noRoute: Entry(http: 404, exit: nil, meaning: "nothing is served at this path")
        case .noStore: Entry(http: nil, exit: 2, meaning: "the data directory holds no Truc store")
        case .notABackup: Entry(http: nil, exit: 2, meaning: "the folder has no readable backup manifest")
        case .notARecipient: Entry(http: 403, exit: nil, meaning: "a status message from an agency that was not a recipient of the document it answers")
        case .notArchived: Entry(http: nil, exit: 1, meaning: "no archive holds the message")
        case .notEdxml: Entry(http: 400, exit: 2, meaning: "well-formed XML that is not an edXML message")
        case .notFound: Entry(http: 404, exit: 1, meaning: "no such message, agency or delivery (or not one the caller may see)")
        case .notInCheckpoint: Entry(http: 404, exit: nil, meaning: "the leaf is not in a signed checkpoint yet")
        case .notLoggedYet: Entry(http: 404, exit: nil, meaning: "the message's event has no leaf in the evidence log yet")
        case .notTimeStamped: Entry(http: 404, exit: nil, meaning: "the checkpoint has no time-stamp (yet, or no tsa-url)")
        case .oldSizeMismatch: Entry(http: 409, exit: nil, meaning: "another checkpoint of the log was cosigned meanwhile: ask again")
        case .outOfScope: Entry(http: 403, exit: nil, meaning: "statistics of an agency outside the caller's subtree")
        case .pkiDamaged: Entry(http: nil, exit: 3, meaning: "the data directory's PKI exists but lacks the hub's key")
        case .pkiIncomplete: Entry(http: nil, exit: 2, meaning: "some of tls-cert, tls-key, client-ca and trust given without the others")
        case .pkiKeyMismatch: Entry(http: nil, exit: 2, meaning: "tls-key is not the private key of the certificate in tls-cert")
        case .portInUse: Entry(http: nil, exit: 3, meaning: "another process listens on the port")
        case .reasonRequired: Entry(http: 400, exit: nil, meaning: "a failed acknowledgement without a reason")
        case .reasonTooLong: Entry(http: 422, exit: nil, meaning: "an acknowledgement reason over its byte limit")
        case .reportUnsigned: Entry(http: 500, exit: nil, meaning: "the validation report could not be signed")
        case .restoreFailed: Entry(http: nil, exit: 3, meaning: "truc restore could not write the store")
        case .revalidationFailed: Entry(http: nil, exit: 2, meaning: "truc revalidate could not run")
        case .schemaMismatch: Entry(http: nil, exit: 3, meaning: "truc migrate: the destination's schema lacks a table of the source")
        case .senderMismatch: Entry(http: 403, exit: nil, meaning: "the message's From is not the authenticated agency")
        case .senderNotBehindPeer: Entry(http: 403, exit: nil, meaning: "a peer hub relayed a message from an agency it does not route for")
        case .signingKeyUnreadable: Entry(http: nil, exit: 2, meaning: "the key to sign a report with cannot be read")
        case .sourceDamaged: Entry(http: nil, exit: 1, meaning: "truc migrate: a message row of the source is incomplete")
        case .stateUnreadable: Entry(http: nil, exit: 2, meaning: "truc log monitor: the state file is not one it wrote")
        case .storeIsPostgres: Entry(http: nil, exit: 2, meaning: "the command works on a SQLite data directory; the hub's store is PostgreSQL")
        case .storeTooNew: Entry(http: nil, exit: 2, meaning: "the store was written by a newer truc")
        case .storeUnavailable: Entry(http: 503, exit: 3, meaning: "the store cannot be used for now (its server is down or failing over, its disk failing): retry")
        case .tooComplex: Entry(http: 422, exit: nil, meaning: "decoding and verifying the message took more than the work budget")
        case .tooDeep: Entry(http: 400, exit: 2, meaning: "elements nested deeper than the limit")
        case .tooLarge: Entry(http: 413, exit: 2, meaning: "the body or file exceeds the size limit")
        case .tooManyAttempts: Entry(http: 429, exit: nil, meaning: "too many wrong tokens from this address: wait")
        case .tooManyElements: Entry(http: 400, exit: 2, meaning: "more elements than the limit")
        case .tooManyRecipients: Entry(http: 422, exit: nil, meaning: "more recipients than a message may have")
        case .trustUnreadable: Entry(http: 422, exit: 2, meaning: "the trust directory does not load (the previous one stays in use)")
        case .unauthenticated: Entry(http: 401, exit: nil, meaning: "no registered TLS client certificate, API token or dashboard session")
        case .unknownAgency: Entry(http: 404, exit: 1, meaning: "no agency with this code is registered or counted here")
        case .unknownClient: Entry(http: 403, exit: nil, meaning: "the client certificate belongs to no registered agency")
        case .unknownDocument: Entry(http: 422, exit: nil, meaning: "a relayed receipt for a document that did not pass this hub")
        case .unknownLog: Entry(http: 404, exit: nil, meaning: "this hub does not witness that log")
        case .unknownRecipient: Entry(http: 422, exit: nil, meaning: "a recipient this hub neither serves nor routes")
        case .unsupportedEncoding: Entry(http: 400, exit: 2, meaning: "an encoding other than UTF-8 declared, or UTF-16/32 input")
        case .usage: Entry(http: nil, exit: 2, meaning: "a missing or malformed flag or an unknown command (the command's --help is named)")
        case .verdictUnreadable: Entry(http: 500, exit: nil, meaning: "a stored verdict cannot be read")
        case .verifyFailed: Entry(http: nil, exit: 3, meaning: "truc migrate: the copy was committed but could not be verified")
        case .writeFailed: Entry(http: nil, exit: 2, meaning: "an output file cannot be written")
        case .xmlInternalError: Entry(http: 400, exit: 2, meaning: "libxml2 could not be driven (allocation failure)")
        }
    }

    /// The code's HTTP status; only codes of the API are answered over HTTP.
    package var httpStatus: Int {
        guard let http = entry.http else { preconditionFailure("\(rawValue) is not an error of the HTTP API (ErrorCode)") }
        return http
    }

    /// The code's exit code; only codes of the commands end a command.
    package var exitCode: Int32 {
        guard let exit = entry.exit else { preconditionFailure("\(rawValue) is not an error of the commands (ErrorCode)") }
        return exit
    }
}

extension ErrorCode {
    /// The codes as `docs/errors.md` lists them (a test compares the file with this).
    package static var markdownTable: String {
        var lines = ["| code | HTTP | exit | meaning |", "|---|---|---|---|"]
        for code in allCases {
            let entry = code.entry
            lines.append("| `\(code.rawValue)` | \(entry.http.map(String.init) ?? "–") | \(entry.exit.map(String.init) ?? "–") | \(entry.meaning) |")
        }
        return lines.joined(separator: "\n")
    }
}
