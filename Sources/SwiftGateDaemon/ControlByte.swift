/// The bytes of the control pipe. swiftgate.h defines them as character
/// literals, which Swift does not import; these are the same bytes.
package enum ControlByte {
    /// `SWIFTGATE_DAEMON_DRAIN`: accept until idle, finish, exit 0.
    package static let drain = UInt8(ascii: "g")
    /// `SWIFTGATE_DAEMON_STOP`: stop accepting, finish running requests.
    package static let stop = UInt8(ascii: "t")
    /// `SWIFTGATE_DAEMON_RECYCLE`: stop accepting, finish within
    /// graceful-timeout, exit 0.
    package static let recycle = UInt8(ascii: "r")
}
