import SwiftGateUsers

/// The example site's HTML.
enum Pages {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static func page(_ title: String, _ body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
        li{margin:.3rem 0}code{background:#eee;padding:0 .2rem}</style></head>
        <body>\(body)</body></html>

        """
    }

    static func home(title: String, base: String) -> String {
        page(
            title,
            """
            <h1>\(escape(title))</h1>
            <p>A Swift application served by Apache httpd through mod_swiftgate.</p>
            <ul>
            <li><a href="\(base)/notes">Notes</a>: a small SQLite application</li>
            <li><a href="\(base)/admin">Admin</a>: behind basic auth, for group <code>staff</code></li>
            <li><a href="\(base)/env">/env</a>: this request's environ as JSON</li>
            <li><a href="\(base)/stream?n=20">/stream?n=20</a>: a response streamed in 20 chunks</li>
            <li><code>curl --data-binary @file \(base)/echo</code>: streams a POST body back</li>
            </ul>
            """
        )
    }

    static func admin(notes: [Note], users: [UserInfo], viewer: String, base: String) -> String {
        let noteItems = notes.map { "<li>\(escape($0.text))</li>" }.joined(separator: "\n")
        let userRows = users.map { user in
            "<tr><td>\(escape(user.name))</td><td>\(user.isActive ? "yes" : "no")</td>"
                + "<td>\(escape(user.groups.joined(separator: ", ")))</td></tr>"
        }.joined(separator: "\n")
        return page(
            "Admin",
            """
            <h1>Admin</h1>
            <p>Signed in as <strong id="viewer">\(escape(viewer))</strong>.</p>
            <h2>Users</h2>
            <table id="users"><tr><th>User</th><th>Active</th><th>Groups</th></tr>
            \(userRows)
            </table>
            <h2>Notes</h2>
            <ul id="notes">
            \(noteItems)
            </ul>
            <p><a href="\(base)/">Home</a></p>
            """
        )
    }

    static func notes(_ notes: [Note], base: String) -> String {
        let items = notes.map { "<li>\(escape($0.text))</li>" }.joined(separator: "\n")
        return page(
            "Notes",
            """
            <h1>Notes</h1>
            <form method="post" action="\(base)/notes">
            <input name="text" size="40" required autofocus> <button>Add</button>
            </form>
            <ul id="notes">
            \(items)
            </ul>
            <p><a href="\(base)/">Home</a></p>
            """
        )
    }
}
