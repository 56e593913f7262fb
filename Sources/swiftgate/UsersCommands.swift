import ArgumentParser
import Glibc
import SwiftGateUsers

/// `swiftgate users add NAME --db PATH [--inactive] [--group G …]
/// [--group-readable GROUP]`.
struct UsersAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a user (creates the database if it is missing)."
    )

    @OptionGroup var database: UserDatabaseOptions
    @Argument(help: "The user name.") var name: String
    @Flag(help: "Add the account inactive: it cannot log in until activated.") var inactive = false
    @Option(
        name: .customLong("group"),
        help: ArgumentHelp("Put the user in this group (repeatable).", valueName: "group")
    )
    var groups: [String] = []
    @Option(
        help: ArgumentHelp(
            "Create the database mode 0640 with this system group, so a daemon user in it can read it "
                + "(default: 0600, the owner alone). Only when add creates the file.",
            valueName: "group"
        )
    )
    var groupReadable: String?

    func run() throws {
        try checkUserName(name)
        for group in groups { try reportingStoreErrors { try UserStore.checkGroupName(group) } }
        var fileAccess = UserStoreFileAccess.ownerOnly
        if let groupReadable {
            guard let entry = getgrnam(groupReadable) else {
                throw CommandFailure("--group-readable: no such group '\(groupReadable)'")
            }
            fileAccess = .groupReadable(gid: entry.pointee.gr_gid)
        }
        var before = stat()
        let existed = !database.isPostgres && lstat(database.path, &before) == 0
        if database.isPostgres, groupReadable != nil {
            throw CommandFailure("--group-readable applies to an SQLite file, not to a PostgreSQL database")
        }
        let store = try database.open(create: true, fileAccess: fileAccess)
        if existed, case .groupReadable(let gid) = fileAccess, before.st_gid != gid || before.st_mode & 0o777 != 0o640 {
            warn(
                "\(database.path) exists already (mode \(String(before.st_mode & 0o777, radix: 8)), "
                    + "group \(before.st_gid)): --group-readable only applies when add creates it"
            )
        }
        if try store.user(name) != nil { throw CommandFailure("user '\(name)' already exists") }
        let password = try PasswordInput.readNew(for: name)
        try reportingStoreErrors { try store.createUser(name, password: password, active: !inactive, groups: groups) }
        print("added user '\(name)'\(inactive ? " (inactive)" : "")")
    }
}

/// `swiftgate users passwd NAME --db PATH`.
struct UsersPasswd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "passwd", abstract: "Set a user's password.")

    @OptionGroup var database: UserDatabaseOptions
    @Argument(help: "The user name.") var name: String

    func run() throws {
        let store = try database.open()
        if try store.user(name) == nil { throw CommandFailure("no user '\(name)'") }
        let password = try PasswordInput.readNew(for: name)
        try reportingStoreErrors { try store.setPassword(name, password: password) }
        print("password of '\(name)' changed")
    }
}

/// `swiftgate users list --db PATH`.
struct UsersList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the users: name, active or inactive, groups."
    )

    @OptionGroup var database: UserDatabaseOptions

    func run() throws {
        let users = try database.open().users()
        let width = users.map(\.name.count).max() ?? 0
        for user in users {
            let padding = String(repeating: " ", count: width - user.name.count)
            let groups = user.groups.isEmpty ? "-" : user.groups.joined(separator: ",")
            print("\(user.name)\(padding)  \(user.isActive ? "active  " : "inactive")  \(groups)")
        }
    }
}

/// `swiftgate users delete NAME --db PATH`.
struct UsersDelete: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a user.")

    @OptionGroup var database: UserDatabaseOptions
    @Argument(help: "The user name.") var name: String

    func run() throws {
        let store = try database.open()
        try reportingStoreErrors { try store.deleteUser(name) }
        print("deleted user '\(name)'")
    }
}

/// `swiftgate users add-group NAME GROUP --db PATH`.
struct UsersAddGroup: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add-group", abstract: "Put a user in a group.")

    @OptionGroup var database: UserDatabaseOptions
    @Argument(help: "The user name.") var name: String
    @Argument(help: "The group.") var group: String

    func run() throws {
        try reportingStoreErrors { try UserStore.checkGroupName(group) }
        let store = try database.open()
        let added = try reportingStoreErrors { try store.addGroup(user: name, group: group) }
        print(added ? "added '\(name)' to group '\(group)'" : "'\(name)' is already in group '\(group)'")
    }
}

/// `swiftgate users remove-group NAME GROUP --db PATH`.
struct UsersRemoveGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove-group",
        abstract: "Take a user out of a group."
    )

    @OptionGroup var database: UserDatabaseOptions
    @Argument(help: "The user name.") var name: String
    @Argument(help: "The group.") var group: String

    func run() throws {
        let store = try database.open()
        let removed = try reportingStoreErrors { try store.removeGroup(user: name, group: group) }
        print(removed ? "removed '\(name)' from group '\(group)'" : "'\(name)' was not in group '\(group)'")
    }
}

/// `swiftgate users activate NAME --db PATH`.
struct UsersActivate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "activate", abstract: "Let a user log in.")

    @OptionGroup var database: UserDatabaseOptions
    @Argument(help: "The user name.") var name: String

    func run() throws {
        try reportingStoreErrors { try database.open().setActive(name, active: true) }
        print("activated '\(name)'")
    }
}

/// `swiftgate users deactivate NAME --db PATH`.
struct UsersDeactivate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deactivate",
        abstract: "Stop a user from logging in (the account stays)."
    )

    @OptionGroup var database: UserDatabaseOptions
    @Argument(help: "The user name.") var name: String

    func run() throws {
        try reportingStoreErrors { try database.open().setActive(name, active: false) }
        print("deactivated '\(name)'")
    }
}
