//! The local engine's memory limit: sizes as users write them, the default (half of physical
//! memory, as the issue asks), and DataFusion's memory pool. Sort, aggregation and repartitioning
//! spill to temporary files when they reach the limit; a hash join cannot spill in DataFusion 55,
//! so a join past the limit fails with a message saying so (`exceeded_message`).

use std::num::NonZeroUsize;
use std::sync::Arc;

use datafusion::common::Result as DfResult;
use datafusion::execution::memory_pool::{
    FairSpillPool, MemoryLimit, MemoryPool, MemoryReservation, TrackConsumersPool,
};

/// The limit when nothing sets one and physical memory cannot be read.
const FALLBACK_BYTES: usize = 4 << 30;

/// The smallest limit accepted: less cannot run a query's first batches.
pub const MIN_BYTES: usize = 16 << 20;

/// Half of physical memory (the default limit); 4 GiB where it cannot be read.
pub fn default_limit() -> usize {
    physical_memory().map_or(FALLBACK_BYTES, |bytes| bytes / 2)
}

/// Physical memory in bytes (POSIX `sysconf`: pages × page size).
#[cfg(unix)]
pub fn physical_memory() -> Option<usize> {
    // SAFETY: sysconf reads two constants of the system; it has no preconditions.
    let (pages, page) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    let pages = usize::try_from(pages).ok()?;
    let page = usize::try_from(page).ok()?;
    pages.checked_mul(page).filter(|&b| b > 0)
}

#[cfg(not(unix))]
pub fn physical_memory() -> Option<usize> {
    None
}

/// A size as written in the config file or `--memory-limit`: bytes (`1073741824`), with a binary
/// unit (`512M`, `512MiB`, `8G`, `8GB`, `1T`; K, M, G, T are powers of 1024, any case), or a
/// share of physical memory (`50%`). Errors say what was expected; at least 16 MiB.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let trimmed = text.trim();
    let expected = || {
        format!(
            "'{trimmed}' is not a size: write e.g. 8GiB, 512MiB, 50% (of physical memory) or a number of bytes"
        )
    };
    let bytes = if let Some(percent) = trimmed.strip_suffix('%') {
        let share: f64 = percent.trim().parse().map_err(|_| expected())?;
        if !(share > 0.0 && share <= 100.0) {
            return Err(format!(
                "'{trimmed}': a share of memory is more than 0% and at most 100%"
            ));
        }
        let total = physical_memory()
            .ok_or_else(|| format!("'{trimmed}': physical memory is unknown here; give a size"))?;
        (total as f64 * share / 100.0) as usize
    } else {
        let digits = trimmed
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(digits);
        let number: f64 = number.parse().map_err(|_| expected())?;
        let unit = unit.trim().to_ascii_lowercase();
        let scale: f64 = match unit.trim_end_matches("ib").trim_end_matches('b') {
            "" => 1.0,
            "k" => 1024.0,
            "m" => 1024.0 * 1024.0,
            "g" => 1024.0 * 1024.0 * 1024.0,
            "t" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
            _ => return Err(expected()),
        };
        let bytes = number * scale;
        if !bytes.is_finite() || bytes >= usize::MAX as f64 {
            return Err(format!(
                "'{trimmed}' is more memory than this machine can address"
            ));
        }
        bytes as usize
    };
    if bytes < MIN_BYTES {
        return Err(format!(
            "'{trimmed}' is less than the least memory limit, 16MiB"
        ));
    }
    Ok(bytes)
}

/// A size for messages: `8.0 GiB`, `512 MiB`.
pub fn describe(bytes: usize) -> String {
    const GIB: f64 = (1u64 << 30) as f64;
    if bytes as f64 >= GIB {
        format!("{:.1} GiB", bytes as f64 / GIB)
    } else {
        format!("{} MiB", bytes >> 20)
    }
}

