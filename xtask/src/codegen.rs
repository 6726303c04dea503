//! `cargo xtask codegen [--check]`: regenerate the client crate's generated module from
//! `openapi/vpcep.yaml` with progenitor.
//!
//! The output is deterministic (same bytes on every run and machine): progenitor's tokens
//! are formatted with `prettyplease` (stable Rust, no rustfmt), newlines are normalised,
//! and the file is headed with the command that made it.

use std::path::Path;

use anyhow::{bail, Context, Result};
use openapiv3::{AdditionalProperties, OpenAPI, Parameter, ReferenceOr, Schema, SchemaKind, Type};
use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};
use syn::visit_mut::{self, VisitMut};

use crate::workspace::{ensure_file_contents, project_root, Mode};

/// Where the generated module lives, relative to the workspace root.
pub const GENERATED_RS: &str = "crates/vpcep-client/src/generated.rs";
/// Where the ListEndpoints builder's generated setters live (a child module of the
/// hand-written `request.rs`, whose private helpers they call).
pub const SETTERS_RS: &str = "crates/vpcep-client/src/request/setters.rs";
/// The spec, relative to the workspace root.
pub const SPEC_YAML: &str = "openapi/vpcep.yaml";

/// Schemas whose generated type is replaced by a hand-written one in
/// `crates/vpcep-client/src/lenient.rs` (named through `crate::codegen_support`, the one
/// module of hand-written code the generated code refers to). These are the response shapes typify cannot
/// express leniently: open enumerations (an unknown value must decode and stay visible)
/// and the "documented as X, sent as Y" quirks.
const REPLACEMENTS: &[(&str, &str, &[TypeImpl])] = &[
    (
        "LenientBoolean",
        "crate::codegen_support::LenientBool",
        &[TypeImpl::Display],
    ),
    ("StringOrList", "crate::codegen_support::StringList", &[]),
    (
        "ActiveStatusList",
        "crate::codegen_support::ActiveStatusList",
        &[],
    ),
    (
        "AccountStatus",
        "crate::codegen_support::AccountStatus",
        &[TypeImpl::Display, TypeImpl::FromStr],
    ),
    (
        "EndpointStatus",
        "crate::codegen_support::EndpointStatus",
        &[TypeImpl::Display, TypeImpl::FromStr],
    ),
    (
        "ServiceType",
        "crate::codegen_support::ServiceType",
        &[TypeImpl::Display, TypeImpl::FromStr],
    ),
];

/// Response schemas whose Rust type keeps fields the spec does not list, in a flattened
/// `extra` map (see [`prepare_for_progenitor`]). The endpoint is where new fields appear
/// (as `policy_document` did); nested objects stay plain structs.
const KEEP_UNKNOWN_FIELDS: &[&str] = &["EndpointResp"];

pub fn run(mode: Mode) -> Result<()> {
    let root = project_root();
    for (path, text) in generate(&root)? {
        ensure_file_contents(&root.join(path), &text, mode, "cargo xtask codegen")?;
    }
    Ok(())
}

/// Reads the spec and returns every generated file: its path relative to the workspace
/// root ([`GENERATED_RS`], [`SETTERS_RS`]) and its full text.
pub fn generate(root: &Path) -> Result<Vec<(&'static str, String)>> {
    let spec = load_spec(&root.join(SPEC_YAML))?;
    let contract = contract_module(&spec)?;
    let spec = prepare_for_progenitor(spec)?;

    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_derive("PartialEq")
        .with_derive("schemars::JsonSchema")
        // Per-call state read by the hand-written hooks (auth, retries, tracing) in
        // `crates/vpcep-client/src/transport.rs`, named through `crate::codegen_support`.
        .with_inner_type(quote::quote!(crate::codegen_support::CallState));
    for (schema, replacement, impls) in REPLACEMENTS {
        settings.with_replacement(schema, replacement, impls.iter().cloned());
    }
    // typify derives `Default` only when every field has a default; the flattened
    // `extra` map (see KEEP_UNKNOWN_FIELDS) has one, so say it.
    for schema in KEEP_UNKNOWN_FIELDS {
        settings.with_patch(
            schema,
            progenitor::TypePatch::default().with_derive("Default"),
        );
    }

    let mut generator = Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .context("progenitor could not generate the client")?;
    let mut file: syn::File = syn::parse2(tokens).context("progenitor emitted invalid Rust")?;
    route_decoding_through_crate(&mut file)?;
    default_extra_in_builders(&mut file)?;
    drop_api_version_header(&mut file)?;
    let setters = builder_setters(&contract, &file)?;
    let contract = contract_items(&contract, &file)?;
    file.items.push(contract);
    Ok(vec![
        (GENERATED_RS, with_header(&file, "with progenitor")),
        (SETTERS_RS, with_header(&setters, "(the contract table)")),
    ])
}

/// A generated file's text: formatted by prettyplease, headed by what made it.
fn with_header(file: &syn::File, how: &str) -> String {
    let body = prettyplease::unparse(file);
    let mut out = String::with_capacity(body.len() + 512);
    out.push_str(&format!(
        "// @generated by `cargo xtask codegen` from openapi/vpcep.yaml {how}.\n\
         // DO NOT EDIT: change the spec (or xtask/src/codegen.rs) and run `cargo xtask codegen`.\n\n",
    ));
    out.push_str(&body);
    out.replace("\r\n", "\n")
}

