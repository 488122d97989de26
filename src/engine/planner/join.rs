//! `join` (join-operator.md): the kinds, the default `innerunique` (the left side keeps one row
//! per key before the join), and the output columns (the left's, then the right's, a right
//! column whose name the left side has taking the suffix `1`).

use datafusion::common::{Column, JoinType};
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlanBuilder};

use super::aggregate::unique_name;
use super::{Frame, Planner};
use crate::backend::QueryError;
use crate::engine::udf_pick::{Pick, PickRowUdaf};
use crate::kql::Span;
use crate::kql::ast::Join;
use crate::results::KqlType;

/// Which rows and columns a kind keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Output {
    Both,
    LeftOnly,
    RightOnly,
}

impl Planner<'_> {
    pub(super) fn join(
        &mut self,
        left: Frame,
        join: &Join,
        span: Span,
    ) -> Result<Frame, QueryError> {
        if join.lookup && !matches!(join.kind.name.as_str(), "leftouter" | "inner") {
            return Err(self.semantic(
                "lookup is kind=leftouter (the default) or kind=inner",
                join.kind.span,
            ));
        }
        let (join_type, output, unique_left) = match join.kind.name.as_str() {
            "innerunique" => (JoinType::Inner, Output::Both, true),
            "inner" => (JoinType::Inner, Output::Both, false),
            "leftouter" => (JoinType::Left, Output::Both, false),
            "rightouter" => (JoinType::Right, Output::Both, false),
            "fullouter" => (JoinType::Full, Output::Both, false),
            "leftsemi" => (JoinType::LeftSemi, Output::LeftOnly, false),
            "leftanti" | "anti" | "leftantisemi" => (JoinType::LeftAnti, Output::LeftOnly, false),
            "rightsemi" => (JoinType::RightSemi, Output::RightOnly, false),
            "rightanti" | "rightantisemi" => (JoinType::RightAnti, Output::RightOnly, false),
            other => {
                return Err(self.semantic(
                    format!(
                        "'{}' is not a kind of join (innerunique, inner, leftouter, rightouter, fullouter, leftsemi, leftanti, rightsemi, rightanti)",
                        other.escape_debug()
                    ),
                    join.kind.span,
                ));
            }
        };
        let right = self.pipeline(&join.right)?;
        for (l, r) in &join.keys {
            let lt = self.require_column(&left, l)?;
            let rt = self.require_column(&right, r)?;
            let numeric = |t: KqlType| matches!(t, KqlType::Int | KqlType::Long);
            if lt != rt && !(numeric(lt) && numeric(rt)) {
                return Err(self.semantic(
                    format!(
                        "the join keys '{}' ({}) and '{}' ({}) have different types",
                        l.name,
                        lt.kql_name(),
                        r.name,
                        rt.kql_name()
                    ),
                    r.span,
                ));
            }
        }
        let engine = |this: &Self, e| this.engine_error(e, span);
        // innerunique: one row of the left side per key (which one is not defined by Kusto).
        let mut left_builder = left.builder.clone();
        if unique_left {
            let on: Vec<DfExpr> = join
                .keys
                .iter()
                .map(|(l, _)| DfExpr::Column(Column::from_name(l.name.clone())))
                .collect();
            // One value of each other column per key, all from the first row seen (the
            // optimizer drops the columns nobody reads).
            let keys: Vec<&str> = join.keys.iter().map(|(l, _)| l.name.as_str()).collect();
            let picked: Vec<DfExpr> = left
                .columns
                .iter()
                .filter(|(name, _)| !keys.contains(&name.as_str()))
                .map(|(name, _)| {
                    PickRowUdaf::udaf(Pick::Any)
                        .call(vec![DfExpr::Column(Column::from_name(name.clone()))])
                        .alias(name)
                })
                .collect();
            let columns: Vec<DfExpr> = left
                .columns
                .iter()
                .map(|(name, _)| DfExpr::Column(Column::from_name(name.clone())))
                .collect();
            left_builder = left_builder
                .aggregate(on, picked)
                .and_then(|b| b.project(columns))
                .map_err(|e| engine(self, e))?;
        }
        let right_plan = right
            .builder
            .clone()
            .alias("__right")
            .and_then(|b| b.build())
            .map_err(|e| engine(self, e))?;
        let left_keys: Vec<Column> = join
            .keys
            .iter()
            .map(|(l, _)| Column::new(Some("__left"), l.name.clone()))
            .collect();
        let right_keys: Vec<Column> = join
            .keys
            .iter()
            .map(|(_, r)| Column::new(Some("__right"), r.name.clone()))
            .collect();
        let joined = left_builder
            .alias("__left")
            .and_then(|b| b.join(right_plan, join_type, (left_keys, right_keys), None))
            .map_err(|e| engine(self, e))?;
        let from =
            |side: &str, name: &str| DfExpr::Column(Column::new(Some(side.to_string()), name));
        let mut exprs = Vec::new();
        let mut columns: Vec<(String, KqlType)> = Vec::new();
        if output != Output::RightOnly {
            for (name, ty) in &left.columns {
                exprs.push(from("__left", name).alias(name.as_str()));
                columns.push((name.clone(), *ty));
            }
        }
        if output != Output::LeftOnly {
            for (name, ty) in &right.columns {
                // lookup: the keys appear once, as the left side's.
                if join.lookup && join.keys.iter().any(|(_, r)| r.name == *name) {
                    continue;
                }
                // A name the output has already takes a suffix: `DeviceId` → `DeviceId1`.
                let out = unique_name(name, &columns);
                exprs.push(from("__right", name).alias(out.as_str()));
                columns.push((out, *ty));
            }
        }
        let builder = LogicalPlanBuilder::from(joined.build().map_err(|e| engine(self, e))?)
            .project(exprs)
            .map_err(|e| engine(self, e))?;
        Ok(Frame { builder, columns })
    }
}
