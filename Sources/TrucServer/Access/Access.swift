import HTTPTypes
import Hummingbird
import NIOCore
import NIOConcurrencyHelpers
import TrucCore

/// Who may call a route. Every route is registered through `AccessRouter` with one of these, and the
/// rule's middleware runs before the handler: a handler cannot be reached without its rule, and the
/// table of routes and rules is what the route-walk test checks.
package enum Access: String, Sendable, CaseIterable {
    /// Anyone: `/healthz`, `/readyz`, the dashboard's login page and login form.
    case `public`
    /// The operator's credential.
    case operatorOnly = "operator"
    /// An agency's credential (token or client certificate), including a peer hub's; not a viewer's.
    case agency
    /// The operator's credential or the metrics scraper's (`--metrics-token`): `/metrics`.
    case metrics
    /// A peer hub's credential (an agency marked relay).
    case peerHub = "peer-hub"
    /// An agency's or the operator's credential (messages and their traces; the handler then checks that
    /// the agency is the sender or a recipient).
    case reader
    /// An agency's, a viewer's or the operator's credential (statistics, scoped in the handler).
    case statistics
    /// An operator's dashboard session (cookie; each form also carries its CSRF token).
    case dashboard
    /// The national SDK's HMAC-signed headers, checked by the dialect's single entry point before any
    /// operation runs (refusals answer in the SDK's shape, not with an HTTP error).
    case vxp
}

/// One registered route and its rule.
package struct RouteRule: Sendable, Hashable, CustomStringConvertible {
    package let method: String
    package let path: String
    package let access: Access
    package var description: String { "\(method) \(path) [\(access.rawValue)]" }
}

/// Authenticates the caller for a rule and puts it in the request context, or refuses (401/403).
struct AccessMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let access: Access
    let auth: Authenticator
    let sessions: DashboardSessions

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        switch access {
        case .public, .vxp:
            return try await next(request, context)
        case .dashboard:
            guard let id = DashboardRoutes.sessionCookie(in: request), try await sessions.csrf(for: id) != nil else {
                // A page opened without a session (or after it expired) shows the login form; a form post is refused.
                if request.method == .get {
                    return Response(status: .unauthorized, headers: DashboardRoutes.securityHeaders(contentType: "text/html; charset=utf-8"),
                                    body: .init(byteBuffer: ByteBuffer(string: DashboardShell.login(
                                        error: auth.operatorTokenHash == nil ? DashboardRoutes.accessOff : "Hãy đăng nhập / log in first"))))
                }
                throw HubError(.unauthenticated, "log in to the dashboard first")
            }
            return try await next(request, context)
        case .operatorOnly, .agency, .peerHub, .reader, .statistics, .metrics:
            let caller = try await auth.authenticate(request, context)
            try Self.check(access, caller)
            context.caller = caller
            return try await next(request, context)
        }
    }

    static func check(_ access: Access, _ caller: Caller) throws {
        switch (access, caller) {
        case (.metrics, .operatorRole), (.metrics, .scraper):
            return
        case (_, .scraper):
            throw HubError.forbidden("the metrics credential reads /metrics only")
        case (.operatorOnly, .operatorRole), (.statistics, _), (.reader, .operatorRole), (.reader, .agency), (.agency, .agency):
            return
        case (.peerHub, .agency(let agency)) where agency.relay:
            return
        case (.peerHub, _):
            throw HubError.forbidden("only a peer hub may call this")
        case (.operatorOnly, _):
            throw HubError.forbidden("this endpoint needs the operator credential")
        case (.metrics, _):
            throw HubError.forbidden("/metrics needs the operator's or the metrics scraper's credential")
        case (_, .viewer):
            throw HubError.forbidden("a viewer credential reads statistics only")
        default:
            throw HubError.forbidden("this endpoint needs an agency's credential")
        }
    }
}

/// Registers routes, each with its rule: the only way routes reach the router.
final class AccessRouter {
    let router: Router<HubRequestContext>
    let auth: Authenticator
    let sessions: DashboardSessions
    private(set) var rules: [RouteRule] = []
    /// The same routes for `RouteFallbackMiddleware` (405 and JSON 404 answers).
    let table = RouteTable()

    init(router: Router<HubRequestContext>, auth: Authenticator, sessions: DashboardSessions) {
        self.router = router
        self.auth = auth
        self.sessions = sessions
        router.add(middleware: RouteFallbackMiddleware(table: table))
    }

    @discardableResult
    func on(_ method: HTTPRequest.Method, _ path: String, _ access: Access,
            use handler: @Sendable @escaping (Request, HubRequestContext) async throws -> some ResponseGenerator) -> Self {
        router.group().add(middleware: AccessMiddleware(access: access, auth: auth, sessions: sessions))
            .on(RouterPath(path), method: method, use: handler)
        rules.append(RouteRule(method: method.rawValue, path: path, access: access))
        table.add(method: method.rawValue, path: path)
        return self
    }

    func get(_ path: String, _ access: Access, use handler: @Sendable @escaping (Request, HubRequestContext) async throws -> some ResponseGenerator) {
        on(.get, path, access, use: handler)
    }

    func post(_ path: String, _ access: Access, use handler: @Sendable @escaping (Request, HubRequestContext) async throws -> some ResponseGenerator) {
        on(.post, path, access, use: handler)
    }

    func put(_ path: String, _ access: Access, use handler: @Sendable @escaping (Request, HubRequestContext) async throws -> some ResponseGenerator) {
        on(.put, path, access, use: handler)
    }

    func delete(_ path: String, _ access: Access, use handler: @Sendable @escaping (Request, HubRequestContext) async throws -> some ResponseGenerator) {
        on(.delete, path, access, use: handler)
    }
}

extension HubRequestContext {
    /// The caller the route's rule authenticated (every rule but public, dashboard and vxp sets it).
    func requireCaller() throws -> Caller {
        guard let caller else { throw HubError.unauthenticated }
        return caller
    }

    /// The calling agency (rules agency and peer-hub).
    func requireAgency() throws -> Agency {
        guard case .agency(let agency) = try requireCaller() else { throw HubError.forbidden("this endpoint needs an agency's credential") }
        return agency
    }
}

/// What the router answers when no route takes a request: a path the hub serves with other methods is
/// `405 method-not-allowed` with `Allow`; any other path `404 no-route`; both as JSON errors (the router's own
/// answer is an empty 404). Added first, so that it also wraps the router's not-found responder.
struct RouteFallbackMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    /// The registered routes (filled as routes are registered; read once requests arrive).
    let table: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let methods = table.methods(for: request.uri.path)
            if !methods.isEmpty, !methods.contains(request.method.rawValue) {
                var refusal = HubError(.methodNotAllowed,
                                       "\(request.method.rawValue) is not served at this path; it serves \(methods.joined(separator: ", "))")
                refusal.allow = methods
                throw refusal
            }
            throw HubError(.noRoute, "nothing is served at \(request.uri.path.prefix(200))")
        }
    }
}

/// The registered routes' methods by path pattern (`:name` matches one segment).
final class RouteTable: Sendable {
    private let rules = NIOLockedValueBox<[(method: String, segments: [Substring])]>([])

    func add(method: String, path: String) {
        rules.withLockedValue { $0.append((method, path.split(separator: "/"))) }
    }

    /// The methods some route serves at `path`, sorted.
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        let matching = rules.withLockedValue { rules in
            rules.filter { rule in
                rule.segments.count == segments.count && zip(rule.segments, segments).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
            }.map(\.method)
        }
        return Array(Set(matching)).sorted()
    }
}
