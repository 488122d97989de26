//! One whole row per group: `arg_max`/`arg_min` (the row with the greatest or least key;
//! arg-max-aggregation-function.md), `take_any` of several columns and `join kind=innerunique`'s
//! one left row per key (a row; which one is not defined by Kusto). The row travels as one struct,
//! so all its columns come from the same row.
//!
//! DataFusion's `first_value` with an ordering does this too, but for a struct it falls back to
//! its generic path, which slices every group's rows out of every batch: 10× slower than this.
//! Here the key is compared in Arrow's row format (bytes that sort as the values do, nulls below
//! every value for `arg_max` and above for `arg_min`: a null key wins only a group without
//! others), and a group's row is copied out only when it wins within a batch. Ties keep the row
//! seen first.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray};
use datafusion::arrow::compute::{SortOptions, nullif};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::arrow::row::{OwnedRow, RowConverter, SortField};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};

/// Which row of a group is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pick {
    /// The first row seen: `(row)`.
    First,
    /// The row with the greatest key: `(key, row)`.
    Max,
    /// The row with the least key: `(key, row)`.
    Min,
    /// The first value seen, null or not: `(value)`. Several of these over the columns of one
    /// input keep one row's values (they see the rows in the same order), and the optimizer can
    /// drop the columns nobody reads (it cannot look inside a struct).
    Any,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PickRowUdaf {
    pick: Pick,
    signature: Signature,
}

impl PickRowUdaf {
    pub fn udaf(pick: Pick) -> AggregateUDF {
        let arity = if matches!(pick, Pick::First | Pick::Any) {
            1
        } else {
            2
        };
        AggregateUDF::from(PickRowUdaf {
            pick,
            signature: Signature::any(arity, Volatility::Immutable),
        })
    }

    fn keyed(&self) -> bool {
        matches!(self.pick, Pick::Max | Pick::Min)
    }
}

impl AggregateUDFImpl for PickRowUdaf {
    fn name(&self) -> &str {
        match self.pick {
            Pick::First => "kql_pick_first_row",
            Pick::Max => "kql_pick_max_row",
            Pick::Min => "kql_pick_min_row",
            Pick::Any => "kql_take_any_value",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.last() {
            Some(row) => Ok(row.clone()),
            None => exec_err!("{} needs a row", self.name()),
        }
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let row = Arc::new(Field::new(
            "row",
            args.return_field.data_type().clone(),
            true,
        ));
        if self.pick == Pick::Any {
            return Ok(vec![
                row,
                Arc::new(Field::new("seen", DataType::Boolean, true)),
            ]);
        }
        if !self.keyed() {
            return Ok(vec![row]);
        }
        let key_type = args.input_fields[0].data_type().clone();
        Ok(vec![Arc::new(Field::new("key", key_type, true)), row])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(PickAccumulator {
            groups: self.groups(&args)?,
        }))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(self.groups(&args)?))
    }
}

impl PickRowUdaf {
    fn groups(&self, args: &AccumulatorArgs) -> Result<PickGroups> {
        let row_type = args.return_field.data_type().clone();
        let key = if self.keyed() {
            let key_type = args.exprs[0].data_type(args.schema)?;
            let options = SortOptions {
                descending: false,
                // Null below every key for the greatest, above every key for the least.
                nulls_first: self.pick == Pick::Max,
            };
            Some((
                RowConverter::new(vec![SortField::new_with_options(key_type.clone(), options)])?,
                key_type,
            ))
        } else {
            None
        };
        Ok(PickGroups::new(self.pick, key, row_type))
    }
}

