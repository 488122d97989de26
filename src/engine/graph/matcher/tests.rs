use super::*;
use datafusion::error::DataFusionError;

fn graph(nodes: usize, edges: &[(u32, u32)]) -> Topology {
    let (source, target) = edges.iter().copied().unzip();
    Topology::new(nodes, source, target).expect("a valid topology")
}

fn edge(left: usize, right: usize, direction: EdgeDirection, min: u32, max: u32) -> EdgeVar {
    EdgeVar {
        left,
        right,
        direction,
        min,
        max,
    }
}

fn pattern(nodes: usize, edges: Vec<EdgeVar>, cycles: Cycles) -> Pattern {
    Pattern {
        nodes,
        edges,
        cycles,
    }
}

/// One match: each node variable's node, and each edge variable's edges.
type Row = (Vec<u32>, Vec<Vec<u32>>);

fn rows_of(rows: &MatchRows, pattern: &Pattern) -> Vec<Row> {
    (0..rows.len())
        .map(|row| {
            (
                (0..pattern.nodes).map(|v| rows.node(row, v)).collect(),
                (0..pattern.edges.len())
                    .map(|v| rows.edges(row, v).to_vec())
                    .collect(),
            )
        })
        .collect()
}

fn matches_in_chunks(
    topology: &Topology,
    pattern: &Pattern,
    allowed: &Allowed,
    chunk: usize,
) -> Vec<Row> {
    let mut matcher = Matcher::new(topology, pattern, allowed, Box::new(|_| Ok(())))
        .expect("a connected pattern");
    let mut out = Vec::new();
    let mut rows = MatchRows::new(pattern);
    loop {
        rows.clear();
        let more = matcher.next_rows(&mut rows, chunk).expect("no check fails");
        out.extend(rows_of(&rows, pattern));
        if !more {
            return out;
        }
    }
}

fn matches(topology: &Topology, pattern: &Pattern, allowed: &Allowed) -> Vec<Row> {
    let mut found = matches_in_chunks(topology, pattern, allowed, 1000);
    found.sort();
    found
}

fn only(mask: &[u32], size: usize) -> Option<Vec<bool>> {
    Some((0..size as u32).map(|i| mask.contains(&i)).collect())
}

#[test]
fn a_single_edge_follows_its_direction() {
    let g = graph(3, &[(0, 1), (1, 2)]);
    let none = Allowed::default();
    let right = pattern(
        2,
        vec![edge(0, 1, EdgeDirection::Right, 1, 1)],
        Cycles::UniqueEdges,
    );
    assert_eq!(
        matches(&g, &right, &none),
        vec![(vec![0, 1], vec![vec![0]]), (vec![1, 2], vec![vec![1]])]
    );
    let left = pattern(
        2,
        vec![edge(0, 1, EdgeDirection::Left, 1, 1)],
        Cycles::UniqueEdges,
    );
    assert_eq!(
        matches(&g, &left, &none),
        vec![(vec![1, 0], vec![vec![0]]), (vec![2, 1], vec![vec![1]])]
    );
    let any = pattern(
        2,
        vec![edge(0, 1, EdgeDirection::Any, 1, 1)],
        Cycles::UniqueEdges,
    );
    assert_eq!(matches(&g, &any, &none).len(), 4);
}

#[test]
fn a_self_loop_is_one_match_either_way() {
    let g = graph(1, &[(0, 0)]);
    let any = pattern(
        2,
        vec![edge(0, 1, EdgeDirection::Any, 1, 1)],
        Cycles::UniqueEdges,
    );
    assert_eq!(
        matches(&g, &any, &Allowed::default()),
        vec![(vec![0, 0], vec![vec![0]])]
    );
    // cycles=none: the loop's two ends are one node.
    let none = pattern(2, vec![edge(0, 1, EdgeDirection::Any, 1, 1)], Cycles::None);
    assert!(matches(&g, &none, &Allowed::default()).is_empty());
}