/// The pool queries share: spilling operators get a fair share each; a failure names the
/// biggest consumers. Repartitioning is never refused (see [`NoRepartitionSpill`]).
pub fn pool(bytes: usize) -> Arc<dyn MemoryPool> {
    Arc::new(NoRepartitionSpill {
        inner: Arc::new(TrackConsumersPool::new(
            FairSpillPool::new(bytes),
            NonZeroUsize::new(3).unwrap_or(NonZeroUsize::MIN),
        )),
    })
}

/// A pool that grants DataFusion's `RepartitionExec` what it asks for (still counting it), so
/// that it never spills. Refused memory, DataFusion 55's `RepartitionExec` writes batches to a
/// spill pool whose reader can wait forever when two of its inputs spill at once: every worker
/// parks and the query neither ends nor fails (apache/datafusion#24883, fixed by #24891 after
/// 55.2). Here `summarize dcount(x) by y` of 200,000 distinct texts under a 16 MiB limit hung in
/// 5 of 8 runs. Its buffers are bounded by its channels, which stop reading an input while
/// every output holds a batch; the operators that keep state (aggregates, sorts, joins) are
/// still refused, and spill or fail with the limit's message.
#[derive(Debug)]
struct NoRepartitionSpill {
    inner: Arc<dyn MemoryPool>,
}

impl NoRepartitionSpill {
    fn repartitions(reservation: &MemoryReservation) -> bool {
        reservation
            .consumer()
            .name()
            .starts_with("RepartitionExec[")
    }
}

impl std::fmt::Display for NoRepartitionSpill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl MemoryPool for NoRepartitionSpill {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn register(&self, consumer: &datafusion::execution::memory_pool::MemoryConsumer) {
        self.inner.register(consumer);
    }

    fn unregister(&self, consumer: &datafusion::execution::memory_pool::MemoryConsumer) {
        self.inner.unregister(consumer);
    }

    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        self.inner.grow(reservation, additional);
    }

    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        self.inner.shrink(reservation, shrink);
    }

    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> DfResult<()> {
        if Self::repartitions(reservation) {
            self.inner.grow(reservation, additional);
            Ok(())
        } else {
            self.inner.try_grow(reservation, additional)
        }
    }

    fn reserved(&self) -> usize {
        self.inner.reserved()
    }

    fn memory_limit(&self) -> MemoryLimit {
        self.inner.memory_limit()
    }
}

/// What the user reads when a query passed the limit.
pub fn exceeded_message(limit: usize) -> String {
    format!(
        "the query needed more memory than the local engine's limit ({}): narrow it (a shorter time range, fewer columns, a filter before a join or summarize), or raise the limit with --memory-limit or memory_limit in the config file",
        describe(limit)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_users_write_them() {
        assert_eq!(parse_size("8GiB"), Ok(8 << 30));
        assert_eq!(parse_size("8g"), Ok(8 << 30));
        assert_eq!(parse_size(" 512 MB "), Ok(512 << 20));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("1073741824"), Ok(1 << 30));
        assert!(parse_size("lots").unwrap_err().contains("is not a size"));
        assert!(parse_size("8X").is_err());
        assert!(parse_size("1k").unwrap_err().contains("least memory limit"));
        assert!(parse_size("0%").is_err());
        assert!(parse_size("101%").is_err());
        assert!(parse_size("1e400").is_err());
        assert!(
            parse_size("99999999TiB")
                .unwrap_err()
                .contains("more memory than")
        );
    }

    #[test]
    fn the_default_is_half_of_physical_memory() {
        match physical_memory() {
            Some(total) => {
                assert_eq!(default_limit(), total / 2);
                assert_eq!(parse_size("50%"), Ok(total / 2));
            }
            None => assert_eq!(default_limit(), FALLBACK_BYTES),
        }
        assert_eq!(describe(8 << 30), "8.0 GiB");
        assert_eq!(describe(512 << 20), "512 MiB");
    }
}