/// Each group's kept row (and its key, in row format and as a value). Rows stay in the batches
/// they came in (shared, not copied) until they are emitted; when the batches hold many more rows
/// than are kept (`MIN_COMPACTED_ROWS`), the kept rows are copied into one array and the batches
/// let go.
struct PickGroups {
    pick: Pick,
    key: Option<(RowConverter, DataType)>,
    row_type: DataType,
    best: Vec<Option<(OwnedRow, ScalarValue)>>,
    /// Each group's row: (batch, row) in `batches`.
    rows: Vec<Option<(usize, usize)>>,
    batches: Vec<ArrayRef>,
    /// The best row of each group within the current batch (valid where `stamp` is `round`):
    /// keys are copied out once per group and batch, not once per better row.
    candidate: Vec<usize>,
    stamp: Vec<u64>,
    round: u64,
    /// How many groups have a row.
    live: usize,
    /// The rows and bytes of `batches`, and the bytes of `best`, kept as they change:
    /// DataFusion asks `size()` after every batch, and summing them then is quadratic.
    held_rows: usize,
    batch_bytes: usize,
    best_bytes: usize,
}

/// The heap bytes of one group's best key.
fn best_size(best: &Option<(OwnedRow, ScalarValue)>) -> usize {
    best.as_ref()
        .map_or(0, |(row, key)| row.as_ref().len() + key.size())
}

/// The kept rows are compacted when the batches they point into hold more than twice as many
/// rows as there are kept rows, and more than this many: memory stays near the kept rows' own.
const MIN_COMPACTED_ROWS: usize = 65_536;

impl PickGroups {
    /// No groups yet; `key` converts the compared values (none for `First`/`Any`).
    fn new(pick: Pick, key: Option<(RowConverter, DataType)>, row_type: DataType) -> PickGroups {
        PickGroups {
            pick,
            key,
            row_type,
            best: Vec::new(),
            rows: Vec::new(),
            batches: Vec::new(),
            candidate: Vec::new(),
            stamp: Vec::new(),
            round: 0,
            live: 0,
            held_rows: 0,
            batch_bytes: 0,
            best_bytes: 0,
        }
    }

    /// Takes rows `(key?, row)` for their groups; rows left out by `filter` or whose row is
    /// null (an empty state) are passed over.
    fn take(
        &mut self,
        keys: Option<&ArrayRef>,
        row: &ArrayRef,
        groups: &[usize],
        filter: Option<&BooleanArray>,
        total: usize,
    ) -> Result<()> {
        // `Any` takes nulls too: a null is a value of the row.
        let skip_nulls = self.pick != Pick::Any;
        self.best.resize(total, None);
        self.rows.resize(total, None);
        let converted = match (&self.key, keys) {
            (Some((converter, _)), Some(keys)) => {
                Some(converter.convert_columns(std::slice::from_ref(keys))?)
            }
            _ => None,
        };
        let batch = self.batches.len();
        let mut used = false;
        self.round += 1;
        self.candidate.resize(total, 0);
        self.stamp.resize(total, 0);
        let mut touched: Vec<usize> = Vec::new();
        for (at, &group) in groups.iter().enumerate() {
            if filter.is_some_and(|f| !f.is_valid(at) || !f.value(at))
                || (skip_nulls && row.is_null(at))
            {
                continue;
            }
            let Some(rows) = &converted else {
                // First / Any: the first row seen.
                if self.rows[group].is_none() {
                    self.rows[group] = Some((batch, at));
                    self.live += 1;
                    used = true;
                }
                continue;
            };
            let candidate = rows.row(at);
            let incumbent = if self.stamp[group] == self.round {
                Some(rows.row(self.candidate[group]))
            } else {
                self.best[group].as_ref().map(|(best, _)| best.row())
            };
            let better = match incumbent {
                None => true,
                Some(best) if self.pick == Pick::Max => candidate > best,
                Some(best) => candidate < best,
            };
            if better {
                if self.stamp[group] != self.round {
                    self.stamp[group] = self.round;
                    touched.push(group);
                }
                self.candidate[group] = at;
            }
        }
        if let (Some(rows), Some(keys)) = (&converted, keys) {
            for group in touched {
                let at = self.candidate[group];
                let best = Some((rows.row(at).owned(), ScalarValue::try_from_array(keys, at)?));
                self.best_bytes = (self.best_bytes + best_size(&best))
                    .saturating_sub(best_size(&self.best[group]));
                self.best[group] = best;
                if self.rows[group].replace((batch, at)).is_none() {
                    self.live += 1;
                }
                used = true;
            }
        }
        if used {
            self.held_rows += row.len();
            self.batch_bytes += row.get_array_memory_size();
            self.batches.push(row.clone());
            if self.held_rows > MIN_COMPACTED_ROWS && self.held_rows > 2 * self.live {
                self.compact()?;
            }
        }
        Ok(())
    }

