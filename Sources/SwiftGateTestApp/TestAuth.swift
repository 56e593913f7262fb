import HTTPTypes
import SwiftGate

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An application that is also its own AuthProvider, with fixed users:
/// `ann`/`secret` (also as `ANN`, granted under the canonical `ann`) in
/// group `staff`, `bob`/`secret` denied (inactive), `crash` failing the
/// check, `down`/`secret` granted but its groups unavailable (the user
/// store went down between the checks); clients sending `X-Block: 1` are
/// refused access, `X-Block: down` finds the access check unavailable.
@_cdecl("auth_application")
public func authApplication() -> UnsafeMutableRawPointer {
    export(TestAuth())
}

struct AuthCheckFailure: Error, CustomStringConvertible {
    var description: String { "the user store is unreachable (test)" }
}

struct TestAuth: Application, AuthProvider {
    func respond(to request: Request) async throws -> Response {
        let seen: [String: String] = [
            "remoteUser": request.remoteUser ?? "",
            "authType": request.environ["AUTH_TYPE"] ?? "",
            "authorization": request.environ["HTTP_AUTHORIZATION"] ?? "",
            "path": request.routePath,
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response(
            headerFields: [.contentType: "application/json"],
            body: ResponseBody(bytes: Array(try encoder.encode(seen)))
        )
    }

    func checkPassword(user: String, password: String, request: Request) async throws -> PasswordCheck {
        request.logger.info(
            "password check for '\(user)' (secret seen: \(request.environ["HTTP_AUTHORIZATION"] != nil))"
        )
        switch user {
        case "crash": throw AuthCheckFailure()
        case "ann", "down": return password == "secret" ? .granted : .denied
        case "ANN": return password == "secret" ? .grantedAs("ann") : .denied
        case "bob": return .denied
        default: return .userNotFound
        }
    }

    func groups(of user: String, request: Request) async throws -> [String] {
        if user == "crash" { throw AuthCheckFailure() }
        if user == "down" { throw AuthUnavailable("the group store is down (test)") }
        return user == "ann" ? ["staff", "readers"] : ["readers"]
    }

    func allowsAccess(_ request: Request) async throws -> Bool {
        if request.environ["HTTP_X_BLOCK"] == "crash" { throw AuthCheckFailure() }
        if request.environ["HTTP_X_BLOCK"] == "down" { throw AuthUnavailable("the access list is down (test)") }
        return request.environ["HTTP_X_BLOCK"] != "1"
    }
}
