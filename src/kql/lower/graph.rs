//! The typed reading of the graph operators (graph-operators.md): `make-graph`, `graph-match`,
//! `graph-shortest-paths`, `graph-to-table` and `graph-mark-components`, and the patterns of the
//! matching operators. The tree (`syntax::graph`) decides the shape; this step gives each part
//! its meaning and reports what only a typed reading sees (an edge that points both ways, a
//! `graph-to-table` parameter of the other part).

use super::*;

impl Lower {
    /// `make-graph Source --> Target …`; `None` when the tree has an error there (reported).
    pub(super) fn make_graph(&mut self, node: &SyntaxNode) -> Option<MakeGraph> {
        // The two id columns are the names directly under the operator (clauses and
        // parameters are nodes of their own).
        let mut names = node
            .children_with_tokens()
            .filter(|e| !e.kind().is_trivia() && e.kind() != OPERATOR_NAME)
            .filter_map(|e| name_of(&e));
        let source = names.next()?;
        let target = names.next()?;
        let mut node_id = None;
        for (name, value) in parameters(node) {
            if name == "with_node_id" {
                node_id = Some(value_ident(&value));
            }
        }
        let nodes = match clause(node, "with") {
            Some(with) => self.node_tables(&with)?,
            None => Vec::new(),
        };
        let partitioned_by = match clause(node, "partitioned") {
            Some(partition) => Some(self.partitioned_by(&partition)?),
            None => None,
        };
        Some(MakeGraph {
            source,
            target,
            nodes,
            node_id,
            partitioned_by,
        })
    }

    /// `Nodes on Id, …` of `with`: each table with the id column of its `on` clause.
    fn node_tables(&mut self, with: &SyntaxNode) -> Option<Vec<(Pipeline, Ident)>> {
        let mut tables = Vec::new();
        let mut pending: Option<Pipeline> = None;
        for child in with.children() {
            if child.kind() == CLAUSE {
                let id = child
                    .children_with_tokens()
                    .filter(|e| !e.kind().is_trivia())
                    .nth(1)
                    .and_then(|e| name_of(&e))?;
                tables.push((pending.take()?, id));
            } else if is_expression(child.kind()) {
                pending = Some(self.pipeline(&child, false));
            }
        }
        (!tables.is_empty() && pending.is_none()).then_some(tables)
    }

    /// `partitioned-by Column (Operators)`.
    fn partitioned_by(&mut self, clause: &SyntaxNode) -> Option<(Ident, Vec<Operator>)> {
        // The clause's tokens: `partitioned`, `-`, `by`, then the column.
        let column = clause
            .children_with_tokens()
            .filter(|e| !e.kind().is_trivia())
            .nth(3)
            .and_then(|e| name_of(&e))?;
        let subquery = clause.children().find(|c| c.kind() == SUBQUERY)?;
        let operators = subquery
            .children()
            .filter(|c| c.kind() == OPERATOR)
            .map(|op| self.operator(&op))
            .collect();
        Some((column, operators))
    }

    /// `graph-match` or (`shortest`) `graph-shortest-paths`; `None` when the tree has an error
    /// there, or the pattern has one this step reports.
    pub(super) fn graph_match(&mut self, node: &SyntaxNode, shortest: bool) -> Option<GraphMatch> {
        let mut cycles = None;
        let mut output = None;
        for (name, value) in parameters(node) {
            match name.as_str() {
                "cycles" => cycles = Some(value_ident(&value)),
                "output" => output = Some(value_ident(&value)),
                _ => {}
            }
        }
        let pattern = node.children().find(|c| c.kind() == GRAPH_PATTERN)?;
        let pattern = self.pattern(&pattern)?;
        let filter = clause(node, "where")
            .and_then(|c| first_expression(&c))
            .map(|e| self.expr(&e));
        let project = clause(node, "project")?
            .children()
            .filter(|c| c.kind() == NAMED_EXPR)
            .map(|c| self.named_expr(&c))
            .collect::<Vec<_>>();
        if project.is_empty() {
            return None;
        }
        Some(GraphMatch {
            shortest,
            cycles,
            output,
            pattern,
            filter,
            project,
        })
    }