    /// Copies the kept rows into one array and lets the batches go.
    fn compact(&mut self) -> Result<()> {
        let mut places = Vec::new();
        for slot in self.rows.iter_mut().flatten() {
            places.push(*slot);
            *slot = (0, places.len() - 1);
        }
        let sources: Vec<&dyn Array> = self.batches.iter().map(|b| b.as_ref()).collect();
        let kept = datafusion::arrow::compute::interleave(&sources, &places)?;
        self.held_rows = kept.len();
        self.batch_bytes = kept.get_array_memory_size();
        self.batches = vec![kept];
        Ok(())
    }

    /// Lets the batches go once no group points into them (after rows were emitted).
    fn release(&mut self) {
        self.live = self.rows.iter().filter(|r| r.is_some()).count();
        self.best_bytes = self.best.iter().map(best_size).sum();
        if self.rows.iter().all(Option::is_none) {
            self.batches.clear();
            self.held_rows = 0;
            self.batch_bytes = 0;
        }
    }

    /// The rows of `taken` groups as one array (null for a group without one).
    fn row_array(&self, taken: Vec<Option<(usize, usize)>>) -> Result<ArrayRef> {
        let null = datafusion::arrow::array::new_null_array(&self.row_type, 1);
        let mut sources: Vec<&dyn Array> = self.batches.iter().map(|b| b.as_ref()).collect();
        sources.push(null.as_ref());
        let places: Vec<(usize, usize)> = taken
            .into_iter()
            .map(|slot| slot.unwrap_or((self.batches.len(), 0)))
            .collect();
        Ok(datafusion::arrow::compute::interleave(&sources, &places)?)
    }
}

impl GroupsAccumulator for PickGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        match values {
            [row] => self.take(None, row, group_indices, opt_filter, total_num_groups),
            [key, row] => self.take(Some(key), row, group_indices, opt_filter, total_num_groups),
            _ => exec_err!("a row pick takes (row) or (key, row)"),
        }
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        match (self.pick, values) {
            // A state (value, seen): only states that saw a value count.
            (Pick::Any, [value, seen]) => {
                let seen = seen.as_any().downcast_ref::<BooleanArray>().cloned();
                self.take(None, value, group_indices, seen.as_ref(), total_num_groups)
            }
            _ => self.update_batch(values, group_indices, None, total_num_groups),
        }
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let rows = emit_to.take_needed(&mut self.rows);
        let _ = emit_to.take_needed(&mut self.best);
        let array = self.row_array(rows);
        self.release();
        array
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let taken = emit_to.take_needed(&mut self.rows);
        let seen: BooleanArray = taken.iter().map(|slot| Some(slot.is_some())).collect();
        let rows = self.row_array(taken)?;
        self.release();
        if self.pick == Pick::Any {
            return Ok(vec![rows, Arc::new(seen)]);
        }
        let best = emit_to.take_needed(&mut self.best);
        self.best_bytes = self.best.iter().map(best_size).sum();
        let Some((_, key_type)) = &self.key else {
            return Ok(vec![rows]);
        };
        let null_key = ScalarValue::try_from(key_type)?;
        let keys = if best.is_empty() {
            null_key.to_array_of_size(0)?
        } else {
            ScalarValue::iter_to_array(
                best.into_iter()
                    .map(|b| b.map_or_else(|| null_key.clone(), |(_, key)| key)),
            )?
        };
        Ok(vec![keys, rows])
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each row its own state; a filtered-out row an empty one (a null row, or not seen).
        if self.pick == Pick::Any {
            let rows = values.first().map_or(0, |v| v.len());
            let seen = match opt_filter {
                Some(filter) => filter.clone(),
                None => BooleanArray::from(vec![true; rows]),
            };
            return Ok(vec![values[0].clone(), Arc::new(seen)]);
        }
        let Some(filter) = opt_filter else {
            return Ok(values.to_vec());
        };
        let dropped = datafusion::arrow::compute::not(filter)?;
        values.iter().map(|v| Ok(nullif(v, &dropped)?)).collect()
    }

    fn size(&self) -> usize {
        self.batch_bytes
            + self.best_bytes
            + self.rows.capacity() * std::mem::size_of::<Option<(usize, usize)>>()
    }
}

