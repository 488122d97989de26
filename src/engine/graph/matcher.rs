//! The pattern matcher of `graph-match` and `graph-shortest-paths` (graph-match-operator.md).
//!
//! A pattern is node variables joined by edge variables; an edge variable matches a path of
//! `min..=max` graph edges (one for a single edge) whose edges point the way the pattern says.
//! `cycles` decides what a match may repeat: `unique_edges` (the default) no edge twice,
//! `none` no node twice either (beyond what the pattern itself names twice, or a zero length
//! path's two ends), `all` anything.
//!
//! The search is a depth-first backtracking over a plan: bind one node variable (the one with the
//! fewest candidates), then follow the pattern's edges from bound nodes, each step walking the
//! paths one edge variable may match. It is iterative — an explicit stack per step, no
//! recursion, so a `*1..100000` edge cannot overflow the thread's stack — and resumable: it stops
//! when it has found as many matches as asked and goes on from there on the next call. Every 1024
//! moves it calls a check (the engine's: the query's stop flag and memory reservation) with the
//! bytes its stacks hold.

use datafusion::common::Result;

use crate::kql::ast::EdgeDirection;

mod shortest;

pub use shortest::ShortestSearch;

/// The shape of a graph: each edge's ends and each node's edges.
#[derive(Debug, Clone)]
pub struct Topology {
    nodes: usize,
    source: Vec<u32>,
    target: Vec<u32>,
    out: Adjacency,
    incoming: Adjacency,
    /// Outgoing then incoming, a self-loop once: the edges of a node either way.
    both: Adjacency,
}

/// Each node's (edge, other node) pairs, in edge order (compressed rows).
#[derive(Debug, Clone, Default)]
struct Adjacency {
    offsets: Vec<usize>,
    items: Vec<(u32, u32)>,
}

impl Adjacency {
    /// The adjacency of `nodes` nodes from `pairs` of (node, (edge, other)), given in edge order.
    fn new(nodes: usize, pairs: impl Iterator<Item = (u32, (u32, u32))> + Clone) -> Adjacency {
        let mut offsets = vec![0usize; nodes + 1];
        for (node, _) in pairs.clone() {
            offsets[node as usize + 1] += 1;
        }
        for at in 1..offsets.len() {
            offsets[at] += offsets[at - 1];
        }
        let mut fill = offsets.clone();
        let mut items = vec![(0, 0); offsets[nodes]];
        for (node, item) in pairs {
            items[fill[node as usize]] = item;
            fill[node as usize] += 1;
        }
        Adjacency { offsets, items }
    }

    fn of(&self, node: u32) -> &[(u32, u32)] {
        let node = node as usize;
        &self.items[self.offsets[node]..self.offsets[node + 1]]
    }

    fn bytes(&self) -> usize {
        self.offsets.len() * 8 + self.items.len() * 8
    }
}

impl Topology {
    /// A graph of `nodes` nodes whose edge `i` goes from `source[i]` to `target[i]`; `None`
    /// when the lists differ in length or name a node past `nodes`.
    pub fn new(nodes: usize, source: Vec<u32>, target: Vec<u32>) -> Option<Topology> {
        if source.len() != target.len()
            || source.iter().chain(&target).any(|&n| n as usize >= nodes)
        {
            return None;
        }
        let edges = source
            .iter()
            .zip(&target)
            .enumerate()
            .map(|(e, (&s, &t))| (e as u32, s, t));
        let out = Adjacency::new(nodes, edges.clone().map(|(e, s, t)| (s, (e, t))));
        let incoming = Adjacency::new(nodes, edges.clone().map(|(e, s, t)| (t, (e, s))));
        let both = Adjacency::new(
            nodes,
            edges.clone().map(|(e, s, t)| (s, (e, t))).chain(
                edges
                    .filter(|(_, s, t)| s != t)
                    .map(|(e, s, t)| (t, (e, s))),
            ),
        );
        Some(Topology {
            nodes,
            source,
            target,
            out,
            incoming,
            both,
        })
    }

