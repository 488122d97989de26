//! `make-graph` and the graph operators after it (graph-operators.md): planned together as one
//! table source (`engine::graph::GraphSource`). `make-graph` must be followed by graph
//! operators — any number of `graph-mark-components`, then one that makes a table
//! (`graph-match`, `graph-shortest-paths`, `graph-to-table`) — and those need a graph before
//! them. This file plans the graph (make-graph-operator.md), its steps
//! (graph-mark-components-operator.md) and `graph-to-table` (graph-to-table-operator.md);
//! `graph_match` plans the matching operators.

use std::sync::Arc;

use datafusion::common::TableReference;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};

use super::{Columns, Frame, Planner};
use crate::backend::QueryError;
use crate::engine::graph::{
    GraphOutput, GraphProgram, GraphSource, GraphSpec, GraphStep, NodeProperty, NodeTable,
    PartitionSpec, PropertySource,
};
use crate::kql::Span;
use crate::kql::ast::{GraphTablePart, Ident, MakeGraph, Operator, OperatorKind};
use crate::results::KqlType;

/// The graph operators, for messages.
const GRAPH_OPERATORS: &str =
    "graph-match, graph-shortest-paths, graph-to-table or graph-mark-components";

/// The graph built so far: its spec, the plans of its inputs, its steps.
struct Built {
    spec: GraphSpec,
    inputs: Vec<LogicalPlan>,
    steps: Vec<GraphStep>,
    partition: Option<PartitionSpec>,
}

impl Built {
    /// The nodes' properties after the steps so far.
    fn node_columns(&self) -> Columns {
        let program = GraphProgram::<()> {
            graph: self.spec.clone(),
            steps: self.steps.clone(),
            output: GraphOutput::Nodes { node_id: false },
            partition: None,
            columns: Vec::new(),
        };
        program.node_columns()
    }
}