/// The same pick without groups (`summarize arg_max(…)` with no `by`).
struct PickAccumulator {
    groups: PickGroups,
}

impl std::fmt::Debug for PickAccumulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PickAccumulator({:?})", self.groups.pick)
    }
}

impl Accumulator for PickAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let rows = values.first().map_or(0, |v| v.len());
        self.groups.update_batch(values, &vec![0; rows], None, 1)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let slot = self.groups.rows.first().copied().flatten();
        let array = self.groups.row_array(vec![slot])?;
        ScalarValue::try_from_array(&array, 0)
    }

    fn size(&self) -> usize {
        self.groups.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let row = self.evaluate()?;
        if self.groups.pick == Pick::Any {
            let seen = self.groups.rows.first().copied().flatten().is_some();
            return Ok(vec![row, ScalarValue::Boolean(Some(seen))]);
        }
        match &self.groups.key {
            None => Ok(vec![row]),
            Some((_, key_type)) => {
                let key = match self.groups.best.first().cloned().flatten() {
                    Some((_, key)) => key,
                    None => ScalarValue::try_from(key_type)?,
                };
                Ok(vec![key, row])
            }
        }
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let rows = states.first().map_or(0, |v| v.len());
        GroupsAccumulator::merge_batch(&mut self.groups, states, &vec![0; rows], 1)
    }
}

#[cfg(test)]
mod tests {
    use crate::backend::QueryRequest;
    use crate::engine::{Catalog, LocalEngine};

