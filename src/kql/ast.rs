//! The syntax tree. Every node has a span; parts the parser could not read are `Error` nodes, so a
//! half-written query still has a tree.

use super::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub lets: Vec<LetStatement>,
    /// The tabular expression the query returns. `None` for an empty query or one with only lets.
    pub body: Option<Pipeline>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LetStatement {
    pub name: Ident,
    pub value: LetValue,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LetValue {
    Scalar(Expr),
    Tabular(Pipeline),
    /// `let f = (a: long, T: (*), n: long = 5) { lets; value }` (functions/user-defined-functions.md).
    Function(std::sync::Arc<Function>),
    /// Valid KQL the local engine cannot run yet (a user-defined function or a view); the
    /// string names the construct. The parser skips its body without a diagnostic.
    Unsupported(String),
}

/// A user-defined function: its parameters and its body (let statements, then the value).
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub parameters: Vec<Parameter>,
    pub lets: Vec<LetStatement>,
    /// The body's value: a scalar expression or a tabular one; `None` for an empty body.
    pub value: Option<LetValue>,
    pub span: Span,
    /// `view () { … }` (a view is named without parentheses, as a table is).
    pub view: bool,
}

/// One parameter: scalar (`a: long`, with an optional default) or tabular (`T: (*)`,
/// `T: (A: string)`).
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: Ident,
    /// The scalar type's name; `None` for a tabular parameter.
    pub scalar_type: Option<Ident>,
    pub default: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub source: Source,
    pub operators: Vec<Operator>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A table, or a name bound by `let`.
    Table(Ident),
    Nested(Box<Pipeline>),
    /// A call of a user-defined tabular function (`f(T, 5)`); the expression is the call.
    Call(Box<Expr>),
    /// `union [kind=…] [withsource=…] Legs` starting a pipeline.
    Union(Box<Union>),
    /// `print Name = expr, expr …` (print-operator.md): one row; unnamed columns are `print_N`
    /// by their position N (from 0).
    Print(Vec<NamedExpr>),
    /// `datatable (Name: type, …) [value, …]` (datatable-operator.md): the columns with their
    /// type names, and the values row by row (as many per row as there are columns).
    Datatable {
        columns: Vec<(Ident, Ident)>,
        values: Vec<Expr>,
    },
    /// `range Column from Start to Stop step Step` (range-operator.md): one column, the values
    /// from Start while not past Stop (Stop included when reached).
    Range {
        column: Ident,
        from: Box<Expr>,
        to: Box<Expr>,
        step: Box<Expr>,
    },
    /// A tabular source the local engine cannot run yet (`union`, `datatable`, `print`, a
    /// tabular function call …): the name of the construct and where it is.
    Unsupported(String, Span),
    Error(Span),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    pub kind: OperatorKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OperatorKind {
    Where(Expr),
    Project(Vec<NamedExpr>),
    ProjectRename(Vec<(Ident, Ident)>),
    Extend(Vec<NamedExpr>),
    Take(Expr),
    Sort(Vec<SortKey>),
    Top {
        count: Expr,
        key: SortKey,
    },
    Count,
    Summarize {
        aggregates: Vec<NamedExpr>,
        by: Vec<NamedExpr>,
    },
    Distinct(Vec<NamedExpr>),
    /// `render Visualization [with (Name = Value, …)]`: a hint to the user agent on how to
    /// draw the result; it does not change the rows (render-operator.md). The parser accepts it
    /// only as the last operator of the query.
    Render(Render),
    /// `join [kind=K] Right on Keys` (join-operator.md).
    Join(Box<Join>),
    /// `| union [kind=…] [withsource=…] Legs`: the input is the first leg (union-operator.md).
    Union(Box<Union>),
    /// `mv-expand [kind=bag|array] [with_itemindex=I] Items [limit N]` (mv-expand-operator.md).
    MvExpand(Box<MvExpand>),
    /// `parse [kind=…] [flags=…] Expr with Pattern` and `parse-where` (parse-operator.md,
    /// parse-where-operator.md).
    Parse(Box<Parse>),
    /// `project-away`, `project-keep`, `project-reorder` with names and `*` wildcards
    /// (project-away-operator.md, project-keep-operator.md, project-reorder-operator.md).
    ProjectColumns {
        kind: ProjectKind,
        items: Vec<ColumnPattern>,
    },
    /// `top-nested [N] of Expr [with others = V] by Aggregate [asc|desc], …`
    /// (top-nested-operator.md): one level per clause.
    TopNested(Vec<TopNestedLevel>),
    /// `sample N` (sample-operator.md): N rows picked at random.
    Sample(Expr),
    /// `sample-distinct N of Column` (sample-distinct-operator.md): up to N distinct values.
    SampleDistinct {
        count: Expr,
        of: Expr,
    },
    /// `mv-apply Items [limit N] on (Operators)` (mv-apply-operator.md): the expansion (as
    /// mv-expand's) and the subquery applied to each input record's subtable.
    MvApply(Box<MvApply>),
    /// `parse-kv Expr as (Key: type, …) with (Name = Value, …)` (parse-kv-operator.md).
    ParseKv(Box<ParseKv>),
    /// `partition by Column (Operators)` (partition-operator.md): the subquery applied to each
    /// partition's rows (the `{ … }` form is not read yet).
    Partition {
        column: Ident,
        operators: Vec<Operator>,
    },
    /// `as Name` (as-operator.md): the rows unchanged, bound to Name for the rest of the query.
    As(Ident),
    /// `consume` (consume-operator.md): no rows, no columns.
    Consume,
    /// `getschema` (getschema-operator.md): a row per input column.
    GetSchema,
    /// `top-hitters N of Expr [by Sum]` (top-hitters-operator.md).
    TopHitters {
        count: Expr,
        of: Expr,
        by: Option<Expr>,
    },
    /// `evaluate Plugin(args) [: (Name: type, …)]` (the plugins' pages): the plugins
    /// `engine::planner`'s `evaluate` lists run; other plugins are refused by name.
    Evaluate(Box<Evaluate>),
    /// `project-by-names Spec, …` (project-by-names-operator.md): column names, patterns, or
    /// dynamic arrays of them (`column_names_of(T)`).
    ProjectByNames(Vec<Expr>),
    /// `serialize [Name = Expr, …]` (serialize-operator.md): the rows' order may be used by
    /// window functions from here on.
    Serialize(Vec<NamedExpr>),
    /// `invoke F(args)` (invoke-operator.md): F called with the input as its first argument.
    Invoke(Expr),
    /// `make-series [kind=nonempty] [Name =] Aggregate [default = V], … on Axis (from A to B
    /// step S | in range(A, B, S)) [by …]` (make-series-operator.md).
    MakeSeries(Box<MakeSeries>),
    /// `scan [with_match_id = Id] [declare (Name: type [= Default], …)] with (step Name
    /// [output = all|last|none]: Condition [=> Column = Value, …]; …)` (scan-operator.md).
    Scan(Box<Scan>),
    /// `reduce [kind=source] by Expr [with threshold=T, characters=C]` (reduce-operator.md).
    Reduce(Box<Reduce>),
    /// `make-graph Source --> Target …` (make-graph-operator.md): a graph, which the graph
    /// operators after it read.
    MakeGraph(Box<MakeGraph>),
    /// `graph-match` (graph-match-operator.md) and `graph-shortest-paths`
    /// (graph-shortest-paths-operator.md): a table of the pattern's matches.
    GraphMatch(Box<GraphMatch>),
    /// `graph-to-table nodes|edges …` (graph-to-table-operator.md).
    GraphToTable(Vec<GraphTablePart>),
    /// `graph-mark-components [kind = weak|strong] [with_component_id = Name]`
    /// (graph-mark-components-operator.md): the kind and the property as written.
    GraphMarkComponents {
        kind: Option<Ident>,
        component_id: Option<Ident>,
    },
    /// A tabular operator of the language that this parser does not read yet (`join`,
    /// `mv-expand` …). Its arguments are skipped up to the next `|` outside brackets, without a
    /// diagnostic: the query is valid, the engine says it cannot run it. The operator's name
    /// and where the name is.
    Unsupported(Ident),
    /// An operator that could not be read; the diagnostic says why.
    Error,
}