    /// How many nodes the graph has.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// How many edges the graph has.
    pub fn edges(&self) -> usize {
        self.source.len()
    }

    /// The source and target node of an edge.
    pub fn ends(&self, edge: u32) -> (u32, u32) {
        (self.source[edge as usize], self.target[edge as usize])
    }

    /// How many edges end at `node`.
    pub fn degree_in(&self, node: usize) -> usize {
        self.incoming.offsets[node + 1] - self.incoming.offsets[node]
    }

    /// How many edges start at `node`.
    pub fn degree_out(&self, node: usize) -> usize {
        self.out.offsets[node + 1] - self.out.offsets[node]
    }

    /// The (edge, target) pairs of the edges that start at `node`, in edge order.
    pub fn out_edges(&self, node: u32) -> &[(u32, u32)] {
        self.out.of(node)
    }

    /// The memory the topology holds, in bytes.
    pub fn bytes(&self) -> usize {
        self.source.len() * 8 + self.out.bytes() + self.incoming.bytes() + self.both.bytes()
    }

    /// The (edge, other node) pairs a walk may take from `node` over an edge written
    /// `direction`, walking the pattern left to right (`forward`) or right to left.
    fn neighbours(&self, node: u32, direction: EdgeDirection, forward: bool) -> &[(u32, u32)] {
        match (direction, forward) {
            (EdgeDirection::Right, true) | (EdgeDirection::Left, false) => self.out.of(node),
            (EdgeDirection::Left, true) | (EdgeDirection::Right, false) => self.incoming.of(node),
            (EdgeDirection::Any, _) => self.both.of(node),
        }
    }
}

/// `cycles` of graph-match-operator.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cycles {
    /// Any walk.
    All,
    /// No node twice (nor, so, any edge).
    None,
    /// No edge twice (the default).
    UniqueEdges,
}

/// A pattern: node variables `0..nodes`, and the edge variables between them.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    pub nodes: usize,
    pub edges: Vec<EdgeVar>,
    pub cycles: Cycles,
}

/// An edge variable: the node variables on its left and right as written, its direction, and
/// how many graph edges it matches (1..=1 for a single edge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeVar {
    pub left: usize,
    pub right: usize,
    pub direction: EdgeDirection,
    pub min: u32,
    pub max: u32,
}

/// Which graph elements each variable may take (`None`: any): per node variable its nodes,
/// per edge variable its edges and the inner nodes of its paths.
#[derive(Debug, Clone, Default)]
pub struct Allowed {
    pub nodes: Vec<Option<Vec<bool>>>,
    pub edges: Vec<Option<Vec<bool>>>,
    pub inner: Vec<Option<Vec<bool>>>,
}

fn allows(list: &[Option<Vec<bool>>], var: usize, element: u32) -> bool {
    match list.get(var) {
        Some(Some(mask)) => mask.get(element as usize).copied().unwrap_or(false),
        _ => true,
    }
}

/// Where one edge variable's path is in [`MatchRows`]: its edges from `edges`, its inner nodes
/// from `inner`, `len` edges (and `len - 1` inner nodes, none for a zero length path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PathSpan {
    edges: usize,
    inner: usize,
    len: usize,
}

/// Matches, row by row: each node variable's node and each edge variable's path (edges and
/// inner nodes in the pattern's left-to-right order).
#[derive(Debug, Clone, Default)]
pub struct MatchRows {
    node_vars: usize,
    edge_vars: usize,
    rows: usize,
    nodes: Vec<u32>,
    paths: Vec<PathSpan>,
    path_edges: Vec<u32>,
    path_inner: Vec<u32>,
}

impl MatchRows {
    /// No rows yet, of matches of `pattern`.
    pub fn new(pattern: &Pattern) -> MatchRows {
        MatchRows {
            node_vars: pattern.nodes,
            edge_vars: pattern.edges.len(),
            ..MatchRows::default()
        }
    }

    /// How many matches there are.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether there is no match.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Forgets every row (keeping the memory for the next ones).
    pub fn clear(&mut self) {
        self.rows = 0;
        self.nodes.clear();
        self.paths.clear();
        self.path_edges.clear();
        self.path_inner.clear();
    }

