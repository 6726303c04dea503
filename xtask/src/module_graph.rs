//! The modules of one crate as a graph, read from its sources with `syn`.
//!
//! From the crate root (`lib.rs`, `main.rs`, `src/bin/x.rs`), every `mod x;` is followed
//! to its file. The nodes are the crate root itself (`crate`: the items it defines), each
//! top-level module with all its submodules (`src/credentials/*.rs` is `credentials`),
//! and each inline module written at the top of a module's file (`generated.rs`'s
//! `pub mod types { … }` is `generated::types`; a module and its inline modules name each
//! other freely, their edges to other nodes are kept apart). Test-only code
//! (`#[cfg(test)]` items) is left out.
//!
//! An edge is a path in code — `use` trees, expressions, types, macro arguments; not
//! comments, docs, strings, or the code that `quote!`/`parse_quote!` write for another
//! crate — that names something of another node: `crate::a::…`, `super::…` and
//! `self::…` (made absolute), and in the crate root (or a module's top) a path starting
//! with one of its own node children (`run` in `main.rs` calling `codegen::run`). The
//! root's own re-exports (`pub use …`) are its public face, not edges. A path
//! is resolved to the node that defines what it names: through the root's re-exports
//! (`crate::types` is `generated::types` when `lib.rs` says `pub use generated::types`)
//! and through a module's public re-exports (`crate::codegen_support::LenientBool` is
//! `lenient`'s). A path that names nothing is an error, so the check cannot silently
//! miss a dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use quote::ToTokens;
use syn::buffer::{Cursor, TokenBuffer};

use crate::graph::Graph;

/// The name of the crate root's node.
pub const ROOT: &str = "crate";

/// A crate's module graph, and the absolute paths each node names (unresolved).
pub struct ModuleGraph {
    /// Node → the nodes it depends on.
    pub graph: Graph,
    /// Node → every absolute path (`["codegen_support", "LenientBool"]`) it names.
    pub references: BTreeMap<String, BTreeSet<Vec<String>>>,
}

/// Reads the crate whose root file is `root`.
pub fn read(root: &Path) -> Result<ModuleGraph> {
    let sources = Sources::load(root)?;
    let resolver = Resolver::new(&sources);
    let mut references: BTreeMap<String, BTreeSet<Vec<String>>> = BTreeMap::new();
    for unit in &sources.units {
        scan_items(&unit.file.items, &unit.path, &sources, &mut references);
    }
    let mut graph = Graph::new();
    for node in sources.nodes() {
        graph.entry(node).or_default();
    }
    for (node, paths) in &references {
        let deps = graph.entry(node.clone()).or_default();
        for path in paths {
            match resolver.node(path, 0) {
                Ok(Some(target)) if target != *node && !nested(node, &target) => {
                    deps.insert(target);
                }
                Ok(_) => {}
                Err(e) => bail!("{}: {node}: {e}", root.display()),
            }
        }
    }
    Ok(ModuleGraph { graph, references })
}

/// Whether one node is an inline module of the other (`generated` and
/// `generated::builder`): a module and the inline modules of its file are one unit for
/// cycles (progenitor's `builder` names `super::Client`, whose methods return
/// `builder::…`); their edges to other nodes are kept apart.
fn nested(a: &str, b: &str) -> bool {
    let inside = |outer: &str, inner: &str| {
        inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with("::"))
    };
    inside(a, b) || inside(b, a)
}

/// One file of the crate, its module path (`[]` for the root, `["credentials", "iam"]`)
/// and its items without test-only code.
struct Unit {
    path: Vec<String>,
    file: syn::File,
}

/// Every file of a crate, from its root.
struct Sources {
    units: Vec<Unit>,
    /// Top-level modules (declared in the root) and the inline modules at the top of
    /// each one's file (the nodes `module::inline`).
    modules: BTreeMap<String, BTreeSet<String>>,
}

impl Sources {
    fn load(root: &Path) -> Result<Sources> {
        let mut units = Vec::new();
        load_file(root, Vec::new(), true, &mut units)?;
        let mut modules = BTreeMap::new();
        for unit in &units {
            if let [module] = &unit.path[..] {
                let inline = unit
                    .file
                    .items
                    .iter()
                    .filter_map(|item| match item {
                        syn::Item::Mod(m) if m.content.is_some() => Some(m.ident.to_string()),
                        _ => None,
                    })
                    .collect();
                modules.insert(module.clone(), inline);
            }
        }
        // Top-level modules written inline in the root.
        for item in &units[0].file.items {
            if let syn::Item::Mod(m) = item {
                modules.entry(m.ident.to_string()).or_default();
            }
        }
        Ok(Sources { units, modules })
    }