impl OperatorKind {
    pub fn name(&self) -> &'static str {
        match self {
            OperatorKind::Where(_) => "where",
            OperatorKind::Project(_) => "project",
            OperatorKind::ProjectRename(_) => "project-rename",
            OperatorKind::Extend(_) => "extend",
            OperatorKind::Take(_) => "take",
            OperatorKind::Sort(_) => "sort",
            OperatorKind::Top { .. } => "top",
            OperatorKind::Count => "count",
            OperatorKind::Summarize { .. } => "summarize",
            OperatorKind::Distinct(_) => "distinct",
            OperatorKind::Render(_) => "render",
            OperatorKind::Join(_) => "join",
            OperatorKind::Union(_) => "union",
            OperatorKind::MvExpand(_) => "mv-expand",
            OperatorKind::Parse(parse) if parse.filter => "parse-where",
            OperatorKind::Parse(_) => "parse",
            OperatorKind::Invoke(_) => "invoke",
            OperatorKind::TopNested(_) => "top-nested",
            OperatorKind::MvApply(_) => "mv-apply",
            OperatorKind::ParseKv(_) => "parse-kv",
            OperatorKind::Serialize(_) => "serialize",
            OperatorKind::ProjectByNames(_) => "project-by-names",
            OperatorKind::Evaluate(_) => "evaluate",
            OperatorKind::As(_) => "as",
            OperatorKind::Consume => "consume",
            OperatorKind::GetSchema => "getschema",
            OperatorKind::TopHitters { .. } => "top-hitters",
            OperatorKind::Partition { .. } => "partition",
            OperatorKind::Sample(_) => "sample",
            OperatorKind::SampleDistinct { .. } => "sample-distinct",
            OperatorKind::ProjectColumns { kind, .. } => match kind {
                ProjectKind::Away => "project-away",
                ProjectKind::Keep => "project-keep",
                ProjectKind::Reorder => "project-reorder",
            },
            OperatorKind::MakeSeries(_) => "make-series",
            OperatorKind::Scan(_) => "scan",
            OperatorKind::Reduce(_) => "reduce",
            OperatorKind::MakeGraph(_) => "make-graph",
            OperatorKind::GraphMatch(m) if m.shortest => "graph-shortest-paths",
            OperatorKind::GraphMatch(_) => "graph-match",
            OperatorKind::GraphToTable(_) => "graph-to-table",
            OperatorKind::GraphMarkComponents { .. } => "graph-mark-components",
            OperatorKind::Unsupported(_) => "(unsupported)",
            OperatorKind::Error => "(error)",
        }
    }
}

