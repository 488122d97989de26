//! Geospatial functions (the KQL pages `geo-*-function.md`): each a [`RowFunction`] with its
//! page's examples as tests.

use super::RowFunction;

/// The geospatial functions.
pub(super) const FUNCTIONS: &[RowFunction] = &[];
