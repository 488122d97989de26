//! The last step of aggregates DataFusion has no function for, run on each group's list of
//! values (from `array_agg`): `percentile` by nearest rank (percentiles-aggregation-function.md),
//! `make_bag` (make-bag-aggregation-function.md) and `buildschema`
//! (buildschema-aggregation-function.md).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder, new_null_array};
use datafusion::arrow::compute::{SortOptions, concat, sort_to_indices};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::results::KqlType;

/// The nearest-rank percentile `p` (0–100) of each group's values: with the `n` non-null values
/// in ascending order, the one at rank ⌈p/100 · n⌉ (the least for p = 0); null for no values.
/// With several `p` (`percentiles_array`), a dynamic array of them.
///
/// Weighted (`percentilesw`, percentilesw-aggregation-function.md), each group's list holds
/// `{v, w}` structs, and each value counts as if it were repeated `w` times (a long; a value
/// whose weight is null or below 1 is left out): the rank is ⌈p/100 · W⌉ of the total weight W.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PercentileUdf {
    /// Each `p` as its bits (f64 is not `Eq`).
    ps: Vec<u64>,
    ty: KqlType,
    /// A dynamic array of every `p` rather than one value.
    array: bool,
    /// The list holds `{v, w}` structs (value, weight).
    weighted: bool,
    signature: Signature,
}

impl PercentileUdf {
    /// One `p` in 0–100 (the planner checks it); `ty` is the values' KQL type.
    pub fn udf(p: f64, ty: KqlType) -> ScalarUDF {
        ScalarUDF::from(PercentileUdf {
            ps: vec![p.to_bits()],
            ty,
            array: false,
            weighted: false,
            signature: Signature::any(1, Volatility::Immutable),
        })
    }

    /// Every `p` of `ps`, as a dynamic array (`percentiles_array`).
    pub fn array_udf(ps: &[f64], ty: KqlType) -> ScalarUDF {
        ScalarUDF::from(PercentileUdf {
            ps: ps.iter().map(|p| p.to_bits()).collect(),
            ty,
            array: true,
            weighted: false,
            signature: Signature::any(1, Volatility::Immutable),
        })
    }

    /// [`PercentileUdf::udf`] (`array` false, one `p`) or [`PercentileUdf::array_udf`] over
    /// lists of `{v, w}` structs: the weighted percentiles.
    pub fn weighted_udf(ps: &[f64], ty: KqlType, array: bool) -> ScalarUDF {
        ScalarUDF::from(PercentileUdf {
            ps: ps.iter().map(|p| p.to_bits()).collect(),
            ty,
            array,
            weighted: true,
            signature: Signature::any(1, Volatility::Immutable),
        })
    }
}

/// The index (into `order`) of the value at weighted nearest rank ⌈p/100 · W⌉, where
/// `weights[i]` is how many times value `order[k] = i` counts; `None` when no weight is positive.
pub fn weighted_rank(p: f64, order: &[usize], weights: &[i64]) -> Option<usize> {
    let total: i128 = order.iter().map(|&i| i128::from(weights[i].max(0))).sum();
    if total <= 0 {
        return None;
    }
    // ⌈p/100 · W⌉ in 1..=W; W fits an f64 closely enough for a rank (it is at most 2^127).
    let rank = ((p / 100.0 * total as f64).ceil() as i128).clamp(1, total);
    let mut running: i128 = 0;
    for (k, &i) in order.iter().enumerate() {
        running += i128::from(weights[i].max(0));
        if running >= rank {
            return Some(k);
        }
    }
    order.len().checked_sub(1)
}

/// The 1-based nearest rank of percentile `p` among `n` values (`n` > 0).
pub fn nearest_rank(p: f64, n: usize) -> usize {
    let rank = (p / 100.0 * n as f64).ceil();
    (rank as usize).clamp(1, n)
}

