import Hummingbird
import Logging

/// A request that fails with an error that is not an HTTP answer has failed in the store (SQLite I/O, a
/// PostgreSQL server that is down or failing over): the caller gets `503 store-unavailable` with `Retry-After`,
/// never a bare 500. Nothing was acknowledged — no 2xx is sent before a commit — and retrying is safe: intake
/// is idempotent.
struct StoreFailureMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch {
            logger.error("a request failed in the store", metadata: ["route": "\(context.endpointPath ?? request.uri.path)", "error": "\(error)"])
            throw HubError(.serviceUnavailable, "store-unavailable",
                           "the hub's store could not complete the request (nothing was acknowledged); retry later: sending again is safe",
                           retryAfter: 5)
        }
    }
}
