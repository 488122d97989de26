//! KQL graph semantics in the local engine (graph-semantics-overview.md, graph-operators.md) —
//! not Microsoft Graph, which is `crate::graph`.
//!
//! `make-graph` and the graph operators after it are planned as one table source
//! ([`GraphSource`]): the planner (`engine::planner::graph`) decides a [`GraphProgram`] — how
//! the graph is built from its input tables, the steps that change it (`graph-mark-components`)
//! and the table it ends in (`graph-match`, `graph-shortest-paths`, `graph-to-table`) — with
//! every KQL expression planned as a DataFusion expression over a schema named here. At run time
//! the inputs are read into memory (their size reserved in the query's memory pool), the graph
//! is built (`build`), changed (`components`), and read: nodes and edges as tables (`tables`),
//! or the pattern's matches (`matcher`, bounded, resumable, cancellable) turned into rows whose
//! constraints and projections DataFusion evaluates (`rows`).

mod build;
mod components;
mod exec;
mod matcher;
mod rows;
mod tables;

use datafusion::common::Result;

pub use exec::{Budget, GraphSource};
pub use matcher::{Cycles, EdgeVar, Pattern};

use crate::results::KqlType;

/// Column names and KQL types, in order.
pub type Columns = Vec<(String, KqlType)>;

/// The column of a node's in-degree in the schema node expressions are planned over (a name no
/// query can write: `node_degree_in()` reads it).
pub const DEGREE_IN: &str = "$node_degree_in";
/// The column of a node's out-degree, as [`DEGREE_IN`].
pub const DEGREE_OUT: &str = "$node_degree_out";

/// How the graph is built. Input 0 is the edges, inputs 1.. the node tables in order.
#[derive(Debug, Clone)]
pub struct GraphSpec {
    /// The edges' columns: every one is a property of the edges.
    pub edge_columns: Columns,
    /// The source and target node id columns (indices in `edge_columns`).
    pub source: usize,
    /// See `source`.
    pub target: usize,
    /// The tables of node properties, inputs 1.. in order.
    pub node_tables: Vec<NodeTable>,
    /// The nodes' properties once built, in order.
    pub node_properties: Vec<NodeProperty>,
}

/// A table of node properties (`with Nodes on Id`).
#[derive(Debug, Clone)]
pub struct NodeTable {
    pub columns: Columns,
    /// The id column (an index in `columns`).
    pub id: usize,
}

/// One node property and where its values come from.
#[derive(Debug, Clone)]
pub struct NodeProperty {
    pub name: String,
    pub ty: KqlType,
    pub source: PropertySource,
}

/// Where a node property's values come from.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertySource {
    /// The node's id: `with_node_id`, or the id column of a node table (which the
    /// documentation's nodes without a row show filled: graph-to-table-operator.md, "Get
    /// nodes").
    Id,
    /// A column of the node tables (`Some(column)` for each table that has it): the value of
    /// the first table, in order, with a row for the node; null when none has.
    Tables(Vec<Option<usize>>),
}

/// A step that changes the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphStep {
    /// `graph-mark-components`: a `long` node property `name`, the node's component (weakly
    /// or `strong`ly connected), numbered from 0 in the order of the components' first nodes.
    MarkComponents { strong: bool, name: String },
}

/// The table a program ends in. `E` is an expression: a DataFusion `Expr` when planned, a
/// physical expression when compiled.
#[derive(Debug, Clone)]
pub enum GraphOutput<E> {
    /// `graph-to-table nodes [with_node_id = Name]`: the id's hash column first when named,
    /// then the node properties.
    Nodes { node_id: bool },
    /// `graph-to-table edges [with_source_id = …] [with_target_id = …]`: the hash columns, as
    /// written (`true` for the source's), then the edge properties.
    Edges { ids: Vec<bool> },
    /// `graph-match` / `graph-shortest-paths`.
    Match(Box<MatchSpec<E>>),
}

/// A `partitioned-by` column: its index in the edges and in each node table.
#[derive(Debug, Clone)]
pub struct PartitionSpec {
    pub edges: usize,
    pub node_tables: Vec<usize>,
}

/// Everything a graph source does.
#[derive(Debug, Clone)]
pub struct GraphProgram<E> {
    pub graph: GraphSpec,
    pub steps: Vec<GraphStep>,
    pub output: GraphOutput<E>,
    pub partition: Option<PartitionSpec>,
    /// The output's columns.
    pub columns: Columns,
}

/// Which schema an expression of a program is planned over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One node: its properties (after the program's steps), then [`DEGREE_IN`] and
    /// [`DEGREE_OUT`].
    Node,
    /// One edge: its properties.
    Edge,
    /// One match: [`MatchSpec::columns`].
    Match,
}

