//! `cargo xtask deps`: the workspace's crates depend on each other one way, and so do the
//! modules of every crate (every library and binary of every member: the client, the
//! fake, the CLI, oas30-schema, the cross-crate tests' helpers, xtask). One cycle finder
//! ([`crate::graph::find_cycle`]) over the crate graph (`crate_graph.rs`) and each
//! crate's module graph (`module_graph.rs`); the failure names the cycle. Plus the
//! client's layering rules: generated code names only `codegen_support`, pagination is
//! generic over a page fetch.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Result};

use crate::crate_graph;
use crate::graph::{find_cycle, render, Graph};
use crate::module_graph::{self, ModuleGraph};

/// The graphs of the workspace at `root`.
pub struct Report {
    /// Workspace member → the members it depends on (normal, dev, build).
    pub crates: Graph,
    /// Each library and binary target's label (`vpcep-fake (lib)`) and module graph.
    pub modules: Vec<(String, ModuleGraph)>,
}

impl Report {
    /// Reads every graph of the workspace at `root`.
    pub fn read(root: &Path) -> Result<Report> {
        let workspace = crate_graph::workspace(root)?;
        let mut modules = Vec::new();
        for target in &workspace.targets {
            modules.push((target.label(), module_graph::read(&target.root)?));
        }
        Ok(Report {
            crates: workspace.crates,
            modules,
        })
    }

    /// Every cycle found, one per graph, described (`vpcep-fake (lib): a -> b -> a`).
    pub fn cycles(&self) -> Vec<String> {
        let mut found = Vec::new();
        if let Some(cycle) = find_cycle(&self.crates) {
            found.push(format!(
                "crate dependency cycle (normal, dev or build): {}",
                cycle.join(" -> ")
            ));
        }
        for (label, graph) in &self.modules {
            if let Some(cycle) = find_cycle(&graph.graph) {
                found.push(format!("module cycle in {label}: {}", cycle.join(" -> ")));
            }
        }
        found
    }

    /// The client's layering rules broken, described.
    pub fn layering_violations(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (label, graph) in &self.modules {
            if label == CLIENT {
                found.extend(generated_names_only_codegen_support(graph).err());
                found.extend(pagination_is_generic(&graph.graph).err());
            }
        }
        found
    }

    /// Every graph, for reading.
    pub fn render(&self) -> String {
        let mut out = format!("crates:\n{}\n", render(&self.crates));
        for (label, graph) in &self.modules {
            out.push_str(&format!("{label}:\n{}\n", render(&graph.graph)));
        }
        out
    }
}

/// `cargo xtask deps [--print]`.
pub fn run(root: &Path, print: bool) -> Result<()> {
    let report = Report::read(root)?;
    if print {
        print!("{}", report.render());
    }
    let mut broken = report.cycles();
    broken.extend(report.layering_violations());
    if !broken.is_empty() {
        bail!(
            "{}\n(`cargo xtask deps --print` shows every graph)",
            broken.join("\n")
        );
    }
    eprintln!(
        "no cycle among {} crates and in the modules of {} targets",
        report.crates.len(),
        report.modules.len()
    );
    Ok(())
}

const CLIENT: &str = "vpcep-client (lib)";

/// The client's `generated.rs` (written by `cargo xtask codegen`) names nothing of the
/// crate outside itself but `codegen_support`.
fn generated_names_only_codegen_support(graph: &ModuleGraph) -> Result<(), String> {
    let mut named: BTreeSet<&str> = BTreeSet::new();
    for (node, paths) in &graph.references {
        if node == "generated" || node.starts_with("generated::") {
            named.extend(paths.iter().map(|path| path[0].as_str()));
        }
    }
    named.remove("generated");
    if named.iter().eq(["codegen_support"].iter()) {
        return Ok(());
    }
    Err(format!(
        "generated.rs must name only crate::codegen_support::… (change xtask/src/codegen.rs); \
         it names {named:?}"
    ))
}