#[test]
fn variable_length_edges_give_every_path_in_range_with_inner_nodes() {
    let g = graph(4, &[(0, 1), (1, 2), (2, 3)]);
    let p = pattern(
        2,
        vec![edge(0, 1, EdgeDirection::Right, 1, 2)],
        Cycles::UniqueEdges,
    );
    let found = matches(&g, &p, &Allowed::default());
    let ends: Vec<(u32, u32)> = found.iter().map(|(n, _)| (n[0], n[1])).collect();
    assert_eq!(ends, vec![(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]);
    let allowed = Allowed {
        nodes: vec![only(&[0], 4), only(&[2], 4)],
        ..Allowed::default()
    };
    let mut matcher = Matcher::new(&g, &p, &allowed, Box::new(|_| Ok(()))).unwrap();
    let mut rows = MatchRows::new(&p);
    assert!(!matcher.next_rows(&mut rows, 10).unwrap());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows.edges(0, 0), &[0, 1]);
    assert_eq!(rows.inner_nodes(0, 0), &[1]);
}

#[test]
fn paths_walked_right_to_left_are_given_left_to_right() {
    // Only the right node is constrained, so the walk starts there and goes backwards.
    let g = graph(4, &[(0, 1), (1, 2), (2, 3)]);
    let p = pattern(
        2,
        vec![edge(0, 1, EdgeDirection::Right, 1, 3)],
        Cycles::UniqueEdges,
    );
    let allowed = Allowed {
        nodes: vec![None, only(&[3], 4)],
        ..Allowed::default()
    };
    let mut matcher = Matcher::new(&g, &p, &allowed, Box::new(|_| Ok(()))).unwrap();
    let mut rows = MatchRows::new(&p);
    matcher.next_rows(&mut rows, 10).unwrap();
    let from_one = (0..rows.len())
        .find(|&r| rows.node(r, 0) == 1)
        .expect("a path from node 1");
    assert_eq!(rows.edges(from_one, 0), &[1, 2]);
    assert_eq!(rows.inner_nodes(from_one, 0), &[2]);
}

#[test]
fn cycles_decide_what_a_match_may_repeat() {
    let triangle = graph(3, &[(0, 1), (1, 2), (2, 0)]);
    let count = |cycles| {
        let p = pattern(2, vec![edge(0, 1, EdgeDirection::Right, 1, 4)], cycles);
        matches(&triangle, &p, &Allowed::default()).len()
    };
    // From each node: lengths 1 and 2 always, 3 (back to the start) without repeating an
    // edge, 4 only when edges may repeat.
    assert_eq!(count(Cycles::None), 6);
    assert_eq!(count(Cycles::UniqueEdges), 9);
    assert_eq!(count(Cycles::All), 12);
}

#[test]
fn unique_edges_holds_across_the_whole_match() {
    // (a)-[e1]-(b)-[e2]-(c) over one undirected edge: e2 may not take e1's edge back.
    let g = graph(2, &[(0, 1)]);
    let p = pattern(
        3,
        vec![
            edge(0, 1, EdgeDirection::Any, 1, 1),
            edge(1, 2, EdgeDirection::Any, 1, 1),
        ],
        Cycles::UniqueEdges,
    );
    assert!(matches(&g, &p, &Allowed::default()).is_empty());
    let all = Pattern {
        cycles: Cycles::All,
        ..p
    };
    assert_eq!(matches(&g, &all, &Allowed::default()).len(), 2);
}

#[test]
fn zero_length_paths_bind_both_ends_to_one_node() {
    let g = graph(2, &[(0, 1)]);
    let p = pattern(
        2,
        vec![edge(0, 1, EdgeDirection::Right, 0, 1)],
        Cycles::None,
    );
    assert_eq!(
        matches(&g, &p, &Allowed::default()),
        vec![
            (vec![0, 0], vec![vec![]]),
            (vec![0, 1], vec![vec![0]]),
            (vec![1, 1], vec![vec![]]),
        ]
    );
}

#[test]
fn a_pattern_may_close_a_cycle_and_join_sequences() {
    let g = graph(3, &[(0, 1), (1, 0), (1, 2)]);
    let round = pattern(
        2,
        vec![
            edge(0, 1, EdgeDirection::Right, 1, 1),
            edge(1, 0, EdgeDirection::Right, 1, 1),
        ],
        Cycles::UniqueEdges,
    );
    let ends: Vec<Vec<u32>> = matches(&g, &round, &Allowed::default())
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(ends, vec![vec![0, 1], vec![1, 0]]);
    // (a)-->(b), (b)-->(c): sequences sharing b.
    let joined = pattern(
        3,
        vec![
            edge(0, 1, EdgeDirection::Right, 1, 1),
            edge(1, 2, EdgeDirection::Right, 1, 1),
        ],
        Cycles::UniqueEdges,
    );
    let ends: Vec<Vec<u32>> = matches(&g, &joined, &Allowed::default())
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(ends, vec![vec![0, 1, 0], vec![0, 1, 2], vec![1, 0, 1]]);
}