/// `make-graph` (make-graph-operator.md): the edges' source and target id columns, how the
/// nodes get their properties, and the partitioning.
#[derive(Debug, Clone, PartialEq)]
pub struct MakeGraph {
    pub source: Ident,
    pub target: Ident,
    /// `with Nodes on Id, …`: each table of node properties and its id column.
    pub nodes: Vec<(Pipeline, Ident)>,
    /// `with_node_id = Name`: the nodes' one property, their id.
    pub node_id: Option<Ident>,
    /// `partitioned-by Column (Operators)`: a graph per value of the column, each given to the
    /// graph operators.
    pub partitioned_by: Option<(Ident, Vec<Operator>)>,
}

/// `graph-match` / `graph-shortest-paths`: the parameters, the pattern, the constraints and
/// the projection.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphMatch {
    /// `graph-shortest-paths`.
    pub shortest: bool,
    /// `cycles = all | none | unique_edges` as written.
    pub cycles: Option<Ident>,
    /// `output = any | all` (graph-shortest-paths) as written.
    pub output: Option<Ident>,
    /// The comma-separated sequences of the pattern.
    pub pattern: Vec<PatternSequence>,
    pub filter: Option<Expr>,
    pub project: Vec<NamedExpr>,
}

/// One sequence of a graph pattern: `nodes[i]` and `nodes[i + 1]` are joined by `edges[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternSequence {
    pub nodes: Vec<PatternNode>,
    pub edges: Vec<PatternEdge>,
}

/// `(name)` or `()`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternNode {
    pub name: Option<Ident>,
    pub span: Span,
}

/// `-[name*min..max]->` and its other spellings.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternEdge {
    pub name: Option<Ident>,
    pub direction: EdgeDirection,
    /// `*min..max`: a variable length edge, its bounds as written (whole numbers or let names).
    pub length: Option<(Expr, Expr)>,
    pub span: Span,
}

