//! Any text through the Cypher parser (one statement and as a script): a tree or a syntax
//! error whose position lies within the text, never a panic or a stack overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = pagegraph_query::parse(text) {
        assert!(e.position.offset <= text.len());
        assert!(e.position.line >= 1 && e.position.column >= 1);
        let _ = e.to_string();
    }
    let _ = pagegraph_query::parse_script(text);
});
