//! Snapshot tests (insta): what the spec produces, reviewed as text.
//!
//! - `generated_surface`: an inventory of the public surface of `src/generated.rs`
//!   (types, fields with their serde attributes, enum variants, trait impls, the `Client`
//!   and builder methods with their argument bounds). A spec change that changes the
//!   generated API shows up as a diff here.
//! - `doc_example_debug` / `doc_example_json`: the vendor doc's example response as decoded
//!   (`{:#?}`, showing the lenient types) and re-serialized (the normalised shape).
//! - `quirks_debug` / `quirks_json`: the same for a response exercising every quirk the
//!   lenient types handle (unknown enum values, the doc's `gataway`, strings for lists and
//!   booleans, `policy_statement[].Action` as a string and as an array).
//! - `schema_endpoint_list_resp` / `schema_error_response`: the JSON Schemas (schemars 0.8)
//!   of the response types.
//!
//! Update with `cargo insta review` (or `INSTA_UPDATE=always`) and read every diff.

use std::fmt::Write as _;

use quote::ToTokens;
use vpcep_client::types::{EndpointListResp, ErrorResponse};

const GENERATED_RS: &str = include_str!("../src/generated.rs");
const DOC_EXAMPLE: &str = include_str!("data/doc_example_response.json");

// ---------------------------------------------------------------------------------------
// (a) Inventory of the generated public surface
// ---------------------------------------------------------------------------------------

/// Paths of the standard prelude types, shortened in the inventory for readability.
/// Every other path is printed in full (`crate::codegen_support::…`, `::std::num::NonZeroU32`, …).
const SHORTENED: &[(&str, &str)] = &[
    ("::std::option::Option", "Option"),
    ("::std::vec::Vec", "Vec"),
    ("::std::string::String", "String"),
    ("::std::result::Result", "Result"),
];

fn shorten(text: &str) -> String {
    let mut out = text.to_owned();
    for (long, short) in SHORTENED {
        out = out.replace(long, short);
    }
    out
}

/// Token text with the spacing `proc_macro2` puts between every token removed where Rust
/// style has none. Only a fallback for syntax the renderers below do not handle.
fn tokens_text(tokens: impl ToTokens) -> String {
    let raw = tokens.to_token_stream().to_string();
    let mut out = raw
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" < ", "<")
        .replace("< ", "<")
        .replace(" <", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace("& ", "&")
        .replace(" (", "(")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace("{ ", "{")
        .replace(" }", "}");
    if out.starts_with(' ') {
        out = out.trim_start().to_owned();
    }
    out
}

fn render_path(path: &syn::Path) -> String {
    let mut out = String::new();
    if path.leading_colon.is_some() {
        out.push_str("::");
    }
    for (i, segment) in path.segments.iter().enumerate() {
        if i > 0 {
            out.push_str("::");
        }
        out.push_str(&segment.ident.to_string());
        match &segment.arguments {
            syn::PathArguments::None => {}
            syn::PathArguments::AngleBracketed(args) => {
                let args: Vec<String> = args.args.iter().map(render_generic_arg).collect();
                write!(out, "<{}>", args.join(", ")).unwrap();
            }
            syn::PathArguments::Parenthesized(args) => {
                let inputs: Vec<String> = args.inputs.iter().map(render_type).collect();
                write!(out, "({})", inputs.join(", ")).unwrap();
                if let syn::ReturnType::Type(_, ty) = &args.output {
                    write!(out, " -> {}", render_type(ty)).unwrap();
                }
            }
        }
    }
    out
}

fn render_generic_arg(arg: &syn::GenericArgument) -> String {
    match arg {
        syn::GenericArgument::Lifetime(lt) => lt.to_string(),
        syn::GenericArgument::Type(ty) => render_type(ty),
        syn::GenericArgument::AssocType(assoc) => {
            format!("{} = {}", assoc.ident, render_type(&assoc.ty))
        }
        other => tokens_text(other),
    }
}