    fn nodes(&self) -> Vec<String> {
        let mut nodes = vec![ROOT.to_owned()];
        for (module, inline) in &self.modules {
            nodes.push(module.clone());
            nodes.extend(inline.iter().map(|i| format!("{module}::{i}")));
        }
        nodes
    }

    /// The node items at module path `path` belong to.
    fn node_of(&self, path: &[String]) -> String {
        match path {
            [] => ROOT.to_owned(),
            [module, inline, ..]
                if self.modules.get(module).is_some_and(|i| i.contains(inline)) =>
            {
                format!("{module}::{inline}")
            }
            [module, ..] => module.clone(),
        }
    }

    /// The names that, at the start of a relative path in module `path`, name another
    /// node: the top-level modules in the root, a module's inline nodes at its top.
    fn node_children(&self, path: &[String]) -> BTreeSet<String> {
        match path {
            [] => self.modules.keys().cloned().collect(),
            [module] => self.modules.get(module).cloned().unwrap_or_default(),
            _ => BTreeSet::new(),
        }
    }

    fn unit(&self, path: &[String]) -> Option<&Unit> {
        self.units.iter().find(|u| u.path == path)
    }
}

fn load_file(file: &Path, path: Vec<String>, owns_dir: bool, out: &mut Vec<Unit>) -> Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let mut parsed =
        syn::parse_file(&text).with_context(|| format!("{} does not parse", file.display()))?;
    strip_test_code(&mut parsed.items);
    // `lib.rs`, `main.rs` and `mod.rs` hold their submodules beside them; `a.rs` in `a/`.
    let dir = match (owns_dir, file.parent()) {
        (true, Some(parent)) => parent.to_path_buf(),
        (false, Some(parent)) => parent.join(file.file_stem().unwrap_or_default()),
        (_, None) => bail!("{} has no directory", file.display()),
    };
    let children: Vec<String> = parsed
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) if m.content.is_none() => {
                if m.attrs.iter().any(|a| a.path().is_ident("path")) {
                    return Some(Err(anyhow!(
                        "{}: `#[path]` on `mod {}` is not supported by the check",
                        file.display(),
                        m.ident
                    )));
                }
                Some(Ok(m.ident.to_string()))
            }
            _ => None,
        })
        .collect::<Result<_>>()?;
    out.push(Unit {
        path: path.clone(),
        file: parsed,
    });
    let mut seen = BTreeSet::new();
    for child in children {
        if !seen.insert(child.clone()) {
            continue; // declared twice under different `cfg`s
        }
        let flat = dir.join(format!("{child}.rs"));
        let (child_file, owns) = if flat.exists() {
            (flat, false)
        } else {
            (dir.join(&child).join("mod.rs"), true)
        };
        let mut child_path = path.clone();
        child_path.push(child);
        load_file(&child_file, child_path, owns, out)?;
    }
    Ok(())
}

