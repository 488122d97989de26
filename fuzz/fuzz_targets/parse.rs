//! Any bytes that are UTF-8 go to both KQL parsers: the lossless syntax tree
//! (`hunt::kql::syntax::parse`) must not panic and must give back the input as its text, with
//! every diagnostic inside the input on character boundaries; the older parser
//! (`hunt::kql::parse`) must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parse = hunt::kql::syntax::parse(text);
    assert_eq!(
        parse.syntax().text().to_string(),
        text,
        "the tree's text is not the input"
    );
    for diagnostic in &parse.errors {
        let span = diagnostic.span;
        assert!(
            span.start <= span.end && span.end <= text.len(),
            "diagnostic span {span:?} outside the input ({} bytes)",
            text.len()
        );
        assert!(
            text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
            "diagnostic span {span:?} not on character boundaries"
        );
    }
    let _ = hunt::kql::parse(text);
});