/// Which way a pattern edge points, as written left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeDirection {
    /// `-[e]->`: from the node on its left to the node on its right.
    Right,
    /// `<-[e]-`: from the node on its right to the node on its left.
    Left,
    /// `-[e]-`: either way.
    Any,
}

/// One part of `graph-to-table`: `nodes` or `edges`, its table name and id columns.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphTablePart {
    /// `edges` (else `nodes`).
    pub edges: bool,
    /// `as Name`.
    pub alias: Option<Ident>,
    /// `with_node_id`, `with_source_id`, `with_target_id` as written: the parameter and the
    /// column name.
    pub ids: Vec<(Ident, Ident)>,
    pub span: Span,
}

/// `reduce` (reduce-operator.md): the parameters as written; the planner checks them.
#[derive(Debug, Clone, PartialEq)]
pub struct Reduce {
    /// `kind = source` as written (the only kind the page names).
    pub kind: Option<Ident>,
    /// The string to reduce (`by Expr`).
    pub by: Expr,
    /// `with threshold = T`.
    pub threshold: Option<Expr>,
    /// `with characters = C`.
    pub characters: Option<Expr>,
}

/// `scan` (scan-operator.md): the match id column, the declared columns and the steps.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    /// `with_match_id = Name`.
    pub match_id: Option<Ident>,
    /// `declare (Name: type [= Default], …)`: each name, its type's name and default.
    pub declared: Vec<(Ident, Ident, Option<Expr>)>,
    pub steps: Vec<ScanStep>,
}

/// One `step Name [output = …]: Condition [=> Column = Value, …]` of `scan`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanStep {
    pub name: Ident,
    /// `output = all | last | none` as written (`all` when left out).
    pub output: Option<Ident>,
    pub condition: Expr,
    /// `Column = Value` assignments of declared columns.
    pub assignments: Vec<NamedExpr>,
}

/// `join`: the kind as written (`innerunique` when left out), the right side, and the keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    pub kind: Ident,
    /// `lookup` (lookup-operator.md): leftouter or inner only, and the right side's key
    /// columns are left out of the output.
    pub lookup: bool,
    pub right: Pipeline,
    /// `on A` is (A, A); `on $left.A == $right.B` is (A, B).
    pub keys: Vec<(Ident, Ident)>,
}

/// One clause of `top-nested`.
#[derive(Debug, Clone, PartialEq)]
pub struct TopNestedLevel {
    /// How many values to keep (all when not given).
    pub count: Option<Expr>,
    pub of: NamedExpr,
    /// `with others = V`.
    pub others: Option<Expr>,
    pub by: NamedExpr,
    /// `asc`: the least values (the default is the greatest).
    pub ascending: bool,
}

/// Which of the column-list operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectKind {
    Away,
    Keep,
    Reorder,
}

/// A column name, or a pattern with `*` wildcards, and `project-reorder`'s order for the
/// columns a wildcard matches.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnPattern {
    pub pattern: String,
    pub span: Span,
    pub order: Option<PatternOrder>,
}

/// `asc`, `desc`, `granny-asc`, `granny-desc` (names compared with numbers read as numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternOrder {
    Asc,
    Desc,
    GrannyAsc,
    GrannyDesc,
}

/// `parse`/`parse-where`: how the pattern is read, the text, and the pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Parse {
    pub kind: ParseKind,
    /// `flags=…` of `kind=regex` (RE2 flags such as `U`, `i`, `s`, `m`).
    pub flags: Option<Ident>,
    pub source: Expr,
    pub pattern: Vec<ParsePart>,
    /// `parse-where`: rows whose text does not match are dropped.
    pub filter: bool,
}

/// `kind=` of `parse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseKind {
    /// Delimiters are plain text; every column must match its type (the default).
    Simple,
    /// Delimiters are regular expressions.
    Regex,
    /// Like simple, but a column that does not match its type is null on its own.
    Relaxed,
}

/// `parse-kv`: the text, the keys to extract with their type names, and the `with (…)`
/// properties (`pair_delimiter`, `kv_delimiter`, `quote`, `escape`, `greedy`, `regex`).
#[derive(Debug, Clone, PartialEq)]
pub struct ParseKv {
    pub source: Expr,
    pub keys: Vec<(Ident, Ident)>,
    pub properties: Vec<(Ident, Expr)>,
}

