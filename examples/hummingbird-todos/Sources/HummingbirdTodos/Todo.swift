import Foundation
import Hummingbird

/// A todo, as the API sends and receives it.
struct Todo: Equatable {
    /// Its identifier.
    var id: UUID
    /// What to do.
    var title: String
    /// Where it sorts in a list.
    var order: Int?
    /// Where the todo lives: this site's address for it.
    var url: String
    /// Whether it is done.
    var completed: Bool?
}

extension Todo: ResponseCodable {}
