//! `graph-shortest-paths` by breadth-first search (graph-shortest-paths-operator.md): for each
//! (source, target) pair the pattern matches, the matches of the least length — one of them
//! (`output=any`) or every one (`output=all`).
//!
//! Listing every match and keeping the shortest per pair (what [`super::ShortestMatches`] does
//! after the depth-first [`super::Matcher`]) takes time exponential in the variable length
//! edge's bound. Here one search per source node walks the pattern's states — (segment, node,
//! edges taken so far in the segment, counted up to what the segment needs) — level by level,
//! so each state is reached once at its least length, and keeps the predecessors that reach it
//! at that length (only the first for `output=any`); every shortest match is rebuilt from them.
//! Moving from one segment to the next costs no edge: the next segment's start state joins the
//! current level.
//!
//! The search is exact only where the least walk is a match, which [`ShortestSearch::new`]
//! checks, answering `None` (the caller lists every match instead, slowly but exactly) when it
//! cannot be sure:
//! - the pattern is one chain of distinct node variables, and at most one of its edges has a
//!   length that varies (every other one's length is fixed), so a state's length within its
//!   segment follows from the length of the whole walk;
//! - `cycles=all`: any walk is a match, so the least walk is one;
//! - `cycles=unique_edges` / `none`: only a single variable length edge whose least length is
//!   0 or 1. A least walk between two different nodes is then a path (no node twice); a walk
//!   from a node back to itself is a cycle: none under `cycles=none` (the end node would be on
//!   the match twice); under `unique_edges` a least directed closed walk is a simple cycle, but
//!   an undirected one may go out and back over one edge, so those are searched apart
//!   (`ShortestSearch::closed_trails`).
//!
//! Constraints that read several variables are the caller's to check: it uses this search only
//! when they read nothing but the two end nodes (the same for every match of a pair).
//!
//! Every [`CHECK_EVERY`] moves the search calls the check with the bytes it holds (the engine's:
//! the query's stop flag and memory reservation), so a search too big for the memory limit stops
//! with the engine's error.

use datafusion::common::{DataFusionError, Result};

use super::{Allowed, CHECK_EVERY, Check, Cycles, MatchRows, Pattern, Topology, allows};
use crate::kql::ast::EdgeDirection;

/// No state, edge or predecessor.
const NONE: u32 = u32::MAX;

/// One edge variable of the chain, in the order the search walks it.
#[derive(Debug, Clone, Copy)]
struct Segment {
    /// The edge variable.
    var: usize,
    direction: EdgeDirection,
    min: u32,
    max: u32,
    /// The one segment whose length varies: its count stops at `width - 1` (its least length,
    /// at least 1 so that count 0 is only ever its start); a fixed one counts every edge.
    free: bool,
    width: u32,
    /// The length of the (fixed) segments walked before this one.
    prefix: u64,
    /// Its first state: state `offset + node * width + count`.
    offset: usize,
    /// The node variable it ends at.
    to: usize,
}

/// How a search treats a walk from a node back to itself (single edge variable only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loops {
    /// A least closed walk is a match (`cycles=all`, or a directed edge under `unique_edges`).
    Keep,
    /// No closed walk is a match (`cycles=none`).
    Drop,
    /// Least closed walks may reuse an edge: searched apart (`unique_edges`, any direction).
    Trails,
}

/// A way to reach a state at its least length: from `prev` over `edge` (`NONE`: the move to
/// the next segment), and the next way to the same state.
#[derive(Debug, Clone, Copy)]
struct Pred {
    prev: u32,
    edge: u32,
    next: u32,
}

/// Bytes a predecessor holds.
const PRED_BYTES: usize = std::mem::size_of::<Pred>();

/// The states of one search and the ways to them.
#[derive(Debug, Default)]
struct Levels {
    /// Each state's least length (`NONE`: not reached).
    dist: Vec<u32>,
    /// Each state's first way to it (`NONE`: none).
    head: Vec<u32>,
    preds: Vec<Pred>,
    touched: Vec<u32>,
    frontier: Vec<u32>,
    next: Vec<u32>,
    /// Enumeration: (state, the way taken to it), from the target back.
    stack: Vec<(u32, u32)>,
}

impl Levels {
    fn new(states: usize) -> Levels {
        Levels {
            dist: vec![NONE; states],
            head: vec![NONE; states],
            ..Levels::default()
        }
    }