impl ScalarUDFImpl for PercentileUdf {
    fn name(&self) -> &str {
        "kql_percentile"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(if self.array {
            DataType::Utf8
        } else {
            self.ty.arrow_type()
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let lists = args.args[0].to_array(args.number_rows)?;
        let Some(lists) = lists.as_list_opt::<i32>() else {
            return exec_err!("percentile() expects the list of a group's values");
        };
        let ps: Vec<f64> = self.ps.iter().map(|b| f64::from_bits(*b)).collect();
        let mut picked: Vec<ArrayRef> = Vec::with_capacity(lists.len());
        let mut arrays = StringBuilder::new();
        let null = new_null_array(&self.ty.arrow_type(), 1);
        for row in 0..lists.len() {
            let items = (!lists.is_null(row)).then(|| lists.value(row));
            // The values, and for a weighted percentile each value's weight.
            let (values, weights) = match items {
                Some(items) if self.weighted => {
                    let Some(pairs) = items.as_struct_opt() else {
                        return exec_err!("percentilesw() expects value and weight pairs");
                    };
                    if pairs.num_columns() != 2 {
                        return exec_err!("percentilesw() expects value and weight pairs");
                    }
                    let weights =
                        datafusion::arrow::compute::cast(pairs.column(1), &DataType::Int64)?;
                    let weights = weights.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
                    let weights: Vec<i64> = (0..weights.len())
                        .map(|i| {
                            if weights.is_null(i) || pairs.column(0).is_null(i) {
                                0
                            } else {
                                weights.value(i)
                            }
                        })
                        .collect();
                    (Some(pairs.column(0).clone()), Some(weights))
                }
                other => (other, None),
            };
            let present = match (&values, &weights) {
                (_, Some(weights)) => weights.iter().filter(|w| **w > 0).count(),
                (Some(v), None) => v.len() - v.null_count(),
                (None, None) => 0,
            };
            let (Some(values), true) = (values, present > 0) else {
                picked.push(null.clone());
                arrays.append_value("[]");
                continue;
            };
            let values = datafusion::arrow::compute::cast(&values, &self.ty.arrow_type())?;
            let order = sort_to_indices(
                &values,
                Some(SortOptions {
                    descending: false,
                    nulls_first: false,
                }),
                None,
            )?;
            let order: Vec<usize> = order.values().iter().map(|i| *i as usize).collect();
            let at = |p: f64| match &weights {
                Some(weights) => weighted_rank(p, &order, weights).map_or(0, |k| order[k]),
                None => order[nearest_rank(p, present) - 1],
            };
            if self.array {
                let items: Vec<serde_json::Value> = ps
                    .iter()
                    .map(|p| crate::results::format::cell_json(values.as_ref(), at(*p), self.ty))
                    .collect();
                arrays.append_value(serde_json::Value::Array(items).to_string());
            } else {
                picked.push(values.slice(at(ps.first().copied().unwrap_or(50.0)), 1));
            }
        }
        if self.array {
            return Ok(ColumnarValue::Array(Arc::new(arrays.finish())));
        }
        if picked.is_empty() {
            return Ok(ColumnarValue::Array(new_null_array(
                &self.ty.arrow_type(),
                0,
            )));
        }
        let refs: Vec<&dyn Array> = picked.iter().map(|a| a.as_ref()).collect();
        Ok(ColumnarValue::Array(concat(&refs)?))
    }
}

/// `make_bag`: each group's property bags (JSON texts) merged into one; a key already taken
/// keeps its first value; values that are not bags are skipped; at most `max` keys.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MergeBagsUdf {
    max: usize,
    signature: Signature,
}

impl MergeBagsUdf {
    pub fn udf(max: usize) -> ScalarUDF {
        ScalarUDF::from(MergeBagsUdf {
            max,
            signature: Signature::any(1, Volatility::Immutable),
        })
    }
}

/// Bags merged as `make_bag` does (first value of a key wins, at most `max` keys).
pub fn merge_bags<'a>(bags: impl Iterator<Item = &'a str>, max: usize) -> serde_json::Value {
    let mut merged = serde_json::Map::new();
    for text in bags {
        let Ok(serde_json::Value::Object(bag)) = serde_json::from_str(text) else {
            continue;
        };
        for (key, value) in bag {
            if merged.len() >= max {
                break;
            }
            merged.entry(key).or_insert(value);
        }
    }
    serde_json::Value::Object(merged)
}

