//! Copies the first ```rust block of vpcep-client's README into `$OUT_DIR/readme.rs`,
//! which `src/lib.rs` includes: the README's example is this crate's code, unchanged
//! (the README is also a doctest of vpcep-client, so it compiles there too).

use std::path::Path;

const README: &str = "../../crates/vpcep-client/README.md";

fn main() {
    println!("cargo:rerun-if-changed={README}");
    let text = std::fs::read_to_string(README).expect("read vpcep-client's README.md");
    let mut lines = text.lines();
    lines
        .by_ref()
        .find(|l| l.starts_with("```rust"))
        .expect("a ```rust block in vpcep-client's README.md");
    let mut code = String::new();
    for line in lines.by_ref() {
        if line.starts_with("```") {
            break;
        }
        // Lines hidden from the rendered doc (`# …`) are part of the doctest's code too.
        let line = match line.strip_prefix("# ") {
            Some(rest) => rest,
            None if line == "#" => "",
            None => line,
        };
        code.push_str(line);
        code.push('\n');
    }
    assert!(!code.trim().is_empty(), "empty ```rust block in {README}");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("readme.rs");
    std::fs::write(out, code).unwrap();
}
