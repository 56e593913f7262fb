import HTTPTypes
import NIOCore
import SwiftGate
import Vapor

extension VaporApplication {
    /// The SwiftGate response for Vapor's.
    ///
    /// Bodies in memory (buffer, string, data) are copied once into the
    /// `[UInt8]` SwiftGate sends with the head; streamed bodies stream, each
    /// buffer copied once and flushed to the client as it is written.
    func gatewayResponse(_ response: Vapor.Response, for request: Vapor.Request) -> SwiftGate.Response {
        if response.status == .switchingProtocols || response.upgrader != nil {
            request.logger.error(
                "\(request.method) \(request.url.path) asked to switch protocols; SwiftGate cannot hand the connection over (WebSocket and other upgrades are not supported)"
            )
            return .text("Protocol upgrades are not supported here.\n", status: .notImplemented)
        }
        let status = HTTPResponse.Status(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase)
        var fields = HTTPFields()
        fields.reserveCapacity(response.headers.count)
        for (rawName, value) in response.headers {
            guard let name = HTTPField.Name(rawName) else {
                request.logger.warning("response field '\(rawName)' is not a valid field name; dropped")
                continue
            }
            // Vapor marks every body of unknown length `Transfer-Encoding:
            // chunked` for its own server; Apache frames the response. (Names
            // compare case-insensitively, without Foundation's string compare.)
            if name == .transferEncoding {
                continue
            }
            fields.append(HTTPField(name: name, value: value))
        }
        let body = response.body
        if let buffer = body.buffer {
            return SwiftGate.Response(
                status: status,
                headerFields: fields,
                body: SwiftGate.ResponseBody(bytes: Array(buffer.readableBytesView))
            )
        }
        let isHead = request.method == .HEAD
        switch StreamedBody(body) {
        case .empty:
            return SwiftGate.Response(status: status, headerFields: fields)
        case .callback(let callback):
            // Vapor's server never starts a HEAD response's stream.
            return SwiftGate.Response(
                status: status,
                headerFields: fields,
                body: SwiftGate.ResponseBody { writer in
                    guard !isHead else { return }
                    try await CallbackStreamBridge.run(callback, on: request.eventLoop, to: writer)
                }
            )
        case .asyncCallback(let callback):
            return SwiftGate.Response(
                status: status,
                headerFields: fields,
                body: SwiftGate.ResponseBody { writer in
                    guard !isHead else { return }
                    try await callback(AsyncGatewayBodyWriter(writer: writer))
                }
            )
        case nil:
            // A body kind this adapter does not know (a later Vapor): gathered
            // whole through Vapor's public collect, then sent.
            return SwiftGate.Response(
                status: status,
                headerFields: fields,
                body: SwiftGate.ResponseBody { writer in
                    guard !isHead, let buffer = try await body.collect(on: request.eventLoop).get() else { return }
                    try await writer.write(Array(buffer.readableBytesView))
                }
            )
        }
    }
}
