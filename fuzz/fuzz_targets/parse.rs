//! Any bytes that are UTF-8 go to both KQL parsers: the lossless syntax tree
//! (`hunt::kql::syntax::parse`) must not panic and must give back the input as its text, with
//! every diagnostic inside the input on character boundaries; its typed view for the engine
//! (`hunt::kql::parse`), the unknown-name analysis, completion at the end, and the formatter
//! (which checks itself that it keeps every significant token) must not panic.
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
    let root = parse.syntax();
    let schema = hunt::kql::analysis::Schema::new(&[]);
    let _ = hunt::kql::analysis::analyse(&root, &schema);
    let _ = hunt::kql::completion::candidates(text, text.len(), &[], &[]);
    if let Err(hunt::kql::format::FormatError::Internal(message)) = hunt::kql::format::format(text) {
        panic!("the formatter would change the query: {message}");
    }
});
