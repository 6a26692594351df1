//! The host product's (RedApp's) backup-set inventory.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;

use crate::state::{AppState, BackupSet};
use crate::util::lock;

/// `{"backup_sets":[…]}`.
#[derive(Debug, Serialize)]
pub struct BackupSetList {
    /// The company's sets (empty for an unknown company).
    pub backup_sets: Vec<BackupSet>,
}

/// `GET /redapp/v1/companies/{company}/backup-sets`.
pub async fn backup_sets(
    State(sim): State<AppState>,
    Path(company): Path<String>,
) -> Json<BackupSetList> {
    let world = lock(&sim.world);
    let backup_sets = world
        .companies
        .get(&company)
        .map(|c| c.backup_sets.clone())
        .unwrap_or_default();
    Json(BackupSetList { backup_sets })
}
