/// What makes a user or group name usable.
///
/// A user name travels in Basic auth (`user:password`) and in the
/// comma-separated groups list, and ends up in logs and CGI variables: it
/// must be non-empty and hold no control character, `:` or `,`. A group
/// name goes in the comma-separated list too: no `,` and no control
/// character.
enum NameRules {
    /// Throws unless `name` can be a user name.
    static func checkUserName(_ name: String) throws(UserStoreError) {
        if let reason = problem(with: name, forbidden: [":", ","]) { throw .invalidUserName(name, reason: reason) }
    }

    /// Throws unless `name` can be a group name.
    static func checkGroupName(_ name: String) throws(UserStoreError) {
        if let reason = problem(with: name, forbidden: [","]) { throw .invalidGroupName(name, reason: reason) }
    }

    private static func problem(with name: String, forbidden: Set<Unicode.Scalar>) -> String? {
        if name.isEmpty { return "it is empty" }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "it contains a control character"
        }
        // Scalars, not Characters: ":" followed by a combining mark is one
        // Character but still splits a Basic auth credential.
        if let bad = name.unicodeScalars.first(where: { forbidden.contains($0) }) { return "it contains '\(bad)'" }
        return nil
    }
}
