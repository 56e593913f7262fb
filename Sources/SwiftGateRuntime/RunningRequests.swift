import Synchronization

/// The tasks of the requests this library is serving, by the address of
/// their `swiftgate_request`, for `swiftgate_cancel`.
///
/// The host calls `swiftgate_cancel` only while the request's
/// `swiftgate_handle` runs, so an address is never taken for the next
/// request that reuses it.
enum RunningRequests {
    private static let tasks = Mutex<[UInt: Task<Void, Never>]>([:])

    /// Notes the task serving the request at `address`.
    static func insert(_ address: UInt, _ task: Task<Void, Never>) {
        tasks.withLock { $0[address] = task }
    }

    /// Forgets the request at `address`.
    static func remove(_ address: UInt) {
        _ = tasks.withLock { $0.removeValue(forKey: address) }
    }

    /// Cancels the task of the request at `address`.
    ///
    /// - Returns: Whether such a request was running.
    static func cancel(_ address: UInt) -> Bool {
        tasks.withLock { running in
            guard let task = running[address] else { return false }
            task.cancel()
            return true
        }
    }
}