/// Whether an item is compiled for tests only (`#[cfg(test)]`, `#[cfg(any(test, …))]`).
fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.meta
                .to_token_stream()
                .to_string()
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .any(|word| word == "test")
    })
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::ExternCrate(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::ForeignMod(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::TraitAlias(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Union(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

fn strip_test_code(items: &mut Vec<syn::Item>) {
    items.retain(|item| !is_cfg_test(item_attrs(item)));
    for item in items {
        if let syn::Item::Mod(syn::ItemMod {
            content: Some((_, inner)),
            ..
        }) = item
        {
            strip_test_code(inner);
        }
    }
}

/// Records the absolute paths the items of module `path` name, per node.
fn scan_items(
    items: &[syn::Item],
    path: &[String],
    sources: &Sources,
    out: &mut BTreeMap<String, BTreeSet<Vec<String>>>,
) {
    let node = sources.node_of(path);
    let children = sources.node_children(path);
    for item in items {
        if let syn::Item::Mod(syn::ItemMod {
            ident,
            content: Some((_, inner)),
            ..
        }) = item
        {
            let mut inner_path = path.to_vec();
            inner_path.push(ident.to_string());
            scan_items(inner, &inner_path, sources, out);
            continue;
        }
        // The root's re-exports are the crate's public face, not a dependency of the
        // root: they are resolved through (see `Resolver`).
        if let syn::Item::Use(u) = item {
            if path.is_empty() && !matches!(u.vis, syn::Visibility::Inherited) {
                continue;
            }
        }
        let buffer = TokenBuffer::new2(item.to_token_stream());
        let mut raw = BTreeSet::new();
        paths_in(buffer.begin(), &children, &mut raw);
        let refs = out.entry(node.clone()).or_default();
        refs.extend(raw.into_iter().filter_map(|p| absolute(&p, path)));
    }
}

/// Macros whose arguments are code for another crate (`xtask` writes the client's).
const CODE_WRITING_MACROS: [&str; 3] = ["quote", "parse_quote", "quote_spanned"];

/// Every path in `cursor` that starts with `crate`, `self`, `super` or one of `starts`
/// (a relative path to a child node), as written (`["super", "a", "B"]`), with each
/// path of a `use` group (`crate::{a, b::c}`), recursing into groups so that macro
/// arguments count too. A name after `::` (`other_crate::a`) starts no path.
pub fn paths_in(
    mut cursor: Cursor<'_>,
    starts: &BTreeSet<String>,
    out: &mut BTreeSet<Vec<String>>,
) {
    let mut after_sep = false;
    while !cursor.eof() {
        if let Some((inside, _, _, next)) = cursor.any_group() {
            paths_in(inside, starts, out);
            cursor = next;
            after_sep = false;
            continue;
        }
        if let Some((ident, next)) = cursor.ident() {
            let name = ident.to_string();
            // `quote! { … }`: skip the macro's arguments.
            if CODE_WRITING_MACROS.contains(&name.as_str()) {
                if let Some((bang, after)) = next.punct() {
                    if bang.as_char() == '!' {
                        cursor = after.token_tree().map_or(after, |(_, n)| n);
                        after_sep = false;
                        continue;
                    }
                }
            }
            let starts_path = !after_sep
                && (matches!(name.as_str(), "crate" | "self" | "super") || starts.contains(&name));
            if starts_path {
                if let Some(after) = path_sep(next) {
                    cursor = use_paths(after, vec![name], out);
                    after_sep = false;
                    continue;
                }
            }
            cursor = next;
            after_sep = false;
            continue;
        }
        if let Some(after) = path_sep(cursor) {
            cursor = after;
            after_sep = true;
            continue;
        }
        cursor = cursor.token_tree().expect("not at the end").1;
        after_sep = false;
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
                    c = c.token_tree().expect("not at the end").1;
                }
            }
            return next;
        } else {
            out.insert(prefix);
            return cursor;
        }
    }
}

/// A path as written in module `module` made absolute (without `crate`): `crate::a::b`
/// is `[a, b]`, `super::a` in `x::y` is `[x, a]`, `self::a` in `x` is `[x, a]`, and a
/// relative `a::b` (to a child node) in `x` is `[x, a, b]`. `None` for a path that
/// leaves the crate or names nothing (`super` in the root).
fn absolute(written: &[String], module: &[String]) -> Option<Vec<String>> {
    let (first, rest) = written.split_first()?;
    let mut base: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => module.split_last()?.1.to_vec(),
        _ => {
            let mut base = module.to_vec();
            base.push(first.clone());
            base
        }
    };
    let mut rest = rest;
    while let Some(("super", tail)) = rest.split_first().map(|(h, t)| (h.as_str(), t)) {
        base.pop()?;
        rest = tail;
    }
    base.extend(
        rest.iter()
            .filter(|s| s.as_str() != "self" && s.as_str() != "*")
            .cloned(),
    );
    Some(base)
}

/// Resolves absolute paths to the node that defines what they name.
struct Resolver {
    modules: BTreeMap<String, BTreeSet<String>>,
    /// What the root brings in with `use` (re-exports): name → absolute path, or `None`
    /// for a name from another crate.
    root_imports: BTreeMap<String, Option<Vec<String>>>,
    /// Items the root defines (`FakeConfig`, `main`, …).
    root_items: BTreeSet<String>,
    /// Each top-level module's public re-exports (`pub use`, `pub(crate) use`): an item
    /// named through a façade is a dependency on the module that defines it.
    reexports: BTreeMap<String, BTreeMap<String, Option<Vec<String>>>>,
}

impl Resolver {
    fn new(sources: &Sources) -> Self {
        let root = &sources.units[0];
        let root_items = root.file.items.iter().filter_map(item_name).collect();
        let mut reexports = BTreeMap::new();
        for module in sources.modules.keys() {
            if let Some(unit) = sources.unit(std::slice::from_ref(module)) {
                reexports.insert(module.clone(), imports(&unit.file, &unit.path, true));
            }
        }
        Resolver {
            modules: sources.modules.clone(),
            root_imports: imports(&root.file, &[], false),
            root_items,
            reexports,
        }
    }