#[test]
fn edge_and_inner_node_constraints_prune_paths() {
    let g = graph(4, &[(0, 1), (1, 3), (0, 2), (2, 3)]);
    let p = pattern(
        2,
        vec![edge(0, 1, EdgeDirection::Right, 2, 2)],
        Cycles::UniqueEdges,
    );
    assert_eq!(matches(&g, &p, &Allowed::default()).len(), 2);
    let no_edge_1 = Allowed {
        edges: vec![Some(vec![true, false, true, true])],
        ..Allowed::default()
    };
    assert_eq!(
        matches(&g, &p, &no_edge_1),
        vec![(vec![0, 3], vec![vec![2, 3]])]
    );
    let only_inner_1 = Allowed {
        inner: vec![only(&[1], 4)],
        ..Allowed::default()
    };
    assert_eq!(
        matches(&g, &p, &only_inner_1),
        vec![(vec![0, 3], vec![vec![0, 1]])]
    );
}

#[test]
fn matching_resumes_where_it_stopped() {
    let g = graph(5, &[(0, 1), (1, 2), (2, 3), (3, 4), (4, 0), (0, 2), (2, 4)]);
    let p = pattern(
        3,
        vec![
            edge(0, 1, EdgeDirection::Any, 1, 3),
            edge(1, 2, EdgeDirection::Right, 1, 2),
        ],
        Cycles::UniqueEdges,
    );
    let allowed = Allowed::default();
    let whole = matches_in_chunks(&g, &p, &allowed, usize::MAX);
    assert!(whole.len() > 50);
    assert_eq!(matches_in_chunks(&g, &p, &allowed, 1), whole);
    assert_eq!(matches_in_chunks(&g, &p, &allowed, 7), whole);
}

#[test]
fn the_check_stops_a_long_search() {
    // A clique with edges allowed to repeat: far more moves than one check's worth.
    let edges: Vec<(u32, u32)> = (0..6)
        .flat_map(|a| (0..6).filter(move |&b| b != a).map(move |b| (a, b)))
        .collect();
    let g = graph(6, &edges);
    let p = pattern(2, vec![edge(0, 1, EdgeDirection::Right, 1, 8)], Cycles::All);
    let allowed = Allowed::default();
    let mut calls = 0;
    let check: Check = Box::new(|bytes| {
        calls += 1;
        assert!(bytes < 1024);
        Err(DataFusionError::Execution("stopped".into()))
    });
    let mut matcher = Matcher::new(&g, &p, &allowed, check).unwrap();
    let mut rows = MatchRows::new(&p);
    let error = matcher.next_rows(&mut rows, usize::MAX).unwrap_err();
    assert!(error.to_string().contains("stopped"), "{error}");
    drop(matcher);
    assert_eq!(calls, 1);
}

#[test]
fn very_long_paths_need_no_deep_recursion() {
    let n = 200_000u32;
    let edges: Vec<(u32, u32)> = (0..n - 1).map(|i| (i, i + 1)).collect();
    let g = graph(n as usize, &edges);
    let p = pattern(
        2,
        vec![edge(0, 1, EdgeDirection::Right, 1, n)],
        Cycles::UniqueEdges,
    );
    let allowed = Allowed {
        nodes: vec![only(&[0], n as usize), only(&[n - 1], n as usize)],
        ..Allowed::default()
    };
    let found = matches(&g, &p, &allowed);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1[0].len(), n as usize - 1);
}

#[test]
fn patterns_in_pieces_are_refused() {
    let g = graph(2, &[(0, 1)]);
    let apart = pattern(
        4,
        vec![
            edge(0, 1, EdgeDirection::Right, 1, 1),
            edge(2, 3, EdgeDirection::Right, 1, 1),
        ],
        Cycles::UniqueEdges,
    );
    assert!(Matcher::new(&g, &apart, &Allowed::default(), Box::new(|_| Ok(()))).is_none());
    let backwards = pattern(2, vec![edge(0, 1, EdgeDirection::Right, 3, 1)], Cycles::All);
    assert!(Matcher::new(&g, &backwards, &Allowed::default(), Box::new(|_| Ok(()))).is_none());
    assert!(Topology::new(1, vec![0], vec![1]).is_none());
}

