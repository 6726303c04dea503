//! The workspace's crates as a graph, read from `cargo metadata`: every kind of
//! dependency (normal, dev, build) between workspace members, a crate's dev-dependency on
//! itself (to switch on one of its own features in its tests) aside. Also each member's
//! crate roots (library and binaries), whose modules `module_graph.rs` reads.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::graph::Graph;

/// What `cargo metadata` says of the workspace's members.
pub struct Workspace {
    /// Member → the members it depends on.
    pub crates: Graph,
    /// Every library and binary target of every member: (member, target, root file).
    pub targets: Vec<Target>,
}

/// One library or binary target (a crate of its own, with its own modules).
pub struct Target {
    /// The package's name, e.g. `vpcep-fake`.
    pub package: String,
    /// `lib` or `bin NAME`.
    pub kind: String,
    /// The crate root, e.g. `…/crates/vpcep-fake/src/lib.rs`.
    pub root: PathBuf,
}

impl Target {
    /// `vpcep-fake (lib)`, `vpcep-fake (bin vpcep-fake)`.
    pub fn label(&self) -> String {
        format!("{} ({})", self.package, self.kind)
    }
}

/// Reads the workspace at `root` (offline).
pub fn workspace(root: &Path) -> Result<Workspace> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root)
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let meta: Value = serde_json::from_slice(&out.stdout)?;
    let packages = meta["packages"].as_array().context("packages")?;
    let members: Vec<String> = packages
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    let mut crates = Graph::new();
    let mut targets = Vec::new();
    for p in packages {
        let name = p["name"].as_str().context("package name")?.to_owned();
        let deps = p["dependencies"]
            .as_array()
            .context("dependencies")?
            .iter()
            .filter_map(|d| d["name"].as_str())
            .filter(|d| members.iter().any(|m| m == d) && *d != name)
            .map(str::to_owned)
            .collect();
        crates.insert(name.clone(), deps);
        for t in p["targets"].as_array().context("targets")? {
            let kinds: Vec<&str> = t["kind"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let kind = if kinds.contains(&"lib") {
                "lib".to_owned()
            } else if kinds.contains(&"bin") {
                format!("bin {}", t["name"].as_str().unwrap_or("?"))
            } else {
                continue; // tests, benches, examples, build scripts
            };
            targets.push(Target {
                package: name.clone(),
                kind,
                root: PathBuf::from(t["src_path"].as_str().context("src_path")?),
            });
        }
    }
    Ok(Workspace { crates, targets })
}
