import CairnProtocol
@testable import CairnClient
import Foundation
import Testing

@Suite struct RegistryClientTests {
    @Test func modelReferences() throws {
        #expect(try ModelReference(parsing: "team/flag@production") == ModelReference(model: "team/flag", version: .alias("production")))
        #expect(try ModelReference(parsing: "flag@3") == ModelReference(model: "flag", version: .number(3)))
        #expect(try ModelReference(parsing: "flag") == ModelReference(model: "flag", version: .latest))
        #expect(try ModelReference(parsing: "flag@latest") == ModelReference(model: "flag", version: .latest))
        for bad in ["", "@prod", "flag@", "flag@0", "flag@-2"] {
            #expect(throws: ClientError.self, "\(bad)") { try ModelReference(parsing: bad) }
        }
        #expect(Registry.path("team/flag", .alias("prod")) == "/api/v1/models/team/flag/aliases/prod")
        #expect(Registry.path("team/flag", .number(2)) == "/api/v1/models/team/flag/versions/2")
    }

    /// As `dvc repro` (DVC 3) writes it: block style, sequences lined up with their keys, a list `cmd`,
    /// directory hashes with `.dir`, nested params.
    static let lock = """
        schema: '2.0'
        stages:
          prepare:
            cmd: python prepare.py --seed 1
            deps:
            - path: data/raw.csv
              hash: md5
              md5: 0123456789ABCDEF0123456789abcdef
              size: 10
            outs:
            - path: data/clean
              hash: md5
              md5: fedcba9876543210fedcba9876543210.dir
              size: 20
              nfiles: 2
          train:
            cmd:
            - python train.py
            - echo "done: yes"
            deps:
            - path: data/clean
              hash: md5
              md5: fedcba9876543210fedcba9876543210.dir
              size: 20
              nfiles: 2
            - path: 'src/train #1.py'
              md5: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
            params:
              params.yaml:
                lr: 0.01
                model:
                  depth: 4
                  name: "res net"
            outs:
            - path: model
              md5: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.dir
        """

    @Test func dvcLockDependenciesAndParams() throws {
        let lock = try DvcLock(parsing: Self.lock)
        #expect(lock.stages.map(\.name) == ["prepare", "train"])
        #expect(lock.stages[0].dependencies == [.init(path: "data/raw.csv", md5: "0123456789abcdef0123456789abcdef", isDirectory: false)])
        #expect(lock.stages[1].dependencies == [
            .init(path: "data/clean", md5: "fedcba9876543210fedcba9876543210", isDirectory: true),
            .init(path: "src/train #1.py", md5: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", isDirectory: false),
        ])
        #expect(lock.stages[1].parameters == ["lr": "0.01", "model.depth": "4", "model.name": "res net"])
        #expect(lock.stages[0].parameters.isEmpty)
    }

    @Test func dvcOneLockHasStagesAtTheTop() throws {
        let lock = try DvcLock(parsing: """
            train:
              cmd: python train.py
              deps:
              - path: data.csv
                md5: 0123456789abcdef0123456789abcdef
            """)
        #expect(lock.stages.map(\.name) == ["train"])
        #expect(lock.stages[0].dependencies.map(\.path) == ["data.csv"])
    }

    @Test func dvcLockErrors() {
        #expect(throws: ClientError.self) { try DvcLock(parsing: "- just\n- a list\n") }
        #expect(throws: ClientError.self) {
            try DvcLock(parsing: "stages:\n  s:\n    deps:\n    - path: x\n      md5: nothex\n")
        }
        #expect(throws: ClientError.self) { try DvcLock(parsing: "stages:\n  s:\n  bad line without colon\n") }
    }

    /// What the hand-written subset got wrong: escapes in double-quoted strings, quotes doubled in single-quoted
    /// ones, plain scalars continued on the next line, flow style.
    @Test func dvcLockIsReadAsYAML() throws {
        let lock = try DvcLock(parsing: #"""
            schema: '2.0'
            stages:
              train:
                cmd: python train.py
                  --epochs 3
                deps:
                - path: "data/caf\u00e9 \"raw\".csv"
                  md5: 0123456789abcdef0123456789abcdef
                - {path: 'it''s.csv', md5: fedcba9876543210fedcba9876543210}
                params:
                  params.yaml:
                    lr: 1e-3
                    layers: [64, 32]
                    note: "tab\there"
                    empty:
            """#)
        #expect(lock.stages.map(\.name) == ["train"])
        #expect(lock.stages[0].dependencies == [
            .init(path: "data/café \"raw\".csv", md5: "0123456789abcdef0123456789abcdef", isDirectory: false),
            .init(path: "it's.csv", md5: "fedcba9876543210fedcba9876543210", isDirectory: false),
        ])
        #expect(lock.stages[0].parameters == ["lr": "1e-3", "layers": "[64, 32]", "note": "tab\there"])
    }

    @Test func malformedYAMLIsAClearError() {
        let error = #expect(throws: ClientError.self) { try DvcLock(parsing: "stages:\n  s: [unclosed\n") }
        #expect(error?.description.hasPrefix("dvc.lock is not valid YAML") == true, "\(String(describing: error))")
    }
}
