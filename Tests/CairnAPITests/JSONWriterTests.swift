@testable import CairnAPI
import Foundation
import Testing

@Suite struct JSONWriterTests {
    @Test func writesWhatJSONSerializationReadsBack() throws {
        var w = JSONWriter()
        w.open("{")
        w.field("a", "quote \" backslash \\ newline \n tab \t bell \u{7} ünïcødé 🙂")
        w.field("n", UInt64.max)
        w.field("neg", -5)
        w.field("absent", nil as String?)
        w.key("list")
        w.open("[")
        w.open("{"); w.field("x", true); w.close("}")
        w.open("{"); w.close("}")
        w.open("["); w.close("]")
        w.close("]")
        w.field("z", false)
        w.close("}")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String: Any])
        #expect(object["a"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{7} ünïcødé 🙂")
        #expect((object["n"] as? NSNumber)?.uint64Value == UInt64.max)
        #expect(object["neg"] as? Int == -5 && object["absent"] == nil && object["z"] as? Bool == false)
        let list = try #require(object["list"] as? [Any])
        #expect(list.count == 3 && (list[0] as? [String: Any])?["x"] as? Bool == true)
    }
}