/// Parses the YAML spec into the openapiv3 model (which also validates its structure).
pub fn load_spec(path: &Path) -> Result<OpenAPI> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_norway::from_str(&text)
        .with_context(|| format!("parsing {} as OpenAPI 3.0", path.display()))
}

/// The request contract of every operation, as data: `pub mod contract` of the generated
/// module, one `pub const <OPERATION_ID>: &[Parameter]` per operation (e.g.
/// `LIST_ENDPOINTS`), each parameter with its location, whether it is required, and every
/// rule its schema states (lengths, range, enumeration, default). The hand-written layers
/// (the client's validation, the fake's request parsing, the CLI's enumerations) read
/// their rules here, and their completeness tests enumerate it, so a parameter added to
/// the spec reaches each of them or makes a test name it. It is taken from the spec as
/// published (before [`prepare_for_progenitor`]), so the `Content-Type` header the vendor
/// documents is listed too (the layers handle only path and query parameters).
fn contract_module(spec: &OpenAPI) -> Result<Contract> {
    let components = spec.components.clone().unwrap_or_default();
    let mut out = String::new();
    let mut operations = Vec::new();
    for (path, item) in spec.paths.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            bail!("path references are not supported");
        };
        for (method, op) in item.iter() {
            let id = op
                .operation_id
                .as_deref()
                .with_context(|| format!("{method} {path} has no operationId"))?;
            out.push_str(&format!(
                "/// The path of `{id}`, as the spec writes it (`{{name}}` for a path \
                 parameter).\npub const {}_PATH: &str = {path:?};\n\
                 /// The parameters of `{id}` (`{} {path}`), in the spec's order.\n\
                 pub const {}: &[Parameter] = &[\n",
                screaming_snake(id),
                method.to_uppercase(),
                screaming_snake(id)
            ));
            let default_code = op
                .extensions
                .get(ERROR_CODE)
                .map(extension_text)
                .transpose()?;
            let mut request_parameters = Vec::new();
            for (index, p) in op.parameters.iter().enumerate() {
                let param = match p {
                    ReferenceOr::Item(param) => param,
                    ReferenceOr::Reference { reference } => {
                        let name = reference
                            .strip_prefix("#/components/parameters/")
                            .with_context(|| format!("unsupported reference {reference}"))?;
                        match components.parameters.get(name) {
                            Some(ReferenceOr::Item(param)) => param,
                            _ => bail!("parameter reference {reference} does not resolve"),
                        }
                    }
                };
                out.push_str(&parameter_entry(param, &components, default_code)?);
                if let Parameter::Path { parameter_data, .. }
                | Parameter::Query { parameter_data, .. } = param
                {
                    request_parameters.push(RequestParameter {
                        index,
                        name: parameter_data.name.clone(),
                        description: parameter_data.description.clone().unwrap_or_default(),
                        required: parameter_data.required,
                        rules: schema_rules(parameter_data, &components)?,
                    });
                }
            }
            out.push_str("];\n");
            operations.push(Operation {
                id: id.to_owned(),
                table: screaming_snake(id),
                parameters: request_parameters,
            });
        }
    }
    Ok(Contract {
        tables: out,
        operations,
    })
}

/// The contract table's text and, per operation, its path and query parameters.
struct Contract {
    tables: String,
    operations: Vec<Operation>,
}

/// An operation of the contract: its id, its table's name, and its path and query
/// parameters.
struct Operation {
    id: String,
    table: String,
    parameters: Vec<RequestParameter>,
}

/// A path or query parameter of an operation, as the generated code needs it.
struct RequestParameter {
    /// Its index in the operation's table.
    index: usize,
    /// Its wire name.
    name: String,
    /// The spec's whole description.
    description: String,
    required: bool,
    rules: Rules,
}

