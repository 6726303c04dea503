//! Module-level dependencies of the crate point one way.
//!
//! Reads `src/**/*.rs` with `syn`, collects every `crate::…` path (in code, `use` trees
//! and macro arguments; not in comments, docs or strings) per top-level module, and
//! resolves names that `lib.rs` re-exports (`crate::types` is `generated::types`) and
//! items named through the `codegen_support` façade to the module that defines them.
//! Each inline module of `generated.rs` is a node of its own (`generated::types`: the data
//! types, which name the lenient types; `generated::builder`, …) apart from the rest
//! (`generated`: the client, which names the transport's `CallState`).
//! Test-only code (`#[cfg(test)]` items) is left out. Then:
//!
//! - the graph has no cycle (the failure names one);
//! - `generated` (written by `cargo xtask codegen`) refers only to `codegen_support`;
//! - `paginate` imports neither `client` nor `request` (it is generic over a page fetch).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use quote::ToTokens;
use syn::buffer::{Cursor, TokenBuffer};

type Graph = BTreeMap<String, BTreeSet<String>>;

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/credentials/iam.rs` → `credentials`),
/// or `None` for `lib.rs`.
fn module_of(path: &Path) -> Option<String> {
    let rel = path.strip_prefix(SRC).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_str()
        .unwrap();
    match first.strip_suffix(".rs") {
        Some("lib") => None,
        Some(name) => Some(name.to_owned()),
        None => Some(first.to_owned()),
    }
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.path().is_ident("cfg") && a.meta.to_token_stream().to_string().contains("test"))
}

fn parse(path: &Path) -> syn::File {
    let text = std::fs::read_to_string(path).unwrap();
    let mut file =
        syn::parse_file(&text).unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
    file.items.retain(|item| {
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Impl(i) => &i.attrs,
            _ => return true,
        };
        !is_cfg_test(attrs)
    });
    file
}

/// The path after every `crate::` in `cursor` (each path of a `crate::{a, b::c}` group),
/// recursing into groups, so macro arguments count too.
fn crate_paths(mut cursor: Cursor<'_>, out: &mut BTreeSet<Vec<String>>) {
    while !cursor.eof() {
        if let Some((inside, _, _, next)) = cursor.any_group() {
            crate_paths(inside, out);
            cursor = next;
            continue;
        }
        if let Some((ident, next)) = cursor.ident() {
            cursor = next;
            if ident == "crate" {
                if let Some(after) = path_sep(next) {
                    use_paths(after, Vec::new(), out);
                }
            }
            continue;
        }
        cursor = cursor.token_tree().unwrap().1;
    }
}

/// The cursor after a `::`, if one is there.
fn path_sep(cursor: Cursor<'_>) -> Option<Cursor<'_>> {
    let (p1, n1) = cursor.punct()?;
    let (p2, n2) = n1.punct()?;
    (p1.as_char() == ':' && p2.as_char() == ':').then_some(n2)
}

/// Reads a path (`a::b::C`, or a `use` tree `a::{b, c::d}`) after `prefix`; returns the
/// cursor after it.
fn use_paths<'a>(
    mut cursor: Cursor<'a>,
    mut prefix: Vec<String>,
    out: &mut BTreeSet<Vec<String>>,
) -> Cursor<'a> {
    loop {
        if let Some((ident, next)) = cursor.ident() {
            prefix.push(ident.to_string());
            match path_sep(next) {
                Some(after) => cursor = after,
                None => {
                    out.insert(prefix);
                    return next;
                }
            }
        } else if let Some((inside, _, _, next)) = cursor.any_group() {
            // `{a, b::c}`: each element, after the prefix.
            let mut c = inside;
            while !c.eof() {
                if c.ident().is_some() || c.any_group().is_some() {
                    c = use_paths(c, prefix.clone(), out);
                } else {
                    c = c.token_tree().unwrap().1;
                }
            }
            return next;
        } else {
            if !prefix.is_empty() {
                out.insert(prefix);
            }
            return cursor;
        }
    }
}

/// A file's `use` items: the name each brings in → the path it names (without `crate`).
fn imports(file: &syn::File) -> BTreeMap<String, Vec<String>> {
    fn walk(tree: &syn::UseTree, prefix: &[String], out: &mut BTreeMap<String, Vec<String>>) {
        let with = |name: &syn::Ident| {
            let mut path = prefix.to_vec();
            path.push(name.to_string());
            path
        };
        match tree {
            syn::UseTree::Path(p) if p.ident == "crate" => walk(&p.tree, prefix, out),
            syn::UseTree::Path(p) => walk(&p.tree, &with(&p.ident), out),
            syn::UseTree::Name(n) => {
                out.insert(n.ident.to_string(), with(&n.ident));
            }
            syn::UseTree::Rename(r) => {
                out.insert(r.rename.to_string(), with(&r.ident));
            }
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| walk(t, prefix, out)),
            syn::UseTree::Glob(_) => {}
        }
    }
    let mut out = BTreeMap::new();
    for item in &file.items {
        if let syn::Item::Use(u) = item {
            walk(&u.tree, &[], &mut out);
        }
    }
    out
}

/// Resolves paths to the module (node) that defines what they name.
struct Resolver {
    modules: BTreeSet<String>,
    /// What `lib.rs` re-exports (`types` → `generated::types`, `Client` → `client::Client`).
    lib: BTreeMap<String, Vec<String>>,
    /// The inline modules of `generated.rs` (`types`, `builder`, …), each a node.
    generated_mods: BTreeSet<String>,
    /// What `codegen_support.rs` re-exports: it is a façade, so an item named through it
    /// is a dependency on the module that defines the item.
    support: BTreeMap<String, Vec<String>>,
}

impl Resolver {
    fn node(&self, path: &[String]) -> Option<String> {
        self.node_within(path, 0)
    }

    fn node_within(&self, path: &[String], depth: usize) -> Option<String> {
        let first = path.first()?.as_str();
        if depth > 8 {
            return None;
        }
        match first {
            // Each inline module of `generated.rs` is its own node: its `types` module (the
            // data types, which name
            // the lenient types) and the rest (the client, which names the transport).
            "generated" if path.get(1).is_some_and(|s| self.generated_mods.contains(s)) => {
                Some(format!("generated::{}", path[1]))
            }
            "codegen_support" if path.len() > 1 => match self.support.get(&path[1]) {
                Some(source) => self.node_within(source, depth + 1),
                None => Some(first.to_owned()),
            },
            _ if self.modules.contains(first) => Some(first.to_owned()),
            _ => {
                let mut source = self.lib.get(first)?.clone();
                source.extend(path[1..].iter().cloned());
                self.node_within(&source, depth + 1)
            }
        }
    }
}

/// Each file's top-level items, with the node each belongs to.
fn nodes_of(module: &str, file: syn::File) -> Vec<(String, proc_tokens::Tokens)> {
    let mut out = Vec::new();
    for item in file.items {
        let node = match &item {
            syn::Item::Mod(m) if module == "generated" && m.content.is_some() => {
                format!("generated::{}", m.ident)
            }
            _ => module.to_owned(),
        };
        out.push((node, proc_tokens::of(&item)));
    }
    out
}

/// Token streams without naming `proc_macro2` (not a dependency of this crate).
mod proc_tokens {
    use quote::ToTokens;
    pub type Tokens = syn::buffer::TokenBuffer;
    pub fn of(item: &syn::Item) -> Tokens {
        syn::buffer::TokenBuffer::new2(item.to_token_stream())
    }
}

/// `crate::…` references per node, as paths (unresolved), for every module of `src/`.
fn references() -> (BTreeMap<String, BTreeSet<Vec<String>>>, Resolver) {
    let mut files = Vec::new();
    rust_files(Path::new(SRC), &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(f)).collect();
    let generated = parse(&Path::new(SRC).join("generated.rs"));
    let resolver = Resolver {
        modules,
        generated_mods: generated
            .items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Mod(m) if m.content.is_some() => Some(m.ident.to_string()),
                _ => None,
            })
            .collect(),
        lib: imports(&parse(&Path::new(SRC).join("lib.rs"))),
        support: imports(&parse(&Path::new(SRC).join("codegen_support.rs"))),
    };
    // Modules that `lib.rs` declares for tests only (`#[cfg(test)] mod spec_limits;`).
    let test_only: BTreeSet<String> =
        syn::parse_file(&std::fs::read_to_string(Path::new(SRC).join("lib.rs")).unwrap())
            .unwrap()
            .items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Mod(m) if is_cfg_test(&m.attrs) => Some(m.ident.to_string()),
                _ => None,
            })
            .collect();
    let mut refs: BTreeMap<String, BTreeSet<Vec<String>>> = BTreeMap::new();
    for file in &files {
        let Some(module) = module_of(file).filter(|m| !test_only.contains(m)) else {
            continue;
        };
        for (node, tokens) in nodes_of(&module, parse(file)) {
            crate_paths(tokens.begin(), refs.entry(node).or_default());
        }
    }
    (refs, resolver)
}

