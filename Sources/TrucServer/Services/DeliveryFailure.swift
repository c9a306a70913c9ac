import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// A failed delivery attempt told as an operator reads it on the agency page and in the trace ("connection
/// refused: nothing listens at …"), not as the networking library's debug description
/// (`connection reset (error set): Connection refused) (errno: 111)`).
enum DeliveryFailure {
    static func describe(_ error: any Error, target: String) -> String {
        let place = URL(string: target).map { url in "\(url.host ?? "?"):\(url.port ?? (url.scheme == "http" ? 80 : 443))" } ?? target
        switch error {
        case let io as IOError:
            return describe(errno: io.errnoCode, place: place)
        case let connection as NIOConnectionError:
            if let first = connection.connectionErrors.first { return describe(first.error, target: target) }
            if connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return "cannot resolve the endpoint's host name (\(connection.host))"
            }
            return "cannot connect to \(place)"
        case let client as HTTPClientError:
            switch client {
            case .connectTimeout: return "connection to \(place) timed out"
            case .readTimeout, .deadlineExceeded: return "no answer from \(place) within the time limit"
            case .remoteConnectionClosed: return "\(place) closed the connection before answering"
            case .tlsHandshakeTimeout: return "the TLS handshake with \(place) timed out"
            default: return "HTTP client error with \(place): \(client)"
            }
        case let tls as NIOSSLError:
            return "TLS with \(place) failed: \(tls)"
        case let tls as BoringSSLError:
            return "TLS with \(place) failed (check the endpoint's certificate and the CA the hub trusts for it): \(tls)"
        case is ChannelError:
            return "the connection to \(place) failed: \(error)"
        default:
            return "\(error)"
        }
    }

    static func describe(errno code: Int32, place: String) -> String {
        switch code {
        case ECONNREFUSED: return "connection refused: nothing listens at \(place) (errno \(code))"
        case ECONNRESET: return "connection reset by \(place) (errno \(code))"
        case ETIMEDOUT: return "connection to \(place) timed out (errno \(code))"
        case EHOSTUNREACH, ENETUNREACH: return "no route to \(place) (errno \(code))"
        case ECONNABORTED, EPIPE: return "connection to \(place) broken while sending (errno \(code))"
        default: return "connection to \(place) failed: \(String(cString: strerror(code))) (errno \(code))"
        }
    }
}
