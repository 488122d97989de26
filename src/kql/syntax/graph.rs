//! The graph operators (graph-operators.md): `make-graph` (make-graph-operator.md),
//! `graph-match` (graph-match-operator.md), `graph-shortest-paths`
//! (graph-shortest-paths-operator.md) and `graph-to-table` (graph-to-table-operator.md), with
//! their graph patterns: `(a)-[e*1..3]->(b)<--(c), (b)--(d)`. `graph-mark-components` has only
//! parameters (`kind=`, `with_component_id=`), read as every operator's are.

use super::SyntaxKind::*;
use super::parser::Parser;

impl Parser<'_> {
    /// `make-graph Source --> Target [with_node_id = Name | with Nodes on Id [, Nodes on Id]]
    /// [partitioned-by Column (GraphOperators)]`.
    pub(super) fn make_graph(&mut self) {
        if !self.name("the edges' source node id column after 'make-graph'") {
            return;
        }
        if !self.adjacent(&[MINUS, MINUS, GT]) {
            self.expected("'-->' between the source and target node id columns");
            return;
        }
        for _ in 0..3 {
            self.bump();
        }
        if !self.name("the edges' target node id column after '-->'") {
            return;
        }
        if self.at_word("with_node_id") && self.nth(1) == Some(ASSIGN) {
            self.start(OPERATOR_PARAM);
            self.bump();
            self.bump();
            self.parameter_value();
            self.finish();
        } else if self.clause_start("with") {
            self.node_tables();
            self.finish();
        }
        if self.at_word("partitioned") && self.adjacent(&[IDENT, MINUS, IDENT]) {
            if self.nth_word(2) != Some("by") {
                return;
            }
            self.start(CLAUSE);
            for _ in 0..3 {
                self.bump();
            }
            self.name("the partition column after 'partitioned-by'");
            self.subquery();
            self.finish();
        }
    }

    /// `Nodes on Id [, Nodes on Id]` after `with`: each table an expression (a name or a
    /// parenthesised subquery), each id column in an `on` clause.
    fn node_tables(&mut self) {
        loop {
            if self.at_operator_end() {
                self.expected("the nodes' table after 'with'");
                return;
            }
            self.expr();
            if self.clause_start("on") {
                self.name("the nodes' id column after 'on'");
                self.finish();
            } else {
                self.expected("'on' and the nodes' id column");
                return;
            }
            if !self.eat(COMMA) {
                return;
            }
        }
    }

    /// Whether the next tokens are `kinds`, written without white space between them.
    fn adjacent(&self, kinds: &[super::SyntaxKind]) -> bool {
        kinds
            .iter()
            .enumerate()
            .all(|(n, kind)| self.nth(n) == Some(*kind) && (n == 0 || !self.spaced(n)))
    }

    /// `graph-match [cycles = …] Pattern [where Predicate] project Items` and
    /// `graph-shortest-paths [output = …] [cycles = …] Pattern [where Predicate] project Items`.
    pub(super) fn graph_match(&mut self, operator: &str) {
        self.graph_pattern();
        if self.clause_start("where") {
            self.expr();
            self.finish();
        }
        if self.clause_start("project") {
            self.named_list_required(&[], "the columns of 'project'");
            self.finish();
        } else {
            self.expected(&format!(
                "'where' or 'project' after the pattern of '{operator}'"
            ));
        }
    }

    /// Sequences of nodes joined by edges, separated by commas.
    fn graph_pattern(&mut self) {
        self.start(GRAPH_PATTERN);
        'sequences: loop {
            if !self.graph_node() {
                break;
            }
            while self.at(MINUS) || (self.at(LT) && self.nth(1) == Some(MINUS)) {
                self.graph_edge();
                if !self.graph_node() {
                    break 'sequences;
                }
            }
            if !self.eat(COMMA) {
                break;
            }
        }
        self.finish();
    }

    /// `(name)` or `()`; false (reported) when it is not there or not closed.
    fn graph_node(&mut self) -> bool {
        if !self.at(L_PAREN) {
            self.expected("'(' and a node of the pattern, such as (n) or ()");
            return false;
        }
        self.start(GRAPH_NODE);
        self.bump();
        if self.at(IDENT) {
            self.bump();
        }
        let closed = self.expect(R_PAREN, "')' to close the node: a node is (name) or ()");
        self.finish();
        closed
    }

    /// `-[e]->`, `<-[e]-`, `-[e]-`, `-[e*1..3]->`, `-->`, `<--`, `--`.
    fn graph_edge(&mut self) {
        self.start(GRAPH_EDGE);
        self.eat(LT);
        self.expect(MINUS, "'-' after '<'");
        if self.eat(L_BRACKET) {
            if self.at(IDENT) {
                self.bump();
            }
            if self.eat(STAR) {
                self.edge_bound();
                if self.expect(DOT_DOT, "'..' between the least and the most edges (*1..3)") {
                    self.edge_bound();
                }
            }
            if self.expect(R_BRACKET, "']' to close the edge") {
                self.expect(MINUS, "'-' after ']'");
            }
        } else {
            self.expect(MINUS, "an edge: -->, <--, --, -[e]->, <-[e]- or -[e]-");
        }
        self.eat(GT);
        self.finish();
    }

    /// The least or most number of edges of a variable length edge: a whole number, or a name
    /// bound by `let`.
    fn edge_bound(&mut self) {
        match self.nth(0) {
            Some(INT) => {
                self.start(LITERAL);
                self.bump();
                self.finish();
            }
            Some(IDENT) => {
                self.start(NAME_REF);
                self.bump();
                self.finish();
            }
            _ => self.expected("a whole number of edges"),
        }
    }

    /// `nodes [as N] [with_node_id = C]`, `edges [as E] [with_source_id = C] [with_target_id =
    /// C]`, or both separated by a comma; each part a clause that starts with its word.
    pub(super) fn graph_to_table(&mut self) {
        loop {
            if !(self.at_word("nodes") || self.at_word("edges")) {
                self.expected("'nodes' or 'edges' after 'graph-to-table'");
                return;
            }
            self.start(CLAUSE);
            self.bump();
            loop {
                if self.at_word("as") {
                    self.start(CLAUSE);
                    self.bump();
                    self.name("a name after 'as'");
                    self.finish();
                } else if self.at(IDENT)
                    && self.nth(1) == Some(ASSIGN)
                    && self.nth_text(0).starts_with("with_")
                {
                    self.start(OPERATOR_PARAM);
                    self.bump();
                    self.bump();
                    self.parameter_value();
                    self.finish();
                } else {
                    break;
                }
            }
            self.finish();
            if !(self.at(COMMA) && matches!(self.nth_word(1), Some("nodes" | "edges"))) {
                return;
            }
            self.bump();
        }
    }
}
