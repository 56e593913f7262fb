import HTTPTypes
import SwiftGate
import SwiftGateUsers

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `/auth`: basic auth checked by the application, for a front-end that
/// asks a backend whether a request may pass (nginx's `auth_request`)
/// instead of asking the store itself as Apache's `AuthBasicProvider
/// swiftgate` does.
extension ExampleSite {
    /// 204 with `X-Remote-User` when the request's `Authorization` names an
    /// active user of the store with the right password, 401 with a
    /// challenge when it does not, 500 without a store.
    static func checkBasicAuth(_ request: Request, users: UserStore?) throws -> Response {
        guard let users else { return .text("No user store is configured.\n", status: .internalServerError) }
        guard let (user, password) = basicCredentials(request.headerFields[.authorization]),
            case .granted(let stored) = try users.verify(user: user, password: password)
        else {
            return Response(
                status: .unauthorized,
                headerFields: [.wwwAuthenticate: "Basic realm=\"example site\""],
                body: ResponseBody(bytes: Array("Unauthorized\n".utf8))
            )
        }
        return Response(status: .noContent, headerFields: [remoteUser: stored])
    }

    static let remoteUser = HTTPField.Name("X-Remote-User")!

    /// The user and password of a `Basic` authorization value.
    static func basicCredentials(_ value: String?) -> (String, String)? {
        guard let value, value.count > 6, value.prefix(6).lowercased() == "basic " else { return nil }
        guard let data = Data(base64Encoded: String(value.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
