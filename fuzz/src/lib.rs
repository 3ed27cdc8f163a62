//! Helpers shared by the fuzz targets: building valid base files, re-sealing crafted pages
//! and WAL frames so the fuzzer's bytes get past the checksums (the class of damage a
//! tester crafts "with valid checksums"), and reading everything a database holds.

use std::path::Path;
use std::sync::Arc;

use pagegraph::{EdgeSpec, Graph, NodeSpec};
use pagegraph_storage::file::{MemVfs, Vfs};
use pagegraph_storage::{Database, Options};

/// Where the targets put the database in their in-memory file system.
pub const DB: &str = "/fuzz.pgdb";
/// Its WAL.
pub const WAL: &str = "/fuzz.pgdb-wal";

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Recomputes the checksum of every page of a database image (CRC32C of bytes 4.. at
/// bytes 0..4), at the page size its header names (4096 if none is valid).
pub fn reseal_pages(image: &mut [u8]) {
    let size = match u32_at(image, 44) {
        Some(s) if s.is_power_of_two() && (4096..=65536).contains(&s) => s as usize,
        _ => 4096,
    };
    for page in image.chunks_mut(size) {
        if page.len() == size {
            let sum = crc32c::crc32c(&page[4..]);
            page[..4].copy_from_slice(&sum.to_le_bytes());
        }
    }
}

/// Makes a crafted WAL pass every check but the content's: the header CRC, each frame's
/// salt and number, its page's checksum and its frame CRC (WAL format 3, docs/file-format.md).
pub fn reseal_wal(wal: &mut [u8], page_size: usize) {
    if wal.len() < 48 {
        return;
    }
    let sum = crc32c::crc32c(&wal[..44]);
    wal[44..48].copy_from_slice(&sum.to_le_bytes());
    let salt = u64_at(wal, 16).unwrap_or(0);
    let (mut at, mut n) = (48usize, 0u64);
    while at + 72 <= wal.len() {
        wal[at + 8..at + 16].copy_from_slice(&n.to_le_bytes());
        wal[at + 16..at + 24].copy_from_slice(&salt.to_le_bytes());
        let (start, len) = (
            u32_at(wal, at + 60).unwrap_or(0) as usize,
            u32_at(wal, at + 64).unwrap_or(0) as usize,
        );
        let valid_hole = (start == 0 && len == 0)
            || (start >= 32 && start % 8 == 0 && len % 8 == 0 && start + len <= page_size);
        if !valid_hole {
            return;
        }
        let body = page_size - len;
        let Some(frame) = wal.get_mut(at + 72..at + 72 + body) else {
            return;
        };
        let mut page = vec![0u8; page_size];
        page[..start.max(0)].copy_from_slice(&frame[..start]);
        page[start + len..].copy_from_slice(&frame[start..]);
        let page_sum = crc32c::crc32c(&page[4..]);
        frame[..4].copy_from_slice(&page_sum.to_le_bytes());
        let mut h = wal[at..at + 68].to_vec();
        h.extend_from_slice(&page_sum.to_le_bytes());
        let crc = crc32c::crc32c(&h);
        wal[at + 68..at + 72].copy_from_slice(&crc.to_le_bytes());
        at += (72 + body).next_multiple_of(8);
        n += 1;
    }
}

/// Reads every tree of a database to its end (or first error) and runs the checker.
pub fn exercise_storage(db: &Database) {
    let _ = db.check();
    let Ok(r) = db.begin_read() else { return };
    let Ok(trees) = r.trees() else { return };
    for (name, _) in trees {
        if let Ok(Some(t)) = r.tree(&name) {
            for item in &t {
                if item.is_err() {
                    break;
                }
            }
        }
    }
}

/// Reads every node, edge, index and adjacency list of a graph, and runs the checker.
pub fn exercise_graph(g: &Graph) {
    let _ = g.check();
    let Ok(r) = g.begin_read() else { return };
    let _ = r.kinds();
    let _ = r.edge_types();
    let _ = r.node_count();
    let _ = r.nodes_by_name_prefix("");
    for node in r.nodes().take(10_000) {
        let Ok(node) = node else { break };
        let _ = r.neighbors(node.id, pagegraph::Direction::Both, None);
        let _ = r.nodes_by_kind(&node.kind);
        // One node's degree from the degree trees (format 8), of a type and of all.
        let _ = r.degree(node.id, pagegraph::Direction::Both, None);
        let _ = r.degree(node.id, pagegraph::Direction::Incoming, Some("LINK"));
    }
    for dir in [pagegraph::Direction::Outgoing, pagegraph::Direction::Both] {
        let _ = r.degrees(dir, None);
        let _ = r.degrees(dir, Some(&["LINK"]));
        // Without self-loops: read from the degree trees.
        let _ = r.degrees_counting(dir, None, false);
    }
    let _ = r.two_step_walks(true, None, false, Some(&["LINK"]), false, &|_| true);
    // Whole-graph scans merging each adjacency tree with its delta: relationships in key
    // order, and a snapshot of all types and of one.
    for incoming in [false, true] {
        let _ = r.for_each_relationship(incoming, None, |_, _, _| {});
    }
    for edge_type in [None, Some("LINK".to_string())] {
        let options = pagegraph::algo::CsrOptions {
            edge_type,
            weight_field: None,
        };
        let _ = pagegraph::algo::Csr::build(&r, &options, &mut |_| {});
    }
    for edge in r.edges().take(10_000) {
        let Ok(edge) = edge else { break };
        let _ = r.edge_props(edge.id);
    }
    // Lookups by id land in chunks of edge records at every position.
    for id in 0..100 {
        let _ = r.edge(pagegraph::EdgeId(id));
    }
    // Labels, properties, the index catalog and index lookups of every kind.
    let _ = r.indexes();
    for id in 1..60 {
        let _ = r.node_props(pagegraph::NodeId(id));
    }
    use pagegraph::value::Inequality;
    use pagegraph::{Condition, PropertyValue as V};
    let conditions = [
        Condition::Eq(V::Int(3)),
        Condition::Cmp(Inequality::Ge, V::Int(0)),
        Condition::StartsWith("x".into()),
        Condition::In(vec![V::Int(1), V::String("xx".into())]),
    ];
    for (label, prop) in [("Person", "i"), ("City", "s"), ("Tag", "i"), ("Post", "i")] {
        for c in &conditions {
            if let Ok(hits) = r.nodes_where(label, prop, c) {
                for hit in hits.take(1000) {
                    if hit.is_err() {
                        break;
                    }
                }
            }
        }
    }
    for c in &conditions {
        if let Ok(hits) = r.edges_where("NEXT", "w", c) {
            for hit in hits.take(1000) {
                if hit.is_err() {
                    break;
                }
            }
        }
    }
}

/// A small valid graph database image: a few kinds, names, data and edges.
pub fn base_graph_image() -> Vec<u8> {
    let mem = MemVfs::new();
    let g = Graph::open_with_vfs(
        Arc::new(mem.clone()),
        DB,
        pagegraph::Options {
            cache_pages: 16,
            ..pagegraph::Options::default()
        },
    )
    .ok();
    if let Some(g) = g {
        if let Ok(mut tx) = g.begin_write() {
            let mut ids = Vec::new();
            for i in 0..40u64 {
                let spec = NodeSpec {
                    kind: ["Person", "City", "Post"][(i % 3) as usize].into(),
                    name: format!("node-{i}"),
                    data: serde_json::json!({"i": i, "s": "x".repeat((i % 7) as usize)}),
                };
                if let Ok(id) = tx.insert_node(spec) {
                    ids.push(id);
                }
            }
            // One edge at a time: past the first eight, each is small beside the graph,
            // so its pairs go to the adjacency delta trees (`g.out.d`, `g.in.d`).
            for (i, w) in ids.windows(2).enumerate() {
                let _ = tx.insert_edge(EdgeSpec {
                    from: w[0],
                    to: w[1],
                    edge_type: "NEXT".into(),
                    data: serde_json::json!({"w": i as f64 * 1.5}),
                });
            }
            // A hub with a run of 39 neighbors, parallel edges and a self-loop, none with
            // data: adjacency chunks and edge record chunks for the patches to reach.
            let hub = ids.first().copied();
            if let Some(hub) = hub {
                let _ = tx.insert_edges(ids.iter().chain(ids.iter().take(5)).map(|&to| EdgeSpec {
                    from: hub,
                    to,
                    edge_type: "LINK".into(),
                    data: serde_json::Value::Null,
                }));
            }
            // More labels, and indexes of each kind of target: the catalog, index entries
            // and multi-label records are in the image for the patches to reach.
            for &id in ids.iter().step_by(5) {
                let _ = tx.add_label(id, "Tag");
            }
            for spec in [
                pagegraph::IndexSpec::on_label("Person", "i").unique(),
                pagegraph::IndexSpec::on_label("City", "s"),
                pagegraph::IndexSpec::on_label("Tag", "i"),
                pagegraph::IndexSpec::on_edge_type("NEXT", "w"),
            ] {
                let _ = tx.create_index(spec);
            }
            let _ = tx.commit();
        }
        let _ = g.close();
    }
    mem.read_file(Path::new(DB)).unwrap_or_default()
}

/// A small valid storage database image with one tree.
pub fn base_storage_image() -> Vec<u8> {
    let mem = MemVfs::new();
    let vfs: Arc<dyn Vfs> = Arc::new(mem.clone());
    if let Ok(db) = Database::open_with_vfs(vfs, Path::new(DB), Options::default().cache_pages(16))
    {
        if let Ok(mut tx) = db.begin_write() {
            if let Ok(mut t) = tx.tree("t") {
                for i in 0..200u32 {
                    let _ = t.insert(&i.to_be_bytes(), &vec![7u8; (i % 50) as usize]);
                }
            }
            let _ = tx.commit();
        }
        let _ = db.close();
    }
    mem.read_file(Path::new(DB)).unwrap_or_default()
}