    fn bytes(&self) -> usize {
        (self.dist.capacity()
            + self.head.capacity()
            + self.touched.capacity()
            + self.frontier.capacity()
            + self.next.capacity())
            * 4
            + self.preds.capacity() * PRED_BYTES
            + self.stack.capacity() * 8
    }

    /// Forgets the last search (keeping the memory).
    fn reset(&mut self) {
        for &state in &self.touched {
            self.dist[state as usize] = NONE;
            self.head[state as usize] = NONE;
        }
        self.touched.clear();
        self.preds.clear();
        self.frontier.clear();
        self.next.clear();
        self.stack.clear();
    }

    /// Reaches `state` at length `length` from `prev` over `edge` (`prev` `NONE`: the search's
    /// start); a new state goes to this level (`now`) or the next. Another way of the same
    /// length is kept when `all`. Fails past the 4 billion ways 32 bits number (a memory limit
    /// of more than 48 GiB could let it get there).
    fn reach(
        &mut self,
        state: usize,
        length: u32,
        prev: u32,
        edge: u32,
        now: bool,
        all: bool,
    ) -> Result<()> {
        let seen = self.dist[state];
        if seen == NONE {
            self.dist[state] = length;
            self.touched.push(state as u32);
            if now {
                self.frontier.push(state as u32);
            } else {
                self.next.push(state as u32);
            }
        } else if !(seen == length && all) {
            return Ok(());
        }
        if prev == NONE {
            return Ok(());
        }
        let at = u32::try_from(self.preds.len())
            .ok()
            .filter(|&at| at != NONE)
            .ok_or_else(|| {
                DataFusionError::Execution(
                    "graph-shortest-paths found more than 4 billion ways to its paths' nodes; output=any keeps one".into(),
                )
            })?;
        let pred = Pred {
            prev,
            edge,
            next: self.head[state],
        };
        self.head[state] = at;
        self.preds.push(pred);
        Ok(())
    }

    /// The next way to the state on top of the enumeration stack's parent (after a step back).
    fn step_back(&mut self) {
        self.stack.pop();
        if let Some(top) = self.stack.last_mut()
            && top.1 != NONE
        {
            top.1 = self.preds[top.1 as usize].next;
        }
    }
}

/// The shortest matches of a chain pattern by breadth-first search: see the module's comment.
pub struct ShortestSearch<'a> {
    topology: &'a Topology,
    pattern: &'a Pattern,
    allowed: &'a Allowed,
    all: bool,
    segments: Vec<Segment>,
    /// The node variable at each position of the walk (segments' ends).
    vars: Vec<usize>,
    /// The walk goes the pattern's way (left to right), else right to left.
    forward: bool,
    /// The first state of the ends: state `finals + node`.
    finals: usize,
    states: usize,
    loops: Loops,
    levels: Levels,
    /// The searches of closed trails, over nodes alone.
    trails: Levels,
    /// The match being written: each walk position's node, each segment's edges and inner
    /// nodes in walk order.
    bound: Vec<u32>,
    edges: Vec<Vec<u32>>,
    inner: Vec<Vec<u32>>,
    /// The nodes of the segment being written.
    walk: Vec<u32>,
    moves: u64,
    check: Check<'a>,
}