/// `evaluate`: the plugin, its arguments, and the output schema when given (`*` first keeps
/// the input's columns).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluate {
    pub plugin: Ident,
    pub args: Vec<Expr>,
    pub schema: Option<Vec<(Ident, Ident)>>,
    pub schema_wildcard: bool,
}

/// One item of a parse pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum ParsePart {
    /// A string constant (a delimiter, or a regular expression with `kind=regex`).
    Text(String),
    /// `*`: anything, skipped.
    Star,
    /// `Name[: type]`: a column to extract (`string` when no type is given).
    Column { name: Ident, ty: Option<Ident> },
}

/// `make-series`: the series to make, the axis and its range, the groups.
#[derive(Debug, Clone, PartialEq)]
pub struct MakeSeries {
    /// `kind=nonempty`: an empty input gives one row of default values.
    pub nonempty: bool,
    pub aggregates: Vec<SeriesAggregate>,
    /// The axis column.
    pub axis: Expr,
    pub range: SeriesRange,
    pub by: Vec<NamedExpr>,
}

/// `[Name =] Aggregate [default = V]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesAggregate {
    pub item: NamedExpr,
    /// The value of bins without rows (0 when not given).
    pub default: Option<Expr>,
}

/// The axis' range: `from A to B step S` (each bound optional) or `in range(A, B, S)`.
#[derive(Debug, Clone, PartialEq)]
pub enum SeriesRange {
    /// Bins start at `from` (or the first bin with data) and stop before `to` (or after the
    /// last bin with data).
    FromTo {
        from: Option<Expr>,
        to: Option<Expr>,
        step: Expr,
    },
    /// `in range(start, stop, step)`: bins aligned as `bin()` aligns them, `stop` included.
    InRange { start: Expr, stop: Expr, step: Expr },
}

/// `mv-apply`: the expansion and the subquery's operators.
#[derive(Debug, Clone, PartialEq)]
pub struct MvApply {
    pub expand: MvExpand,
    pub operators: Vec<Operator>,
}

/// `mv-expand`: what to expand, how bags expand, the index column, the per-row limit.
#[derive(Debug, Clone, PartialEq)]
pub struct MvExpand {
    pub items: Vec<ExpandItem>,
    /// `kind=array` / `bagexpansion=array`: a bag's entries as `[key, value]` arrays.
    pub bag_as_array: bool,
    pub item_index: Option<Ident>,
    pub limit: Option<Expr>,
    /// `mvexpand`, the legacy spelling, whose default limit is 128.
    pub legacy: bool,
}

/// `[Name =] Expr [to typeof(Type)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpandItem {
    pub name: Option<Ident>,
    pub expr: Expr,
    pub to_type: Option<Ident>,
}

/// `union`: how columns are combined, the source column, and the legs.
#[derive(Debug, Clone, PartialEq)]
pub struct Union {
    /// `outer` (the default: every column of every leg) or `inner` (the columns all legs have).
    pub kind: Ident,
    /// `withsource=Name`: a first column naming each row's leg.
    pub source_column: Option<Ident>,
    /// `isfuzzy=true`: legs naming tables that do not exist are left out.
    pub fuzzy: bool,
    pub legs: Vec<UnionLeg>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UnionLeg {
    /// A table or let name, or a subquery.
    Pipeline(Pipeline),
    /// `Device*`: every table whose name fits.
    Pattern(Ident),
}

/// The `render` operator as written: the visualization's name and its `with (…)` properties.
/// Names and values are checked by the parser against render-operator.md, so a reader can
/// trust that the visualization and property names are documented ones and that each value
/// has its property's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Render {
    /// `timechart`, `piechart` … (case-sensitive, as Kusto reads it).
    pub visualization: Ident,
    pub properties: Vec<RenderProperty>,
}

/// One `Name = Value` of `render … with (…)`.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderProperty {
    pub name: Ident,
    pub value: RenderValue,
    /// From the name to the end of the value.
    pub span: Span,
}

/// A render property's value.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderValue {
    /// A string literal (`title="x"`) or a bare word (`legend=hidden`, `xcolumn=Timestamp`).
    Text(String),
    /// `ymin=0`, `ymax=1.5e3`, `ymin=-10`.
    Number(f64),
    /// `accumulate=true`.
    Bool(bool),
    /// The column list of `ycolumns`, `series` and `anomalycolumns` (`ycolumns=a, b`).
    Columns(Vec<Ident>),
}

