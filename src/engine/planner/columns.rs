//! `project-away`, `project-keep` and `project-reorder` (their operator pages): column names
//! and `*` wildcard patterns. A plain name must name a column; a pattern may match none.

use super::{Frame, Planner, column};
use crate::backend::QueryError;
use crate::kql::Span;
use crate::kql::ast::{ColumnPattern, PatternOrder, ProjectKind};
use crate::results::KqlType;

/// Whether `name` matches `pattern`, where `*` stands for any run of characters.
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || !name[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// `granny` order: runs of digits compare as numbers (`a2` before `a10`).
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let chunks = |s: &str| -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in s.chars() {
            let digit = c.is_ascii_digit();
            match out.last_mut() {
                Some((d, text)) if *d == digit => text.push(c),
                _ => out.push((digit, c.to_string())),
            }
        }
        out
    };
    let (a, b) = (chunks(a), chunks(b));
    for ((ad, at), (bd, bt)) in a.iter().zip(&b) {
        let order = if *ad && *bd {
            let (at, bt) = (at.trim_start_matches('0'), bt.trim_start_matches('0'));
            at.len().cmp(&bt.len()).then_with(|| at.cmp(bt))
        } else {
            at.cmp(bt)
        };
        if order.is_ne() {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

impl Planner<'_> {
    /// `project-by-names Spec, …` (project-by-names-operator.md): the columns each spec names —
    /// a name, a `*` pattern, or a dynamic array of them — in that order, each once; names no
    /// column has are left out.
    pub(super) fn project_by_names(
        &mut self,
        frame: Frame,
        specs: &[crate::kql::ast::Expr],
        span: Span,
    ) -> Result<Frame, QueryError> {
        use crate::kql::ast::{ExprKind, Literal};
        let mut patterns: Vec<String> = Vec::new();
        for spec in specs {
            if let ExprKind::Column(name) = &spec.kind
                && frame.column_type(name).is_some()
            {
                patterns.push(name.clone());
                continue;
            }
            match self.expr(spec, &Frame::empty())?.literal {
                Some(Literal::String(name)) => patterns.push(name),
                Some(Literal::Dynamic(json)) => {
                    match serde_json::from_str::<Vec<serde_json::Value>>(&json) {
                        Ok(items) => patterns.extend(
                            items
                                .into_iter()
                                .filter_map(|i| i.as_str().map(str::to_string)),
                        ),
                        Err(_) => {
                            return Err(self.semantic(
                                "project-by-names takes column names or arrays of them",
                                spec.span,
                            ));
                        }
                    }
                }
                _ => {
                    return Err(self.semantic(
                        "project-by-names takes column names, patterns or dynamic arrays of them (constants)",
                        spec.span,
                    ));
                }
            }
        }
        let mut chosen: Vec<(String, KqlType)> = Vec::new();
        for pattern in &patterns {
            for (name, ty) in &frame.columns {
                if wildcard_match(pattern, name) && !chosen.iter().any(|(n, _)| n == name) {
                    chosen.push((name.clone(), *ty));
                }
            }
        }
        let exprs = chosen.iter().map(|(n, _)| column(n)).collect();
        self.projected(frame, exprs, chosen, span)
    }

    pub(super) fn project_columns(
        &self,
        frame: Frame,
        kind: ProjectKind,
        items: &[ColumnPattern],
        span: Span,
    ) -> Result<Frame, QueryError> {
        for item in items {
            if !item.pattern.contains('*') && frame.column_type(&item.pattern).is_none() {
                return Err(self.unknown_column(&frame, &item.pattern, item.span));
            }
        }
        let matches = |name: &str| items.iter().any(|item| wildcard_match(&item.pattern, name));
        let chosen: Vec<(String, KqlType)> = match kind {
            ProjectKind::Away => frame
                .columns
                .iter()
                .filter(|(n, _)| !matches(n))
                .cloned()
                .collect(),
            ProjectKind::Keep => frame
                .columns
                .iter()
                .filter(|(n, _)| matches(n))
                .cloned()
                .collect(),
            ProjectKind::Reorder => {
                let mut ordered: Vec<(String, KqlType)> = Vec::new();
                for item in items {
                    let mut group: Vec<(String, KqlType)> = frame
                        .columns
                        .iter()
                        .filter(|(n, _)| wildcard_match(&item.pattern, n))
                        .filter(|(n, _)| !ordered.iter().any(|(o, _)| o == n))
                        .cloned()
                        .collect();
                    match item.order {
                        Some(PatternOrder::Asc) => group.sort_by(|a, b| a.0.cmp(&b.0)),
                        Some(PatternOrder::Desc) => group.sort_by(|a, b| b.0.cmp(&a.0)),
                        Some(PatternOrder::GrannyAsc) => {
                            group.sort_by(|a, b| natural_cmp(&a.0, &b.0))
                        }
                        Some(PatternOrder::GrannyDesc) => {
                            group.sort_by(|a, b| natural_cmp(&b.0, &a.0))
                        }
                        None => {}
                    }
                    ordered.extend(group);
                }
                for (name, ty) in &frame.columns {
                    if !ordered.iter().any(|(o, _)| o == name) {
                        ordered.push((name.clone(), *ty));
                    }
                }
                ordered
            }
        };
        let exprs = chosen.iter().map(|(n, _)| column(n)).collect();
        self.projected(frame, exprs, chosen, span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_any_run() {
        assert!(wildcard_match("Account*", "AccountName"));
        assert!(wildcard_match("*Name", "AccountName"));
        assert!(wildcard_match("A*N*e", "AccountName"));
        assert!(wildcard_match("*", "x"));
        assert!(!wildcard_match("Account*", "DeviceName"));
        assert!(!wildcard_match("A*x", "A"));
        assert!(wildcard_match("Name", "Name"));
        assert!(!wildcard_match("Name", "Names"));
    }

    #[test]
    fn granny_order_reads_numbers() {
        let mut names = vec!["a10", "a2", "b1", "a1"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(names, ["a1", "a2", "a10", "b1"]);
    }
}