/// The result column of an aggregate finished from its group's values (an Arrow list per
/// group): `each` gets a group's values as text (`None` for a group without a list) and gives
/// its JSON, or null. Errors name `function`; a text past the dynamic size limit is one.
fn per_group_json(
    args: &ScalarFunctionArgs,
    function: &str,
    mut each: impl FnMut(
        Option<&datafusion::arrow::array::StringArray>,
    ) -> std::result::Result<Option<serde_json::Value>, String>,
) -> Result<ColumnarValue> {
    let lists = args.args[0].to_array(args.number_rows)?;
    let Some(lists) = lists.as_list_opt::<i32>() else {
        return exec_err!("{function}() expects the list of a group's values");
    };
    let mut out = StringBuilder::with_capacity(lists.len(), lists.len() * 32);
    for row in 0..lists.len() {
        let values = if lists.is_null(row) {
            None
        } else {
            Some(datafusion::arrow::compute::cast(
                &lists.value(row),
                &DataType::Utf8,
            )?)
        };
        let json =
            each(values.as_ref().map(|v| v.as_string::<i32>())).and_then(|json| match json {
                Some(json) => crate::engine::functions::append_text(&mut out, &json.to_string()),
                None => {
                    out.append_null();
                    Ok(())
                }
            });
        if let Err(message) = json {
            return exec_err!("{function}(): {message}");
        }
    }
    Ok(ColumnarValue::Array(Arc::new(out.finish())))
}

impl ScalarUDFImpl for MergeBagsUdf {
    fn name(&self) -> &str {
        "kql_make_bag"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        // A group without values is an empty bag.
        per_group_json(&args, "make_bag", |texts| {
            Ok(Some(match texts {
                Some(texts) => merge_bags(texts.iter().flatten(), self.max),
                None => serde_json::Value::Object(serde_json::Map::new()),
            }))
        })
    }
}

/// One alternative of a schema: a primitive type's name, a container of named schemas, or an
/// array (a container whose only name is `` `indexer` ``) of an item schema.
#[derive(Debug, Clone, PartialEq)]
enum Alternative {
    Primitive(&'static str),
    Object(Vec<(String, Schema)>),
    Array(Schema),
}

/// A schema: its alternatives, in the order first seen (no two of the same kind).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema(Vec<Alternative>);

/// The key of an array's item schema in Kusto's schema model (buildschema's page writes
/// `Named-type ::= (name | '"`indexer`"') ':' Type`: the backticks are part of the key).
const INDEXER: &str = "`indexer`";

impl Schema {
    /// Adds what `value` needs: null adds nothing; a whole number is `long`, another number
    /// `double`, then `string`, `bool`; a bag a container, an array an indexer container.
    /// `Err` for an empty array with no item seen, whose schema the page does not give.
    pub fn admit(&mut self, value: &serde_json::Value, depth: usize) -> Result<(), String> {
        use serde_json::Value as J;
        if depth > 128 {
            return Err("the value nests more than 128 levels deep".to_string());
        }
        match value {
            J::Null => Ok(()),
            J::Bool(_) => self.primitive("bool"),
            J::Number(n) if n.is_i64() || n.is_u64() => self.primitive("long"),
            J::Number(_) => self.primitive("double"),
            J::String(_) => self.primitive("string"),
            J::Object(bag) => {
                let at = match self
                    .0
                    .iter()
                    .position(|a| matches!(a, Alternative::Object(_)))
                {
                    Some(at) => at,
                    None => {
                        self.0.push(Alternative::Object(Vec::new()));
                        self.0.len() - 1
                    }
                };
                let Alternative::Object(fields) = &mut self.0[at] else {
                    return Ok(());
                };
                for (key, item) in bag {
                    let slot = match fields.iter().position(|(k, _)| k == key) {
                        Some(slot) => slot,
                        None => {
                            fields.push((key.clone(), Schema::default()));
                            fields.len() - 1
                        }
                    };
                    fields[slot].1.admit(item, depth + 1)?;
                }
                Ok(())
            }
            J::Array(items) => {
                let at = match self
                    .0
                    .iter()
                    .position(|a| matches!(a, Alternative::Array(_)))
                {
                    Some(at) => at,
                    None => {
                        self.0.push(Alternative::Array(Schema::default()));
                        self.0.len() - 1
                    }
                };
                let Alternative::Array(item_schema) = &mut self.0[at] else {
                    return Ok(());
                };
                for item in items {
                    item_schema.admit(item, depth + 1)?;
                }
                Ok(())
            }
        }
    }

