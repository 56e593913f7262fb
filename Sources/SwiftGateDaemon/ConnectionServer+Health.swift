import SwiftGateFastCGI

extension ConnectionServer {
    /// Answers a responder request for the daemon's health path
    /// (``HealthAnswer``) without calling an application.
    ///
    /// - Returns: nil when there is no health path or the request is for
    ///   another; else whether the connection can serve another request.
    func answerHealth(
        _ pending: Pending,
        _ description: RequestDescription
    ) throws(FastCGIConnection.Failure) -> Bool? {
        guard let path = daemon.configuration.healthPath, HealthAnswer.asks(description, for: path) else {
            return nil
        }
        let method = description.value("REQUEST_METHOD") ?? ""
        try sendResponse(
            HealthAnswer.response(method: method, leaving: daemon.state.isLeaving),
            requestID: pending.requestID
        )
        return pending.keepConnection
    }
}
