/// One application instance: a library, a callable object, an application
/// group.
struct ApplicationKey: Hashable, Sendable, CustomStringConvertible {
    var library: String
    var callable: String
    var group: String

    var description: String { "\(library) callable '\(callable)' group '\(group)'" }
}