    fn primitive(&mut self, name: &'static str) -> Result<(), String> {
        if !self.0.contains(&Alternative::Primitive(name)) {
            self.0.push(Alternative::Primitive(name));
        }
        Ok(())
    }

    /// The schema as Kusto writes it: one alternative as itself, several as an array of them;
    /// `None` when nothing was admitted. `Err` for an array no item of which was seen.
    pub fn to_json(&self) -> Result<Option<serde_json::Value>, String> {
        let mut rendered = Vec::with_capacity(self.0.len());
        for alternative in &self.0 {
            rendered.push(match alternative {
                Alternative::Primitive(name) => serde_json::Value::String((*name).to_string()),
                Alternative::Object(fields) => {
                    let mut bag = serde_json::Map::new();
                    for (key, schema) in fields {
                        // A key seen only with null values admits nothing.
                        if let Some(value) = schema.to_json()? {
                            bag.insert(key.clone(), value);
                        }
                    }
                    serde_json::Value::Object(bag)
                }
                Alternative::Array(items) => {
                    let Some(items) = items.to_json()? else {
                        return Err(
                            "the schema of arrays that are all empty is not documented (buildschema-aggregation-function.md)"
                                .to_string(),
                        );
                    };
                    let mut bag = serde_json::Map::new();
                    bag.insert(INDEXER.to_string(), items);
                    serde_json::Value::Object(bag)
                }
            });
        }
        Ok(match rendered.len() {
            0 => None,
            1 => rendered.pop(),
            _ => Some(serde_json::Value::Array(rendered)),
        })
    }
}

/// `buildschema`: each group's dynamic values (JSON texts) → their [`Schema`] as JSON text,
/// null when the group has no value.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct BuildSchemaUdf {
    signature: Signature,
}

impl BuildSchemaUdf {
    /// The UDF, over one list (of JSON texts) per group.
    pub fn udf() -> ScalarUDF {
        ScalarUDF::from(BuildSchemaUdf {
            signature: Signature::any(1, Volatility::Immutable),
        })
    }
}

