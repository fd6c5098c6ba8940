import CairnProtocol
import Testing

@Suite struct URIEncodingTests {
    @Test func strictDecoding() {
        #expect(URIEncoding.decode("a%20b%2Fc") == "a b/c")
        #expect(URIEncoding.decode("a+b", plusIsSpace: true) == "a b")
        #expect(URIEncoding.decode("a+b") == "a+b")
        #expect(URIEncoding.decode("%E2%9C%93") == "✓")
        #expect(URIEncoding.decode("%ZZ") == nil)
        #expect(URIEncoding.decode("%4") == nil)
        #expect(URIEncoding.decode("%C3") == nil, "truncated UTF-8 is rejected")
    }

    @Test func encoding() {
        #expect(URIEncoding.encode("a b/ü", encodeSlash: false) == "a%20b/%C3%BC")
        #expect(URIEncoding.encode("a b/ü", encodeSlash: true) == "a%20b%2F%C3%BC")
        #expect(URIEncoding.encode("AZaz09-._~", encodeSlash: true) == "AZaz09-._~")
    }
}
