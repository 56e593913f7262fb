import CSwiftGate
import SwiftGate
import Testing

/// The interface's names for the `swiftgate.*` keys are the ABI header's:
/// a host written in C fills them from the macros, an application reads
/// them through ``EnvironKey``.
@Suite struct EnvironKeyABITests {
    @Test func everyKeyIsTheHeadersString() {
        #expect(EnvironKey.urlScheme == SWIFTGATE_ENV_URL_SCHEME)
        #expect(EnvironKey.multithread == SWIFTGATE_ENV_MULTITHREAD)
        #expect(EnvironKey.multiprocess == SWIFTGATE_ENV_MULTIPROCESS)
        #expect(EnvironKey.processGroup == SWIFTGATE_ENV_PROCESS_GROUP)
        #expect(EnvironKey.applicationGroup == SWIFTGATE_ENV_APPLICATION_GROUP)
        #expect(EnvironKey.callableObject == SWIFTGATE_ENV_CALLABLE_OBJECT)
        #expect(EnvironKey.version == SWIFTGATE_ENV_VERSION)
        #expect(EnvironKey.requestID == SWIFTGATE_ENV_REQUEST_ID)
        #expect(EnvironKey.interfaceVersion == SWIFTGATE_INTERFACE_VERSION)
    }
}