/// The client's pagination knows neither the client nor the request: it is generic over
/// a page fetch.
fn pagination_is_generic(graph: &Graph) -> Result<(), String> {
    let deps = graph.get("paginate").cloned().unwrap_or_default();
    let above: Vec<&str> = ["client", "request", "executor", "transport"]
        .into_iter()
        .filter(|m| deps.contains(*m))
        .collect();
    if above.is_empty() {
        return Ok(());
    }
    Err(format!("paginate imports {above:?}: {deps:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::{project_root, ScratchDir};

    fn modules_of<'a>(report: &'a Report, label: &str) -> &'a ModuleGraph {
        &report
            .modules
            .iter()
            .find(|(l, _)| l == label)
            .unwrap_or_else(|| panic!("no target {label}"))
            .1
    }

    #[test]
    fn crates_and_the_modules_of_every_crate_depend_on_each_other_one_way() {
        let report = Report::read(&project_root()).unwrap();
        let cycles = report.cycles();
        assert!(
            cycles.is_empty(),
            "{}\ngraphs:\n{}",
            cycles.join("\n"),
            report.render()
        );
        // Every member is covered, with its library or binary.
        for label in [
            "vpcep-client (lib)",
            "vpcep-fake (lib)",
            "vpcep-fake (bin vpcep-fake)",
            "vpcep-cli (lib)",
            "vpcep-cli (bin vpcep)",
            "oas30-schema (lib)",
            "vpcep-integration-tests (lib)",
            "xtask (bin xtask)",
        ] {
            modules_of(&report, label);
        }
        // The client is the bottom of the stack: it depends on no other member.
        assert_eq!(report.crates["vpcep-client"], BTreeSet::new());
        assert_eq!(report.layering_violations(), Vec::<String>::new());
    }

    /// A circle planted in a copy of the fake's sources fails the check, named.
    #[test]
    fn a_circle_planted_in_the_fake_is_named() {
        let scratch = ScratchDir::new("planted-circle");
        let src = project_root().join("crates/vpcep-fake/src");
        for entry in std::fs::read_dir(&src).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                let name = path.file_name().unwrap().to_str().unwrap();
                scratch.write(name, &std::fs::read_to_string(&path).unwrap());
            }
        }
        let root = scratch.0.join("lib.rs");
        assert_eq!(
            find_cycle(&module_graph::read(&root).unwrap().graph),
            None,
            "the copy is clean before the plant"
        );
        // The request log, which faults.rs reads, now reads faults.rs.
        let log = scratch.0.join("request_log.rs");
        let mut text = std::fs::read_to_string(&log).unwrap();
        text.push_str("\npub(crate) fn planted() -> Option<crate::faults::Fault> { None }\n");
        std::fs::write(&log, text).unwrap();
        let cycle = find_cycle(&module_graph::read(&root).unwrap().graph)
            .expect("the planted circle is found");
        assert_eq!(cycle.first(), cycle.last());
        let named: BTreeSet<&str> = cycle.iter().map(String::as_str).collect();
        assert_eq!(
            named,
            BTreeSet::from(["faults", "request_log"]),
            "{cycle:?}"
        );
    }

    fn client_graph() -> ModuleGraph {
        module_graph::read(&project_root().join("crates/vpcep-client/src/lib.rs")).unwrap()
    }

    #[test]
    fn generated_code_refers_only_to_codegen_support() {
        let graph = client_graph();
        assert_eq!(generated_names_only_codegen_support(&graph), Ok(()));
    }

    #[test]
    fn pagination_knows_neither_the_client_nor_the_request() {
        let mut graph = client_graph().graph;
        assert_eq!(pagination_is_generic(&graph), Ok(()));
        graph.get_mut("paginate").unwrap().insert("request".into());
        assert!(pagination_is_generic(&graph)
            .unwrap_err()
            .starts_with("paginate imports [\"request\"]"));
    }
}
