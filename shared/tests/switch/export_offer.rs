//! Where the export is offered (issue 17 item 4, stop 24): the model says
//! what Manage KMS offers about the company key's export in every stage,
//! not only on *Done*. A completed switch's window stays open through a
//! later setup that is started and cancelled; a used window offers the
//! re-verification round whenever one can start.

use keyswitch_shared::api::ExportOffer;
use keyswitch_shared::switch::{Event, Stage};
use keyswitch_shared::{AuditAction as A, CatalogError, Outcome as O};

use crate::common::*;
use crate::walk::{calls, complete, start_event};

/// Cancels the pending setup (the company's health checks stay due).
fn cancel(r: &mut Run) {
    let fx = r.fx(Event::Cancel { actor: admin() });
    assert_eq!(fx[0], audit(ADMIN, A::Cancel, O::Succeeded));
    assert_eq!(r.m.stage(), Stage::Cancelled);
}

fn offer(r: &Run) -> ExportOffer {
    let now = i64::try_from(r.now / 1000).unwrap();
    let offer = r.m.export_offer(now, &r.policy);
    // The export route's answer carries the same decision.
    assert_eq!(r.m.export_verification(now, &r.policy).offer, offer);
    offer
}

#[test]
fn the_export_is_offered_in_every_stage_the_model_allows_it() {
    let tenants = [m365(VAULT_TENANT)];
    let mut r = Run::new(new_company());
    // Still on the platform key: nothing to export, nothing to re-verify.
    assert_eq!(offer(&r), ExportOffer::Unavailable);
    complete(&mut r, &tenants);
    assert_eq!(r.m.stage(), Stage::Done);
    assert_eq!(offer(&r), ExportOffer::Open);

    // A later setup, started and cancelled: the earlier switch's window is
    // still open, so the export is still offered (and still works).
    r.ok(start_event(1));
    assert!(r.m.stage().is_pending());
    assert_eq!(offer(&r), ExportOffer::Open);
    cancel(&mut r);
    assert_eq!(r.m.stage(), Stage::Cancelled);
    assert_eq!(offer(&r), ExportOffer::Open);
    let fx = r.ok(r.export());
    assert!(matches!(
        calls(&fx)[0],
        keyswitch_shared::switch::Effect::ExportKey { .. }
    ));
    let attempt = r.attempt();
    let fx = r.fx(Event::Exported {
        attempt,
        result: Ok(()),
    });
    assert!(fx.contains(&audit_note(
        ADMIN,
        A::CompanyKeyExport,
        O::Succeeded,
        "Azure Key Vault"
    )));

    // Used: the re-verification is offered, in the cancelled stage too.
    assert_eq!(offer(&r), ExportOffer::Reverify);
    // During a setup no round can start (nor count): nothing is offered,
    // and the model refuses the round exactly so.
    r.ok(start_event(2));
    assert_eq!(offer(&r), ExportOffer::Unavailable);
    assert!(matches!(
        r.refused(Event::BeginExportRound { actor: admin() }),
        CatalogError::Conflict { .. }
    ));
    cancel(&mut r);
    assert_eq!(offer(&r), ExportOffer::Reverify);
    r.ok(Event::BeginExportRound { actor: admin() });
}

#[test]
fn a_window_that_ends_by_itself_offers_the_re_verification() {
    let tenants = [m365(VAULT_TENANT)];
    let mut r = Run::new(new_company());
    complete(&mut r, &tenants);
    assert_eq!(offer(&r), ExportOffer::Open);
    let window_ms = u64::try_from(r.policy.export_window_secs).unwrap() * 1000;
    r.now += window_ms - 2_000;
    assert_eq!(offer(&r), ExportOffer::Open, "a second before the end");
    r.now += 2_000;
    assert_eq!(offer(&r), ExportOffer::Reverify, "at the end");
    assert!(matches!(
        r.refused(r.export()),
        CatalogError::ExportWindowExpired { .. }
    ));
}

/// The model refuses a round on the rule the screen offers it by: a company
/// still on the platform's key (never switched, or its first setup
/// cancelled) cannot start a re-verification, confirm an empty one, or get
/// an export window by any call, though the API, unlike the screen, lets an
/// admin send those events. Nothing changes on a refusal.
#[test]
fn a_company_on_the_platform_key_gets_no_round_by_any_call() {
    let mut r = Run::new(new_company());
    let refuse_both = |r: &mut Run| {
        let before = r.m.clone();
        for event in [
            Event::BeginExportRound { actor: admin() },
            Event::ConfirmNoExportTenants { actor: admin() },
        ] {
            let error = r.refused(event);
            let CatalogError::Conflict { reason } = &error else {
                panic!("a conflict, not {error:?}");
            };
            assert!(reason.contains("switch to your own key first"), "{reason}");
            assert_eq!(error.code(), "conflict");
        }
        assert_eq!(r.m, before, "a refusal changes nothing");
        assert_eq!(offer(r), ExportOffer::Unavailable);
    };
    refuse_both(&mut r);
    // A first setup started and cancelled: still the platform's key.
    r.ok(start_event(1));
    cancel(&mut r);
    assert_eq!(*r.m.provider(), keyswitch_shared::Provider::Platform);
    refuse_both(&mut r);
    // The export itself stays refused as unavailable (audited, no key).
    let fx = r.fx(r.export());
    assert!(
        fx.contains(&audit_note(
            ADMIN,
            A::CompanyKeyExport,
            O::Refused,
            "export_not_available"
        )),
        "{fx:?}"
    );
    // Once a switch completes, the same calls are accepted.
    complete(&mut r, &[m365(VAULT_TENANT)]);
    r.ok(r.export());
    let attempt = r.attempt();
    r.ok(Event::Exported {
        attempt,
        result: Ok(()),
    });
    assert_eq!(offer(&r), ExportOffer::Reverify);
    r.ok(Event::BeginExportRound { actor: admin() });
}