/// `pub mod contract` of the generated module: the tables, and per operation a
/// `<OperationId>Query` struct holding its path and query parameters as the types of the
/// generated builder's setters (read from progenitor's output, so they are whatever
/// progenitor chose: `types::ListEndpointsVpcId`, `NonZeroU32`, …), with `set` (by wire
/// name and text, through the table's rules, then the generated type), `get` and `apply`
/// (onto the generated builder). A parameter added to the spec is held, parsed, shown
/// and sent with no hand edit.
fn contract_items(contract: &Contract, file: &syn::File) -> Result<syn::Item> {
    let mut out = String::from(
        "/// The request contract of each operation, from the spec (the hand-written \
         `contract` module re-exports it).\n\
         pub mod contract {\n\
         #[allow(unused_imports)]\n\
         use crate::codegen_support::{convert, CliFlag, Direction, Kind, Location, Match, Parameter, Role, ValidationError};\n\
         #[allow(unused_imports)]\n\
         use super::types;\n",
    );
    out.push_str(&contract.tables);
    for op in &contract.operations {
        let setters = builder_setter_types(file, &op.id)?;
        let name = format!("{}Query", op.id);
        let mut fields = String::new();
        let mut set = String::new();
        let mut get = String::new();
        let mut apply = String::new();
        for RequestParameter {
            index,
            name: param,
            description,
            ..
        } in &op.parameters
        {
            let description = first_paragraph(Some(description));
            let field = rust_field(param);
            let ty = setters.get(&field).with_context(|| {
                format!("the generated builder of {} has no setter `{field}`", op.id)
            })?;
            fields.push_str(&format!(
                "/// `{param}`: {description} (rules: `{table}[{index}]`)\npub {field}: Option<{ty}>,\n",
                table = op.table
            ));
            set.push_str(&format!(
                "{param:?} => self.{field} = Some(convert(&{table}[{index}], value)?),\n",
                table = op.table
            ));
            get.push_str(&format!(
                "{param:?} => self.{field}.as_ref().map(|v| v.to_string()),\n"
            ));
            apply.push_str(&format!(
                "if let Some(v) = &self.{field} {{ b = b.{field}(v.clone()); }}\n"
            ));
        }
        out.push_str(&format!(
            "/// The path and query parameters of one `{id}` request, each of the type the \
             generated builder takes for it. Set them by wire name and text with [`set`]\
             (Self::set), which checks the spec's rules ([`{table}`]).\n\
             #[derive(Clone, Debug, Default, PartialEq)]\n\
             #[non_exhaustive]\n\
             pub struct {name} {{\n{fields}}}\n\
             impl {name} {{\n\
             /// Sets the parameter `name` (its wire name) from its text as sent on the wire. \
             `Ok(false)`: `name` is not a path or query parameter of `{id}` (the service \
             ignores such parameters). `Err`: the value breaks a rule of the spec; the error \
             names the parameter, the rule and the value.\n\
             pub fn set(&mut self, name: &str, value: &str) -> Result<bool, ValidationError> {{\n\
             match name {{\n{set}_ => return Ok(false),\n}}\nOk(true)\n}}\n\
             /// The value of the parameter `name` as wire text, if set.\n\
             pub fn get(&self, name: &str) -> Option<String> {{\n\
             match name {{\n{get}_ => None,\n}}\n}}\n\
             /// Sets every parameter on the generated builder (once per attempt); the \
             values are of the builder's own types, so its conversions cannot fail.\n\
             pub(crate) fn apply<'a>(&self, mut b: super::builder::{id}<'a>) -> super::builder::{id}<'a> {{\n\
             {apply}b\n}}\n}}\n",
            id = op.id,
            table = op.table,
        ));
    }
    out.push_str("}\n");
    syn::parse_str(&out).context("the contract module is not valid Rust")
}