    /// The memory the rows hold, in bytes.
    pub fn bytes(&self) -> usize {
        (self.nodes.len() + self.path_edges.len() + self.path_inner.len()) * 4
            + self.paths.len() * std::mem::size_of::<PathSpan>()
    }

    /// The node of node variable `var` in match `row`.
    pub fn node(&self, row: usize, var: usize) -> u32 {
        self.nodes[row * self.node_vars + var]
    }

    /// The edges of edge variable `var` in match `row`, left to right.
    pub fn edges(&self, row: usize, var: usize) -> &[u32] {
        let span = self.paths[row * self.edge_vars + var];
        &self.path_edges[span.edges..span.edges + span.len]
    }

    /// The inner nodes of edge variable `var`'s path in match `row`, left to right.
    pub fn inner_nodes(&self, row: usize, var: usize) -> &[u32] {
        let span = self.paths[row * self.edge_vars + var];
        &self.path_inner[span.inner..span.inner + span.len.saturating_sub(1)]
    }

    /// The total number of edges of match `row`.
    pub fn length(&self, row: usize) -> usize {
        (0..self.edge_vars)
            .map(|var| self.edges(row, var).len())
            .sum()
    }

    /// Appends match `row` of `other` (rows of the same pattern).
    pub fn push_from(&mut self, other: &MatchRows, row: usize) {
        let nodes = &other.nodes[row * other.node_vars..(row + 1) * other.node_vars];
        self.nodes.extend_from_slice(nodes);
        for var in 0..other.edge_vars {
            let edges = other.edges(row, var);
            let inner = other.inner_nodes(row, var);
            self.push_path(edges.iter().copied(), inner.iter().copied(), edges.len());
        }
        self.rows += 1;
    }

    fn push_path(
        &mut self,
        edges: impl Iterator<Item = u32>,
        inner: impl Iterator<Item = u32>,
        len: usize,
    ) {
        let span = PathSpan {
            edges: self.path_edges.len(),
            inner: self.path_inner.len(),
            len,
        };
        self.path_edges.extend(edges);
        self.path_inner.extend(inner);
        self.paths.push(span);
    }
}

/// One move of the plan.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Bind a node variable to each node it may take.
    Start { var: usize },
    /// Walk edge variable `edge` from the bound node variable `from` to `to`; `forward` when
    /// `from` is the edge's left node; `closing` when `to` is bound already (the walk must end
    /// at its node).
    Walk {
        edge: usize,
        from: usize,
        to: usize,
        forward: bool,
        closing: bool,
    },
}

/// A node on a walk's stack: the next of its neighbours to try, and whether the walk may go on
/// from it (it may be an inner node).
#[derive(Debug, Clone, Copy)]
struct Entry {
    node: u32,
    cursor: usize,
    onward: bool,
}

/// The state of one step: the next candidate of a start, the stack of a walk.
#[derive(Debug, Clone, Default)]
struct Frame {
    next: usize,
    started: bool,
    stack: Vec<Entry>,
    edges: Vec<u32>,
    /// The walk bound its `to` variable for the match it last gave.
    bound_to: bool,
}

/// How many moves go between two checks.
const CHECK_EVERY: u64 = 1024;

/// Bytes a stack entry holds (the entry and its edge), for the memory check.
const ENTRY_BYTES: usize = std::mem::size_of::<Entry>() + 4;

/// A check the matcher calls every [`CHECK_EVERY`] moves with the bytes its stacks hold; an
/// error stops the matching with that error.
pub type Check<'a> = Box<dyn FnMut(usize) -> Result<()> + 'a>;

/// The matcher: give it rows to fill with [`Matcher::next_rows`].
pub struct Matcher<'a> {
    topology: &'a Topology,
    pattern: &'a Pattern,
    allowed: &'a Allowed,
    steps: Vec<Step>,
    /// For each edge variable, the step that walks it.
    walk_of: Vec<usize>,
    frames: Vec<Frame>,
    level: usize,
    done: bool,
    bound: Vec<Option<u32>>,
    /// How many times each node is on the match so far (`cycles=none`).
    visits: Vec<u32>,
    /// Which edges the match uses so far (`cycles` other than `all`).
    used: Vec<bool>,
    /// Entries on all stacks.
    depth: usize,
    moves: u64,
    check: Check<'a>,
}

