//! Any bytes as an import file: every line through every line parser the importer has
//! (JSONL nodes and edges, vertex lists, edge lists, exact JSON), and the whole input
//! through the CSV reader with node and edge headers. The parsers are the import library's
//! own source files, compiled here as they are. Each must return a record, a skip or an
//! error, never panic, and never hold more than the line limit.
#![no_main]
#![allow(dead_code, unused_imports)]

#[path = "../../crates/import/src/error.rs"]
mod error;
#[path = "../../crates/import/src/idmap.rs"]
mod idmap;
#[path = "../../crates/import/src/input.rs"]
mod input;
#[path = "../../crates/import/src/parse.rs"]
mod parse;
#[path = "../../crates/import/src/progress.rs"]
mod progress;

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for line in data.split(|&b| b == b'\n') {
        let Ok(text) = input::text(line) else { continue };
        let _ = parse::parse_jsonl_node(text);
        let _ = parse::parse_jsonl_edge(text);
        let _ = parse::parse_vertex(text, "node");
        let _ = parse::parse_edgelist(text);
        let _ = parse::exact_json(text);
        let _ = parse::cell_value(text);
        let _ = idmap::ExtId::parse(text);
    }
    for (required, optional) in [
        (&["id", "kind"][..], &["name"][..]),
        (&["from", "to"][..], &["type"][..]),
    ] {
        let reader: Box<dyn std::io::BufRead + Send> =
            Box::new(std::io::Cursor::new(data.to_vec()));
        let mut csv = parse::csv_reader(reader);
        let Ok(header) = parse::CsvHeader::read(&mut csv, Path::new("f.csv"), required, optional)
        else {
            continue;
        };
        let mut record = csv::StringRecord::new();
        while let Ok(true) = csv.read_record(&mut record) {
            if required[0] == "id" {
                let _ = header.node(&record);
            } else {
                let _ = header.edge(&record);
            }
        }
    }
});