    async fn csv(query: &str) -> String {
        let engine = LocalEngine::new(Catalog::default(), "test");
        let result = engine.execute(&QueryRequest::new(query)).await.unwrap();
        let mut out = Vec::new();
        crate::results::export::write(&result, crate::results::export::ExportFormat::Csv, &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    const ROWS: &str = "datatable(k: string, t: long, v: string, w: long) [
        'a', 1, 'a1', 10, 'a', 3, 'a3', 30, 'a', 3, 'a3bis', 31, 'a', long(null), 'anull', 0,
        'b', long(null), 'bnull', 5,
        'c', 2, 'c2', long(null), 'c', 1, 'c1', 11]";

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_greatest_or_least_key_keeps_its_whole_row() {
        // Ties keep the row seen first; a null key wins only a group without another.
        assert_eq!(
            csv(&format!(
                "{ROWS} | summarize arg_max(t, v, w) by k | order by k asc"
            ))
            .await,
            "k,t,v,w\na,3,a3,30\nb,,bnull,5\nc,2,c2,\n"
        );
        assert_eq!(
            csv(&format!(
                "{ROWS} | summarize arg_min(t, v, w) by k | order by k asc"
            ))
            .await,
            "k,t,v,w\na,1,a1,10\nb,,bnull,5\nc,1,c1,11\n"
        );
        assert_eq!(
            csv(&format!("{ROWS} | summarize arg_max(t, *)")).await,
            "t,k,v,w\n3,a,a3,30\n"
        );
    }

    /// The sizes kept as rows come and go are what summing them afresh gives.
    #[test]
    fn kept_sizes_follow_the_batches_and_keys() {
        use super::{GroupsAccumulator, PickGroups, best_size};
        use datafusion::arrow::array::{Int64Array, StringArray};
        use datafusion::logical_expr::EmitTo;
        use std::sync::Arc;
        let key = super::RowConverter::new(vec![super::SortField::new(super::DataType::Int64)]);
        let mut groups = PickGroups::new(
            super::Pick::Max,
            Some((key.unwrap(), super::DataType::Int64)),
            super::DataType::Utf8,
        );
        let afresh = |g: &PickGroups| {
            let rows: usize = g.batches.iter().map(|b| b.get_array_memory_size()).sum();
            let keys: usize = g.best.iter().map(best_size).sum();
            let held: usize = g.batches.iter().map(|b| b.len()).sum();
            (rows, keys, held)
        };
        for round in 0..40_i64 {
            let n = 5_000;
            let keys: Vec<i64> = (0..n).map(|i| (i * 7919 + round * 31) % 1000).collect();
            let rows: Vec<String> = (0..n).map(|i| format!("r{round}-{i}")).collect();
            let groups_of: Vec<usize> = (0..n as usize).map(|i| i % 2_000).collect();
            let key: super::ArrayRef = Arc::new(Int64Array::from(keys));
            let row: super::ArrayRef = Arc::new(StringArray::from(rows));
            groups
                .update_batch(&[key, row], &groups_of, None, 2_000)
                .unwrap();
            if round % 13 == 12 {
                groups.evaluate(EmitTo::First(500)).unwrap();
            }
            if round == 30 {
                groups.state(EmitTo::First(700)).unwrap();
            }
            assert_eq!(
                (groups.batch_bytes, groups.best_bytes, groups.held_rows),
                afresh(&groups),
                "round {round}"
            );
        }
        groups.evaluate(EmitTo::All).unwrap();
        assert_eq!(
            (groups.batch_bytes, groups.best_bytes, groups.held_rows),
            (0, 0, 0)
        );
    }

    /// Enough rows that the kept rows are compacted (`MIN_COMPACTED_ROWS`) several times.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn compacted_rows_stay_whole() {
        assert_eq!(
            csv("range x from 1 to 400000 step 1 | extend k = x % 3, y = strcat('v', x) | summarize arg_max(x, y) by k | order by k asc").await,
            "k,x,y\n0,399999,v399999\n1,400000,v400000\n2,399998,v399998\n"
        );
        assert_eq!(
            csv("range x from 1 to 400000 step 1 | extend k = x % 3, y = strcat('v', x) | summarize arg_min(x, y) by k | order by k asc").await,
            "k,x,y\n0,3,v3\n1,1,v1\n2,2,v2\n"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn take_any_and_innerunique_keep_one_rows_values() {
        // Nulls are values of the row: never a value from another row.
        let any = csv(&format!(
            "{ROWS} | summarize take_any(v, w) by k | order by k asc"
        ))
        .await;
        let allowed = [
            "a,a1,10",
            "a,a3,30",
            "a,a3bis,31",
            "a,anull,0",
            "b,bnull,5",
            "c,c2,",
            "c,c1,11",
        ];
        for line in any.lines().skip(1) {
            assert!(allowed.contains(&line), "{line} in\n{any}");
        }
        let joined = csv(&format!(
            "{ROWS} | join kind=innerunique (datatable(k: string)['a', 'c']) on k | project k, v, w | order by k asc"
        ))
        .await;
        let lines: Vec<&str> = joined.lines().skip(1).collect();
        assert_eq!(lines.len(), 2, "{joined}");
        for line in lines {
            assert!(allowed.contains(&line), "{line} in\n{joined}");
        }
    }
}