/// The setters of each operation's hand-written request builder (`request.rs`'s
/// `ListEndpoints`), one per path and query parameter, named after it, with the spec's
/// whole description and its rules as docs: each converts its value to the type of the
/// generated builder's setter (checked against the table's rules, then that type) and
/// keeps it, or the broken rule, with the builder's `put`. Integers are taken as `i64`,
/// enumerations as the generated enum or its wire name, other strings as text. A
/// `#[cfg(test)]` `set_with_setter` calls each setter by wire name, for the crate's tests.
fn builder_setters(contract: &Contract, file: &syn::File) -> Result<syn::File> {
    let mut out = String::from(
        "//! The setters of the request builders, one per path and query parameter of the \
         spec, with its description and rules as docs (`cargo xtask codegen`).\n\
         use crate::parameter::{convert, convert_integer};\n",
    );
    for op in &contract.operations {
        let setter_types = builder_setter_types(file, &op.id)?;
        let mut setters = String::new();
        let mut by_name = String::new();
        for p in &op.parameters {
            let field = rust_field(&p.name);
            let rule_ref = format!("&{}[{}]", op.table, p.index);
            let (argument, conversion, test_value) =
                match (p.rules.kind, p.rules.allowed.is_empty()) {
                    ("Integer", _) => (
                        "impl Into<i64>",
                        format!("convert_integer({rule_ref}, value.into())"),
                        "text.parse::<i64>().ok()?",
                    ),
                    (_, false) => (
                        "impl ToString",
                        format!("convert({rule_ref}, &value.to_string())"),
                        "text",
                    ),
                    _ => (
                        "impl Into<String>",
                        format!("convert({rule_ref}, &value.into())"),
                        "text",
                    ),
                };
            let mut doc: Vec<String> = p
                .description
                .trim_end()
                .lines()
                .map(|l| format!(" {}", l.trim_end()))
                .collect();
            doc.push(String::new());
            if !p.rules.allowed.is_empty() {
                let ty = setter_types
                    .get(&field)
                    .with_context(|| {
                        format!("the generated builder of {} has no setter `{field}`", op.id)
                    })?
                    .replace(' ', "");
                let short = ty.rsplit("::").next().unwrap_or(&ty);
                doc.push(format!(
                    " Takes a [`{short}`](crate::{ty}) or its wire name ({}).",
                    p.rules
                        .allowed
                        .iter()
                        .map(|v| format!("`{v}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                doc.push(String::new());
            }
            doc.push(format!(" {}", rules_sentence(&p.rules, p.required)));
            for line in &doc {
                setters.push_str(&format!("#[doc = {line:?}]\n"));
            }
            setters.push_str(&format!(
                "pub fn {field}(self, value: {argument}) -> Self {{\n\
                 self.put({index}, {conversion}, |q| &mut q.{field})\n}}\n",
                index = p.index,
            ));
            by_name.push_str(&format!(
                "{name:?} => self.{field}({test_value}),\n",
                name = p.name
            ));
        }
        out.push_str(&format!(
            "use crate::generated::contract::{table};\n\
             impl super::{id} {{\n{setters}}}\n\
             #[cfg(test)]\n\
             impl super::{id} {{\n\
             /// Sets the parameter `name` from its wire text through its typed setter \
             (`None`: no such parameter).\n\
             pub(crate) fn set_with_setter(self, name: &str, text: &str) -> Option<Self> {{\n\
             Some(match name {{\n{by_name}_ => return None,\n}})\n}}\n}}\n",
            table = op.table,
            id = op.id,
        ));
    }
    syn::parse_str(&out).context("the builder setters are not valid Rust")
}

/// The rules of a parameter in words, for its setter's docs.
fn rules_sentence(rules: &Rules, required: bool) -> String {
    let mut parts = Vec::new();
    match (rules.min_length, rules.max_length) {
        (Some(min), Some(max)) => parts.push(format!("{min} to {max} characters")),
        (Some(min), None) => parts.push(format!(
            "at least {min} character{}",
            if min == 1 { "" } else { "s" }
        )),
        (None, Some(max)) => parts.push(format!("at most {max} characters")),
        (None, None) => {}
    }
    if !rules.allowed.is_empty() {
        parts.push(format!(
            "one of {}",
            rules
                .allowed
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let format = rules
        .format
        .as_ref()
        .map(|f| format!(" ({f})"))
        .unwrap_or_default();
    match (rules.minimum, rules.maximum) {
        (Some(min), Some(max)) => parts.push(format!("{min} to {max}{format}")),
        (Some(min), None) => parts.push(format!("at least {min}{format}")),
        (None, Some(max)) => parts.push(format!("at most {max}{format}")),
        (None, None) if rules.kind == "Integer" => parts.push(format!("an integer{format}")),
        (None, None) => {}
    }
    if let Some(default) = &rules.default {
        parts.push(format!("server default `{default}`"));
    }
    if required {
        parts.push("required".to_owned());
    }
    format!(
        "The spec's rules, checked before anything is sent: {}.",
        if parts.is_empty() {
            "none".to_owned()
        } else {
            parts.join("; ")
        }
    )
}

/// A parameter's field and setter name in progenitor's builder (`Content-Type` would be
/// `content_type`; the request parameters are snake_case already).
fn rust_field(wire: &str) -> String {
    wire.replace('-', "_").to_lowercase()
}

/// The type each setter of the generated builder `builder::<op>` converts to (the
/// `V: TryInto<T>` bound), by setter name.
fn builder_setter_types(
    file: &syn::File,
    op: &str,
) -> Result<std::collections::BTreeMap<String, String>> {
    use quote::ToTokens;
    let builder = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref(),
            _ => None,
        })
        .context("progenitor's output has no `mod builder`")?;
    let mut types = std::collections::BTreeMap::new();
    for item in &builder.1 {
        let syn::Item::Impl(imp) = item else { continue };
        let syn::Type::Path(self_ty) = &*imp.self_ty else {
            continue;
        };
        if self_ty.path.segments.last().map(|s| s.ident.to_string()) != Some(op.to_owned()) {
            continue;
        }
        for item in &imp.items {
            let syn::ImplItem::Fn(f) = item else { continue };
            let Some(wc) = &f.sig.generics.where_clause else {
                continue;
            };
            for pred in &wc.predicates {
                let syn::WherePredicate::Type(pt) = pred else {
                    continue;
                };
                for bound in &pt.bounds {
                    let syn::TypeParamBound::Trait(tb) = bound else {
                        continue;
                    };
                    let Some(last) = tb.path.segments.last() else {
                        continue;
                    };
                    if last.ident != "TryInto" {
                        continue;
                    }
                    if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                        if let Some(syn::GenericArgument::Type(t)) = args.args.first() {
                            types.insert(f.sig.ident.to_string(), t.to_token_stream().to_string());
                        }
                    }
                }
            }
        }
    }
    if types.is_empty() {
        bail!("no setter of builder::{op} found in progenitor's output");
    }
    Ok(types)
}

/// `x-vpcep-error-code`: VPCEP's error code for a bad value of a parameter (on an
/// operation: for its parameters that give none).
const ERROR_CODE: &str = "x-vpcep-error-code";

/// A text extension's value.
fn extension_text(value: &serde_json::Value) -> Result<&str> {
    value
        .as_str()
        .with_context(|| format!("an x-vpcep- extension must be text, not {value}"))
}

/// The `Role` a parameter's `x-vpcep-match`, `x-vpcep-paging` or `x-vpcep-sort` (with
/// `x-vpcep-sort-fields` / `x-vpcep-sort-directions`) gives it, as Rust, or `None`
/// (openapi/README.md documents them).
fn role_of(data: &openapiv3::ParameterData) -> Result<String> {
    let ext = |name: &str| data.extensions.get(name);
    let text = |name: &str| ext(name).map(extension_text).transpose();
    let pairs = |name: &str, value: &dyn Fn(&str) -> Result<String>| -> Result<String> {
        let map = ext(name)
            .and_then(|v| v.as_object())
            .with_context(|| format!("parameter {}: `{name}` (a map) is required", data.name))?;
        let mut out = Vec::new();
        for (k, v) in map {
            out.push(format!("({k:?}, {})", value(extension_text(v)?)?));
        }
        Ok(format!("&[{}]", out.join(", ")))
    };
    let roles = [
        text("x-vpcep-match")?.map(|m| match m {
            "exact" => Ok("Role::Filter(Match::Exact)".to_owned()),
            "case-insensitive-substring" => {
                Ok("Role::Filter(Match::CaseInsensitiveSubstring)".to_owned())
            }
            other => bail!("parameter {}: unknown x-vpcep-match {other:?}", data.name),
        }),
        text("x-vpcep-paging")?.map(|p| match p {
            "page-size" => Ok("Role::PageSize".to_owned()),
            "page-offset" => Ok("Role::PageOffset".to_owned()),
            other => bail!("parameter {}: unknown x-vpcep-paging {other:?}", data.name),
        }),
        text("x-vpcep-sort")?.map(|s| match s {
            "field" => Ok(format!(
                "Role::SortField({})",
                pairs("x-vpcep-sort-fields", &|f| Ok(format!("{f:?}")))?
            )),
            "direction" => Ok(format!(
                "Role::SortDirection({})",
                pairs("x-vpcep-sort-directions", &|d| match d {
                    "ascending" => Ok("Direction::Ascending".to_owned()),
                    "descending" => Ok("Direction::Descending".to_owned()),
                    other => bail!("parameter {}: unknown direction {other:?}", data.name),
                })?
            )),
            other => bail!("parameter {}: unknown x-vpcep-sort {other:?}", data.name),
        }),
    ];
    let mut given = roles.into_iter().flatten();
    let role = given.next().transpose()?;
    if given.next().is_some() {
        bail!(
            "parameter {}: at most one of x-vpcep-match, x-vpcep-paging, x-vpcep-sort",
            data.name
        );
    }
    Ok(role.map_or("None".to_owned(), |r| format!("Some({r})")))
}

/// What a parameter's schema says: its type and every rule, as the table writes them.
struct Rules {
    /// `String` or `Integer` (the table's `Kind`).
    kind: &'static str,
    min_length: Option<usize>,
    max_length: Option<usize>,
    minimum: Option<i64>,
    maximum: Option<i64>,
    format: Option<String>,
    allowed: Vec<String>,
    /// The default, as text.
    default: Option<String>,
}

/// The rules of a parameter's schema (`$ref`s to components resolved).
fn schema_rules(
    data: &openapiv3::ParameterData,
    components: &openapiv3::Components,
) -> Result<Rules> {
    let openapiv3::ParameterSchemaOrContent::Schema(schema) = &data.format else {
        bail!("parameter {} has `content`, not a schema", data.name);
    };
    let schema = match schema {
        ReferenceOr::Item(schema) => schema,
        ReferenceOr::Reference { reference } => {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .with_context(|| format!("unsupported reference {reference}"))?;
            match components.schemas.get(name) {
                Some(ReferenceOr::Item(schema)) => schema,
                _ => bail!("schema reference {reference} does not resolve"),
            }
        }
    };
    let default = schema.schema_data.default.as_ref().map(|v| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    Ok(match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => Rules {
            kind: "String",
            min_length: s.min_length,
            max_length: s.max_length,
            minimum: None,
            maximum: None,
            format: None,
            allowed: s.enumeration.iter().flatten().cloned().collect(),
            default,
        },
        SchemaKind::Type(Type::Integer(i)) => {
            if i.exclusive_minimum || i.exclusive_maximum || i.multiple_of.is_some() {
                bail!(
                    "parameter {}: exclusive bounds and multipleOf are not supported",
                    data.name
                );
            }
            let format = match &i.format {
                openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int32) => {
                    Some("int32".to_owned())
                }
                openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int64) => {
                    Some("int64".to_owned())
                }
                openapiv3::VariantOrUnknownOrEmpty::Unknown(f) => Some(f.clone()),
                openapiv3::VariantOrUnknownOrEmpty::Empty => None,
            };
            Rules {
                kind: "Integer",
                min_length: None,
                max_length: None,
                minimum: i.minimum,
                maximum: i.maximum,
                format,
                allowed: Vec::new(),
                default,
            }
        }
        other => bail!("parameter {}: unsupported schema {other:?}", data.name),
    })
}

/// One `Parameter { .. }` of the contract table.
fn parameter_entry(
    param: &Parameter,
    components: &openapiv3::Components,
    default_code: Option<&str>,
) -> Result<String> {
    let data = match param {
        Parameter::Path { parameter_data, .. }
        | Parameter::Query { parameter_data, .. }
        | Parameter::Header { parameter_data, .. } => parameter_data,
        Parameter::Cookie { .. } => bail!("cookie parameters are not supported"),
    };
    let location = match param {
        Parameter::Path { .. } => "Path",
        Parameter::Query { .. } => "Query",
        _ => "Header",
    };
    let rules = schema_rules(data, components)?;
    let opt = |v: Option<String>| v.map_or("None".to_owned(), |v| format!("Some({v})"));
    let description = first_paragraph(data.description.as_deref());
    let role = role_of(data)?;
    let error_code = match data.extensions.get(ERROR_CODE) {
        Some(code) => extension_text(code)?,
        None => default_code.with_context(|| {
            format!(
                "parameter {}: no {ERROR_CODE}, on it nor on its operation",
                data.name
            )
        })?,
    };
    Ok(format!(
        "Parameter {{ name: {name:?}, location: Location::{location}, required: {required}, \
         kind: Kind::{kind}, min_length: {min_length}, max_length: {max_length}, \
         minimum: {minimum}, maximum: {maximum}, format: {format}, allowed: &{allowed:?}, \
         default: {default}, \
         description: {description:?}, role: {role}, error_code: {error_code:?}, \
         cli: {cli} }},\n",
        name = data.name,
        required = data.required,
        kind = rules.kind,
        min_length = opt(rules.min_length.map(|n| n.to_string())),
        max_length = opt(rules.max_length.map(|n| n.to_string())),
        minimum = opt(rules.minimum.map(|n| n.to_string())),
        maximum = opt(rules.maximum.map(|n| n.to_string())),
        format = opt(rules.format.as_ref().map(|f| format!("{f:?}"))),
        allowed = rules.allowed,
        default = opt(rules.default.as_ref().map(|d| format!("{d:?}"))),
        cli = cli_flag_entry(data, &rules)?,
    ))
}

/// The keys of a parameter's `x-cli` extension (openapi/README.md).
const X_CLI_KEYS: &[&str] = &["flag", "value-name", "heading", "help", "order"];
/// The placeholders an `x-cli.help` may use, and the rule each stands for.
const X_CLI_PLACEHOLDERS: &[&str] = &["default", "minimum", "maximum"];

/// The `CliFlag { .. }` of a parameter: its `x-cli` extension (checked: known keys of
/// the right types, placeholders the parameter has values for), defaults filled in.
fn cli_flag_entry(data: &openapiv3::ParameterData, rules: &Rules) -> Result<String> {
    let name = &data.name;
    let empty = serde_json::Map::new();
    let x = match data.extensions.get("x-cli") {
        None => &empty,
        Some(serde_json::Value::Object(x)) => x,
        Some(other) => bail!("parameter {name}: `x-cli` must be an object, is {other}"),
    };
    if let Some(key) = x.keys().find(|k| !X_CLI_KEYS.contains(&k.as_str())) {
        bail!("parameter {name}: unknown key `x-cli.{key}` (known: {X_CLI_KEYS:?})");
    }
    let text = |key: &str| -> Result<Option<String>> {
        match x.get(key) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
            Some(other) => {
                bail!("parameter {name}: `x-cli.{key}` must be a non-empty string, is {other}")
            }
        }
    };
    let long = text("flag")?.unwrap_or_else(|| name.to_lowercase().replace('_', "-"));
    if !long
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || long.starts_with('-')
    {
        bail!("parameter {name}: `x-cli.flag` {long:?} must be lowercase letters, digits and `-`, without the leading `--`");
    }
    let help = text("help")?.unwrap_or_else(|| first_paragraph(data.description.as_deref()));
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for (start, _) in help.match_indices('{') {
        let placeholder = help[start + 1..]
            .split_once('}')
            .map(|(p, _)| p)
            .with_context(|| format!("parameter {name}: `x-cli.help` has an unclosed `{{`"))?;
        let has = match placeholder {
            "default" => rules.default.is_some(),
            "minimum" => rules.minimum.is_some(),
            "maximum" => rules.maximum.is_some(),
            other => bail!(
                "parameter {name}: `x-cli.help` names `{{{other}}}`; known: {X_CLI_PLACEHOLDERS:?}"
            ),
        };
        if !has {
            bail!("parameter {name}: `x-cli.help` names `{{{placeholder}}}`, which its schema does not state");
        }
    }
    let order = match x.get("order") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .with_context(|| {
                    format!("parameter {name}: `x-cli.order` must be a whole number, is {v}")
                })?,
        ),
    };
    let opt = |v: Option<String>| v.map_or("None".to_owned(), |v| format!("Some({v:?})"));
    Ok(format!(
        "CliFlag {{ long: {long:?}, value_name: {value_name}, heading: {heading}, \
         help: {help:?}, order: {order} }}",
        value_name = opt(text("value-name")?),
        heading = opt(text("heading")?),
        order = order.map_or("None".to_owned(), |n| format!("Some({n})")),
    ))
}