impl<'a> Matcher<'a> {
    /// A matcher of `pattern` on `topology`; `None` when the pattern is not one connected
    /// piece (the planner refuses those) or names a variable it does not have.
    pub fn new(
        topology: &'a Topology,
        pattern: &'a Pattern,
        allowed: &'a Allowed,
        check: Check<'a>,
    ) -> Option<Matcher<'a>> {
        let steps = plan(topology, pattern, allowed)?;
        let mut walk_of = vec![0; pattern.edges.len()];
        for (at, step) in steps.iter().enumerate() {
            if let Step::Walk { edge, .. } = step {
                walk_of[*edge] = at;
            }
        }
        Some(Matcher {
            topology,
            pattern,
            allowed,
            frames: vec![Frame::default(); steps.len()],
            steps,
            walk_of,
            level: 0,
            done: pattern.nodes == 0,
            bound: vec![None; pattern.nodes],
            visits: vec![0; topology.nodes],
            used: vec![false; topology.edges()],
            depth: 0,
            moves: 0,
            check,
        })
    }

    /// Adds matches to `rows` until it holds `limit` rows (true: there may be more) or the
    /// matches run out (false).
    pub fn next_rows(&mut self, rows: &mut MatchRows, limit: usize) -> Result<bool> {
        while !self.done {
            if self.advance()? {
                if self.level + 1 == self.steps.len() {
                    self.emit(rows);
                    if rows.len() >= limit {
                        return Ok(true);
                    }
                } else {
                    self.level += 1;
                    let frame = &mut self.frames[self.level];
                    frame.next = 0;
                    frame.started = false;
                }
            } else if self.level == 0 {
                self.done = true;
            } else {
                self.level -= 1;
            }
        }
        Ok(false)
    }

    fn tick(&mut self) -> Result<()> {
        self.moves += 1;
        if self.moves.is_multiple_of(CHECK_EVERY) {
            (self.check)(self.depth * ENTRY_BYTES)?;
        }
        Ok(())
    }

    /// The next binding of the current step (its previous one undone); false when it has no
    /// more.
    fn advance(&mut self) -> Result<bool> {
        match self.steps[self.level] {
            Step::Start { var } => self.advance_start(var),
            Step::Walk {
                edge,
                from,
                to,
                forward,
                closing,
            } => {
                let mut frame = std::mem::take(&mut self.frames[self.level]);
                let found = self.advance_walk(&mut frame, edge, from, to, forward, closing);
                self.frames[self.level] = frame;
                found
            }
        }
    }

    fn advance_start(&mut self, var: usize) -> Result<bool> {
        if let Some(node) = self.bound[var].take() {
            self.visits[node as usize] -= 1;
        }
        while self.frames[self.level].next < self.topology.nodes {
            self.tick()?;
            let node = self.frames[self.level].next as u32;
            self.frames[self.level].next += 1;
            if allows(&self.allowed.nodes, var, node) {
                self.bound[var] = Some(node);
                self.visits[node as usize] += 1;
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn advance_walk(
        &mut self,
        frame: &mut Frame,
        edge_var: usize,
        from: usize,
        to: usize,
        forward: bool,
        closing: bool,
    ) -> Result<bool> {
        let var = self.pattern.edges[edge_var];
        if frame.bound_to {
            self.bound[to] = None;
            frame.bound_to = false;
        }
        if !frame.started && self.begin_walk(frame, var, from, to, closing) {
            return Ok(true);
        }
        loop {
            self.tick()?;
            let depth = frame.edges.len();
            let Some(top) = frame.stack.last_mut() else {
                return Ok(false);
            };
            let next = if top.onward && depth < var.max as usize {
                self.topology
                    .neighbours(top.node, var.direction, forward)
                    .get(top.cursor)
                    .copied()
            } else {
                None
            };
            let Some((edge, node)) = next else {
                if frame.stack.len() <= 1 {
                    frame.stack.clear();
                    return Ok(false);
                }
                self.pop(frame);
                continue;
            };
            top.cursor += 1;
            if !self.edge_ok(edge_var, edge) {
                continue;
            }
            let length = depth + 1;
            let as_end = length >= var.min as usize && self.end_ok(node, to, closing, false);
            let as_inner = length < var.max as usize && self.inner_ok(edge_var, node);
            if !(as_end || as_inner) {
                continue;
            }
            self.used[edge as usize] = true;
            self.visits[node as usize] += 1;
            self.depth += 1;
            frame.edges.push(edge);
            frame.stack.push(Entry {
                node,
                cursor: 0,
                onward: as_inner,
            });
            if as_end {
                self.bind_end(frame, to, node, closing);
                return Ok(true);
            }
        }
    }

    /// Puts a walk's start node on its stack; true when the path of no edge is a match
    /// (`*0..`).
    fn begin_walk(
        &mut self,
        frame: &mut Frame,
        var: EdgeVar,
        from: usize,
        to: usize,
        closing: bool,
    ) -> bool {
        frame.started = true;
        frame.stack.clear();
        frame.edges.clear();
        let Some(start) = self.bound[from] else {
            return false;
        };
        frame.stack.push(Entry {
            node: start,
            cursor: 0,
            onward: true,
        });
        if var.min == 0 && self.end_ok(start, to, closing, true) {
            self.bind_end(frame, to, start, closing);
            return true;
        }
        false
    }

    fn bind_end(&mut self, frame: &mut Frame, to: usize, node: u32, closing: bool) {
        if !closing {
            self.bound[to] = Some(node);
            frame.bound_to = true;
        }
    }

    /// Takes the last node and edge off a walk.
    fn pop(&mut self, frame: &mut Frame) {
        if let (Some(entry), Some(edge)) = (frame.stack.pop(), frame.edges.pop()) {
            self.visits[entry.node as usize] -= 1;
            self.used[edge as usize] = false;
            self.depth -= 1;
        }
    }

    fn edge_ok(&self, var: usize, edge: u32) -> bool {
        allows(&self.allowed.edges, var, edge)
            && (self.pattern.cycles == Cycles::All || !self.used[edge as usize])
    }

    /// Whether a walk may end at `node`: the bound node when closing, else a node the `to`
    /// variable may take (not on the match yet with `cycles=none`, unless the path has no
    /// edge).
    fn end_ok(&self, node: u32, to: usize, closing: bool, zero: bool) -> bool {
        if closing {
            return self.bound[to] == Some(node);
        }
        allows(&self.allowed.nodes, to, node)
            && (zero || self.pattern.cycles != Cycles::None || self.visits[node as usize] == 0)
    }

    fn inner_ok(&self, var: usize, node: u32) -> bool {
        allows(&self.allowed.inner, var, node)
            && (self.pattern.cycles != Cycles::None || self.visits[node as usize] == 0)
    }

    /// Adds the current match to `rows`.
    fn emit(&self, rows: &mut MatchRows) {
        rows.nodes
            .extend(self.bound.iter().map(|node| node.unwrap_or(u32::MAX)));
        for var in 0..self.pattern.edges.len() {
            let at = self.walk_of[var];
            let frame = &self.frames[at];
            let forward = matches!(self.steps[at], Step::Walk { forward: true, .. });
            let inner = frame
                .stack
                .get(1..frame.stack.len().saturating_sub(1))
                .unwrap_or(&[]);
            let len = frame.edges.len();
            if forward {
                rows.push_path(
                    frame.edges.iter().copied(),
                    inner.iter().map(|e| e.node),
                    len,
                );
            } else {
                rows.push_path(
                    frame.edges.iter().rev().copied(),
                    inner.iter().rev().map(|e| e.node),
                    len,
                );
            }
        }
        rows.rows += 1;
    }
}

/// The search order: start at the node variable with the fewest candidates, then take the
/// pattern's edges in written order, each as soon as one of its nodes is bound. `None` when
/// some variable is never reached (the pattern is not connected) or out of range.
fn plan(topology: &Topology, pattern: &Pattern, allowed: &Allowed) -> Option<Vec<Step>> {
    if pattern
        .edges
        .iter()
        .any(|e| e.left >= pattern.nodes || e.right >= pattern.nodes || e.min > e.max)
    {
        return None;
    }
    let candidates = |var: usize| match allowed.nodes.get(var) {
        Some(Some(mask)) => mask.iter().filter(|&&b| b).count(),
        _ => topology.nodes,
    };
    let start = (0..pattern.nodes).min_by_key(|&var| (candidates(var), var))?;
    let mut bound = vec![false; pattern.nodes];
    bound[start] = true;
    let mut steps = vec![Step::Start { var: start }];
    let mut taken = vec![false; pattern.edges.len()];
    while let Some(edge) = (0..pattern.edges.len())
        .find(|&e| !taken[e] && (bound[pattern.edges[e].left] || bound[pattern.edges[e].right]))
    {
        taken[edge] = true;
        let var = pattern.edges[edge];
        let forward = bound[var.left];
        let (from, to) = if forward {
            (var.left, var.right)
        } else {
            (var.right, var.left)
        };
        steps.push(Step::Walk {
            edge,
            from,
            to,
            forward,
            closing: bound[to],
        });
        bound[to] = true;
    }
    (bound.iter().all(|&b| b) && taken.iter().all(|&t| t)).then_some(steps)
}

/// The shortest matches between each pair of nodes of two variables (graph-shortest-paths):
/// the first shortest found for each pair (`output=any`), or every match of the least length
/// (`output=all`). Pairs keep the order they were first found in. Fed every match, so it is
/// exponential in a variable length edge's bound: only for patterns [`ShortestSearch`] cannot
/// search exactly.
#[derive(Debug)]
pub struct ShortestMatches {
    first: usize,
    last: usize,
    all: bool,
    /// Per pair: its length and the rows kept (in `rows`).
    best: std::collections::HashMap<(u32, u32), (usize, Vec<usize>)>,
    order: Vec<(u32, u32)>,
    rows: MatchRows,
}

impl ShortestMatches {
    /// Keeps the shortest matches of `pattern` between node variables `first` and `last`;
    /// `all`: every one of the least length, else the first found.
    pub fn new(pattern: &Pattern, first: usize, last: usize, all: bool) -> ShortestMatches {
        ShortestMatches {
            first,
            last,
            all,
            best: Default::default(),
            order: Vec::new(),
            rows: MatchRows::new(pattern),
        }
    }

    /// Considers match `row` of `rows`.
    pub fn offer(&mut self, rows: &MatchRows, row: usize) {
        let key = (rows.node(row, self.first), rows.node(row, self.last));
        let length = rows.length(row);
        match self.best.get_mut(&key) {
            None => {
                self.rows.push_from(rows, row);
                self.best.insert(key, (length, vec![self.rows.len() - 1]));
                self.order.push(key);
            }
            Some((best, kept)) if length < *best => {
                self.rows.push_from(rows, row);
                *best = length;
                *kept = vec![self.rows.len() - 1];
            }
            Some((best, kept)) if length == *best && self.all => {
                self.rows.push_from(rows, row);
                kept.push(self.rows.len() - 1);
            }
            Some(_) => {}
        }
    }

    /// The memory held, in bytes.
    pub fn bytes(&self) -> usize {
        self.rows.bytes() + self.best.len() * 48 + self.order.len() * 8
    }

    /// The kept matches, pair by pair in the order found.
    pub fn finish(self) -> MatchRows {
        let mut out = MatchRows {
            node_vars: self.rows.node_vars,
            edge_vars: self.rows.edge_vars,
            ..MatchRows::default()
        };
        for key in &self.order {
            if let Some((_, kept)) = self.best.get(key) {
                for &row in kept {
                    out.push_from(&self.rows, row);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
