import CSwiftGate
import SwiftGateFastCGI

/// The proof that a request comes from the host that started the daemon:
/// a secret the host made, carried by every request as the
/// `swiftgate.secret` parameter (`SWIFTGATE_PARAM_SECRET`), or as
/// `SWIFTGATE_SECRET` from a front-end that sends CGI-style names only.
///
/// mod_swiftgate makes a new one for each group at every start and passes
/// it in `swiftgate_daemon_config`; `swiftgate serve --fastcgi` reads one
/// from `--secret-file`. A daemon without a secret serves any front-end that
/// can reach its socket (nginx, mod_proxy_fcgi). Whatever the daemon's
/// setting, the parameter itself never reaches the application.
struct HostSecret {
    /// The secret's bytes; empty when the daemon has none.
    let bytes: [UInt8]

    /// The parameter's names: `swiftgate.secret`, and `SWIFTGATE_SECRET`
    /// for a front-end that sends CGI-style names only (HAProxy).
    static let parameterNames = [Array(SWIFTGATE_PARAM_SECRET.utf8), Array(SWIFTGATE_PARAM_SECRET_CGI.utf8)]

    /// Makes a check for `bytes` (none when empty).
    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Whether requests must carry a secret.
    var isRequired: Bool { !bytes.isEmpty }

    /// Checks a request's PARAMS and takes the secret's pairs out of them.
    ///
    /// - Parameters:
    ///   - params: The PARAMS bytes.
    ///   - spans: Their pairs.
    /// - Returns: The pairs without any pair named as the secret, or `nil`
    ///   when a secret is required and the request does not carry it, or
    ///   carries another value under either name.
    func admit(_ params: [UInt8], _ spans: [FastCGIPairSpan]) -> [FastCGIPairSpan]? {
        // mod_swiftgate sends it first; another front-end may put it anywhere.
        let isSecret = { (span: FastCGIPairSpan) in
            Self.parameterNames.contains { name in
                span.name.count == name.count && params[span.name].elementsEqual(name)
            }
        }
        let rest = withoutSecret(params, spans)
        guard rest.count < spans.count else { return isRequired ? nil : spans }
        if isRequired {
            var allMatch = true
            for span in spans where isSecret(span) {
                allMatch = Self.equalInConstantTime(params[span.value], bytes) && allMatch
            }
            guard allMatch else { return nil }
        }
        return rest
    }

    /// The pairs without any named as the secret, whatever it holds: what a
    /// request that has not shown the secret may be looked at for (the
    /// health path, ``HealthAnswer``), never served with.
    ///
    /// - Parameters:
    ///   - params: The PARAMS bytes.
    ///   - spans: Their pairs.
    /// - Returns: The pairs, less the secret's.
    func withoutSecret(_ params: [UInt8], _ spans: [FastCGIPairSpan]) -> [FastCGIPairSpan] {
        var rest: [FastCGIPairSpan] = []
        rest.reserveCapacity(spans.count)
        for span in spans
        where !Self.parameterNames.contains(where: { name in
            span.name.count == name.count && params[span.name].elementsEqual(name)
        }) {
            rest.append(span)
        }
        return rest
    }

    /// Compares without stopping at the first difference, so that the time
    /// taken does not tell how much of a guess was right.
    static func equalInConstantTime(_ a: ArraySlice<UInt8>, _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
