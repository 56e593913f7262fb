/// One application instance: a library, a callable object, an application
/// group.
package struct ApplicationKey: Hashable, Sendable, CustomStringConvertible {
    package var library: String
    package var callable: String
    package var group: String

    /// Names an instance.
    ///
    /// - Parameters:
    ///   - library: The application library's path.
    ///   - callable: The callable object's symbol.
    ///   - group: The application group (`""` for the global one).
    package init(library: String, callable: String, group: String) {
        self.library = library
        self.callable = callable
        self.group = group
    }

    package var description: String { "\(library) callable '\(callable)' group '\(group)'" }
}
