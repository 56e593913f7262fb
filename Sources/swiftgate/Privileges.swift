import Glibc

/// Leaving root before an application loads.
///
/// `swiftgate serve` started by root either switches to the user named by
/// `--user` (group, supplementary groups, then user id, each checked
/// afterwards) or refuses to go on, unless `--allow-root` says otherwise. A
/// switch that fails in any step ends the command: it never goes on as
/// root by accident.
enum Privileges {
    /// Whether the process runs with user or effective user id 0.
    static var isRoot: Bool { getuid() == 0 || geteuid() == 0 }

    /// Switches the whole process to `user` and its primary group.
    ///
    /// - Parameter user: A user name.
    /// - Throws: ``CommandFailure`` naming the step that failed.
    static func switchTo(user: String) throws {
        guard let entry = getpwnam(user) else {
            throw CommandFailure("--user \(user): no such user")
        }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        guard uid != 0 else {
            throw CommandFailure("--user \(user) is root: name an unprivileged user")
        }
        func fail(_ step: String) -> CommandFailure {
            CommandFailure(
                "cannot switch to user \(user) (uid \(uid), gid \(gid)): \(step): "
                    + String(cString: strerror(errno))
            )
        }
        guard setgid(gid) == 0 else { throw fail("setgid") }
        guard initgroups(user, gid) == 0 else { throw fail("initgroups") }
        guard setuid(uid) == 0 else { throw fail("setuid") }
        guard getuid() == uid, geteuid() == uid, getgid() == gid, getegid() == gid else {
            errno = EPERM
            throw fail("the ids did not change")
        }
    }
}
