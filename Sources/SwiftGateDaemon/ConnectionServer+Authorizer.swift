import CSwiftGate
import SwiftGateFastCGI

extension ConnectionServer {
    /// Answers a FastCGI AUTHORIZER request by calling the application's
    /// `swiftgate_check`.
    ///
    /// The application is chosen as for a responder (SCRIPT_FILENAME or the
    /// fixed library, `swiftgate.callable_object`,
    /// `swiftgate.application_group`). The environ it gets has neither
    /// `REMOTE_PASSWD` nor `HTTP_AUTHORIZATION`: the password goes in the
    /// check's own field alone. The answer is `Status: 200` (granted), 401
    /// (denied), 404 (user not found), 500 (error, or an application that
    /// does not answer access checks) or 503 (the check could not be made:
    /// a service it needs is down, or no worker was free in time), with an
    /// empty body. There is no
    /// request body to read; request-timeout applies as to a responder.
    ///
    /// - Parameters:
    ///   - pending: The request.
    ///   - spans: Its PARAMS pairs, the secret taken out.
    /// - Returns: Whether the connection can serve another request.
    func respondAsAuthorizer(to pending: Pending, spans: [FastCGIPairSpan]) throws(FastCGIConnection.Failure) -> Bool {
        var description = RequestDescription(params: pending.params.bytes, spans: spans)
        let check = AccessCheck(description: description)
        description.remove("REMOTE_PASSWD")
        description.remove("HTTP_AUTHORIZATION")
        let uri = description.value("REQUEST_URI") ?? description.value("SCRIPT_NAME") ?? "/"
        let label = "\(check.kind.name) check for \(uri)"
        if let waited = daemon.queueTimeExceeded(description) {
            log.warning(
                "\(label) waited \(waited) ms for a worker, longer than queue-timeout "
                    + "\(daemon.configuration.queueTimeoutMilliseconds) ms; answered 503"
            )
            return try answer(AccessCheck.response(status: 503), pending)
        }
        daemon.requestStarts(slot: slot, method: "access check (\(check.kind.name)) for", uri: uri, fd: connection.fd)
        let response = decide(check, &description, label: label)
        daemon.state.end(slot: slot)
        return try answer(response, pending)
    }

    /// Runs the check and renders the response.
    private func decide(_ check: AccessCheck, _ description: inout RequestDescription, label: String) -> [UInt8] {
        guard case .success(let application) = daemon.application(for: &description, last: &lastChoice) else {
            return AccessCheck.response(status: 500)
        }
        guard let function = application.check else {
            log.error("application \(application.name) does not answer access checks (no \(SWIFTGATE_SYM_CHECK))")
            return AccessCheck.response(status: 500)
        }
        let result = description.withPairs { environ, _ in
            check.run(function, application: application.handle, environ: environ)
        }
        switch result {
        case SWIFTGATE_AUTH_GRANTED:
            guard let (response, skipped) = check.grantedResponse() else {
                log.error("\(label): the application granted access under a name that cannot be sent; answered 500")
                return AccessCheck.response(status: 500)
            }
            if skipped > 0 {
                log.warning(
                    "\(label): left out \(skipped) group names that were empty or held a comma or a control byte"
                )
            }
            return response
        case SWIFTGATE_AUTH_DENIED:
            return AccessCheck.response(status: 401)
        case SWIFTGATE_AUTH_USER_NOT_FOUND:
            return AccessCheck.response(status: 404)
        case SWIFTGATE_AUTH_ERROR:
            log.info("\(label): the application's check failed; answered 500")
            return AccessCheck.response(status: 500)
        case SWIFTGATE_AUTH_UNAVAILABLE:
            log.info("\(label): the application's check could not be made (a service it needs is down); answered 503")
            return AccessCheck.response(status: 503)
        default:
            log.error("\(label): swiftgate_check returned unknown result \(result); answered 500")
            return AccessCheck.response(status: 500)
        }
    }

    private func answer(_ response: [UInt8], _ pending: Pending) throws(FastCGIConnection.Failure) -> Bool {
        try sendResponse(response, requestID: pending.requestID)
        return pending.keepConnection
    }
}