fn render_type(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => render_path(&p.path),
        syn::Type::Reference(r) => {
            let mut out = String::from("&");
            if let Some(lt) = &r.lifetime {
                write!(out, "{lt} ").unwrap();
            }
            if r.mutability.is_some() {
                out.push_str("mut ");
            }
            out.push_str(&render_type(&r.elem));
            out
        }
        syn::Type::Tuple(t) => {
            let elems: Vec<String> = t.elems.iter().map(render_type).collect();
            if elems.len() == 1 {
                format!("({},)", elems[0])
            } else {
                format!("({})", elems.join(", "))
            }
        }
        syn::Type::Slice(s) => format!("[{}]", render_type(&s.elem)),
        syn::Type::Paren(p) => format!("({})", render_type(&p.elem)),
        syn::Type::ImplTrait(t) => format!("impl {}", render_bounds(t.bounds.iter())),
        syn::Type::TraitObject(t) => format!("dyn {}", render_bounds(t.bounds.iter())),
        other => tokens_text(other),
    }
}

fn render_bounds<'a>(bounds: impl Iterator<Item = &'a syn::TypeParamBound>) -> String {
    bounds
        .map(|bound| match bound {
            syn::TypeParamBound::Trait(t) => {
                let mut out = String::new();
                if matches!(t.modifier, syn::TraitBoundModifier::Maybe(_)) {
                    out.push('?');
                }
                out.push_str(&render_path(&t.path));
                out
            }
            syn::TypeParamBound::Lifetime(lt) => lt.to_string(),
            other => tokens_text(other),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

fn render_generics_params(generics: &syn::Generics) -> String {
    if generics.params.is_empty() {
        return String::new();
    }
    let params: Vec<String> = generics
        .params
        .iter()
        .map(|param| match param {
            syn::GenericParam::Lifetime(lt) => lt.lifetime.to_string(),
            syn::GenericParam::Type(tp) => {
                if tp.bounds.is_empty() {
                    tp.ident.to_string()
                } else {
                    format!("{}: {}", tp.ident, render_bounds(tp.bounds.iter()))
                }
            }
            syn::GenericParam::Const(c) => format!("const {}: {}", c.ident, render_type(&c.ty)),
        })
        .collect();
    format!("<{}>", params.join(", "))
}

/// The where-clause predicates, one per entry.
fn render_where(generics: &syn::Generics) -> Vec<String> {
    let Some(clause) = &generics.where_clause else {
        return Vec::new();
    };
    clause
        .predicates
        .iter()
        .map(|pred| match pred {
            syn::WherePredicate::Type(t) => {
                format!(
                    "{}: {}",
                    render_type(&t.bounded_ty),
                    render_bounds(t.bounds.iter())
                )
            }
            other => tokens_text(other),
        })
        .collect()
}

fn render_vis(vis: &syn::Visibility) -> String {
    match vis {
        syn::Visibility::Public(_) => "pub ".to_owned(),
        syn::Visibility::Restricted(r) => format!("pub({}) ", tokens_text(&r.path)),
        syn::Visibility::Inherited => String::new(),
    }
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

/// `derive(...)` contents and `serde(...)` contents of an item's or field's attributes.
fn derives(attrs: &[syn::Attribute]) -> Vec<String> {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let paths = attr
            .parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            )
            .expect("derive attribute lists paths");
        out.extend(paths.iter().map(render_path));
    }
    out
}

fn serde_args(attrs: &[syn::Attribute]) -> Option<String> {
    let args: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .map(|a| match &a.meta {
            syn::Meta::List(list) => shorten(&tokens_text(&list.tokens)),
            other => tokens_text(other),
        })
        .collect();
    (!args.is_empty()).then(|| format!("serde({})", args.join(", ")))
}

fn render_signature(vis: &syn::Visibility, sig: &syn::Signature) -> String {
    let mut out = render_vis(vis);
    if sig.asyncness.is_some() {
        out.push_str("async ");
    }
    write!(
        out,
        "fn {}{}(",
        sig.ident,
        render_generics_params(&sig.generics)
    )
    .unwrap();
    let inputs: Vec<String> = sig
        .inputs
        .iter()
        .map(|input| match input {
            syn::FnArg::Receiver(r) => {
                // `mut self` (no reference) is a binding mode, not part of the signature.
                let mut text = String::new();
                if let Some((_, lifetime)) = &r.reference {
                    text.push('&');
                    if let Some(lt) = lifetime {
                        write!(text, "{lt} ").unwrap();
                    }
                    if r.mutability.is_some() {
                        text.push_str("mut ");
                    }
                }
                text.push_str("self");
                text
            }
            syn::FnArg::Typed(t) => {
                format!("{}: {}", tokens_text(&t.pat), render_type(&t.ty))
            }
        })
        .collect();
    out.push_str(&inputs.join(", "));
    out.push(')');
    if let syn::ReturnType::Type(_, ty) = &sig.output {
        write!(out, " -> {}", render_type(ty)).unwrap();
    }
    shorten(&out)
}

struct Inventory {
    out: String,
}

impl Inventory {
    fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn items(&mut self, depth: usize, items: &[syn::Item]) {
        for item in items {
            self.item(depth, item);
        }
    }

    fn item(&mut self, depth: usize, item: &syn::Item) {
        match item {
            syn::Item::Use(u) if is_pub(&u.vis) => {
                self.line(depth, &format!("pub use {};", tokens_text(&u.tree)));
            }
            syn::Item::Mod(m) if is_pub(&m.vis) => {
                self.line(depth, &format!("pub mod {} {{", m.ident));
                if let Some((_, items)) = &m.content {
                    self.items(depth + 1, items);
                }
                self.line(depth, "}");
            }
            syn::Item::Struct(s) if is_pub(&s.vis) => self.structure(depth, s),
            syn::Item::Enum(e) if is_pub(&e.vis) => self.enumeration(depth, e),
            syn::Item::Impl(i) => self.implementation(depth, i),
            syn::Item::Fn(f) if is_pub(&f.vis) => {
                self.line(depth, &render_signature(&f.vis, &f.sig));
            }
            syn::Item::Type(t) if is_pub(&t.vis) => {
                let text = format!("pub type {} = {};", t.ident, render_type(&t.ty));
                self.line(depth, &shorten(&text));
            }
            syn::Item::Const(c) if is_pub(&c.vis) => {
                let text = format!("pub const {}: {};", c.ident, render_type(&c.ty));
                self.line(depth, &shorten(&text));
            }
            syn::Item::Trait(t) if is_pub(&t.vis) => {
                self.line(depth, &format!("pub trait {} {{ … }}", t.ident));
            }
            // Private items are not part of the surface.
            _ => {}
        }
    }

    fn attrs_lines(&mut self, depth: usize, attrs: &[syn::Attribute]) {
        let derives = derives(attrs);
        if !derives.is_empty() {
            self.line(depth, &format!("#[derive({})]", derives.join(", ")));
        }
        if let Some(serde) = serde_args(attrs) {
            self.line(depth, &format!("#[{serde}]"));
        }
    }

    fn fields(&mut self, depth: usize, fields: &syn::Fields) {
        match fields {
            syn::Fields::Named(named) => {
                let private = named.named.iter().filter(|f| !is_pub(&f.vis)).count();
                for field in named.named.iter().filter(|f| is_pub(&f.vis)) {
                    let mut text = format!(
                        "pub {}: {}",
                        field.ident.as_ref().expect("named field"),
                        shorten(&render_type(&field.ty))
                    );
                    if let Some(serde) = serde_args(&field.attrs) {
                        write!(text, "  #[{serde}]").unwrap();
                    }
                    self.line(depth, &text);
                }
                if private > 0 {
                    self.line(depth, &format!("// {private} private field(s)"));
                }
            }
            syn::Fields::Unnamed(_) | syn::Fields::Unit => {}
        }
    }

    fn tuple_fields(fields: &syn::Fields) -> String {
        match fields {
            syn::Fields::Unnamed(unnamed) => {
                let elems: Vec<String> = unnamed
                    .unnamed
                    .iter()
                    .map(|f| {
                        let vis = if is_pub(&f.vis) { "pub " } else { "" };
                        format!("{vis}{}", shorten(&render_type(&f.ty)))
                    })
                    .collect();
                format!("({})", elems.join(", "))
            }
            _ => String::new(),
        }
    }

    fn structure(&mut self, depth: usize, s: &syn::ItemStruct) {
        self.attrs_lines(depth, &s.attrs);
        let header = format!(
            "pub struct {}{}",
            s.ident,
            render_generics_params(&s.generics)
        );
        match &s.fields {
            syn::Fields::Named(_) => {
                self.line(depth, &format!("{header} {{"));
                self.fields(depth + 1, &s.fields);
                self.line(depth, "}");
            }
            other => {
                self.line(depth, &format!("{header}{};", Self::tuple_fields(other)));
            }
        }
    }

    fn enumeration(&mut self, depth: usize, e: &syn::ItemEnum) {
        self.attrs_lines(depth, &e.attrs);
        self.line(depth, &format!("pub enum {} {{", e.ident));
        for variant in &e.variants {
            let name = format!("{}{}", variant.ident, Self::tuple_fields(&variant.fields));
            let serde = serde_args(&variant.attrs)
                .map(|serde| format!("  #[{serde}]"))
                .unwrap_or_default();
            if matches!(variant.fields, syn::Fields::Named(_)) {
                self.line(depth + 1, &format!("{name} {{{serde}"));
                self.fields(depth + 2, &variant.fields);
                self.line(depth + 1, "},");
            } else {
                self.line(depth + 1, &format!("{name},{serde}"));
            }
        }
        self.line(depth, "}");
    }

    fn implementation(&mut self, depth: usize, i: &syn::ItemImpl) {
        let mut header = format!("impl{} ", render_generics_params(&i.generics));
        if let Some((_, path, _)) = &i.trait_ {
            write!(header, "{} for ", render_path(path)).unwrap();
        }
        header.push_str(&render_type(&i.self_ty));
        let header = shorten(&header);

        if i.trait_.is_some() {
            // A trait impl: the trait is the surface; list only its associated types.
            let assoc: Vec<String> = i
                .items
                .iter()
                .filter_map(|item| match item {
                    syn::ImplItem::Type(t) => Some(shorten(&format!(
                        "type {} = {}",
                        t.ident,
                        render_type(&t.ty)
                    ))),
                    _ => None,
                })
                .collect();
            if assoc.is_empty() {
                self.line(depth, &header);
            } else {
                self.line(depth, &format!("{header} {{ {} }}", assoc.join("; ")));
            }
            return;
        }

        // An inherent impl: list its public functions with their bounds.
        let fns: Vec<&syn::ImplItemFn> = i
            .items
            .iter()
            .filter_map(|item| match item {
                syn::ImplItem::Fn(f) if is_pub(&f.vis) => Some(f),
                _ => None,
            })
            .collect();
        if fns.is_empty() {
            return;
        }
        self.line(depth, &format!("{header} {{"));
        for f in fns {
            self.line(depth + 1, &render_signature(&f.vis, &f.sig));
            let preds = render_where(&f.sig.generics);
            if !preds.is_empty() {
                self.line(depth + 2, &shorten(&format!("where {}", preds.join(", "))));
            }
        }
        self.line(depth, "}");
    }
}

fn generated_surface() -> String {
    let file = syn::parse_file(GENERATED_RS).expect("src/generated.rs parses");
    let mut inventory = Inventory {
        out: String::from(
            "// Public surface of src/generated.rs (`cargo xtask codegen`), in source order.\n\
             // Private items and fn bodies are left out; trait impls show only their\n\
             // associated types. Option/Vec/String/Result are shortened from ::std paths.\n\n",
        ),
    };
    inventory.items(0, &file.items);
    inventory.out
}

#[test]
fn generated_surface_inventory() {
    insta::assert_snapshot!("generated_surface", generated_surface());
}

/// The inventory is a function of the file alone: rendering twice gives the same text,
/// and the parts of the surface other code depends on are all in it.
#[test]
fn generated_surface_inventory_is_complete() {
    let surface = generated_surface();
    assert_eq!(surface, generated_surface());
    for expected in [
        "pub struct EndpointListResp {",
        "pub struct EndpointResp {",
        "pub struct TagList {",
        "pub struct QueryError {",
        "pub struct PolicyStatement {",
        "pub struct ErrorResponse {",
        "pub struct ErrorDetail {",
        "pub enum SortKey {",
        "pub enum SortDir {",
        r#"pub action: Option<crate::codegen_support::StringList>  #[serde(rename = "Action""#,
        "pub enable_dns: Option<crate::codegen_support::LenientBool>",
        "pub fn list_endpoints(&self) -> builder::ListEndpoints<'_>",
        "pub async fn send(self)",
        "where V: std::convert::TryInto<::std::num::NonZeroU32>",
    ] {
        assert!(
            surface.contains(expected),
            "inventory lacks {expected:?}:\n{surface}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// (b) Decoded responses
// ---------------------------------------------------------------------------------------

fn decode(text: &str) -> EndpointListResp {
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text))
        .unwrap_or_else(|e| panic!("{}: {}", e.path(), e.inner()))
}

#[test]
fn doc_example_decoded() {
    let resp = decode(DOC_EXAMPLE);
    insta::assert_debug_snapshot!("doc_example_debug", resp);
    insta::assert_json_snapshot!("doc_example_json", resp);
}

/// Every quirk the lenient types absorb, in one response.
const QUIRKS: &str = r#"{
  "endpoints": [
    {
      "id": "gw-1",
      "service_type": "gataway",
      "status": "deleting",
      "active_status": ["active", "frozen", "suspended"],
      "enable_dns": "false",
      "enable_whitelist": "true",
      "dns_names": ["a.example", "b.example"],
      "routetables": ["rt-1"],
      "tags": [{"key": "env", "value": ""}],
      "policy_statement": [
        {"Effect": "Allow", "Action": "obs:object:GetObject", "Resource": ["obs:*:*:object:b/*"]},
        {"Effect": "Deny", "Action": ["obs:object:PutObject", "obs:object:DeleteObject"], "Resource": ["obs:*:*:object:b/secret/*"]}
      ],
      "error": [],
      "some_new_field": {"nested": [1, {"deep": true}]}
    },
    {
      "id": "if-1",
      "service_type": "gateway",
      "status": "rejected",
      "active_status": null,
      "enable_dns": false,
      "dns_names": null,
      "description": null
    },
    {
      "id": "if-2",
      "service_type": "interface",
      "status": "failed",
      "error": [{"error_code": "EndPoint.2001", "error_message": "quota exceeded"}]
    }
  ],
  "total_count": 3,
  "request_id": "ignored"
}"#;

#[test]
fn quirks_decoded() {
    let resp = decode(QUIRKS);
    insta::assert_debug_snapshot!("quirks_debug", resp);
    insta::assert_json_snapshot!("quirks_json", resp);
}

// ---------------------------------------------------------------------------------------
// (c) JSON Schemas of the response types
// ---------------------------------------------------------------------------------------

#[test]
fn schema_endpoint_list_resp() {
    insta::assert_json_snapshot!(
        "schema_endpoint_list_resp",
        schemars::schema_for!(EndpointListResp)
    );
}

#[test]
fn schema_error_response() {
    insta::assert_json_snapshot!(
        "schema_error_response",
        schemars::schema_for!(ErrorResponse)
    );
}
