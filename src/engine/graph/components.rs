//! `graph-mark-components` (graph-mark-components-operator.md): each node's connected
//! component, weak (paths ignoring the edges' direction) or strong (paths both ways along the
//! edges), as a zero-based index. The page leaves the numbering arbitrary; here components are
//! numbered in the order of their first node (nodes in graph order), so the first node is in
//! component 0.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Array};
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::common::Result;

use super::build::Graph;
use super::matcher::Topology;
use crate::results::{KqlType, kql_field};

/// Not visited yet.
const UNSEEN: u32 = u32::MAX;

/// Adds the component of each node to the graph's node properties, as the `long` property
/// `name`.
pub fn mark_components(graph: &mut Graph, strong: bool, name: &str) -> Result<()> {
    let components = if strong {
        strong_components(&graph.topology)
    } else {
        weak_components(&graph.topology)
    };
    let column: ArrayRef = Arc::new(Int64Array::from(components));
    let schema = graph.nodes.schema();
    let mut fields: Vec<_> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(kql_field(name, KqlType::Long));
    let mut columns = graph.nodes.columns().to_vec();
    columns.push(column);
    graph.nodes = RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(graph.topology.nodes())),
    )?;
    Ok(())
}

/// Numbers `raw` labels (one per node) from 0 in the order of their first node.
fn in_node_order(raw: &[u32]) -> Vec<i64> {
    let mut numbers = vec![UNSEEN; raw.len()];
    let mut next = 0u32;
    raw.iter()
        .map(|&label| {
            let slot = &mut numbers[label as usize];
            if *slot == UNSEEN {
                *slot = next;
                next += 1;
            }
            i64::from(*slot)
        })
        .collect()
}

/// Weakly connected components: a union-find over the edges.
pub fn weak_components(topology: &Topology) -> Vec<i64> {
    let mut parent: Vec<u32> = (0..topology.nodes() as u32).collect();
    let find = |parent: &mut Vec<u32>, mut node: u32| {
        while parent[node as usize] != node {
            // Path halving keeps the trees shallow.
            let grand = parent[parent[node as usize] as usize];
            parent[node as usize] = grand;
            node = grand;
        }
        node
    };
    for edge in 0..topology.edges() as u32 {
        let (source, target) = topology.ends(edge);
        let (a, b) = (find(&mut parent, source), find(&mut parent, target));
        if a != b {
            parent[a.max(b) as usize] = a.min(b);
        }
    }
    let roots: Vec<u32> = (0..topology.nodes() as u32)
        .map(|node| find(&mut parent, node))
        .collect();
    in_node_order(&roots)
}

/// The state of Tarjan's algorithm, with an explicit stack of calls (node, next edge).
struct Tarjan {
    index: Vec<u32>,
    low: Vec<u32>,
    on_stack: Vec<bool>,
    stack: Vec<u32>,
    component: Vec<u32>,
    counter: u32,
    components: u32,
    calls: Vec<(u32, usize)>,
}

impl Tarjan {
    fn visit(&mut self, node: u32) {
        self.index[node as usize] = self.counter;
        self.low[node as usize] = self.counter;
        self.counter += 1;
        self.stack.push(node);
        self.on_stack[node as usize] = true;
        self.calls.push((node, 0));
    }

    /// Returns from the call of `node`: its low link goes to its caller, and a node that is
    /// its component's root takes the component off the stack.
    fn finish(&mut self, node: u32) {
        self.calls.pop();
        if let Some(&(parent, _)) = self.calls.last() {
            self.low[parent as usize] = self.low[parent as usize].min(self.low[node as usize]);
        }
        if self.low[node as usize] == self.index[node as usize] {
            while let Some(member) = self.stack.pop() {
                self.on_stack[member as usize] = false;
                self.component[member as usize] = self.components;
                if member == node {
                    break;
                }
            }
            self.components += 1;
        }
    }
}

/// Strongly connected components: Tarjan's algorithm, iterative.
pub fn strong_components(topology: &Topology) -> Vec<i64> {
    let n = topology.nodes();
    let mut state = Tarjan {
        index: vec![UNSEEN; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        component: vec![UNSEEN; n],
        counter: 0,
        components: 0,
        calls: Vec::new(),
    };
    for root in 0..n as u32 {
        if state.index[root as usize] != UNSEEN {
            continue;
        }
        state.visit(root);
        while let Some(&(node, cursor)) = state.calls.last() {
            let Some(&(_, next)) = topology.out_edges(node).get(cursor) else {
                state.finish(node);
                continue;
            };
            if let Some(call) = state.calls.last_mut() {
                call.1 += 1;
            }
            if state.index[next as usize] == UNSEEN {
                state.visit(next);
            } else if state.on_stack[next as usize] {
                state.low[node as usize] = state.low[node as usize].min(state.index[next as usize]);
            }
        }
    }
    in_node_order(&state.component)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(nodes: usize, edges: &[(u32, u32)]) -> Topology {
        let (source, target) = edges.iter().copied().unzip();
        Topology::new(nodes, source, target).unwrap()
    }

    #[test]
    fn weak_components_ignore_direction_and_number_by_first_node() {
        // The page's families: Alice's (0) and Eve's (1), and a lone node.
        let g = graph(6, &[(0, 1), (2, 1), (3, 4), (4, 3)]);
        assert_eq!(weak_components(&g), vec![0, 0, 0, 1, 1, 2]);
    }

    #[test]
    fn strong_components_follow_the_edges_both_ways() {
        // 0 ⇄ 1 → 2 ⇄ 3, 4 → 0, and 5 alone.
        let g = graph(6, &[(0, 1), (1, 0), (1, 2), (2, 3), (3, 2), (4, 0)]);
        assert_eq!(strong_components(&g), vec![0, 0, 1, 1, 2, 3]);
        // A long chain closes into one cycle: no recursion, one component.
        let n = 100_000u32;
        let mut edges: Vec<(u32, u32)> = (0..n - 1).map(|i| (i, i + 1)).collect();
        edges.push((n - 1, 0));
        let components = strong_components(&graph(n as usize, &edges));
        assert!(components.iter().all(|&c| c == 0));
    }
}