/// The first paragraph of a description, on one line.
fn first_paragraph(text: Option<&str>) -> String {
    let text = text.unwrap_or_default();
    let first = text.split("\n\n").next().unwrap_or_default();
    first.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `ListEndpoints` → `LIST_ENDPOINTS`.
fn screaming_snake(id: &str) -> String {
    let mut out = String::new();
    for (i, c) in id.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// Adjusts the published spec for progenitor, without changing what it means:
///
/// - A `Content-Type` header parameter is dropped: OpenAPI 3.0 says tools SHALL ignore
///   it, and progenitor would otherwise turn it into a builder argument. The client sends
///   `Content-Type: application/json` itself.
/// - `nullable: true` is dropped from component object schemas (e.g. `ErrorDetail`).
///   OpenAPI 3.0.3 needs it there for `null` to be valid where a field refers to the
///   component; typify would turn it into a `struct X(Option<XInner>)` wrapper. Every
///   field that refers to one is optional, so it is an `Option<X>` already and `null`
///   decodes as `None`: the same values, the same Rust types as without `nullable`.
///
/// - `additionalProperties: true` of the schemas in [`KEEP_UNKNOWN_FIELDS`] becomes the
///   equivalent `additionalProperties: {}`, which typify turns into a flattened
///   `extra: Map<String, Value>` field (it ignores `true`): fields the spec does not know
///   yet are kept on the type, serialized back, and visible to callers.
///
/// Responses that declare `text/html` beside `application/json` (502, 503, 504) need no
/// step: progenitor 0.15 decodes the `application/json` schema whatever else a response
/// declares, and the client's error mapping keeps a body that is not JSON as text.
fn prepare_for_progenitor(mut spec: OpenAPI) -> Result<OpenAPI> {
    if let Some(components) = spec.components.as_mut() {
        for (name, schema) in components.schemas.iter_mut() {
            let ReferenceOr::Item(schema) = schema else {
                continue;
            };
            if let SchemaKind::Type(Type::Object(object)) = &mut schema.schema_kind {
                schema.schema_data.nullable = false;
                if KEEP_UNKNOWN_FIELDS.contains(&name.as_str()) {
                    if object.additional_properties != Some(AdditionalProperties::Any(true)) {
                        bail!("{name} is in KEEP_UNKNOWN_FIELDS but does not say `additionalProperties: true`");
                    }
                    object.additional_properties = Some(AdditionalProperties::Schema(Box::new(
                        ReferenceOr::Item(Schema {
                            schema_data: Default::default(),
                            schema_kind: SchemaKind::Any(Default::default()),
                        }),
                    )));
                }
            }
        }
    }
    let components = spec.components.clone().unwrap_or_default();
    let is_content_type = |p: &ReferenceOr<Parameter>| -> Result<bool> {
        let param = match p {
            ReferenceOr::Item(param) => param,
            ReferenceOr::Reference { reference } => {
                let name = reference
                    .strip_prefix("#/components/parameters/")
                    .with_context(|| format!("unsupported parameter reference {reference}"))?;
                match components.parameters.get(name) {
                    Some(ReferenceOr::Item(param)) => param,
                    _ => bail!("parameter reference {reference} does not resolve"),
                }
            }
        };
        Ok(matches!(param, Parameter::Header { parameter_data, .. }
            if parameter_data.name.eq_ignore_ascii_case("content-type")))
    };
    for (_, item) in spec.paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else {
            bail!("path references are not supported");
        };
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for op in ops.into_iter().flatten() {
            let mut kept = Vec::with_capacity(op.parameters.len());
            for p in op.parameters.drain(..) {
                if !is_content_type(&p)? {
                    kept.push(p);
                }
            }
            op.parameters = kept;
        }
    }
    Ok(spec)
}

/// The generated client decodes response bodies with `crate::codegen_support::from_response`
/// instead of progenitor's `ResponseValue::from_response`: same value, status, headers and
/// errors, but one UTF-8 check per body instead of one per string (see
/// `crates/vpcep-client/src/decode.rs`). progenitor has no setting for this, so the
/// generator rewrites the calls in the syntax tree; it fails if it finds none, so a
/// progenitor upgrade that renames the function cannot silently undo it.
fn route_decoding_through_crate(file: &mut syn::File) -> Result<()> {
    struct Rewrite {
        count: usize,
    }
    impl VisitMut for Rewrite {
        fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
            visit_mut::visit_expr_call_mut(self, call);
            if let syn::Expr::Path(func) = &mut *call.func {
                let segments: Vec<String> = func
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                if segments == ["ResponseValue", "from_response"] {
                    func.path = syn::parse_quote!(crate::codegen_support::from_response);
                    self.count += 1;
                }
            }
        }
    }
    let mut rewrite = Rewrite { count: 0 };
    rewrite.visit_file_mut(file);
    if rewrite.count == 0 {
        bail!("no `ResponseValue::from_response` call in progenitor's output to route through crate::codegen_support");
    }
    Ok(())
}