impl ScalarUDFImpl for BuildSchemaUdf {
    fn name(&self) -> &str {
        "kql_buildschema"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        per_group_json(&args, "buildschema", |texts| {
            let mut schema = Schema::default();
            for text in texts.into_iter().flat_map(|texts| texts.iter().flatten()) {
                // Values that are not JSON have no schema to add.
                if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
                    schema.admit(&value, 0)?;
                }
            }
            schema.to_json()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_is_the_pages_definition() {
        // 10 values: the 50th percentile is the 5th, the 95th the 10th, the 0th the 1st.
        assert_eq!(nearest_rank(50.0, 10), 5);
        assert_eq!(nearest_rank(95.0, 10), 10);
        assert_eq!(nearest_rank(0.0, 10), 1);
        assert_eq!(nearest_rank(100.0, 10), 10);
        assert_eq!(nearest_rank(5.0, 10), 1);
        assert_eq!(nearest_rank(51.0, 10), 6);
        assert_eq!(nearest_rank(50.0, 1), 1);
    }

    #[test]
    fn weighted_rank_is_the_pages_example() {
        // percentilesw-aggregation-function.md: 10 ×8, 20 ×6, 30 ×3, 40 ×1 (in that order).
        let order = [0, 1, 2, 3];
        let weights = [8, 6, 3, 1];
        assert_eq!(weighted_rank(50.0, &order, &weights), Some(1));
        assert_eq!(weighted_rank(75.0, &order, &weights), Some(1));
        assert_eq!(weighted_rank(99.9, &order, &weights), Some(3));
        assert_eq!(weighted_rank(0.0, &order, &weights), Some(0));
        assert_eq!(weighted_rank(100.0, &order, &weights), Some(3));
        // Weights below 1 count for nothing; none at all gives no rank.
        assert_eq!(weighted_rank(0.0, &order, &[0, -5, 3, 1]), Some(2));
        assert_eq!(weighted_rank(50.0, &order, &[0, 0, 0, 0]), None);
        assert_eq!(weighted_rank(50.0, &[], &[]), None);
        // Large weights count exactly; the largest do not overflow.
        assert_eq!(weighted_rank(50.0, &[0, 1], &[1 << 40, 1 << 40]), Some(0));
        assert_eq!(weighted_rank(51.0, &[0, 1], &[1 << 40, 1 << 40]), Some(1));
        assert!(weighted_rank(50.0, &[0, 1], &[i64::MAX, i64::MAX]).is_some());
    }

    #[test]
    fn schema_is_the_pages_example() {
        let mut schema = Schema::default();
        for value in [
            serde_json::json!({"x":1, "y":3.5}),
            serde_json::json!({"x":"somevalue", "z":[1, 2, 3]}),
            serde_json::json!({"y":{"w":"zzz"}, "t":["aa", "bb"], "z":["foo"]}),
        ] {
            assert_eq!(schema.admit(&value, 0), Ok(()));
        }
        assert_eq!(
            schema.to_json(),
            Ok(Some(serde_json::json!({
                "x": ["long", "string"],
                "y": ["double", {"w": "string"}],
                "z": {"`indexer`": ["long", "string"]},
                "t": {"`indexer`": "string"}
            })))
        );
        // Nothing, or only nulls, admits nothing; a bool is a bool.
        let mut empty = Schema::default();
        assert_eq!(empty.admit(&serde_json::Value::Null, 0), Ok(()));
        assert_eq!(empty.to_json(), Ok(None));
        let mut flags = Schema::default();
        assert_eq!(flags.admit(&serde_json::json!([true, null]), 0), Ok(()));
        assert_eq!(
            flags.to_json(),
            Ok(Some(serde_json::json!({"`indexer`": "bool"})))
        );
        // An array that is always empty has no documented schema.
        let mut hollow = Schema::default();
        assert_eq!(hollow.admit(&serde_json::json!({"a": []}), 0), Ok(()));
        assert!(hollow.to_json().is_err());
        // Deep nesting is refused, not followed.
        let mut deep = serde_json::json!(1);
        for _ in 0..200 {
            deep = serde_json::json!([deep]);
        }
        assert!(Schema::default().admit(&deep, 0).is_err());
    }

    #[test]
    fn bags_merge_first_value_wins_and_stop_at_the_limit() {
        let bags = [r#"{"a":1}"#, r#"{"a":2,"b":3}"#, "5", r#"{"c":4}"#];
        assert_eq!(
            merge_bags(bags.iter().copied(), 10),
            serde_json::json!({"a":1,"b":3,"c":4})
        );
        assert_eq!(
            merge_bags(bags.iter().copied(), 2),
            serde_json::json!({"a":1,"b":3})
        );
    }
}
