import Testing
import CairnCore
@testable import CairnS3

private func parse(_ text: String, maxDepth: Int = 32) throws -> XMLElement {
    try parseXML(Array(text.utf8), maxDepth: maxDepth)
}

@Suite struct XMLTests {
    @Test func escaping() {
        #expect(xmlEscape("plain text/ü日本🎉") == "plain text/ü日本🎉")
        #expect(xmlEscape("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d&quot;e&apos;f")
        #expect(xmlEscape("tab\tlf\ncr\r") == "tab&#x9;lf&#xA;cr&#xD;")
        #expect(xmlEscape("del\u{7F}c1\u{85}\u{9F}") == "del&#x7F;c1&#x85;&#x9F;")
        #expect(xmlEscape("nul\u{0}bel\u{7}esc\u{1B}") == "nul\u{FFFD}bel\u{FFFD}esc\u{FFFD}")
        #expect(xmlEscape("nonchar\u{FFFE}\u{FFFF}") == "nonchar\u{FFFD}\u{FFFD}")
        #expect(xmlEscape("\u{A0}\u{FFFD}\u{EFFF}") == "\u{A0}\u{FFFD}\u{EFFF}")  // lead bytes C2/EF but fine
        #expect(xmlEscape("") == "")
    }

    @Test func writer() {
        var writer = XMLWriter()
        writer.open("ListBucketResult", xmlns: "http://s3.amazonaws.com/doc/2006-03-01/")
        writer.element("Name", "my-bucket")
        writer.element("KeyCount", 2)
        writer.element("IsTruncated", false)
        writer.element("Prefix", ifPresent: nil)
        writer.element("Delimiter", ifPresent: "/")
        writer.open("Contents")
        writer.element("Key", "a&b <c>")
        writer.close("Contents")
        writer.empty("Empty")
        writer.close("ListBucketResult")
        #expect(
            writer.string == """
                <?xml version="1.0" encoding="UTF-8"?>
                <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>my-bucket</Name>\
                <KeyCount>2</KeyCount><IsTruncated>false</IsTruncated><Delimiter>/</Delimiter><Contents>\
                <Key>a&amp;b &lt;c&gt;</Key></Contents><Empty/></ListBucketResult>
                """)
    }

    @Test(arguments: [
        "simple", "a&b<c>d\"e'f;&amp;", "  leading and trailing  ", "tab\tnew\nline\r\ncr\rend",
        "ünïcödé 日本語 🎉 \u{7F}\u{85}", "]]> <![CDATA[ x ]]>", "&#x41; &lt; not decoded twice", "",
    ])
    func roundTrip(_ text: String) throws {
        var writer = XMLWriter()
        writer.open("Root", xmlns: "urn:test")
        writer.element("Key", text)
        writer.close("Root")
        let root = try parseXML(Array(writer.string.utf8))
        #expect(root.name == "Root")
        #expect(root.child("Key")?.text == text)
    }

    @Test func completeMultipartUpload() throws {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
               <Part>
                  <ETag>"a54357aff0632cce46d942af68356b38"</ETag>
                  <PartNumber>1</PartNumber>
                  <ChecksumCRC32>DUoRhQ==</ChecksumCRC32>
               </Part>
               <Part>
                  <ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag>
                  <PartNumber>2</PartNumber>
               </Part>
               <!-- a comment -->
               <Part><ETag>"acbd18db4cc2f85cedef654fccc4a4d8"</ETag><PartNumber>3</PartNumber></Part>
            </CompleteMultipartUpload>
            """
        let root = try parse(body)
        #expect(root.name == "CompleteMultipartUpload")
        let parts = root.children(named: "Part")
        #expect(parts.count == 3)
        #expect(parts.map { $0.child("PartNumber")?.text } == ["1", "2", "3"])
        #expect(parts.map { $0.child("ETag")?.text } == [
            "\"a54357aff0632cce46d942af68356b38\"", "\"0c78aef83f66abc1fa1e8477f296d394\"",
            "\"acbd18db4cc2f85cedef654fccc4a4d8\"",
        ])
        #expect(parts[0].child(ChecksumAlgorithm.crc32.xmlElementName)?.text == "DUoRhQ==")
        #expect(parts[1].child("ChecksumCRC32") == nil)
        #expect(root.child("Missing") == nil)
    }

    @Test func checksumElementNames() {
        #expect(ChecksumAlgorithm.allCases.map(\.xmlElementName) == [
            "ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA1", "ChecksumSHA256",
        ])
    }

    @Test func deleteBody() throws {
        let body = """
            <Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>\
            <Object><Key>photos/2006/January/sample.jpg</Key></Object>\
            <Object><Key>a&amp;b &lt;c&gt; &#x65E5;&#26412; 🎉</Key><VersionId>UIORUnfnd89493jJFJ</VersionId></Object>\
            <Object><Key><![CDATA[raw <cdata> & stuff]]></Key></Object>\
            <Object><Key> spaced </Key></Object>\
            </Delete>
            """
        let root = try parse(body)
        #expect(root.name == "Delete")
        #expect(root.child("Quiet")?.text == "true")
        let objects = root.children(named: "Object")
        #expect(objects.map { $0.child("Key")?.text ?? "?" } == [
            "photos/2006/January/sample.jpg", "a&b <c> 日本 🎉", "raw <cdata> & stuff", " spaced ",
        ])
        #expect(objects[1].child("VersionId")?.text == "UIORUnfnd89493jJFJ")
        #expect(objects[0].child("VersionId") == nil)
    }

    @Test func parserFeatures() throws {
        let root = try parse("""
            \u{FEFF}<?xml version='1.0' encoding='utf-8' standalone="yes"?>
            <!-- leading comment --><?some-pi data?>
            <s3:Root xmlns:s3="urn:x" a="1" b = 'two &amp; &#65;'>\
            <s3:Child/><Other x="y" />t<!--c-->ext<?pi inside?>&#65;&#x42;&#x1F389;\r\nline\rend</s3:Root>
            <!-- trailing comment -->\n
            """)
        #expect(root.name == "Root")
        #expect(root.children.map(\.name) == ["Child", "Other"])
        #expect(root.text == "textAB🎉\nline\nend")
        #expect(root.children[0] == XMLElement(name: "Child"))
        #expect(try parse("<a/>") == XMLElement(name: "a"))
        #expect(try parse("<a>&#x1;</a>").text == "\u{1}")  // control characters are reachable by reference
        // Exactly maxDepth levels is fine.
        #expect(try parse("<a><b><c/></b></a>", maxDepth: 3).children[0].children[0].name == "c")
    }

    @Test(arguments: [
        ("", "empty"),
        ("   \n", "whitespace only"),
        ("\u{FEFF}", "BOM only"),
        ("<?xml version=\"1.0\"?>", "declaration only"),
        ("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", "DOCTYPE"),
        ("<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]><lolz>&lol2;</lolz>", "billion laughs"),
        ("<a><!ENTITY x \"y\"></a>", "entity declaration inside"),
        ("<a><!DOCTYPE a></a>", "doctype inside"),
        ("<a>&x;</a>", "undefined entity"),
        ("<a><b></a></b>", "mismatched"),
        ("<a><b></b>", "unclosed"),
        ("<a>", "unclosed root"),
        ("<a></b>", "wrong close"),
        ("</a>", "close without open"),
        ("<a></a>text", "text after root"),
        ("<a></a><b></b>", "element after root"),
        ("<a/><a/>", "second root"),
        ("text<a></a>", "text before root"),
        ("<a>&amp</a>", "reference without semicolon"),
        ("<a>& b</a>", "bare ampersand"),
        ("<a>&#;</a>", "empty decimal reference"),
        ("<a>&#x;</a>", "empty hex reference"),
        ("<a>&#xZZ;</a>", "bad hex digits"),
        ("<a>&#12a;</a>", "bad decimal digits"),
        ("<a>&#X41;</a>", "uppercase X"),
        ("<a>&#0;</a>", "NUL reference"),
        ("<a>&#xD800;</a>", "surrogate reference"),
        ("<a>&#x110000;</a>", "reference beyond Unicode"),
        ("<a>&#xFFFE;</a>", "noncharacter reference"),
        ("<a>&#99999999999;</a>", "huge reference"),
        ("<a x=\"&bad;\"></a>", "bad reference in attribute"),
        ("<a x=y></a>", "unquoted attribute"),
        ("<a x=\"1\"y=\"2\"></a>", "attributes without space"),
        ("<a x></a>", "attribute without value"),
        ("<a x=\"<\"></a>", "< in attribute"),
        ("<a x=\"1></a>", "unterminated attribute"),
        ("< a></a>", "space before name"),
        ("<1a></1a>", "name starting with digit"),
        ("<a><!-- never closed</a>", "unterminated comment"),
        ("<a><![CDATA[ never closed</a>", "unterminated CDATA"),
        ("<a><?pi never closed</a>", "unterminated PI"),
        ("<a><?xml version=\"1.0\"?></a>", "declaration inside"),
        (" <?xml version=\"1.0\"?><a/>", "declaration not at start"),
        ("<a>\u{1}</a>", "raw control character"),
        ("<a>\u{FFFF}</a>", "raw noncharacter"),
    ])
    func rejects(_ input: String, _ reason: String) {
        #expect(throws: XMLParseError.self, "\(reason)") { try parse(input) }
    }

    @Test(arguments: [
        [0xFF] as [UInt8], [0x3C, 0x61, 0x3E, 0xC0, 0xAF, 0x3C, 0x2F, 0x61, 0x3E],  // overlong '/'
        [0x3C, 0x61, 0x3E, 0xE2, 0x82, 0x3C, 0x2F, 0x61, 0x3E],  // truncated sequence
        [0x3C, 0x61, 0x3E, 0xED, 0xA0, 0x80, 0x3C, 0x2F, 0x61, 0x3E],  // UTF-8 encoded surrogate
        [0x3C, 0x61, 0x3E, 0xF4, 0x90, 0x80, 0x80, 0x3C, 0x2F, 0x61, 0x3E],  // above U+10FFFF
        [0x3C, 0x61, 0x3E, 0x80, 0x3C, 0x2F, 0x61, 0x3E],  // lone continuation byte
        [0x3C, 0x61, 0x3E, 0xE6, 0x97],  // truncated at end
    ])
    func rejectsInvalidUTF8(_ bytes: [UInt8]) {
        #expect(throws: XMLParseError.self) { try parseXML(bytes) }
    }

    @Test func depthLimit() throws {
        let deep = String(repeating: "<a>", count: 33) + String(repeating: "</a>", count: 33)
        #expect(throws: XMLParseError.self) { try parse(deep) }
        let ok = String(repeating: "<a>", count: 32) + String(repeating: "</a>", count: 32)
        #expect(try parse(ok).name == "a")
        #expect(throws: XMLParseError.self) { try parse("<a><b/></a>", maxDepth: 1) }
        #expect(throws: XMLParseError.self) { try parse("<a/>", maxDepth: 0) }
        // Very deep input fails fast without recursion.
        let huge = String(repeating: "<a>", count: 100_000)
        #expect(throws: XMLParseError.self) { try parse(huge, maxDepth: 1_000_000) }
        let error = #expect(throws: XMLParseError.self) { try parse("<a><b></a>") }
        #expect(error?.description.contains("does not match") == true)
    }
}
