import SwiftGate
import SwiftGateUsers

/// The example site answers Apache's basic auth from its own user store
/// (`swiftgate users add … --db` manages it).
extension ExampleSite: AuthProvider {
    func checkPassword(user: String, password: String, request: Request) async throws -> PasswordCheck {
        guard let users else { return .userNotFound }
        let result: VerifyResult
        do {
            result = try users.verify(user: user, password: password)
        } catch UserStoreError.unavailable(let reason) {
            throw AuthUnavailable(reason)
        }
        switch result {
        case .granted(let stored): return stored == user ? .granted : .grantedAs(stored)
        case .denied, .inactive: return .denied
        case .userNotFound: return .userNotFound
        }
    }

    func groups(of user: String, request: Request) async throws -> [String] {
        do {
            return try users?.groups(of: user) ?? []
        } catch UserStoreError.unavailable(let reason) {
            throw AuthUnavailable(reason)
        }
    }
}