#[test]
fn shortest_matches_keep_the_least_length_per_pair() {
    // 0 reaches 3 in two edges two ways and in three edges one way.
    let g = graph(5, &[(0, 1), (1, 3), (0, 2), (2, 3), (0, 4), (4, 1)]);
    let p = pattern(
        2,
        vec![edge(0, 1, EdgeDirection::Right, 1, 3)],
        Cycles::UniqueEdges,
    );
    let allowed = Allowed {
        nodes: vec![only(&[0], 5), only(&[3], 5)],
        ..Allowed::default()
    };
    let mut rows = MatchRows::new(&p);
    let mut matcher = Matcher::new(&g, &p, &allowed, Box::new(|_| Ok(()))).unwrap();
    matcher.next_rows(&mut rows, 100).unwrap();
    assert_eq!(rows.len(), 3);
    for (all, expected) in [(false, 1), (true, 2)] {
        let mut shortest = ShortestMatches::new(&p, 0, 1, all);
        for row in 0..rows.len() {
            shortest.offer(&rows, row);
        }
        let kept = shortest.finish();
        assert_eq!(kept.len(), expected);
        assert!((0..kept.len()).all(|r| kept.edges(r, 0).len() == 2));
    }
}

/// A small deterministic generator (xorshift64*): the random cases are the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    fn direction(&mut self) -> EdgeDirection {
        [
            EdgeDirection::Right,
            EdgeDirection::Left,
            EdgeDirection::Any,
        ][self.below(3) as usize]
    }

    /// A mask keeping about three elements in four, or none at all, of `size` elements.
    fn mask(&mut self, size: usize, p: u64) -> Option<Vec<bool>> {
        self.percent(p)
            .then(|| (0..size).map(|_| self.percent(75)).collect())
    }
}

/// One match with every path's inner nodes: each node variable's node, each edge variable's
/// (edges, inner nodes).
type FullRow = (Vec<u32>, Vec<(Vec<u32>, Vec<u32>)>);

