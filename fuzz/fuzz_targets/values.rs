//! Any bytes as a property value key, and any text as each kind of temporal value and as
//! JSON data: a value or an error, never a panic. A key that decodes is the key of the
//! value it gives (only canonical keys decode); a temporal value that parses writes back
//! as text that parses to the same value; JSON that converts converts back; JSON stored as
//! node or edge data decodes to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pagegraph::PropertyValue;
use pagegraph::value::{Temporal, decode_key, encode_key};

fuzz_target!(|data: &[u8]| {
    if let Ok((v, rest)) = decode_key(data) {
        let mut k = Vec::new();
        assert!(encode_key(&v, &mut k));
        assert_eq!(&data[..data.len() - rest.len()], &k[..]);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for kind in ["date", "localtime", "time", "localdatetime", "datetime", "duration"] {
        if let Ok(t) = Temporal::parse(kind, text) {
            assert_eq!(Temporal::parse(kind, &t.to_string()), Ok(t));
        }
    }
    let _ = Temporal::parse_offset(text);
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        // Data as the graph stores it (a binary object for an object, else JSON text)
        // decodes to the value it was made from.
        if let Ok(stored) = pagegraph::EncodedData::new(&json) {
            assert_eq!(stored.to_value().ok().as_ref(), Some(&json));
        }
        if let Ok(v) = PropertyValue::from_json(&json)
            && let Ok(back) = v.to_json()
        {
            assert_eq!(PropertyValue::from_json(&back).ok(), Some(v));
        }
    }
});