/// `Name = expr` or a bare `expr` (whose output name the planner derives).
#[derive(Debug, Clone, PartialEq)]
pub struct NamedExpr {
    pub name: Option<Ident>,
    /// `(A, B) = arg_max(...)`: the names of an aggregate that returns several columns.
    pub names: Vec<Ident>,
    pub expr: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Asc,
    Desc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullsOrder {
    First,
    Last,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    /// `None` means the KQL default: descending.
    pub order: Option<SortOrder>,
    pub nulls: Option<NullsOrder>,
}

/// How deep an expression tree may be. The parser refuses deeper expressions with a message
/// (the planner, DataFusion and dropping the tree all walk it recursively). `and`/`or` chains do
/// not count against it: they are flat lists (`ExprKind::Logical`), so a query with 10,000 IOC
/// comparisons joined by `or` is fine.
pub const MAX_EXPR_DEPTH: u32 = 200;

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
    /// The height of this tree: 1 for a leaf. Kept so depth checks never walk the tree.
    pub depth: u32,
}

impl Expr {
    /// The expressions directly under this one, left to right.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Binary { left, right, .. } => vec![left, right],
            ExprKind::Logical { operands, .. } => operands.iter().collect(),
            ExprKind::Unary { operand, .. } => vec![operand],
            ExprKind::Call { args, .. } => args.iter().collect(),
            ExprKind::In { value, list, .. } => std::iter::once(&**value).chain(list).collect(),
            ExprKind::Between {
                value, low, high, ..
            } => vec![value, low, high],
            ExprKind::Member { target, .. } => vec![target],
            ExprKind::Index { target, index } => vec![target, index],
            ExprKind::NamedArg { value, .. } => vec![value],
            ExprKind::Literal(_)
            | ExprKind::Column(_)
            | ExprKind::Star
            | ExprKind::Tabular(_)
            | ExprKind::Error => Vec::new(),
        }
    }

    /// This expression with each expression directly under it replaced by `f`'s, left to right
    /// (the order of [`Expr::children`]); leaves are cloned. The one walk the planner's rewrites
    /// share (scan steps, aggregates inside expressions, graph variables).
    pub fn try_map_children<E>(
        &self,
        f: &mut dyn FnMut(&Expr) -> Result<Expr, E>,
    ) -> Result<Expr, E> {
        let mut boxed = |e: &Expr| f(e).map(Box::new);
        let kind = match &self.kind {
            ExprKind::Binary { op, left, right } => ExprKind::Binary {
                op: *op,
                left: boxed(left)?,
                right: boxed(right)?,
            },
            ExprKind::Logical { op, operands } => ExprKind::Logical {
                op: *op,
                operands: operands.iter().map(&mut *f).collect::<Result<_, _>>()?,
            },
            ExprKind::Unary { op, operand } => ExprKind::Unary {
                op: *op,
                operand: boxed(operand)?,
            },
            ExprKind::Call { name, args } => ExprKind::Call {
                name: name.clone(),
                args: args.iter().map(&mut *f).collect::<Result<_, _>>()?,
            },
            ExprKind::In {
                value,
                list,
                negated,
                case_insensitive,
            } => ExprKind::In {
                value: boxed(value)?,
                list: list.iter().map(&mut *f).collect::<Result<_, _>>()?,
                negated: *negated,
                case_insensitive: *case_insensitive,
            },
            ExprKind::Between {
                value,
                low,
                high,
                negated,
            } => ExprKind::Between {
                value: boxed(value)?,
                low: boxed(low)?,
                high: boxed(high)?,
                negated: *negated,
            },
            ExprKind::Member { target, key } => ExprKind::Member {
                target: boxed(target)?,
                key: key.clone(),
            },
            ExprKind::Index { target, index } => ExprKind::Index {
                target: boxed(target)?,
                index: boxed(index)?,
            },
            ExprKind::NamedArg { name, value } => ExprKind::NamedArg {
                name: name.clone(),
                value: boxed(value)?,
            },
            other => other.clone(),
        };
        Ok(Expr::new(kind, self.span))
    }

    /// A node, with its depth taken from its direct children.
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        let deepest = match &kind {
            // A tabular argument's own expressions are bounded where they were parsed.
            ExprKind::Literal(_)
            | ExprKind::Column(_)
            | ExprKind::Star
            | ExprKind::Tabular(_)
            | ExprKind::Error => 0,
            ExprKind::NamedArg { value, .. } => value.depth,
            ExprKind::Binary { left, right, .. } => left.depth.max(right.depth),
            ExprKind::Logical { operands, .. } => {
                operands.iter().map(|e| e.depth).max().unwrap_or(0)
            }
            ExprKind::Unary { operand, .. } => operand.depth,
            ExprKind::Call { args, .. } => args.iter().map(|e| e.depth).max().unwrap_or(0),
            ExprKind::In { value, list, .. } => list
                .iter()
                .map(|e| e.depth)
                .max()
                .unwrap_or(0)
                .max(value.depth),
            ExprKind::Between {
                value, low, high, ..
            } => value.depth.max(low.depth).max(high.depth),
            ExprKind::Member { target, .. } => target.depth,
            ExprKind::Index { target, index } => target.depth.max(index.depth),
        };
        Expr {
            kind,
            span,
            depth: deepest.saturating_add(1),
        }
    }

    /// A leaf node that stands for text the parser could not read.
    pub fn error(span: Span) -> Expr {
        Expr::new(ExprKind::Error, span)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    /// `int(5)`: a 32-bit integer.
    Int(i32),
    Long(i64),
    Real(f64),
    Bool(bool),
    /// Ticks (100 ns).
    Timespan(i64),
    /// Ticks (100 ns) since 0001-01-01T00:00:00Z (see `kql::time`).
    Datetime(i64),
    /// A typed null such as `long(null)`; the string is the type name.
    Null(String),
    /// `guid(74be27de-1e4e-49d9-b579-fe0b331d3642)`, lower-cased.
    Guid(String),
    /// `dynamic(...)`: the JSON text.
    Dynamic(String),
    /// `decimal(0.1)`: the number as written (Kusto's decimal is exact to 28 digits, which a
    /// real is not; the local engine refuses it rather than compute it as a real).
    Decimal(String),
}

