//! A dependency graph (crates or modules) and the one cycle finder every check uses.

use std::collections::{BTreeMap, BTreeSet};

/// Node → the nodes it depends on.
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// A cycle of `graph`, as the path of nodes that closes it (`a -> b -> a`); `None` when
/// the graph has none. Deterministic: nodes are visited in order.
pub fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
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

/// One line per node: `  node -> dep, dep`.
pub fn render(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(node, deps)| {
            format!(
                "  {node} -> {}",
                deps.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &[&str])]) -> Graph {
        edges
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn finds_a_cycle_where_there_is_one() {
        let mut g = graph(&[("a", &["b"]), ("b", &["c"]), ("c", &[]), ("d", &[])]);
        assert_eq!(find_cycle(&g), None);
        g.get_mut("c").unwrap().insert("a".into());
        assert_eq!(find_cycle(&g).unwrap(), ["a", "b", "c", "a"]);
        // A node depending on itself is a cycle too; an edge to a node without entry is not.
        let g = graph(&[("x", &["y", "z"]), ("y", &["y"])]);
        assert_eq!(find_cycle(&g).unwrap(), ["y", "y"]);
        assert_eq!(find_cycle(&graph(&[("x", &["elsewhere"])])), None);
    }

    #[test]
    fn renders_one_line_per_node() {
        let g = graph(&[("a", &["b", "c"]), ("b", &[])]);
        assert_eq!(render(&g), "  a -> b, c\n  b -> ");
    }
}