/// `graph-match` or `graph-shortest-paths`: the pattern, the constraints the matcher applies
/// to single elements, and what is evaluated on each match.
#[derive(Debug, Clone)]
pub struct MatchSpec<E> {
    pub pattern: Pattern,
    /// `graph-shortest-paths`.
    pub shortest: Option<Shortest>,
    /// Per node variable: the constraints on its node alone ([`Scope::Node`]).
    pub node_filters: Vec<Option<E>>,
    /// Per edge variable: the constraints every edge it matches must meet (a single edge's
    /// own constraints, or `all(e, …)` of a variable length edge) ([`Scope::Edge`]).
    pub edge_filters: Vec<Option<E>>,
    /// Per edge variable: `all(inner_nodes(e), …)` ([`Scope::Node`]).
    pub inner_filters: Vec<Option<E>>,
    /// The values of each match the rest reads.
    pub columns: Vec<MatchColumn<E>>,
    /// The constraints that read several variables ([`Scope::Match`]).
    pub residual: Option<E>,
    /// The projected columns ([`Scope::Match`]), one per output column.
    pub project: Vec<E>,
}

/// `graph-shortest-paths`: which node variables a path runs between, and `output=all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortest {
    pub first: usize,
    pub last: usize,
    pub all: bool,
}

/// One value of a match, a column of [`Scope::Match`].
#[derive(Debug, Clone)]
pub struct MatchColumn<E> {
    pub name: String,
    pub ty: KqlType,
    pub value: MatchValue<E>,
}

/// What a match column holds.
#[derive(Debug, Clone)]
pub enum MatchValue<E> {
    /// `n.p` of a node variable.
    NodeProperty { var: usize, property: usize },
    /// `node_degree_in(n)` (or out).
    NodeDegree { var: usize, incoming: bool },
    /// `e.p` of a single edge.
    EdgeProperty { var: usize, property: usize },
    /// `all(e, body)`, `any(…)`, `map(…)` over a variable length edge's edges or inner nodes:
    /// `body` is planned over [`Scope::Edge`] or (`inner_nodes`) [`Scope::Node`] and has the
    /// type `body_type`.
    Fold {
        var: usize,
        inner_nodes: bool,
        fold: Fold,
        body: E,
        body_type: KqlType,
    },
    /// A variable length edge itself: a dynamic array of its edges, each a bag of the edge's
    /// properties.
    Path { var: usize },
}

/// The graph functions over a variable length edge (all-graph-function.md,
/// any-graph-function.md, map-graph-function.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// True when the body is true for every element (and for none at all).
    All,
    /// True when the body is true for at least one element.
    Any,
    /// A dynamic array of the body's values, one per element.
    Map,
}

impl<E> MatchSpec<E> {
    /// The same spec with each expression changed by `f`, which is told its scope.
    pub fn try_map<T>(&self, f: &mut impl FnMut(&E, Scope) -> Result<T>) -> Result<MatchSpec<T>> {
        let mut each = |list: &[Option<E>], scope| -> Result<Vec<Option<T>>> {
            list.iter()
                .map(|e| e.as_ref().map(|e| f(e, scope)).transpose())
                .collect()
        };
        let node_filters = each(&self.node_filters, Scope::Node)?;
        let edge_filters = each(&self.edge_filters, Scope::Edge)?;
        let inner_filters = each(&self.inner_filters, Scope::Node)?;
        let mut columns = Vec::with_capacity(self.columns.len());
        for column in &self.columns {
            let value = match &column.value {
                MatchValue::NodeProperty { var, property } => MatchValue::NodeProperty {
                    var: *var,
                    property: *property,
                },
                MatchValue::NodeDegree { var, incoming } => MatchValue::NodeDegree {
                    var: *var,
                    incoming: *incoming,
                },
                MatchValue::EdgeProperty { var, property } => MatchValue::EdgeProperty {
                    var: *var,
                    property: *property,
                },
                MatchValue::Fold {
                    var,
                    inner_nodes,
                    fold,
                    body,
                    body_type,
                } => MatchValue::Fold {
                    var: *var,
                    inner_nodes: *inner_nodes,
                    fold: *fold,
                    body: f(
                        body,
                        if *inner_nodes {
                            Scope::Node
                        } else {
                            Scope::Edge
                        },
                    )?,
                    body_type: *body_type,
                },
                MatchValue::Path { var } => MatchValue::Path { var: *var },
            };
            columns.push(MatchColumn {
                name: column.name.clone(),
                ty: column.ty,
                value,
            });
        }
        let residual = self
            .residual
            .as_ref()
            .map(|e| f(e, Scope::Match))
            .transpose()?;
        let project = self
            .project
            .iter()
            .map(|e| f(e, Scope::Match))
            .collect::<Result<Vec<_>>>()?;
        Ok(MatchSpec {
            pattern: self.pattern.clone(),
            shortest: self.shortest,
            node_filters,
            edge_filters,
            inner_filters,
            columns,
            residual,
            project,
        })
    }
}

impl<E> GraphProgram<E> {
    /// The nodes' properties after the steps: the built ones, then each step's.
    pub fn node_columns(&self) -> Columns {
        let mut columns: Columns = self
            .graph
            .node_properties
            .iter()
            .map(|p| (p.name.clone(), p.ty))
            .collect();
        for step in &self.steps {
            match step {
                GraphStep::MarkComponents { name, .. } => {
                    columns.push((name.clone(), KqlType::Long))
                }
            }
        }
        columns
    }
}
