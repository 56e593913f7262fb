/// The names of the `swiftgate.*` keys hosts add to a request's environ.
public enum EnvironKey {
    /// `http` or `https`.
    public static let urlScheme = "swiftgate.url_scheme"
    /// `"1"` when other requests may run at the same time in this process.
    public static let multithread = "swiftgate.multithread"
    /// `"1"` when other processes serve the same application.
    public static let multiprocess = "swiftgate.multiprocess"
    /// The daemon process group, `""` in embedded mode.
    public static let processGroup = "swiftgate.process_group"
    /// The application group the application instance belongs to.
    public static let applicationGroup = "swiftgate.application_group"
    /// The gateway interface version, `"major.minor"`.
    public static let version = "swiftgate.version"
    /// The name of the callable object that exported the application.
    public static let callableObject = "swiftgate.callable_object"
    /// The request's id: mod_unique_id's, a configured request-id header's,
    /// or one the host made.
    public static let requestID = "swiftgate.request_id"

    /// The interface version hosts report in ``version``.
    public static let interfaceVersion = "1.0"
}