fn module_graph() -> Graph {
    let (refs, resolver) = references();
    let mut graph = Graph::new();
    for (node, paths) in refs {
        let deps = graph.entry(node.clone()).or_default();
        for path in paths {
            let target = resolver.node(&path).unwrap_or_else(|| {
                panic!("{node}: crate::{} names no module of src/", path.join("::"))
            });
            if target != node {
                deps.insert(target);
            }
        }
    }
    graph
}

/// A cycle of `graph`, as the path of modules that closes it.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| n == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

fn render(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(m, deps)| {
            format!(
                "  {m} -> {}",
                deps.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn module_dependencies_have_no_cycle() {
    let graph = module_graph();
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "module cycle: {}\nmodule graph (crate::… references per module):\n{}",
            cycle.join(" -> "),
            render(&module_graph())
        );
    }
}

#[test]
fn generated_code_refers_only_to_codegen_support() {
    let (refs, _) = references();
    let mut named: BTreeSet<&str> = BTreeSet::new();
    for (node, paths) in &refs {
        if node == "generated" || node.starts_with("generated::") {
            named.extend(paths.iter().map(|path| path[0].as_str()));
        }
    }
    assert_eq!(
        named.into_iter().collect::<Vec<_>>(),
        ["codegen_support"],
        "generated.rs must name only crate::codegen_support::… (change xtask/src/codegen.rs)"
    );
}

#[test]
fn pagination_knows_neither_the_client_nor_the_request() {
    let graph = module_graph();
    for above in ["client", "request", "executor", "transport"] {
        assert!(
            !graph["paginate"].contains(above),
            "paginate imports {above}: {:?}",
            graph["paginate"]
        );
    }
}

/// The checker itself: it sees `use` groups, paths in code and macro arguments, resolves
/// re-exports, and finds a cycle where there is one.
#[test]
fn the_checker_finds_references_and_cycles() {
    let file: syn::File = syn::parse_quote! {
        use crate::{a, b::{x, y::Z}};
        fn f() { let _ = crate::c::X; format!("{}", crate::d::Y); }
        /// [`crate::e`] in a doc is not a dependency.
        fn g() { let _ = "crate::f"; }
    };
    let buffer = TokenBuffer::new2(file.into_token_stream());
    let mut paths = BTreeSet::new();
    crate_paths(buffer.begin(), &mut paths);
    let paths: Vec<String> = paths.into_iter().map(|p| p.join("::")).collect();
    assert_eq!(paths, ["a", "b::x", "b::y::Z", "c::X", "d::Y"]);

    let lib: syn::File = syn::parse_quote! {
        pub use generated::types;
        pub use types::{EndpointResp};
        pub use client::{Client as C};
    };
    let support: syn::File = syn::parse_quote! {
        pub(crate) use crate::lenient::{LenientBool};
        pub(crate) use crate::transport::CallState;
    };
    let resolver = Resolver {
        modules: ["generated", "client", "lenient", "transport"]
            .map(String::from)
            .into(),
        generated_mods: ["types".to_owned()].into(),
        lib: imports(&lib),
        support: imports(&support),
    };
    let node = |path: &str| resolver.node(&path.split("::").map(String::from).collect::<Vec<_>>());
    assert_eq!(node("types::X").as_deref(), Some("generated::types"));
    assert_eq!(node("EndpointResp").as_deref(), Some("generated::types"));
    assert_eq!(node("generated::Client").as_deref(), Some("generated"));
    assert_eq!(node("C").as_deref(), Some("client"));
    assert_eq!(
        node("codegen_support::LenientBool").as_deref(),
        Some("lenient")
    );
    assert_eq!(
        node("codegen_support::CallState").as_deref(),
        Some("transport")
    );
    assert_eq!(node("nowhere::X"), None);

    let mut graph = Graph::new();
    graph.entry("a".into()).or_default().insert("b".into());
    graph.entry("b".into()).or_default().insert("c".into());
    graph.entry("c".into()).or_default();
    assert_eq!(find_cycle(&graph), None);
    graph.get_mut("c").unwrap().insert("a".into());
    assert_eq!(find_cycle(&graph).unwrap().join(" -> "), "a -> b -> c -> a");
}

/// Prints the graph (`cargo test --test module_deps -- --nocapture print`).
#[test]
fn print_module_graph() {
    println!("{}", render(&module_graph()));
}
