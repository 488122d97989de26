//! Cancelling a local query quickly (issue 10: Esc stops any query within 100 ms of CPU time).
//!
//! A query is cancelled by dropping its task; a task stops at its next yield. DataFusion makes its
//! scans give way after a budget of batches (tokio's cooperative budget, `CooperativeExec` on the
//! leaves), but an operator that makes many rows from few — a join matching every event of a
//! device with every other, `mv-expand` of long arrays — can turn one scanned batch into
//! millions of rows, all produced and consumed within one poll. This rule puts a cooperative
//! stream above each such operator, so its output spends the budget as well and the task yields
//! every 128 of its batches.
//!
//! Yielding lets the task be dropped, but 128 batches of a multiplier can still be a second of
//! work. So each query also carries a stop flag (`QueryStop`, set when its future is dropped),
//! and a `GuardExec` above every scan and every multiplier checks it before each batch it hands
//! on, and cuts the multipliers' outsized batches to the session's batch size: the work between
//! two checks is one batch of one operator.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::physical_plan::joins::{
    CrossJoinExec, HashJoinExec, NestedLoopJoinExec, SortMergeJoinExec, SymmetricHashJoinExec,
};
use datafusion::physical_plan::unnest::UnnestExec;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, PlanProperties};
use futures::Stream;

/// A query's stop flag, in its session config (`SessionConfig::set_extension`).
#[derive(Debug, Default)]
pub struct QueryStop(AtomicBool);

impl QueryStop {
    pub fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Hands on its input's batches, at most the session's batch size each, until the query's stop
/// flag is set; then it ends the stream with an error (nobody reads it: the query is gone).
#[derive(Debug)]
pub struct GuardExec {
    input: Arc<dyn ExecutionPlan>,
}

impl GuardExec {
    pub fn new(input: Arc<dyn ExecutionPlan>) -> GuardExec {
        GuardExec { input }
    }

    /// The plan whose batches it hands on.
    pub fn input(&self) -> &Arc<dyn ExecutionPlan> {
        &self.input
    }
}

impl DisplayAs for GuardExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GuardExec")
    }
}

impl ExecutionPlan for GuardExec {
    fn name(&self) -> &str {
        "GuardExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    #[allow(deprecated)]
    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match children.len() {
            1 => Ok(Arc::new(GuardExec::new(children.swap_remove(0)))),
            n => Err(DataFusionError::Internal(format!(
                "GuardExec takes one input, not {n}"
            ))),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let stop = context.session_config().get_extension::<QueryStop>();
        let batch_rows = context.session_config().batch_size().max(1);
        let input = self.input.execute(partition, context)?;
        Ok(Box::pin(GuardStream {
            schema: input.schema(),
            input,
            stop,
            batch_rows,
            rest: None,
        }))
    }
}

struct GuardStream {
    schema: SchemaRef,
    input: SendableRecordBatchStream,
    stop: Option<Arc<QueryStop>>,
    batch_rows: usize,
    /// What is left of an outsized batch.
    rest: Option<RecordBatch>,
}

impl GuardStream {
    /// The first `batch_rows` rows of `batch`; the rest is kept for the next poll.
    fn cut(&mut self, batch: RecordBatch) -> RecordBatch {
        if batch.num_rows() <= self.batch_rows {
            return batch;
        }
        self.rest = Some(batch.slice(self.batch_rows, batch.num_rows() - self.batch_rows));
        batch.slice(0, self.batch_rows)
    }
}

impl Stream for GuardStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.stop.as_ref().is_some_and(|s| s.stopped()) {
            return Poll::Ready(Some(Err(DataFusionError::Execution(
                "the query was cancelled".to_string(),
            ))));
        }
        if let Some(rest) = self.rest.take() {
            return Poll::Ready(Some(Ok(self.cut(rest))));
        }
        match self.input.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(batch))) => Poll::Ready(Some(Ok(self.cut(batch)))),
            other => other,
        }
    }
}

impl RecordBatchStream for GuardStream {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// Wraps every row-multiplying operator (joins, unnest) in a `CooperativeExec` over a
/// `GuardExec`, and every scan in a `GuardExec`.
#[derive(Debug, Default)]
pub struct YieldAfterMultipliers;

impl YieldAfterMultipliers {
    fn multiplies(plan: &Arc<dyn ExecutionPlan>) -> bool {
        plan.downcast_ref::<HashJoinExec>().is_some()
            || plan.downcast_ref::<NestedLoopJoinExec>().is_some()
            || plan.downcast_ref::<CrossJoinExec>().is_some()
            || plan.downcast_ref::<SortMergeJoinExec>().is_some()
            || plan.downcast_ref::<SymmetricHashJoinExec>().is_some()
            || plan.downcast_ref::<UnnestExec>().is_some()
    }
}

impl PhysicalOptimizerRule for YieldAfterMultipliers {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            if Self::multiplies(&node) {
                let guarded: Arc<dyn ExecutionPlan> = Arc::new(GuardExec::new(node));
                Ok(Transformed::yes(
                    Arc::new(CooperativeExec::new(guarded)) as Arc<dyn ExecutionPlan>
                ))
            } else if node.children().is_empty() {
                Ok(Transformed::yes(
                    Arc::new(GuardExec::new(node)) as Arc<dyn ExecutionPlan>
                ))
            } else {
                Ok(Transformed::no(node))
            }
        })
        .map(|transformed| transformed.data)
    }

    fn name(&self) -> &str {
        "yield_after_multipliers"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::backend::QueryRequest;
    use crate::engine::{Catalog, LocalEngine};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn joins_get_a_cooperative_stream_above_them() {
        let engine = LocalEngine::new(Catalog::default(), "test");
        let plan = engine
            .physical_plan_text(&QueryRequest::new(
                "range a from 1 to 10 step 1 | join kind=inner (range a from 1 to 10 step 1) on a",
            ))
            .await
            .unwrap();
        let join = plan
            .lines()
            .position(|l| l.contains("HashJoinExec"))
            .unwrap_or_else(|| panic!("{plan}"));
        let lines: Vec<&str> = plan.lines().collect();
        assert!(
            join >= 2
                && lines[join - 1].contains("GuardExec")
                && lines[join - 2].contains("CooperativeExec"),
            "{plan}"
        );
        // Every leaf (a scan) is guarded.
        for (at, line) in lines.iter().enumerate() {
            let leaf = lines.get(at + 1).is_none_or(|next| {
                next.len() - next.trim_start().len() <= line.len() - line.trim_start().len()
            });
            if leaf {
                assert!(
                    at > 0 && lines[at - 1].contains("GuardExec"),
                    "{line}\n{plan}"
                );
            }
        }
    }
}
