//! The CLI's side of the one contract (issue 12): completeness against the spec.
//!
//! - every path/query parameter of `vpcep_client::contract::LIST_ENDPOINTS` (the table
//!   generated from `openapi/vpcep.yaml`) has a flag of `vpcep endpoints list` whose clap
//!   id is the parameter's wire name (`project_id`: the global `--project-id`), and each
//!   flag reaches the wire (the real binary against the fake, request recorded there);
//! - the spec's enumerations are what clap accepts and what `--help` and the shell
//!   completions list; the help states the spec's defaults and integer bounds;
//! - every property of `EndpointResp`'s JSON Schema is printed by `--output json` and
//!   `jsonl`, and every table column shows a real property of that schema.
//!
//! A parameter or field added to the spec makes these tests fail naming it and the file
//! of the CLI to change.

use std::collections::{BTreeMap, BTreeSet};

use clap::{CommandFactory, Parser};
use vpcep_cli::args::Cli;
use vpcep_cli::output::{table_row, MISSING, TABLE_HEADERS, TABLE_PROPERTIES};
use vpcep_client::contract::{Kind, Location, Parameter, LIST_ENDPOINTS};
use vpcep_fake::{FakeConfig, FakeServer};

mod common;
use common::{stderr_text, vpcep, TOKEN};

const ARGS_RS: &str = "crates/vpcep-cli/src/args.rs";
const RUN_RS: &str = "crates/vpcep-cli/src/run.rs";
const OUTPUT_RS: &str = "crates/vpcep-cli/src/output.rs";

/// The parameters a request carries in its path or query string.
fn request_parameters() -> impl Iterator<Item = &'static Parameter> {
    LIST_ENDPOINTS.iter().filter(|p| p.is_request_parameter())
}

/// The parameters `endpoints list` must have a flag for (`project_id` is the global
/// `--project-id`).
fn list_parameters() -> impl Iterator<Item = &'static Parameter> {
    request_parameters().filter(|p| p.name != "project_id")
}

/// `vpcep endpoints list` as clap declares it.
fn list_command() -> clap::Command {
    Cli::command()
        .find_subcommand("endpoints")
        .and_then(|c| c.find_subcommand("list"))
        .cloned()
        .expect("`vpcep endpoints list` exists")
}

/// The arg of `command` whose clap id is `name`, or a failure naming the parameter.
fn flag_for(command: &clap::Command, p: &Parameter) -> clap::Arg {
    command
        .get_arguments()
        .find(|a| a.get_id() == p.name)
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "vpcep-cli: `endpoints list` has no flag for the spec's {} parameter `{}` \
                 ({ARGS_RS}: `ParameterFlags` builds one per query parameter of the table)",
                location(p),
                p.name,
            )
        })
}

fn location(p: &Parameter) -> &'static str {
    match p.location {
        Location::Path => "path",
        Location::Query => "query",
        Location::Header => "header",
    }
}

fn long_of(arg: &clap::Arg) -> String {
    format!(
        "--{}",
        arg.get_long()
            .unwrap_or_else(|| panic!("the flag `{}` has no long name", arg.get_id()))
    )
}