/// `and` / `or`, which take a flat list of operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogicalOp {
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Eq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    /// A string operator such as `has` or `!startswith_cs`.
    Str(StringOp),
}

/// The family of string predicates; `negated` and `case_sensitive` give the sixteen spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StringOp {
    pub kind: StringOpKind,
    pub negated: bool,
    pub case_sensitive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringOpKind {
    /// `=~` / `!~` (equality, case-insensitive; `_cs` does not exist for it).
    Equals,
    Has,
    HasPrefix,
    HasSuffix,
    Contains,
    StartsWith,
    EndsWith,
    MatchesRegex,
}

impl StringOp {
    /// Reads an operator word such as `!contains_cs`; `None` when it is not a string operator.
    pub fn from_word(word: &str) -> Option<StringOp> {
        let (negated, rest) = match word.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, word),
        };
        let (case_sensitive, base) = match rest.strip_suffix("_cs") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        let kind = match base {
            "has" => StringOpKind::Has,
            "hasprefix" => StringOpKind::HasPrefix,
            "hassuffix" => StringOpKind::HasSuffix,
            "contains" => StringOpKind::Contains,
            "startswith" => StringOpKind::StartsWith,
            "endswith" => StringOpKind::EndsWith,
            _ => return None,
        };
        Some(StringOp {
            kind,
            negated,
            case_sensitive,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    Column(String),
    Star,
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `a and b and c`: two or more operands, read left to right.
    Logical {
        op: LogicalOp,
        operands: Vec<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
    /// `x in (a, b)`, `x !in~ (...)`.
    In {
        value: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
        case_insensitive: bool,
    },
    /// `x between (lo .. hi)`.
    Between {
        value: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    /// `d.a` or `d["a"]` on a dynamic value.
    Member {
        target: Box<Expr>,
        key: String,
    },
    /// `d[0]`.
    Index {
        target: Box<Expr>,
        index: Box<Expr>,
    },
    /// A tabular expression where a value goes: `toscalar(T | …)`, `x in (T | project y)`.
    Tabular(Box<Pipeline>),
    /// `name = value` among a call's arguments.
    NamedArg {
        name: Ident,
        value: Box<Expr>,
    },
    Error,
}
