import ArgumentParser
import CairnAPI
import HTTPTypes

/// `cairn routes`: the JSON API's route table, one `METHOD TEMPLATE` per line (the OpenAPI test reads it).
struct Routes: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the JSON API's routes.", shouldDisplay: false)

    func run() {
        for route in APIRoute.allCases { print("\(route.method.rawValue) \(route.template)") }
    }
}