/// `name=value` pairs of a query string (the examples need no percent-decoding).
fn query_pairs(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[test]
fn every_query_parameter_has_a_flag_named_after_it() {
    let list = list_command();
    for p in list_parameters() {
        let arg = flag_for(&list, p);
        assert!(
            arg.get_long().is_some(),
            "vpcep-cli: the flag for `{}` has no long name ({ARGS_RS})",
            p.name
        );
    }
    let root = Cli::command();
    let project = root
        .get_arguments()
        .find(|a| a.get_id() == "project_id")
        .unwrap_or_else(|| {
            panic!("vpcep-cli: no global flag with id `project_id` for the spec's path parameter ({ARGS_RS})")
        });
    assert!(
        project.is_global_set(),
        "vpcep-cli: `--project-id` must be global ({ARGS_RS})"
    );
}

#[test]
fn every_flag_reaches_the_wire() {
    let fake = FakeServer::start(FakeConfig::new().generate(40, 7).token(TOKEN)).unwrap();
    let url = fake.url();
    let list = list_command();
    let project = LIST_ENDPOINTS
        .iter()
        .find(|p| p.name == "project_id")
        .unwrap()
        .example();
    for p in list_parameters() {
        let long = long_of(&flag_for(&list, p));
        let value = p.example();
        fake.clear_requests();
        let out = vpcep(
            &[],
            &[
                "--endpoint-url",
                &url,
                "--project-id",
                &project,
                "--token",
                TOKEN,
                "endpoints",
                "list",
                &long,
                &value,
                "--output",
                "ids",
            ],
        );
        // Whether the fake accepts the value is the fake's business (its own completeness
        // test); here the value must leave the CLI and reach the wire.
        let requests = fake.requests();
        assert!(
            !requests.is_empty(),
            "vpcep-cli: `endpoints list {long} {value}` (a valid value of the spec's `{}`) \
             sent no request; exit {:?}: {} ({ARGS_RS}, {RUN_RS})",
            p.name,
            out.status.code(),
            stderr_text(&out)
        );
        let uri = &requests[0].uri;
        assert_eq!(
            uri.path(),
            format!("/v1/{project}/vpc-endpoints"),
            "vpcep-cli: `--project-id` (the spec's path parameter `project_id`) did not \
             reach the path ({RUN_RS})"
        );
        let sent = query_pairs(uri.query().unwrap_or_default());
        assert_eq!(
            sent.get(p.name),
            Some(&value),
            "vpcep-cli: `{long} {value}` did not send the spec's {} parameter `{}` \
             ({ARGS_RS} `ParameterFlags::from_arg_matches`, {RUN_RS}: pass the flags to the \
             request builder); sent {uri}",
            location(p),
            p.name
        );
    }
}

#[test]
fn every_enumeration_value_is_accepted_and_listed() {
    let list = list_command();
    let help = vpcep(&[], &["endpoints", "list", "--help"]);
    assert!(help.status.success());
    let help = String::from_utf8(help.stdout).unwrap();
    let completions = vpcep(&[], &["completions", "bash"]);
    assert!(completions.status.success());
    let completions = String::from_utf8(completions.stdout).unwrap();
    for p in list_parameters().filter(|p| !p.allowed.is_empty()) {
        let arg = flag_for(&list, p);
        let long = long_of(&arg);
        let accepted: Vec<String> = arg
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_owned())
            .collect();
        assert_eq!(
            accepted, p.allowed,
            "vpcep-cli: `{long}` accepts {accepted:?}, the spec's `{}` enumerates {:?} \
             ({ARGS_RS}: `parameter_flag` builds its value_parser with `spec_values`)",
            p.name, p.allowed
        );
        for value in p.allowed {
            let parsed = Cli::try_parse_from(["vpcep", "endpoints", "list", &long, value]);
            assert!(
                parsed.is_ok(),
                "vpcep-cli: `{long} {value}` (a value of the spec's `{}`) is refused: {} \
                 ({ARGS_RS})",
                p.name,
                parsed.unwrap_err()
            );
            assert!(
                completions.contains(value),
                "vpcep-cli: `vpcep completions bash` does not list `{value}` for `{long}` \
                 ({ARGS_RS})"
            );
        }
        // The flag's entry in --help: from its line to the next flag.
        let start = help
            .find(&format!("{long} <"))
            .unwrap_or_else(|| panic!("`{long}` is not in `endpoints list --help`"));
        let listed = help[start..]
            .lines()
            .find_map(|l| l.trim().strip_prefix("[possible values: "))
            .and_then(|l| l.strip_suffix(']'))
            .unwrap_or_else(|| panic!("no possible values after `{long}` in --help"));
        assert_eq!(
            listed,
            p.allowed.join(", "),
            "vpcep-cli: `endpoints list --help` lists other values for `{long}` than the \
             spec's `{}` ({ARGS_RS})",
            p.name
        );
    }
    // A value the spec does not list is a usage error naming the accepted ones.
    let out = vpcep(&[], &["endpoints", "list", "--sort-dir", "sideways"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_text(&out);
    for value in vpcep_client::contract::parameter("sort_dir")
        .unwrap()
        .allowed
    {
        assert!(err.contains(value), "{err}");
    }
}

#[test]
fn help_states_the_specs_defaults_and_bounds() {
    let list = list_command();
    for p in list_parameters() {
        let arg = flag_for(&list, p);
        let long = long_of(&arg);
        let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
        let mut facts = Vec::new();
        if let Some(default) = p.default {
            facts.push(("default", default.to_owned()));
        }
        if p.kind == Kind::Integer {
            if let Some(min) = p.minimum {
                facts.push(("minimum", min.to_string()));
            }
            if let Some(max) = p.maximum {
                facts.push(("maximum", max.to_string()));
            }
        }
        for (what, value) in facts {
            assert!(
                help.contains(&value),
                "vpcep-cli: the help of `{long}` does not state the spec's {what} {value} \
                 for `{}` (its `x-cli.help` in openapi/vpcep.yaml, with `{{{what}}}`): {help:?}",
                p.name
            );
        }
    }
}

/// The property names of `EndpointResp`'s JSON Schema (its serde names).
fn endpoint_properties() -> BTreeSet<String> {
    let schema = schemars::schema_for!(vpcep_client::EndpointResp);
    schema
        .schema
        .object
        .expect("EndpointResp's schema is an object")
        .properties
        .keys()
        .cloned()
        .collect()
}

fn keys_of(objects: &[serde_json::Value]) -> BTreeSet<String> {
    objects
        .iter()
        .flat_map(|o| o.as_object().expect("an endpoint object").keys().cloned())
        .collect()
}

#[test]
fn json_and_jsonl_print_every_property_of_an_endpoint() {
    let properties = endpoint_properties();
    assert!(properties.contains("id"), "{properties:?}");
    let fake = FakeServer::start(
        FakeConfig::new()
            .generate(200, 7)
            .token(TOKEN)
            .request_log_capacity(0),
    )
    .unwrap();
    let served: Vec<serde_json::Value> = fake
        .endpoints()
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    let served = keys_of(&served);
    for property in &properties {
        assert!(
            served.contains(property),
            "the fake's generator (crates/vpcep-fake/src/generate.rs) fills no endpoint's \
             `{property}`: vpcep-cli's output of it cannot be checked"
        );
    }
    let url = fake.url();
    let run = |format: &str| {
        let out = vpcep(
            &[],
            &[
                "--endpoint-url",
                &url,
                "--project-id",
                common::PROJECT,
                "--token",
                TOKEN,
                "endpoints",
                "list",
                "--all",
                "--output",
                format,
            ],
        );
        assert!(out.status.success(), "{}", stderr_text(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let jsonl: Vec<serde_json::Value> = run("jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let json = json["endpoints"].as_array().cloned().unwrap_or_default();
    for (format, objects) in [("jsonl", jsonl), ("json", json)] {
        assert_eq!(objects.len(), 200, "--output {format}");
        let printed = keys_of(&objects);
        for property in &properties {
            assert!(
                printed.contains(property),
                "vpcep-cli: `--output {format}` printed no endpoint's `{property}` \
                 (a property of EndpointResp in the spec) ({OUTPUT_RS})"
            );
        }
    }
}

#[test]
fn every_table_column_shows_a_property_of_an_endpoint() {
    let properties = endpoint_properties();
    assert_eq!(TABLE_HEADERS.len(), TABLE_PROPERTIES.len());
    for (header, property) in TABLE_HEADERS.iter().zip(TABLE_PROPERTIES) {
        assert!(
            properties.contains(property),
            "vpcep-cli: the table column {header} shows `{property}`, which is not a \
             property of EndpointResp in the spec ({OUTPUT_RS}: TABLE_PROPERTIES)"
        );
    }
    // And each column shows what TABLE_PROPERTIES says it does.
    for endpoint in vpcep_fake::generate(60, 7, "p") {
        let row = table_row(&endpoint);
        let json = serde_json::to_value(&endpoint).unwrap();
        for ((header, property), cell) in TABLE_HEADERS.iter().zip(TABLE_PROPERTIES).zip(&row) {
            let want = match json[property].as_str() {
                Some(s) if !s.is_empty() => s,
                _ => MISSING,
            };
            assert_eq!(
                cell, want,
                "vpcep-cli: the table column {header} does not show `{property}` \
                 ({OUTPUT_RS}: table_row and TABLE_PROPERTIES disagree)"
            );
        }
    }
}