impl<'a> ShortestSearch<'a> {
    /// A search of the shortest matches of `pattern` between node variables `first` and `last`
    /// (`all`: every one of the least length, else one); `None` when a breadth-first search
    /// cannot be exact for this pattern (see the module's comment) — then list every match.
    pub fn new(
        topology: &'a Topology,
        pattern: &'a Pattern,
        allowed: &'a Allowed,
        first: usize,
        last: usize,
        all: bool,
        check: Check<'a>,
    ) -> Option<ShortestSearch<'a>> {
        let edges = &pattern.edges;
        let last_edge = edges.last()?;
        let mut vars = vec![edges[0].left];
        for edge in edges {
            if edge.left != *vars.last()? || edge.min > edge.max {
                return None;
            }
            vars.push(edge.right);
        }
        let mut distinct = vars.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if vars[0] != first
            || last_edge.right != last
            || distinct.len() != vars.len()
            || distinct.len() != pattern.nodes
            || edges.iter().filter(|e| e.min < e.max).count() > 1
        {
            return None;
        }
        let loops = match pattern.cycles {
            Cycles::All => Loops::Keep,
            _ if edges.len() != 1 || edges[0].min > 1 => return None,
            Cycles::None => Loops::Drop,
            Cycles::UniqueEdges if edges[0].direction == EdgeDirection::Any => Loops::Trails,
            Cycles::UniqueEdges => Loops::Keep,
        };
        // Start from the end with fewer candidates: a constrained target is one search.
        let candidates = |var: usize| match allowed.nodes.get(var) {
            Some(Some(mask)) => mask.iter().filter(|&&b| b).count(),
            _ => topology.nodes(),
        };
        let forward = candidates(first) <= candidates(last);
        let order: Vec<usize> = if forward {
            (0..edges.len()).collect()
        } else {
            (0..edges.len()).rev().collect()
        };
        if !forward {
            vars.reverse();
        }
        let mut segments = Vec::with_capacity(edges.len());
        let (mut offset, mut prefix) = (0usize, 0u64);
        for (at, &var) in order.iter().enumerate() {
            let edge = edges[var];
            let free = edge.min < edge.max;
            let width = if free {
                edge.min.max(1).checked_add(1)?
            } else {
                edge.max.checked_add(1)?
            };
            segments.push(Segment {
                var,
                direction: edge.direction,
                min: edge.min,
                max: edge.max,
                free,
                width,
                prefix,
                offset,
                to: vars[at + 1],
            });
            offset = topology
                .nodes()
                .checked_mul(width as usize)
                .and_then(|n| n.checked_add(offset))?;
            if !free {
                prefix += u64::from(edge.max);
            }
        }
        let finals = offset;
        let states = finals.checked_add(topology.nodes())?;
        // States and predecessors are numbered in 32 bits.
        if states >= NONE as usize {
            return None;
        }
        Some(ShortestSearch {
            topology,
            pattern,
            allowed,
            all,
            edges: vec![Vec::new(); segments.len()],
            inner: vec![Vec::new(); segments.len()],
            segments,
            vars,
            forward,
            finals,
            states,
            loops,
            levels: Levels::default(),
            trails: Levels::default(),
            bound: Vec::new(),
            walk: Vec::new(),
            moves: 0,
            check,
        })
    }

    fn bytes(&self) -> usize {
        self.levels.bytes() + self.trails.bytes()
    }

    fn tick(&mut self) -> Result<()> {
        self.moves += 1;
        if self.moves.is_multiple_of(CHECK_EVERY) {
            let bytes = self.bytes();
            (self.check)(bytes)?;
        }
        Ok(())
    }

    /// Writes every shortest match to `rows`, handing them to `flush` whenever they are
    /// `batch` or more, and at the end (then clearing them); false when `flush` said stop.
    pub fn run(
        &mut self,
        rows: &mut MatchRows,
        batch: usize,
        flush: &mut dyn FnMut(&MatchRows) -> Result<bool>,
    ) -> Result<bool> {
        // The states' arrays: 8 bytes a state, asked for before they are made.
        (self.check)(self.states.saturating_mul(8))?;
        self.levels = Levels::new(self.states);
        if self.loops == Loops::Trails {
            let bytes = self.bytes() + self.topology.nodes() * 8;
            (self.check)(bytes)?;
            self.trails = Levels::new(self.topology.nodes());
        }
        let start = self.vars[0];
        let end = self.vars[self.vars.len() - 1];
        for source in 0..self.topology.nodes() as u32 {
            self.tick()?;
            if !allows(&self.allowed.nodes, start, source) {
                continue;
            }
            self.search(source)?;
            let mut at = 0;
            while at < self.levels.touched.len() {
                let state = self.levels.touched[at] as usize;
                at += 1;
                if state < self.finals {
                    continue;
                }
                let target = (state - self.finals) as u32;
                if target == source && self.levels.dist[state] > 0 && self.loops != Loops::Keep {
                    continue;
                }
                if !self.each_path(source, state, rows, batch, flush)? {
                    return Ok(false);
                }
            }
            self.levels.reset();
            if self.loops == Loops::Trails
                && self.segments[0].min >= 1
                && allows(&self.allowed.nodes, end, source)
                && !self.closed_trails(source, rows, batch, flush)?
            {
                return Ok(false);
            }
        }
        if !rows.is_empty() {
            let go_on = flush(rows)?;
            rows.clear();
            return Ok(go_on);
        }
        Ok(true)
    }

    /// The segment of a state, and its node and count.
    fn decode(&self, state: usize) -> (usize, u32, u32) {
        if state >= self.finals {
            return (self.segments.len(), (state - self.finals) as u32, 0);
        }
        let at = self
            .segments
            .iter()
            .rposition(|s| s.offset <= state)
            .unwrap_or(0);
        let segment = &self.segments[at];
        let within = state - segment.offset;
        let width = segment.width as usize;
        (at, (within / width) as u32, (within % width) as u32)
    }

    /// The state where segment `at` (or the ends, past the last) starts at `node`.
    fn start_state(&self, at: usize, node: u32) -> usize {
        match self.segments.get(at) {
            Some(segment) => segment.offset + node as usize * segment.width as usize,
            None => self.finals + node as usize,
        }
    }

    /// Every state reached from `source`, level by level.
    fn search(&mut self, source: u32) -> Result<()> {
        let topology = self.topology;
        let allowed = self.allowed;
        let first = self.start_state(0, source);
        self.levels.reach(first, 0, NONE, NONE, true, self.all)?;
        let mut length = 0u32;
        while !self.levels.frontier.is_empty() {
            let mut at = 0;
            while at < self.levels.frontier.len() {
                let state = self.levels.frontier[at] as usize;
                at += 1;
                self.tick()?;
                let (index, node, count) = self.decode(state);
                let Some(&segment) = self.segments.get(index) else {
                    continue;
                };
                let taken = if segment.free {
                    u64::from(length).saturating_sub(segment.prefix)
                } else {
                    u64::from(count)
                };
                if taken >= u64::from(segment.min) && allows(&allowed.nodes, segment.to, node) {
                    let next = self.start_state(index + 1, node);
                    self.levels
                        .reach(next, length, state as u32, NONE, true, self.all)?;
                }
                let onward = taken == 0 || allows(&allowed.inner, segment.var, node);
                if taken < u64::from(segment.max) && onward {
                    let count = if segment.free {
                        (count + 1).min(segment.width - 1)
                    } else {
                        count + 1
                    };
                    let base = segment.offset + count as usize;
                    let width = segment.width as usize;
                    for &(edge, other) in topology.neighbours(node, segment.direction, self.forward)
                    {
                        if allows(&allowed.edges, segment.var, edge) {
                            let next = base + other as usize * width;
                            self.levels.reach(
                                next,
                                length + 1,
                                state as u32,
                                edge,
                                false,
                                self.all,
                            )?;
                        }
                    }
                }
            }
            std::mem::swap(&mut self.levels.frontier, &mut self.levels.next);
            self.levels.next.clear();
            length += 1;
        }
        Ok(())
    }

    /// Writes each way (one unless `all`) from `source`'s first state to `target` as a match.
    fn each_path(
        &mut self,
        source: u32,
        target: usize,
        rows: &mut MatchRows,
        batch: usize,
        flush: &mut dyn FnMut(&MatchRows) -> Result<bool>,
    ) -> Result<bool> {
        let first = self.start_state(0, source) as u32;
        self.levels.stack.clear();
        self.levels
            .stack
            .push((target as u32, self.levels.head[target]));
        while let Some(&(state, way)) = self.levels.stack.last() {
            self.tick()?;
            if state == first {
                self.write_walk(rows);
                if rows.len() >= batch {
                    let go_on = flush(rows)?;
                    rows.clear();
                    if !go_on {
                        return Ok(false);
                    }
                }
                self.levels.step_back();
            } else if way == NONE {
                self.levels.step_back();
            } else {
                let prev = self.levels.preds[way as usize].prev;
                let head = self.levels.head[prev as usize];
                self.levels.stack.push((prev, head));
            }
        }
        Ok(true)
    }

    /// Adds the walk on the enumeration stack (target first) to `rows`.
    fn write_walk(&mut self, rows: &mut MatchRows) {
        let stack = std::mem::take(&mut self.levels.stack);
        let Some(&(first, _)) = stack.last() else {
            return;
        };
        let (_, node, _) = self.decode(first as usize);
        self.bound.clear();
        self.bound.push(node);
        let mut at = 0;
        let mut nodes = std::mem::take(&mut self.walk);
        nodes.clear();
        nodes.push(node);
        for list in self.edges.iter_mut().chain(self.inner.iter_mut()) {
            list.clear();
        }
        for level in (0..stack.len() - 1).rev() {
            // The way into a state is the one its stack entry follows.
            let (state, way) = stack[level];
            let Some(pred) = self.levels.preds.get(way as usize) else {
                continue;
            };
            let edge = pred.edge;
            let (_, node, _) = self.decode(state as usize);
            if edge == NONE {
                // The segment ends here: its inner nodes are those between its two ends.
                if let Some(inner) = self.inner.get_mut(at)
                    && nodes.len() >= 2
                {
                    inner.extend_from_slice(&nodes[1..nodes.len() - 1]);
                }
                self.bound.push(node);
                nodes.clear();
                nodes.push(node);
                at += 1;
            } else {
                if let Some(edges) = self.edges.get_mut(at) {
                    edges.push(edge);
                }
                nodes.push(node);
            }
        }
        self.levels.stack = stack;
        self.walk = nodes;
        self.push_row(rows);
    }

    /// Adds the match in `bound`, `edges` and `inner` (walk order) to `rows`.
    fn push_row(&self, rows: &mut MatchRows) {
        let base = rows.nodes.len();
        rows.nodes
            .extend(std::iter::repeat_n(u32::MAX, self.pattern.nodes));
        for (&var, &node) in self.vars.iter().zip(&self.bound) {
            rows.nodes[base + var] = node;
        }
        let count = self.segments.len();
        for var in 0..count {
            let at = if self.forward { var } else { count - 1 - var };
            let (edges, inner) = (&self.edges[at], &self.inner[at]);
            if self.forward {
                rows.push_path(edges.iter().copied(), inner.iter().copied(), edges.len());
            } else {
                rows.push_path(
                    edges.iter().rev().copied(),
                    inner.iter().rev().copied(),
                    edges.len(),
                );
            }
        }
        rows.rows += 1;
    }

    /// The shortest closed trails (no edge twice) from `source` back to it over a single edge
    /// variable of any direction: a self-loop, else a first edge to some `v`, a shortest path
    /// from `v` to some `x` that avoids `source`, and a different edge back. A least closed
    /// trail is a simple cycle (a repeated node would cut out a shorter one), so its middle is
    /// a shortest path avoiding `source` and every least one is found this way. The least
    /// length over all first edges is found first, then each first edge that reaches it is
    /// searched again to write its trails.
    fn closed_trails(
        &mut self,
        source: u32,
        rows: &mut MatchRows,
        batch: usize,
        flush: &mut dyn FnMut(&MatchRows) -> Result<bool>,
    ) -> Result<bool> {
        let topology = self.topology;
        let allowed = self.allowed;
        let segment = self.segments[0];
        let around = topology.neighbours(source, EdgeDirection::Any, true);
        let usable = |edge: u32| allows(&allowed.edges, segment.var, edge);
        let loops: Vec<u32> = around
            .iter()
            .filter(|&&(edge, other)| other == source && usable(edge))
            .map(|&(edge, _)| edge)
            .collect();
        if segment.max == 0 {
            return Ok(true);
        }
        if !loops.is_empty() {
            for edge in loops {
                self.write_trail(source, &[edge], &[], rows);
                if rows.len() >= batch {
                    let go_on = flush(rows)?;
                    rows.clear();
                    if !go_on {
                        return Ok(false);
                    }
                }
                if !self.all {
                    break;
                }
            }
            return Ok(true);
        }
        let firsts: Vec<(u32, u32)> = around
            .iter()
            .copied()
            .filter(|&(edge, other)| {
                other != source && usable(edge) && allows(&allowed.inner, segment.var, other)
            })
            .collect();
        // Lengths above `best` are not wanted: at most the edge's bound, then less than the
        // least found so far.
        let mut best = u64::from(segment.max);
        let mut found = None;
        for &(first, next) in &firsts {
            let reached = self.trail_search(source, first, next, best)?;
            self.trails.reset();
            if let Some(length) = reached {
                best = length.saturating_sub(1);
                found = Some(length);
            }
        }
        let Some(least) = found else {
            return Ok(true);
        };
        for &(first, next) in &firsts {
            let reached = self.trail_search(source, first, next, least)?;
            if reached == Some(least) && !self.write_trails(source, first, rows, batch, flush)? {
                self.trails.reset();
                return Ok(false);
            }
            self.trails.reset();
            if reached == Some(least) && !self.all {
                break;
            }
        }
        Ok(true)
    }

    /// A search over nodes from `next` (reached from `source` over `first`) that never enters
    /// `source`, level by level up to closed trails of `limit` edges; the least length of a
    /// trail back to `source` over an edge other than `first`, with the last level (the
    /// nodes it returns from) left in `trails.frontier`. The caller resets `trails`.
    fn trail_search(
        &mut self,
        source: u32,
        first: u32,
        next: u32,
        limit: u64,
    ) -> Result<Option<u64>> {
        let topology = self.topology;
        let allowed = self.allowed;
        let var = self.segments[0].var;
        let usable = |edge: u32| allows(&allowed.edges, var, edge);
        self.trails
            .reach(next as usize, 0, NONE, NONE, true, self.all)?;
        // A trail through a node `level` edges past `next` has `level + 2` edges.
        let mut level = 0u32;
        while !self.trails.frontier.is_empty() && u64::from(level) + 2 <= limit {
            for at in 0..self.trails.frontier.len() {
                self.tick()?;
                let node = self.trails.frontier[at];
                let back = topology
                    .neighbours(node, EdgeDirection::Any, true)
                    .iter()
                    .any(|&(edge, other)| other == source && edge != first && usable(edge));
                if back {
                    return Ok(Some(u64::from(level) + 2));
                }
            }
            if u64::from(level) + 3 > limit {
                break;
            }
            let mut at = 0;
            while at < self.trails.frontier.len() {
                let node = self.trails.frontier[at];
                at += 1;
                self.tick()?;
                for &(edge, other) in topology.neighbours(node, EdgeDirection::Any, true) {
                    if other != source && usable(edge) && allows(&allowed.inner, var, other) {
                        self.trails.reach(
                            other as usize,
                            level + 1,
                            node,
                            edge,
                            false,
                            self.all,
                        )?;
                    }
                }
            }
            std::mem::swap(&mut self.trails.frontier, &mut self.trails.next);
            self.trails.next.clear();
            level += 1;
        }
        Ok(None)
    }

    /// Writes the closed trails of the last [`Self::trail_search`], which reached its least
    /// length: for each node of its last level and each edge from it back to `source` (not
    /// `first`), each shortest path to it (one unless `all`).
    fn write_trails(
        &mut self,
        source: u32,
        first: u32,
        rows: &mut MatchRows,
        batch: usize,
        flush: &mut dyn FnMut(&MatchRows) -> Result<bool>,
    ) -> Result<bool> {
        let topology = self.topology;
        let var = self.segments[0].var;
        let ends = std::mem::take(&mut self.trails.frontier);
        let mut edges = Vec::new();
        let mut inner = Vec::new();
        for &end in &ends {
            for &(back, other) in topology.neighbours(end, EdgeDirection::Any, true) {
                if other != source || back == first || !allows(&self.allowed.edges, var, back) {
                    continue;
                }
                self.trails.stack.clear();
                self.trails
                    .stack
                    .push((end, self.trails.head[end as usize]));
                while let Some(&(node, way)) = self.trails.stack.last() {
                    self.tick()?;
                    if way == NONE && self.trails.dist[node as usize] == 0 {
                        // At the first node: the stack holds the path, last node first.
                        edges.clear();
                        inner.clear();
                        edges.push(first);
                        for level in (0..self.trails.stack.len()).rev() {
                            inner.push(self.trails.stack[level].0);
                            if level > 0 {
                                let way = self.trails.stack[level - 1].1;
                                edges.push(self.trails.preds[way as usize].edge);
                            }
                        }
                        edges.push(back);
                        self.write_trail(source, &edges, &inner, rows);
                        if rows.len() >= batch {
                            let go_on = flush(rows)?;
                            rows.clear();
                            if !go_on {
                                self.trails.frontier = ends;
                                return Ok(false);
                            }
                        }
                        if !self.all {
                            self.trails.frontier = ends;
                            return Ok(true);
                        }
                        self.trails.step_back();
                    } else if way == NONE {
                        self.trails.step_back();
                    } else {
                        let prev = self.trails.preds[way as usize].prev;
                        let head = self.trails.head[prev as usize];
                        self.trails.stack.push((prev, head));
                    }
                }
            }
        }
        self.trails.frontier = ends;
        Ok(true)
    }

    /// Adds a closed trail from `source` back to it (edges and inner nodes in order) to
    /// `rows`.
    fn write_trail(&self, source: u32, edges: &[u32], inner: &[u32], rows: &mut MatchRows) {
        let base = rows.nodes.len();
        rows.nodes
            .extend(std::iter::repeat_n(u32::MAX, self.pattern.nodes));
        for &var in &self.vars {
            rows.nodes[base + var] = source;
        }
        rows.push_path(edges.iter().copied(), inner.iter().copied(), edges.len());
        rows.rows += 1;
    }
}