/// progenitor sends `api-version: <info.version>` with every request. VPCEP defines no
/// such header: it would change with every spec bump and, with AK/SK, be part of every
/// signature, for nothing the server reads. progenitor has no setting for it, so the
/// generator removes the `header_map.append(.."api-version"..)` statement (and the `mut`
/// of a header map left with nothing to append). It fails if it finds no such statement,
/// so a progenitor upgrade that changes the code cannot silently bring the header back
/// unnoticed (the client's wire test would catch it too).
fn drop_api_version_header(file: &mut syn::File) -> Result<()> {
    fn is_api_version_append(stmt: &syn::Stmt) -> bool {
        let syn::Stmt::Expr(syn::Expr::MethodCall(call), _) = stmt else {
            return false;
        };
        if call.method != "append" {
            return false;
        }
        let Some(syn::Expr::Call(name)) = call.args.first() else {
            return false;
        };
        let is_from_static = matches!(&*name.func, syn::Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident == "from_static"));
        is_from_static
            && matches!(name.args.first(), Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }))
                if s.value().eq_ignore_ascii_case("api-version"))
    }
    fn appends_to(stmt: &syn::Stmt, map: &str) -> bool {
        matches!(stmt, syn::Stmt::Expr(syn::Expr::MethodCall(call), _)
            if call.method == "append"
                && matches!(&*call.receiver, syn::Expr::Path(p) if p.path.is_ident(map)))
    }
    struct Rewrite {
        count: usize,
    }
    impl VisitMut for Rewrite {
        fn visit_block_mut(&mut self, block: &mut syn::Block) {
            visit_mut::visit_block_mut(self, block);
            let before = block.stmts.len();
            block.stmts.retain(|s| !is_api_version_append(s));
            if block.stmts.len() == before {
                return;
            }
            self.count += before - block.stmts.len();
            if block.stmts.iter().any(|s| appends_to(s, "header_map")) {
                return;
            }
            for stmt in &mut block.stmts {
                if let syn::Stmt::Local(local) = stmt {
                    if let syn::Pat::Ident(ident) = &mut local.pat {
                        if ident.ident == "header_map" {
                            ident.mutability = None;
                        }
                    }
                }
            }
        }
    }
    let mut rewrite = Rewrite { count: 0 };
    rewrite.visit_file_mut(file);
    if rewrite.count == 0 {
        bail!("no `api-version` header in progenitor's output to remove");
    }
    Ok(())
}