    /// The sequences of a pattern: nodes and edges alternating, commas between sequences.
    fn pattern(&mut self, pattern: &SyntaxNode) -> Option<Vec<PatternSequence>> {
        let mut sequences = Vec::new();
        let mut current = PatternSequence {
            nodes: Vec::new(),
            edges: Vec::new(),
        };
        for element in pattern
            .children_with_tokens()
            .filter(|e| !e.kind().is_trivia())
        {
            match element {
                rowan::NodeOrToken::Node(n) if n.kind() == GRAPH_NODE => {
                    if current.nodes.len() != current.edges.len() {
                        return None;
                    }
                    current.nodes.push(PatternNode {
                        name: tokens(&n).find(|t| t.kind() == IDENT).map(|t| Ident {
                            name: t.text().to_string(),
                            span: token_span(&t),
                        }),
                        span: span_of(&n),
                    });
                }
                rowan::NodeOrToken::Node(n) if n.kind() == GRAPH_EDGE => {
                    if current.nodes.len() != current.edges.len() + 1 {
                        return None;
                    }
                    current.edges.push(self.pattern_edge(&n)?);
                }
                rowan::NodeOrToken::Token(t) if t.kind() == COMMA => {
                    sequences.push(std::mem::replace(
                        &mut current,
                        PatternSequence {
                            nodes: Vec::new(),
                            edges: Vec::new(),
                        },
                    ));
                }
                _ => return None,
            }
        }
        sequences.push(current);
        // Every sequence starts and ends with a node (the tree reported any that does not).
        sequences
            .iter()
            .all(|s| !s.nodes.is_empty() && s.nodes.len() == s.edges.len() + 1)
            .then_some(sequences)
    }

    /// One edge: its name, direction and length bounds.
    fn pattern_edge(&mut self, edge: &SyntaxNode) -> Option<PatternEdge> {
        let span = span_of(edge);
        let kinds: Vec<SyntaxKind> = tokens(edge).map(|t| t.kind()).collect();
        let left = kinds.first() == Some(&LT);
        let right = kinds.last() == Some(&GT);
        let direction = match (left, right) {
            (true, true) => {
                self.error(
                    span,
                    "an edge points one way: <-[e]- or -[e]->, or -[e]- for either way",
                );
                return None;
            }
            (true, false) => EdgeDirection::Left,
            (false, true) => EdgeDirection::Right,
            (false, false) => EdgeDirection::Any,
        };
        let name = tokens(edge).find(|t| t.kind() == IDENT).map(|t| Ident {
            name: t.text().to_string(),
            span: token_span(&t),
        });
        let length = if kinds.contains(&STAR) {
            let bounds: Vec<Expr> = edge
                .children()
                .filter(|c| is_expression(c.kind()))
                .map(|c| self.expr(&c))
                .collect();
            match <[Expr; 2]>::try_from(bounds) {
                Ok([least, most]) => Some((least, most)),
                Err(_) => return None,
            }
        } else {
            None
        };
        Some(PatternEdge {
            name,
            direction,
            length,
            span,
        })
    }

    /// `graph-to-table nodes … [, edges …]`; `None` when the tree has an error there or a
    /// part has a parameter of the other part (reported).
    pub(super) fn graph_to_table(&mut self, node: &SyntaxNode) -> Option<Vec<GraphTablePart>> {
        let mut parts = Vec::new();
        for part in node.children().filter(|c| c.kind() == CLAUSE) {
            let edges = tokens(&part).next()?.text() == "edges";
            let alias = clause(&part, "as").and_then(|c| {
                c.children_with_tokens()
                    .filter(|e| !e.kind().is_trivia())
                    .nth(1)
                    .and_then(|e| name_of(&e))
            });
            let allowed: &[&str] = if edges {
                &["with_source_id", "with_target_id"]
            } else {
                &["with_node_id"]
            };
            let mut ids = Vec::new();
            for param in part.children().filter(|c| c.kind() == OPERATOR_PARAM) {
                let name = tokens(&param).next()?;
                let value = first_expression(&param)
                    .or_else(|| param.children().find(|c| c.kind() == BRACKET_NAME))?;
                if !allowed.contains(&name.text()) {
                    self.error(
                        token_span(&name),
                        format!(
                            "graph-to-table {} takes {}, not '{}'",
                            if edges { "edges" } else { "nodes" },
                            allowed.join(" and "),
                            name.text().escape_debug()
                        ),
                    );
                    return None;
                }
                ids.push((
                    Ident {
                        name: name.text().to_string(),
                        span: token_span(&name),
                    },
                    value_ident(&value),
                ));
            }
            parts.push(GraphTablePart {
                edges,
                alias,
                ids,
                span: span_of(&part),
            });
        }
        (!parts.is_empty()).then_some(parts)
    }

