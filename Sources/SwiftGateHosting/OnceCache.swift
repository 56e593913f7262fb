/// A cache whose entries are made once, by the first thread that asks,
/// while other threads asking for the same key wait and threads asking for
/// other keys go on.
///
/// Failures are cached like successes, so a broken application is reported
/// once and not retried on every request.
final class OnceCache<Key: Hashable, Value>: @unchecked Sendable {
    private enum Entry {
        case making
        case done(Result<Value, CacheFailure>)
    }

    private let lock = ConditionLock()
    private var entries: [Key: Entry] = [:]

    /// The value for `key`, made by `make` on the calling thread if no
    /// thread has made it yet.
    func value(for key: Key, make: () -> Result<Value, CacheFailure>) -> Result<Value, CacheFailure> {
        let cached: Result<Value, CacheFailure>? = lock.withLock {
            while true {
                switch entries[key] {
                case .done(let result):
                    return result
                case .making:
                    lock.wait()
                case nil:
                    entries[key] = .making
                    return nil
                }
            }
        }
        if let cached { return cached }
        let result = make()
        lock.withLock {
            entries[key] = .done(result)
            lock.broadcast()
        }
        return result
    }

    /// The values made successfully so far.
    var values: [Value] {
        lock.withLock {
            entries.values.compactMap { entry in
                if case .done(.success(let value)) = entry { return value }
                return nil
            }
        }
    }
}

/// Why an application could not be opened or started; already logged.
package struct CacheFailure: Error, CustomStringConvertible {
    /// What went wrong, for the log.
    package let message: String

    /// Makes a failure.
    ///
    /// - Parameter message: What went wrong.
    package init(message: String) {
        self.message = message
    }

    package var description: String { message }
}