fn full_rows(rows: &MatchRows, pattern: &Pattern) -> Vec<FullRow> {
    (0..rows.len())
        .map(|row| {
            (
                (0..pattern.nodes).map(|v| rows.node(row, v)).collect(),
                (0..pattern.edges.len())
                    .map(|v| {
                        (
                            rows.edges(row, v).to_vec(),
                            rows.inner_nodes(row, v).to_vec(),
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

/// Every match, by the depth-first matcher.
fn every_match(topology: &Topology, pattern: &Pattern, allowed: &Allowed) -> MatchRows {
    let mut matcher = Matcher::new(topology, pattern, allowed, Box::new(|_| Ok(())))
        .expect("a connected pattern");
    let mut rows = MatchRows::new(pattern);
    matcher
        .next_rows(&mut rows, usize::MAX)
        .expect("no check fails");
    rows
}

/// The shortest matches as they were found before the breadth-first search: every match
/// listed, the shortest kept.
fn shortest_by_listing(
    topology: &Topology,
    pattern: &Pattern,
    allowed: &Allowed,
    last: usize,
    all: bool,
) -> Vec<FullRow> {
    let rows = every_match(topology, pattern, allowed);
    let mut keeper = ShortestMatches::new(pattern, 0, last, all);
    for row in 0..rows.len() {
        keeper.offer(&rows, row);
    }
    full_rows(&keeper.finish(), pattern)
}

/// The shortest matches by the breadth-first search, handed over `batch` at a time; `None`
/// when it cannot search the pattern exactly.
fn shortest_by_search(
    topology: &Topology,
    pattern: &Pattern,
    allowed: &Allowed,
    last: usize,
    all: bool,
    batch: usize,
) -> Option<Vec<FullRow>> {
    let mut search = ShortestSearch::new(
        topology,
        pattern,
        allowed,
        0,
        last,
        all,
        Box::new(|_| Ok(())),
    )?;
    let mut found = Vec::new();
    let mut rows = MatchRows::new(pattern);
    let mut flush = |rows: &MatchRows| -> Result<bool> {
        // A full batch, or the last rows.
        assert!(!rows.is_empty() && rows.len() <= batch);
        found.extend(full_rows(rows, pattern));
        Ok(true)
    };
    assert!(
        search
            .run(&mut rows, batch, &mut flush)
            .expect("no check fails")
    );
    Some(found)
}

fn length(row: &FullRow) -> usize {
    row.1.iter().map(|(edges, _)| edges.len()).sum()
}

/// The ends of each match and its length, sorted.
fn pairs(rows: &[FullRow], last: usize) -> Vec<(u32, u32, usize)> {
    let mut pairs: Vec<(u32, u32, usize)> = rows
        .iter()
        .map(|row| (row.0[0], row.0[last], length(row)))
        .collect();
    pairs.sort();
    pairs
}

#[test]
fn the_search_finds_what_listing_every_match_finds() {
    let mut rng = Rng(0x5EED_0F6A_4AB5);
    let (mut searched, mut chains, mut loops_back, mut trails) = (0, 0, 0, 0);
    for case in 0..3000 {
        let nodes = 1 + rng.below(7) as usize;
        let edge_count = rng.below(15) as usize;
        let ends: Vec<(u32, u32)> = (0..edge_count)
            .map(|_| {
                (
                    rng.below(nodes as u64) as u32,
                    rng.below(nodes as u64) as u32,
                )
            })
            .collect();
        let g = graph(nodes, &ends);
        let cycles = [Cycles::All, Cycles::None, Cycles::UniqueEdges][rng.below(3) as usize];
        // Mostly one variable length edge; else a chain with single (or fixed length) edges
        // around it, which only cycles=all searches.
        let segments = if rng.percent(65) {
            1
        } else {
            2 + rng.below(2) as usize
        };
        let free = rng.below(segments as u64) as usize;
        let fixed: Vec<u32> = (0..segments)
            .map(|at| match at == free {
                true => 0,
                false if rng.percent(20) => 2,
                false => 1,
            })
            .collect();
        // Matches of at most 5 edges: listing every walk is the slow part.
        let room = 5u32.saturating_sub(fixed.iter().sum());
        let least = (rng.below(3) as u32).min(room);
        let most = (least + rng.below(4) as u32).min(room);
        let edges: Vec<EdgeVar> = (0..segments)
            .map(|at| {
                let (min, max) = match at == free {
                    true => (least, most),
                    false => (fixed[at], fixed[at]),
                };
                edge(at, at + 1, rng.direction(), min, max)
            })
            .collect();
        let p = pattern(segments + 1, edges, cycles);
        let allowed = Allowed {
            nodes: (0..=segments).map(|_| rng.mask(nodes, 30)).collect(),
            edges: (0..segments).map(|_| rng.mask(edge_count, 25)).collect(),
            inner: (0..segments).map(|_| rng.mask(nodes, 25)).collect(),
        };
        let all = rng.percent(50);
        let batch = 1 + rng.below(4) as usize;
        let expected = shortest_by_listing(&g, &p, &allowed, segments, all);
        let Some(found) = shortest_by_search(&g, &p, &allowed, segments, all, batch) else {
            continue;
        };
        searched += 1;
        chains += usize::from(segments > 1);
        let closed = found
            .iter()
            .filter(|r| r.0[0] == r.0[segments] && length(r) > 0);
        let closed = closed.count();
        loops_back += usize::from(closed > 0);
        trails += usize::from(
            closed > 0
                && cycles == Cycles::UniqueEdges
                && p.edges[0].direction == EdgeDirection::Any,
        );
        let context = || format!("case {case}: {p:?} all={all} {allowed:?} over {ends:?}");
        if all {
            let (mut expected, mut found) = (expected, found);
            expected.sort();
            found.sort();
            assert_eq!(found, expected, "{}", context());
        } else {
            // One shortest match per pair, any of them: the same pairs and lengths, and each
            // row a match of the pattern.
            assert_eq!(
                pairs(&found, segments),
                pairs(&expected, segments),
                "{}",
                context()
            );
            let every: std::collections::HashSet<FullRow> =
                full_rows(&every_match(&g, &p, &allowed), &p)
                    .into_iter()
                    .collect();
            for row in &found {
                assert!(every.contains(row), "{row:?} is no match: {}", context());
            }
        }
    }
    // The cases are varied enough to try every part of the search.
    assert!(searched > 1500, "{searched}");
    assert!(chains > 150, "{chains}");
    assert!(loops_back > 100, "{loops_back}");
    assert!(trails > 20, "{trails}");
}

#[test]
fn patterns_the_search_cannot_answer_exactly_are_left_to_listing() {
    let g = graph(3, &[(0, 1), (1, 2)]);
    let none = Allowed::default();
    let check = || -> Check { Box::new(|_| Ok(())) };
    let one =
        |min, max, cycles| pattern(2, vec![edge(0, 1, EdgeDirection::Right, min, max)], cycles);
    // A least length of 2 or more without cycles=all: the least walk may repeat an edge.
    for cycles in [Cycles::None, Cycles::UniqueEdges] {
        let p = one(2, 4, cycles);
        assert!(ShortestSearch::new(&g, &p, &none, 0, 1, true, check()).is_none());
    }
    let p = one(2, 4, Cycles::All);
    assert!(ShortestSearch::new(&g, &p, &none, 0, 1, true, check()).is_some());
    // Two edges without cycles=all: the walk of one may take the other's edge.
    let two = |cycles| {
        pattern(
            3,
            vec![
                edge(0, 1, EdgeDirection::Right, 1, 1),
                edge(1, 2, EdgeDirection::Right, 1, 3),
            ],
            cycles,
        )
    };
    assert!(
        ShortestSearch::new(&g, &two(Cycles::UniqueEdges), &none, 0, 2, true, check()).is_none()
    );
    assert!(ShortestSearch::new(&g, &two(Cycles::All), &none, 0, 2, true, check()).is_some());
    // Two edges of varying length: a state's length within its edge is not known.
    let varying = pattern(
        3,
        vec![
            edge(0, 1, EdgeDirection::Right, 1, 2),
            edge(1, 2, EdgeDirection::Right, 1, 3),
        ],
        Cycles::All,
    );
    assert!(ShortestSearch::new(&g, &varying, &none, 0, 2, true, check()).is_none());
    // A node variable twice (a cycle in the pattern).
    let round = pattern(
        2,
        vec![
            edge(0, 1, EdgeDirection::Right, 1, 3),
            edge(1, 0, EdgeDirection::Right, 1, 1),
        ],
        Cycles::All,
    );
    assert!(ShortestSearch::new(&g, &round, &none, 0, 0, true, check()).is_none());
}

#[test]
fn the_search_stops_when_its_check_fails() {
    // A complete graph: a search far longer than one check's worth of moves.
    let edges: Vec<(u32, u32)> = (0..30)
        .flat_map(|a| (0..30).filter(move |&b| b != a).map(move |b| (a, b)))
        .collect();
    let g = graph(30, &edges);
    let p = pattern(
        2,
        vec![edge(0, 1, EdgeDirection::Right, 40, 41)],
        Cycles::All,
    );
    let none = Allowed::default();
    let mut calls = 0;
    let mut largest = 0;
    let check: Check = Box::new(|bytes| {
        calls += 1;
        largest = largest.max(bytes);
        if calls == 3 {
            return Err(DataFusionError::Execution("stopped".into()));
        }
        Ok(())
    });
    let mut search = ShortestSearch::new(&g, &p, &none, 0, 1, true, check).unwrap();
    let mut rows = MatchRows::new(&p);
    let error = search.run(&mut rows, 100, &mut |_| Ok(true)).unwrap_err();
    assert!(error.to_string().contains("stopped"), "{error}");
    drop(search);
    assert_eq!(calls, 3);
    // What it holds is told: the states first (30 nodes by 41 counts, and the ends).
    assert!(largest >= (30 * 41 + 30) * 8, "{largest}");
}

/// Each node's least distance from `source` along `adjacency`, `u32::MAX` when unreached.
fn distances(adjacency: &[Vec<u32>], source: u32) -> Vec<u32> {
    let mut distance = vec![u32::MAX; adjacency.len()];
    distance[source as usize] = 0;
    let mut queue = std::collections::VecDeque::from([source]);
    while let Some(node) = queue.pop_front() {
        for &next in &adjacency[node as usize] {
            if distance[next as usize] == u32::MAX {
                distance[next as usize] = distance[node as usize] + 1;
                queue.push_back(next);
            }
        }
    }
    distance
}

#[test]
fn a_large_graph_is_searched_to_its_least_lengths() {
    // 2,000 nodes and 20,000 random directed edges, paths of 1 to 20 edges: listing every
    // path would never end.
    let nodes = 2000usize;
    let mut rng = Rng(0x0B16_6A4F);
    let ends: Vec<(u32, u32)> = (0..20_000)
        .map(|_| (rng.below(2000) as u32, rng.below(2000) as u32))
        .collect();
    let g = graph(nodes, &ends);
    let mut forward = vec![Vec::new(); nodes];
    let mut backward = vec![Vec::new(); nodes];
    for &(a, b) in &ends {
        forward[a as usize].push(b);
        backward[b as usize].push(a);
    }
    // Each pair's least length, found apart: from a node to another its distance; back to
    // itself one more than the distance to a node with an edge to it.
    let least: Vec<Vec<u32>> = (0..nodes as u32)
        .map(|source| {
            let mut least = distances(&forward, source);
            least[source as usize] = backward[source as usize]
                .iter()
                .map(|&from| least[from as usize].saturating_add(1))
                .min()
                .unwrap_or(u32::MAX);
            least
                .iter()
                .map(|&d| if d <= 20 { d } else { u32::MAX })
                .collect()
        })
        .collect();
    let reachable: usize = least.iter().flatten().filter(|&&d| d != u32::MAX).count();
    let p = pattern(
        2,
        vec![edge(0, 1, EdgeDirection::Right, 1, 20)],
        Cycles::UniqueEdges,
    );
    let none = Allowed::default();
    let mut search = ShortestSearch::new(&g, &p, &none, 0, 1, false, Box::new(|_| Ok(()))).unwrap();
    let mut seen = vec![false; nodes * nodes];
    let mut count = 0usize;
    let mut flush = |rows: &MatchRows| -> Result<bool> {
        for row in 0..rows.len() {
            let (source, target) = (rows.node(row, 0), rows.node(row, 1));
            let path = rows.edges(row, 0);
            assert_eq!(path.len() as u32, least[source as usize][target as usize]);
            // The path walks its edges from the source to the target.
            let mut at = source;
            for &edge in path {
                assert_eq!(g.ends(edge).0, at);
                at = g.ends(edge).1;
            }
            assert_eq!(at, target);
            let pair = source as usize * nodes + target as usize;
            assert!(!seen[pair], "({source}, {target}) twice");
            seen[pair] = true;
            count += 1;
        }
        Ok(true)
    };
    let mut rows = MatchRows::new(&p);
    assert!(search.run(&mut rows, 4096, &mut flush).unwrap());
    assert_eq!(count, reachable);
}

#[test]
fn every_shortest_path_of_a_large_graph_is_given_once() {
    // output=all from 20 sources of a random graph of 2,000 nodes and 20,000 edges: as many
    // paths per pair as counted apart (the number of shortest paths, by distance order).
    let nodes = 2000usize;
    let mut rng = Rng(0xA11_5407_7E57);
    let ends: Vec<(u32, u32)> = (0..20_000)
        .map(|_| (rng.below(2000) as u32, rng.below(2000) as u32))
        .filter(|(a, b)| a != b)
        .collect();
    let g = graph(nodes, &ends);
    let mut forward = vec![Vec::new(); nodes];
    for &(a, b) in &ends {
        forward[a as usize].push(b);
    }
    let sources: Vec<u32> = (0..20).map(|i| i * 97).collect();
    let counts: Vec<(Vec<u32>, Vec<u64>)> = sources
        .iter()
        .map(|&source| {
            let distance = distances(&forward, source);
            let mut order: Vec<u32> = (0..nodes as u32)
                .filter(|&n| distance[n as usize] != u32::MAX)
                .collect();
            order.sort_by_key(|&n| distance[n as usize]);
            let mut paths = vec![0u64; nodes];
            paths[source as usize] = 1;
            for node in order {
                for &next in &forward[node as usize] {
                    if distance[next as usize] == distance[node as usize] + 1 {
                        paths[next as usize] += paths[node as usize];
                    }
                }
            }
            (distance, paths)
        })
        .collect();
    let p = pattern(
        2,
        vec![edge(0, 1, EdgeDirection::Right, 1, 20)],
        Cycles::UniqueEdges,
    );
    let allowed = Allowed {
        nodes: vec![only(&sources, nodes), None],
        ..Allowed::default()
    };
    let mut search =
        ShortestSearch::new(&g, &p, &allowed, 0, 1, true, Box::new(|_| Ok(()))).unwrap();
    let mut found: std::collections::HashMap<(u32, u32), Vec<Vec<u32>>> = Default::default();
    let mut flush = |rows: &MatchRows| -> Result<bool> {
        for row in 0..rows.len() {
            let key = (rows.node(row, 0), rows.node(row, 1));
            found
                .entry(key)
                .or_default()
                .push(rows.edges(row, 0).to_vec());
        }
        Ok(true)
    };
    let mut rows = MatchRows::new(&p);
    assert!(search.run(&mut rows, 1000, &mut flush).unwrap());
    let mut pairs = 0;
    for (at, &source) in sources.iter().enumerate() {
        let (distance, paths) = &counts[at];
        for target in 0..nodes as u32 {
            let Some(list) = found.get_mut(&(source, target)) else {
                // Only the source itself (no cycle back) and nodes out of reach have none.
                assert!(target == source || distance[target as usize] > 20);
                continue;
            };
            if target == source {
                continue;
            }
            pairs += 1;
            let length = distance[target as usize] as usize;
            assert!(list.iter().all(|path| path.len() == length));
            let before = list.len();
            list.sort();
            list.dedup();
            assert_eq!(list.len(), before, "a path twice");
            assert_eq!(list.len() as u64, paths[target as usize]);
        }
    }
    assert!(pairs > 20 * 1900, "{pairs}");
}

#[test]
fn closed_trails_of_a_large_undirected_graph_take_no_edge_twice() {
    // Undirected, unique edges: a walk back to its start may not return over the edge it
    // left by, so the least one is a cycle; other pairs are at their undirected distance.
    let nodes = 2000usize;
    let mut rng = Rng(0x0007_EA15);
    let ends: Vec<(u32, u32)> = (0..6000)
        .map(|_| (rng.below(2000) as u32, rng.below(2000) as u32))
        .filter(|(a, b)| a != b)
        .collect();
    let g = graph(nodes, &ends);
    let mut both = vec![Vec::new(); nodes];
    for &(a, b) in &ends {
        both[a as usize].push(b);
        both[b as usize].push(a);
    }
    let sources: Vec<u32> = (0..40).map(|i| i * 41).collect();
    let p = pattern(
        2,
        vec![edge(0, 1, EdgeDirection::Any, 1, 20)],
        Cycles::UniqueEdges,
    );
    let allowed = Allowed {
        nodes: vec![only(&sources, nodes), None],
        ..Allowed::default()
    };
    let mut search =
        ShortestSearch::new(&g, &p, &allowed, 0, 1, false, Box::new(|_| Ok(()))).unwrap();
    let distance: Vec<Vec<u32>> = sources.iter().map(|&s| distances(&both, s)).collect();
    let (mut cycles, mut others) = (0, 0);
    let mut flush = |rows: &MatchRows| -> Result<bool> {
        for row in 0..rows.len() {
            let (source, target) = (rows.node(row, 0), rows.node(row, 1));
            let path = rows.edges(row, 0);
            let mut at = source;
            for &edge in path {
                let (a, b) = g.ends(edge);
                assert!(a == at || b == at);
                at = if a == at { b } else { a };
            }
            assert_eq!(at, target);
            let mut distinct = path.to_vec();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), path.len(), "an edge twice: {path:?}");
            let index = sources.iter().position(|&s| s == source).unwrap();
            if source == target {
                // No self-loops here: a closed trail has two distinct edges or more.
                assert!(path.len() >= 2);
                cycles += 1;
            } else {
                assert_eq!(path.len() as u32, distance[index][target as usize]);
                others += 1;
            }
        }
        Ok(true)
    };
    let mut rows = MatchRows::new(&p);
    assert!(search.run(&mut rows, 1000, &mut flush).unwrap());
    assert!(cycles > 30, "{cycles}");
    assert!(others > 40 * 1500, "{others}");
}