impl Planner<'_> {
    /// `make-graph` over `edges` and the graph operators after it: those of its
    /// `partitioned-by`, or the pipeline's next ones (taken from `rest`).
    pub(super) fn graph<'o>(
        &mut self,
        edges: Frame,
        make: &MakeGraph,
        span: Span,
        rest: &mut impl Iterator<Item = &'o Operator>,
    ) -> Result<Frame, QueryError> {
        let mut built = self.make_graph(edges, make, span)?;
        let result = match &make.partitioned_by {
            Some((_, operators)) => {
                let mut inner = operators.iter();
                let frame = self.graph_operators(&mut built, span, &mut inner)?;
                if let Some(extra) = inner.next() {
                    return Err(self.unsupported(
                        format!(
                            "'{}' after the graph operators inside partitioned-by (…) (an operator run on each partition's table) is not supported by the local engine yet",
                            extra.kind.name()
                        ),
                        extra.span,
                    ));
                }
                frame
            }
            None => self.graph_operators(&mut built, span, rest)?,
        };
        Ok(result)
    }

    /// The graph operators: `graph-mark-components` steps, then the one that makes the table.
    fn graph_operators<'o>(
        &mut self,
        built: &mut Built,
        span: Span,
        operators: &mut impl Iterator<Item = &'o Operator>,
    ) -> Result<Frame, QueryError> {
        let mut last = span;
        loop {
            let Some(operator) = operators.next() else {
                return Err(self.semantic(
                    format!("make-graph makes a graph: follow it with {GRAPH_OPERATORS}"),
                    last,
                ));
            };
            last = operator.span;
            let (output, columns) = match &operator.kind {
                OperatorKind::GraphMarkComponents { kind, component_id } => {
                    let step = self.mark_components(built, kind.as_ref(), component_id.as_ref())?;
                    built.steps.push(step);
                    continue;
                }
                OperatorKind::GraphToTable(parts) => {
                    self.graph_to_table(built, parts, operator.span)?
                }
                OperatorKind::GraphMatch(matching) => {
                    let (spec, columns) = self.graph_match(
                        &built.node_columns(),
                        &built.spec.edge_columns,
                        matching,
                        operator.span,
                    )?;
                    (GraphOutput::Match(Box::new(spec)), columns)
                }
                OperatorKind::Unsupported(name) => {
                    return Err(self.unsupported(
                        format!(
                            "'{}' is not supported by the local engine yet: follow make-graph with {GRAPH_OPERATORS}",
                            name.name
                        ),
                        name.span,
                    ));
                }
                other => {
                    return Err(self.semantic(
                        format!(
                            "make-graph makes a graph, which '{}' cannot read: follow it with {GRAPH_OPERATORS}",
                            other.name()
                        ),
                        operator.span,
                    ));
                }
            };
            return self.graph_source(built, output, columns, span);
        }
    }

    /// The table source of a whole program.
    fn graph_source(
        &mut self,
        built: &mut Built,
        output: GraphOutput<datafusion::logical_expr::Expr>,
        columns: Columns,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let program = GraphProgram {
            graph: built.spec.clone(),
            steps: std::mem::take(&mut built.steps),
            output,
            partition: built.partition.clone(),
            columns: columns.clone(),
        };
        let source = GraphSource::new(std::mem::take(&mut built.inputs), program);
        let builder = LogicalPlanBuilder::scan(
            TableReference::bare("make-graph"),
            provider_as_source(Arc::new(source)),
            None,
        )
        .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame { builder, columns })
    }

    /// A graph operator with no `make-graph` before it.
    pub(super) fn graph_without_graph(&self, operator: &Operator) -> QueryError {
        self.semantic(
            format!(
                "'{}' reads a graph: put make-graph (and the graph operators) right before it",
                operator.kind.name()
            ),
            operator.span,
        )
    }

    /// `make-graph Source --> Target …` over `edges`.
    fn make_graph(
        &mut self,
        edges: Frame,
        make: &MakeGraph,
        span: Span,
    ) -> Result<Built, QueryError> {
        let source = self.edge_column(&edges, &make.source)?;
        let target = self.edge_column(&edges, &make.target)?;
        let id_type = edges.columns[source].1;
        if edges.columns[target].1 != id_type {
            return Err(self.semantic(
                format!(
                    "the source ids are {} and the target ids {}: make-graph needs one type of node id",
                    id_type.with_article(),
                    edges.columns[target].1.with_article()
                ),
                make.target.span,
            ));
        }
        let mut inputs = vec![
            edges
                .builder
                .build()
                .map_err(|e| self.engine_error(e, span))?,
        ];
        let mut tables = Vec::new();
        for (pipeline, id) in &make.nodes {
            let frame = self.pipeline(pipeline)?;
            let Some(at) = frame.columns.iter().position(|(n, _)| *n == id.name) else {
                return Err(self.semantic(
                    format!("'{}' is not a column of the node table", id.name),
                    id.span,
                ));
            };
            if frame.columns[at].1 != id_type {
                return Err(self.semantic(
                    format!(
                        "the node ids '{}' are {}, the edges' ids {}: make-graph needs one type of node id",
                        id.name,
                        frame.columns[at].1.with_article(),
                        id_type.with_article()
                    ),
                    id.span,
                ));
            }
            tables.push(NodeTable {
                columns: frame.columns.clone(),
                id: at,
            });
            inputs.push(
                frame
                    .builder
                    .build()
                    .map_err(|e| self.engine_error(e, span))?,
            );
        }
        let node_properties = match &make.node_id {
            Some(name) if !make.nodes.is_empty() => {
                return Err(self.semantic(
                    "make-graph takes either with_node_id or node tables (with … on …), not both",
                    name.span,
                ));
            }
            Some(name) => vec![NodeProperty {
                name: name.name.clone(),
                ty: id_type,
                source: PropertySource::Id,
            }],
            None => self.node_properties(&tables, &make.nodes)?,
        };
        let partition = match &make.partitioned_by {
            Some((column, _)) => Some(self.graph_partition(&edges.columns, &tables, column)?),
            None => None,
        };
        Ok(Built {
            spec: GraphSpec {
                edge_columns: edges.columns,
                source,
                target,
                node_tables: tables,
                node_properties,
            },
            inputs,
            steps: Vec::new(),
            partition,
        })
    }

    /// The index of an edge column make-graph names.
    fn edge_column(&self, edges: &Frame, name: &Ident) -> Result<usize, QueryError> {
        edges
            .columns
            .iter()
            .position(|(n, _)| *n == name.name)
            .ok_or_else(|| self.unknown_column(edges, &name.name, name.span))
    }

    /// The nodes' properties from the node tables: every column of each, in order, a name
    /// of several tables once (it must have one type); id columns hold the node's id.
    fn node_properties(
        &self,
        tables: &[NodeTable],
        written: &[(crate::kql::ast::Pipeline, Ident)],
    ) -> Result<Vec<NodeProperty>, QueryError> {
        let ids: Vec<&str> = tables.iter().map(|t| t.columns[t.id].0.as_str()).collect();
        let mut properties: Vec<NodeProperty> = Vec::new();
        for (at, table) in tables.iter().enumerate() {
            for (column, (name, ty)) in table.columns.iter().enumerate() {
                match properties.iter_mut().find(|p| p.name == *name) {
                    Some(property) if property.ty != *ty => {
                        return Err(self.semantic(
                            format!(
                                "the node property '{name}' is {} in one node table and {} in another",
                                property.ty.with_article(),
                                ty.with_article()
                            ),
                            written[at].1.span,
                        ));
                    }
                    Some(property) => {
                        if let PropertySource::Tables(sources) = &mut property.source {
                            sources[at] = Some(column);
                        }
                    }
                    None => {
                        let source = if ids.contains(&name.as_str()) {
                            PropertySource::Id
                        } else {
                            let mut sources = vec![None; tables.len()];
                            sources[at] = Some(column);
                            PropertySource::Tables(sources)
                        };
                        properties.push(NodeProperty {
                            name: name.clone(),
                            ty: *ty,
                            source,
                        });
                    }
                }
            }
        }
        Ok(properties)
    }

    /// `partitioned-by Column`: it must be a column of the edges and of every node table,
    /// of one type.
    fn graph_partition(
        &self,
        edges: &Columns,
        tables: &[NodeTable],
        column: &Ident,
    ) -> Result<PartitionSpec, QueryError> {
        let find = |columns: &Columns, what: &str| {
            columns
                .iter()
                .position(|(n, _)| *n == column.name)
                .ok_or_else(|| {
                    self.semantic(
                        format!(
                            "the partition column '{}' is not a column of {what} (partitioned-by needs it in the edges and every node table)",
                            column.name
                        ),
                        column.span,
                    )
                })
        };
        let at = find(edges, "the edges")?;
        let ty = edges[at].1;
        let mut node_tables = Vec::with_capacity(tables.len());
        for table in tables {
            let index = find(&table.columns, "a node table")?;
            if table.columns[index].1 != ty {
                return Err(self.semantic(
                    format!(
                        "the partition column '{}' is {} in the edges and {} in a node table",
                        column.name,
                        ty.with_article(),
                        table.columns[index].1.with_article()
                    ),
                    column.span,
                ));
            }
            node_tables.push(index);
        }
        Ok(PartitionSpec {
            edges: at,
            node_tables,
        })
    }

    /// `graph-mark-components [kind = weak|strong] [with_component_id = Name]`.
    fn mark_components(
        &self,
        built: &Built,
        kind: Option<&Ident>,
        component_id: Option<&Ident>,
    ) -> Result<GraphStep, QueryError> {
        let strong = match kind.map(|k| k.name.as_str()) {
            None | Some("weak") => false,
            Some("strong") => true,
            Some(other) => {
                return Err(self.semantic(
                    format!(
                        "graph-mark-components' kind is weak or strong, not '{}'",
                        other.escape_debug()
                    ),
                    kind.map_or(Span::new(0, 0), |k| k.span),
                ));
            }
        };
        let name = component_id.map_or("ComponentId", |c| c.name.as_str());
        if built.node_columns().iter().any(|(n, _)| n == name) {
            return Err(self.unsupported(
                format!(
                    "the nodes already have a property '{name}': give graph-mark-components another with_component_id"
                ),
                component_id.map_or(Span::new(0, 0), |c| c.span),
            ));
        }
        Ok(GraphStep::MarkComponents {
            strong,
            name: name.to_string(),
        })
    }

    /// `graph-to-table nodes|edges …`: the output and its columns.
    fn graph_to_table(
        &self,
        built: &Built,
        parts: &[GraphTablePart],
        span: Span,
    ) -> Result<(GraphOutput<datafusion::logical_expr::Expr>, Columns), QueryError> {
        let [part] = parts else {
            return Err(self.unsupported(
                "graph-to-table of both nodes and edges makes two named tables; the local engine runs queries with one result: export nodes and edges in two queries",
                span,
            ));
        };
        if let Some(alias) = &part.alias {
            return Err(self.unsupported(
                "graph-to-table … as Name (a named result for later statements) is not supported by the local engine yet; leave out 'as'",
                alias.span,
            ));
        }
        let properties = if part.edges {
            built.spec.edge_columns.clone()
        } else {
            built.node_columns()
        };
        let ids = part
            .ids
            .iter()
            .map(|(_, name)| (name.name.clone(), KqlType::Long));
        let mut columns: Columns = Vec::new();
        for (name, ty) in ids.chain(properties) {
            if columns.iter().any(|(n, _)| *n == name) {
                let at = part.ids.iter().find(|(_, n)| n.name == name);
                return Err(self.semantic(
                    format!("the column '{name}' is defined twice"),
                    at.map_or(part.span, |(_, n)| n.span),
                ));
            }
            columns.push((name, ty));
        }
        if columns.is_empty() {
            return Err(self.semantic(
                "the graph's nodes have no properties to make a table of: name their ids with make-graph's with_node_id=Name, give node tables (with T on Id), or ask for hash ids (graph-to-table nodes with_node_id=Name)",
                part.span,
            ));
        }
        let output = if part.edges {
            GraphOutput::Edges {
                ids: part
                    .ids
                    .iter()
                    .map(|(param, _)| param.name == "with_source_id")
                    .collect(),
            }
        } else {
            GraphOutput::Nodes {
                node_id: !part.ids.is_empty(),
            }
        };
        Ok((output, columns))
    }
}