    /// `Ok(None)`: a name from another crate, re-exported.
    fn node(&self, path: &[String], depth: usize) -> Result<Option<String>> {
        let Some(first) = path.first() else {
            return Ok(Some(ROOT.to_owned()));
        };
        if depth > 8 {
            bail!("re-exports of crate::{} go round", path.join("::"));
        }
        if let Some(inline) = self.modules.get(first) {
            let second = path.get(1);
            if let Some(s) = second.filter(|s| inline.contains(*s)) {
                return Ok(Some(format!("{first}::{s}")));
            }
            let through = second.and_then(|s| self.reexports.get(first)?.get(s));
            return match through {
                Some(Some(source)) => {
                    let mut source = source.clone();
                    source.extend(path[2..].iter().cloned());
                    self.node(&source, depth + 1)
                }
                Some(None) => Ok(None),
                None => Ok(Some(first.clone())),
            };
        }
        match self.root_imports.get(first) {
            Some(Some(source)) => {
                let mut source = source.clone();
                source.extend(path[1..].iter().cloned());
                self.node(&source, depth + 1)
            }
            Some(None) => Ok(None),
            None if self.root_items.contains(first) => Ok(Some(ROOT.to_owned())),
            None => Err(anyhow!(
                "crate::{} names no module, re-export or item of the crate root",
                path.join("::")
            )),
        }
    }
}

/// The name an item defines in its module, if any.
fn item_name(item: &syn::Item) -> Option<String> {
    let ident = match item {
        syn::Item::Const(i) => &i.ident,
        syn::Item::Enum(i) => &i.ident,
        syn::Item::Fn(i) => &i.sig.ident,
        syn::Item::Macro(i) => i.ident.as_ref()?,
        syn::Item::Mod(i) => &i.ident,
        syn::Item::Static(i) => &i.ident,
        syn::Item::Struct(i) => &i.ident,
        syn::Item::Trait(i) => &i.ident,
        syn::Item::TraitAlias(i) => &i.ident,
        syn::Item::Type(i) => &i.ident,
        syn::Item::Union(i) => &i.ident,
        _ => return None,
    };
    Some(ident.to_string())
}