/// typify's builders start every required field as `Err("no value supplied for …")`,
/// the flattened `extra` map of [`KEEP_UNKNOWN_FIELDS`] included, so
/// `EndpointResp::builder().id(..).try_into()` would fail unless `.extra(..)` is called.
/// An absent map is an empty one: the generator starts it as `Ok(Default::default())`.
/// Fails if it finds none to rewrite (a typify upgrade must not undo it silently).
fn default_extra_in_builders(file: &mut syn::File) -> Result<()> {
    struct Rewrite {
        count: usize,
    }
    impl VisitMut for Rewrite {
        fn visit_field_value_mut(&mut self, fv: &mut syn::FieldValue) {
            visit_mut::visit_field_value_mut(self, fv);
            let is_extra = matches!(&fv.member, syn::Member::Named(i) if i == "extra");
            let text = quote::quote!(#fv).to_string();
            if is_extra && text.contains("\"no value supplied for extra\"") {
                fv.expr = syn::parse_quote!(Ok(Default::default()));
                self.count += 1;
            }
        }
    }
    let mut rewrite = Rewrite { count: 0 };
    rewrite.visit_file_mut(file);
    if rewrite.count != KEEP_UNKNOWN_FIELDS.len() {
        bail!(
            "expected {} builder default(s) of `extra` to rewrite, found {}",
            KEEP_UNKNOWN_FIELDS.len(),
            rewrite.count
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain `cargo test` fails when the committed generated module is stale.
    #[test]
    fn generated_client_is_fresh() {
        run(Mode::Check).unwrap();
    }

    /// A query parameter read from YAML, with its rules.
    fn query_parameter(yaml: &str) -> (openapiv3::ParameterData, Rules) {
        let Parameter::Query { parameter_data, .. } = serde_norway::from_str(yaml).unwrap() else {
            panic!("not a query parameter");
        };
        let rules = schema_rules(&parameter_data, &Default::default()).unwrap();
        (parameter_data, rules)
    }

    #[test]
    fn x_cli_is_read_with_its_defaults() {
        let (data, rules) = query_parameter(
            "{name: page_size, in: query, description: \"Page size.\\n\\nMore.\", \
             schema: {type: integer, minimum: 1, maximum: 50, default: 5}, \
             x-cli: {help: \"At most {maximum} (default {default})\", heading: Paging, order: 3}}",
        );
        assert_eq!(
            cli_flag_entry(&data, &rules).unwrap(),
            "CliFlag { long: \"page-size\", value_name: None, heading: Some(\"Paging\"), \
             help: \"At most {maximum} (default {default})\", order: Some(3) }"
        );
        let (data, rules) = query_parameter(
            "{name: status, in: query, description: \"Only these.\\n\\nMore.\", schema: {type: string}}",
        );
        assert_eq!(
            cli_flag_entry(&data, &rules).unwrap(),
            "CliFlag { long: \"status\", value_name: None, heading: None, \
             help: \"Only these.\", order: None }"
        );
    }

    #[test]
    fn a_wrong_x_cli_names_the_parameter_and_the_key() {
        let wrong = [
            ("x-cli: {flags: s}", "unknown key `x-cli.flags`"),
            ("x-cli: {flag: --status}", "`x-cli.flag`"),
            (
                "x-cli: {help: \"default {default}\"}",
                "`{default}`, which its schema does not state",
            ),
            ("x-cli: {help: \"{colour}\"}", "names `{colour}`"),
            ("x-cli: {order: -1}", "`x-cli.order` must be a whole number"),
            (
                "x-cli: {heading: 3}",
                "`x-cli.heading` must be a non-empty string",
            ),
        ];
        for (x, expected) in wrong {
            let (data, rules) = query_parameter(&format!(
                "{{name: status, in: query, schema: {{type: string}}, {x}}}"
            ));
            let e = cli_flag_entry(&data, &rules).unwrap_err().to_string();
            assert!(
                e.contains("parameter status") && e.contains(expected),
                "{x}: {e}"
            );
        }
    }

    #[test]
    fn generation_is_deterministic() {
        let root = project_root();
        assert_eq!(generate(&root).unwrap(), generate(&root).unwrap());
    }
}
