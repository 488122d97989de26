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