/// A file's `use` items (only public ones with `public_only`): the name each brings in →
/// the absolute path it names, or `None` when it comes from another crate.
fn imports(
    file: &syn::File,
    module: &[String],
    public_only: bool,
) -> BTreeMap<String, Option<Vec<String>>> {
    fn walk(tree: &syn::UseTree, prefix: &[String], out: &mut BTreeMap<String, Vec<String>>) {
        let with = |name: &syn::Ident| {
            let mut path = prefix.to_vec();
            path.push(name.to_string());
            path
        };
        match tree {
            syn::UseTree::Path(p) => walk(&p.tree, &with(&p.ident), out),
            syn::UseTree::Name(n) if n.ident == "self" => {
                if let Some(last) = prefix.last() {
                    out.insert(last.clone(), prefix.to_vec());
                }
            }
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
    // Names of this module's own submodules: `use child::X` is relative to the module.
    let own_children: BTreeSet<String> = file
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) => Some(m.ident.to_string()),
            _ => None,
        })
        .collect();
    let mut written = BTreeMap::new();
    for item in &file.items {
        if let syn::Item::Use(u) = item {
            if public_only && matches!(u.vis, syn::Visibility::Inherited) {
                continue;
            }
            walk(&u.tree, &[], &mut written);
        }
    }
    written
        .into_iter()
        .map(|(name, path)| {
            let local = matches!(path[0].as_str(), "crate" | "self" | "super")
                || own_children.contains(&path[0]);
            (name, local.then(|| absolute(&path, module)).flatten())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(tokens: proc_tokens::Tokens, starts: &[&str]) -> Vec<String> {
        let starts = starts.iter().map(|s| s.to_string()).collect();
        let mut out = BTreeSet::new();
        paths_in(tokens.begin(), &starts, &mut out);
        out.into_iter().map(|p| p.join("::")).collect()
    }

    mod proc_tokens {
        pub type Tokens = syn::buffer::TokenBuffer;
    }

    /// The reader sees `use` groups, paths in code and macro arguments, not docs,
    /// strings, paths of other crates or the code `quote!` writes.
    #[test]
    fn finds_the_paths_code_names() {
        let file: syn::File = syn::parse_quote! {
            use crate::{a, b::{x, y::Z}};
            use super::sibling::W;
            fn f() { let _ = crate::c::X; format!("{}", crate::d::Y); }
            /// [`crate::e`] in a doc is not a dependency.
            fn g() { let _ = "crate::f"; let _ = other::crate_like::X; child::run(); }
            fn h() { let _ = quote::quote!(crate::elsewhere::T); let _ = self::own::V; }
        };
        let buffer = TokenBuffer::new2(file.into_token_stream());
        assert_eq!(
            paths(buffer, &["child"]),
            [
                "child::run",
                "crate::a",
                "crate::b::x",
                "crate::b::y::Z",
                "crate::c::X",
                "crate::d::Y",
                "self::own::V",
                "super::sibling::W"
            ]
        );
    }

    /// A crate like the client: re-exports in the root and through a façade module,
    /// inline modules of their own, an item of the root, and a cycle once one is closed.
    #[test]
    fn resolves_reexports_and_finds_cycles() {
        let scratch = crate::workspace::ScratchDir::new("module-graph");
        let lib = scratch.write(
            "lib.rs",
            "pub mod generated;\nmod client;\nmod codegen_support;\nmod lenient;\n\
             mod transport;\npub use generated::types;\npub use types::EndpointResp;\n\
             pub use client::{Client as C};\npub struct RootItem;\n\
             #[cfg(test)]\nmod only_in_tests;\n",
        );
        scratch.write(
            "generated.rs",
            "pub mod types { pub struct X(crate::codegen_support::LenientBool); \
             pub struct EndpointResp; }\n\
             pub struct Client(crate::codegen_support::CallState, types::X);\n",
        );
        scratch.write(
            "codegen_support.rs",
            "pub(crate) use crate::lenient::LenientBool;\n\
             pub(crate) use crate::transport::CallState;\n",
        );
        let lenient = scratch.write("lenient.rs", "pub struct LenientBool;\n");
        scratch.write(
            "transport.rs",
            "pub struct CallState;\n\
             fn f(_: crate::EndpointResp, _: crate::types::X, _: crate::RootItem) {}\n\
             #[cfg(test)]\nmod tests { fn t(_: crate::client::Client) {} }\n",
        );
        scratch.write("client.rs", "pub struct Client;\nfn f(_: crate::C) {}\n");
        let graph = read(&lib).unwrap().graph;
        let deps = |node: &str| graph[node].iter().cloned().collect::<Vec<_>>().join(", ");
        assert_eq!(deps("generated::types"), "lenient");
        assert_eq!(
            deps("generated"),
            "transport",
            "types::X is its own inline module's"
        );
        assert_eq!(
            deps("transport"),
            "crate, generated::types",
            "tests do not count"
        );
        assert_eq!(deps("codegen_support"), "lenient, transport");
        assert_eq!(deps("client"), "");
        assert_eq!(deps("crate"), "", "the root's re-exports are not edges");
        assert!(!graph.contains_key("only_in_tests"));
        assert_eq!(crate::graph::find_cycle(&graph), None);

        std::fs::write(
            &lenient,
            "pub struct LenientBool(crate::transport::CallState);\n",
        )
        .unwrap();
        let graph = read(&lib).unwrap().graph;
        assert_eq!(
            crate::graph::find_cycle(&graph).unwrap().join(" -> "),
            "lenient -> transport -> generated::types -> lenient"
        );

        std::fs::write(&lenient, "pub struct LenientBool(crate::nowhere::X);\n").unwrap();
        let error = read(&lib)
            .err()
            .expect("a path that names nothing")
            .to_string();
        assert!(
            error.contains("lenient: crate::nowhere::X names no module"),
            "{error}"
        );
    }

    #[test]
    fn paths_are_made_absolute() {
        let v = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
        let at = |written: &str, module: &str| {
            let module: Vec<String> = if module.is_empty() {
                Vec::new()
            } else {
                v(module)
            };
            absolute(&v(written), &module).map(|p| p.join("::"))
        };
        assert_eq!(at("crate::a::B", "x::y").as_deref(), Some("a::B"));
        assert_eq!(at("super::a", "x::y").as_deref(), Some("x::a"));
        assert_eq!(at("super::super::a", "x::y").as_deref(), Some("a"));
        assert_eq!(at("super::a", "x").as_deref(), Some("a"));
        assert_eq!(at("self::a", "x").as_deref(), Some("x::a"));
        assert_eq!(at("child::f", "").as_deref(), Some("child::f"));
        assert_eq!(at("super::a", ""), None);
    }
}