    /// `graph-mark-components [kind = …] [with_component_id = …]`.
    pub(super) fn mark_components(&mut self, node: &SyntaxNode) -> OperatorKind {
        let mut kind = None;
        let mut component_id = None;
        for (name, value) in parameters(node) {
            match name.as_str() {
                "kind" => kind = Some(value_ident(&value)),
                "with_component_id" => component_id = Some(value_ident(&value)),
                _ => {}
            }
        }
        OperatorKind::GraphMarkComponents { kind, component_id }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use crate::kql::ast::*;

    fn operators(source: &str) -> Vec<OperatorKind> {
        let (query, diagnostics) = parse(source);
        assert!(diagnostics.is_empty(), "{source}: {diagnostics:?}");
        query
            .body
            .map(|b| b.operators.into_iter().map(|o| o.kind).collect())
            .unwrap_or_default()
    }

    #[test]
    fn make_graph_reads_its_columns_node_tables_and_partition() {
        let ops = operators(
            "E | make-graph src --> ['dst'] with N on id, (M | take 1) on name partitioned-by t (graph-to-table nodes)",
        );
        let OperatorKind::MakeGraph(make) = &ops[0] else {
            panic!("{ops:?}")
        };
        assert_eq!(
            (make.source.name.as_str(), make.target.name.as_str()),
            ("src", "dst")
        );
        let ids: Vec<&str> = make.nodes.iter().map(|(_, id)| id.name.as_str()).collect();
        assert_eq!(ids, ["id", "name"]);
        assert!(matches!(&make.nodes[1].0.source, Source::Nested(_)));
        let (column, inner) = make.partitioned_by.as_ref().unwrap();
        assert_eq!(column.name, "t");
        assert!(matches!(&inner[0].kind, OperatorKind::GraphToTable(parts) if !parts[0].edges));
        let ops =
            operators("E | make-graph a --> b with_node_id=n | graph-mark-components kind=strong");
        let OperatorKind::MakeGraph(make) = &ops[0] else {
            panic!("{ops:?}")
        };
        assert_eq!(make.node_id.as_ref().map(|n| n.name.as_str()), Some("n"));
        assert!(matches!(
            &ops[1],
            OperatorKind::GraphMarkComponents { kind: Some(k), component_id: None } if k.name == "strong"
        ));
    }

    #[test]
    fn patterns_read_nodes_edges_directions_and_lengths() {
        let ops = operators(
            "E | make-graph a --> b | graph-match cycles=all (x)<-[e*1..n]-()--(y), (y)-->(z) where x.p == 1 project x.p, z.q",
        );
        let OperatorKind::GraphMatch(matching) = &ops[1] else {
            panic!("{ops:?}")
        };
        assert!(!matching.shortest);
        assert_eq!(
            matching.cycles.as_ref().map(|c| c.name.as_str()),
            Some("all")
        );
        assert_eq!(matching.pattern.len(), 2);
        let first = &matching.pattern[0];
        let names: Vec<Option<&str>> = first
            .nodes
            .iter()
            .map(|n| n.name.as_ref().map(|i| i.name.as_str()))
            .collect();
        assert_eq!(names, [Some("x"), None, Some("y")]);
        assert_eq!(first.edges[0].direction, EdgeDirection::Left);
        assert_eq!(
            first.edges[0].name.as_ref().map(|n| n.name.as_str()),
            Some("e")
        );
        let (least, most) = first.edges[0].length.as_ref().unwrap();
        assert_eq!(least.kind, ExprKind::Literal(Literal::Long(1)));
        assert_eq!(most.kind, ExprKind::Column("n".into()));
        assert_eq!(first.edges[1].direction, EdgeDirection::Any);
        assert!(first.edges[1].length.is_none() && first.edges[1].name.is_none());
        assert_eq!(matching.pattern[1].edges[0].direction, EdgeDirection::Right);
        assert!(matching.filter.is_some());
        assert_eq!(matching.project.len(), 2);
        let ops = operators(
            "E | make-graph a --> b | graph-shortest-paths output=all (s)-[p*1..3]->(t) project t.n",
        );
        assert!(matches!(&ops[1], OperatorKind::GraphMatch(m) if m.shortest && m.output.is_some()));
    }

    #[test]
    fn graph_errors_point_at_the_problem() {
        let source = "E | make-graph a --> b | graph-match (x)<-[e]->(y) project x.p";
        let (_, diagnostics) = parse(source);
        assert_eq!(
            diagnostics[0].render(source),
            "1:41: an edge points one way: <-[e]- or -[e]->, or -[e]- for either way"
        );
        let source = "E | make-graph a --> b | graph-to-table edges with_node_id=n";
        let (_, diagnostics) = parse(source);
        assert_eq!(
            diagnostics[0].render(source),
            "1:47: graph-to-table edges takes with_source_id and with_target_id, not 'with_node_id'"
        );
    }
}
