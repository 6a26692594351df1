//! The backup-set count Manage KMS shows: kept in the model and refreshed by
//! every inventory read, so the status does not read the inventory per
//! request. The status reads it only when the kept count is due
//! ([`Company::backup_set_count_due`](crate::switch::Company::backup_set_count_due)).

use super::Step;
use crate::catalog::CatalogError;
use crate::switch::company::BackupSetCount;
use crate::switch::event::Inventory;

/// An inventory read (of any step) succeeded: its count is the latest.
pub(super) fn read(s: &mut Step<'_>, inventory: &Inventory) {
    counted_now(s, inventory.set_count());
}

/// The status's own read. A failure keeps an earlier count (shown with
/// when it was read); with none to show, the status answers the error.
pub(super) fn counted(
    s: &mut Step<'_>,
    result: Result<u32, CatalogError>,
) -> Result<(), CatalogError> {
    match result {
        Ok(count) => {
            counted_now(s, count);
            Ok(())
        }
        Err(_) if s.m.backup_sets.is_some() => Ok(()),
        Err(e) => Err(e),
    }
}

fn counted_now(s: &mut Step<'_>, count: u32) {
    s.m.backup_sets = Some(BackupSetCount {
        count,
        read_at_ms: s.now_ms(),
    });
}
