import Testing

@testable import SwiftGateDevServer

/// The development server's reading of a request's body framing.
@Suite struct HTTPRequestHeadTests {
    private func parse(_ text: String) throws(HTTPRequestHead.Refusal) -> HTTPRequestHead {
        try HTTPRequestHead(parsing: Array(text.utf8))
    }

    private func refusal(_ text: String) -> HTTPRequestHead.Refusal? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: ["chunked", "Chunked", " chunked ", "CHUNKED"])
    func chunkedAloneIsAccepted(value: String) throws {
        let head = try parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\(value)\r\n\r\n")
        #expect(head.framing == .chunked)
    }

    @Test(arguments: [
        "Transfer-Encoding:\r\n",  // empty: not the same as absent
        "Transfer-Encoding:   \r\n",
        "Transfer-Encoding: gzip\r\n",
        "Transfer-Encoding: gzip, chunked\r\n",
        "Transfer-Encoding: chunked, gzip\r\n",
        "Transfer-Encoding: chunked,\r\n",
        "Transfer-Encoding: ,chunked\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding:\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: identity\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
        "Transfer-Encoding:\r\nContent-Length: 3\r\n",
    ])
    func anythingElseIs400(fields: String) {
        let refused = refusal("POST / HTTP/1.1\r\nHost: x\r\n\(fields)\r\n")
        #expect(refused?.status == 400)
    }

    @Test func theLogLineSaysWhatWasRefused() {
        #expect(
            refusal("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \r\n\r\n")?.description
                == "empty Transfer-Encoding"
        )
        let gzip = refusal("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
        #expect(gzip?.description.contains("'gzip, chunked'") == true)
        #expect(gzip?.description.contains("only 'chunked'") == true)
    }

    @Test(arguments: ["chunked", ""])
    func http10HasNoTransferCodings(value: String) {
        #expect(refusal("POST / HTTP/1.0\r\nTransfer-Encoding: \(value)\r\n\r\n")?.status == 400)
    }

    @Test func contentLengthStillFrames() throws {
        #expect(try parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n").framing == .length(5))
        #expect(try parse("GET / HTTP/1.0\r\n\r\n").framing == HTTPRequestHead.BodyFraming.none)
        #expect(refusal("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")?.status == 400)
    }
}
