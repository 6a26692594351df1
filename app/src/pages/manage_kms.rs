//! *Key Management → Manage KMS*: the current provider, the pending setup and
//! every step of the switch to Azure Key Vault, Cancel pending setup, and the
//! audit trail. The edge's answer to each action is the new state, so the
//! screen always shows what the edge decided.

use keyswitch_shared::Provider;
use keyswitch_shared::api::{
    KmsAnswer, KmsOverview, KmsStatus, PendingSetup, StartSwitch, VerifyTenantRequest,
};
use keyswitch_shared::switch::{Stage, TenantRef};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use wasm_bindgen::JsCast;

use crate::api::{self, ApiError};
use crate::components::audit_table::{AuditTable, format_time};
use crate::components::dialog::ConfirmDialog;
use crate::components::error_notice::{CatalogNotice, ErrorNotice, MaybeError};
use crate::components::progress::Progress;
use crate::components::tenant_list::TenantList;
use crate::pages::completed::CompletedView;
use crate::pages::finalize::FinalizeView;
use crate::pages::role_assignment::RoleAssignmentDialog;
use crate::pages::switch_form::{SwitchForm, ValidTarget};
use crate::session::SessionState;

/// Window name of the Microsoft consent popup (reused, never stacked).
const POPUP_NAME: &str = "keyswitch-consent";

/// Opens the consent popup now, while the click still counts as a user
/// gesture; it is pointed at Microsoft once the edge answers. `None` when the
/// browser blocked it.
fn open_popup() -> Option<web_sys::Window> {
    web_sys::window()?
        .open_with_url_and_target_and_features(
            "about:blank",
            POPUP_NAME,
            "popup,width=560,height=720",
        )
        .ok()
        .flatten()
}

fn focus_id(id: &'static str) {
    request_animation_frame(move || {
        if let Some(el) = document()
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _focused = el.focus();
        }
    });
}

/// The Manage KMS screen for the company in the path.
#[component]
pub fn ManageKms() -> impl IntoView {
    let session = use_context::<SessionState>().unwrap_or_default();
    let params = use_params_map();
    let company = Signal::derive(move || params.read().get("company").unwrap_or_default());

    // The state as the edge last reported it.
    let reload = RwSignal::new(0u32);
    let loaded = LocalResource::new(move || {
        reload.track();
        let company = company.get();
        async move { api::overview(&company).await }
    });
    let overview = RwSignal::new(None::<KmsOverview>);
    let load_error = RwSignal::new(None::<ApiError>);
    let audit_version = RwSignal::new(0u32);
    Effect::new(move |_| match loaded.get() {
        Some(Ok(o)) => {
            // Unchanged state: keep the DOM (and focus, and typed text) as is.
            if overview.with_untracked(|cur| cur.as_ref() != Some(&o)) {
                overview.set(Some(o));
            }
            load_error.set(None);
            audit_version.update(|v| *v += 1);
        }
        Some(Err(e)) => {
            if e.is_not_signed_in() {
                session.sign_out();
            }
            load_error.set(Some(e));
        }
        None => {}
    });
    let refetch = move || reload.update(|v| *v += 1);
    // Every action answers the new state; a 401 ends the session.
    let take = move |r: &Result<KmsAnswer, ApiError>| match r {
        Ok(a) => {
            overview.set(Some(a.kms.clone()));
            audit_version.update(|v| *v += 1);
        }
        Err(e) => {
            if e.is_not_signed_in() {
                session.sign_out();
            }
            // A refused action may still have changed what the edge shows
            // (e.g. last_error); read it again.
            if matches!(e, ApiError::Refused { .. }) {
                refetch();
            }
        }
    };

    // The consent popup reports back with postMessage from our own origin;
    // coming back to this tab (fallback: a new tab) also re-reads the state.
    let message = window_event_listener(leptos::ev::message, move |ev| {
        let own = web_sys::window().and_then(|w| w.location().origin().ok());
        if own.is_some_and(|o| o == ev.origin()) {
            refetch();
        }
    });
    let focus = window_event_listener(leptos::ev::focus, move |_| refetch());
    on_cleanup(move || {
        message.remove();
        focus.remove();
    });

    let stage = Memo::new(move |_| overview.with(|o| o.as_ref().map(|o| o.stage)));
    // What decides the screen's structure; data inside updates in place.
    let shape =
        Memo::new(move |_| overview.with(|o| o.as_ref().map(|o| (o.stage, o.pending.is_some()))));
    let pending = Memo::new(move |_| overview.with(|o| o.as_ref().and_then(|o| o.pending.clone())));
    // Finalizing (and a running test) move on by themselves: poll.
    Effect::new(move |_| {
        let moving = matches!(
            stage.get(),
            Some(Stage::Finalizing | Stage::TestingConnection)
        );
        if moving
            && let Ok(handle) = set_interval_with_handle(refetch, std::time::Duration::from_secs(2))
        {
            on_cleanup(move || handle.clear());
        }
    });

    // Bumped when an action starts (see the effect that clears old failures).
    let attempt = RwSignal::new(0u32);

    // ---- Test Connection: start, consent popup, fallback ----
    let popup = StoredValue::new_local(None::<web_sys::Window>);
    let blocked_url = RwSignal::new(None::<String>);
    let show_form = RwSignal::new(false);
    let start = Action::new_local(move |t: &ValidTarget| {
        let company = company.get_untracked();
        let body = StartSwitch {
            vault_uri: t.vault_uri.clone(),
            key_name: t.key_name.clone(),
        };
        async move { api::start_switch(&company, &body).await }
    });
    let grant = Action::new_local(move |(): &()| {
        let company = company.get_untracked();
        async move { api::consent(&company).await }
    });
    let route_consent = move |r: &Result<KmsAnswer, ApiError>| {
        let win = popup.get_value();
        match r.as_ref().ok().and_then(|a| a.consent_url.clone()) {
            Some(url) => match win.filter(|w| !w.closed().unwrap_or(true)) {
                Some(w) => {
                    if w.location().set_href(&url).is_err() {
                        blocked_url.set(Some(url));
                    } else {
                        blocked_url.set(None);
                        let _focused = w.focus();
                    }
                }
                None => blocked_url.set(Some(url)),
            },
            None => {
                if let Some(w) = win {
                    let _closed = w.close();
                }
            }
        }
        popup.set_value(None);
    };
    Effect::new(move |_| {
        if let Some(r) = start.value().get() {
            take(&r);
            route_consent(&r);
            if r.is_ok() {
                show_form.set(false);
            }
        }
    });
    Effect::new(move |_| {
        if let Some(r) = grant.value().get() {
            take(&r);
            route_consent(&r);
        }
    });
    let on_test_connection = Callback::new(move |t: ValidTarget| {
        popup.set_value(open_popup());
        attempt.update(|n| *n += 1);
        start.dispatch(t);
    });
    let on_grant = move |_| {
        popup.set_value(open_popup());
        attempt.update(|n| *n += 1);
        grant.dispatch(());
    };

    // ---- Role assignment, Completed, connection test ----
    let role_open = RwSignal::new(false);
    Effect::new(move |prev: Option<Option<Stage>>| {
        let now = stage.get();
        if now == Some(Stage::AwaitingRoleAssignment)
            && prev.is_some_and(|p| p != Some(Stage::AwaitingRoleAssignment))
        {
            role_open.set(true);
        }
        now
    });
    let test = Action::new_local(move |(): &()| {
        let company = company.get_untracked();
        async move { api::test_connection(&company).await }
    });
    Effect::new(move |_| {
        if let Some(r) = test.value().get() {
            take(&r);
            if r.as_ref().is_ok_and(|a| a.kms.stage == Stage::Tested) {
                role_open.set(false);
                focus_id("test-passed");
            }
        }
    });
    let test_error = Signal::derive(move || test.value().get().and_then(Result::err));
    // A failed test that sent the setup back (key not found, consent
    // required, …) is not about the role: close the dialog, show it in place.
    Effect::new(move |_| {
        let now = stage.get();
        if role_open.get_untracked()
            && now.is_some()
            && !matches!(
                now,
                Some(Stage::AwaitingRoleAssignment | Stage::TestingConnection)
            )
        {
            role_open.set(false);
            if test_error.with_untracked(Option::is_some) {
                focus_id("pending-heading");
            }
        }
    });
    let on_completed = Callback::new(move |()| {
        attempt.update(|n| *n += 1);
        test.dispatch(());
    });

    // ---- Save, tenants ----
    let save = Action::new_local(move |(): &()| {
        let company = company.get_untracked();
        async move { api::save(&company).await }
    });
    Effect::new(move |_| {
        if let Some(r) = save.value().get() {
            take(&r);
            if r.is_ok() {
                focus_id("tenants-heading");
            }
        }
    });
    let refresh = Action::new_local(move |(): &()| {
        let company = company.get_untracked();
        async move { api::refresh_tenants(&company).await }
    });
    Effect::new(move |_| {
        if let Some(r) = refresh.value().get() {
            take(&r);
        }
    });
    // Verify: the tenant's admin signs in at Microsoft or Google in a popup
    // (opened now, pointed at the sign-in page once the edge answers).
    let verify_blocked = RwSignal::new(None::<String>);
    let verify_popup = StoredValue::new_local(None::<web_sys::Window>);
    let verify = Action::new_local(move |tenant: &TenantRef| {
        let company = company.get_untracked();
        let body = VerifyTenantRequest {
            tenant: tenant.clone(),
        };
        async move { api::verify_tenant(&company, &body).await }
    });
    Effect::new(move |_| {
        let Some(r) = verify.value().get() else {
            return;
        };
        let win = verify_popup.get_value();
        verify_popup.set_value(None);
        match r {
            Ok(answer) => match win.filter(|w| !w.closed().unwrap_or(true)) {
                Some(w) if w.location().set_href(&answer.authorize_url).is_ok() => {
                    verify_blocked.set(None);
                    let _focused = w.focus();
                }
                _ => verify_blocked.set(Some(answer.authorize_url)),
            },
            Err(e) => {
                if let Some(w) = win {
                    let _closed = w.close();
                }
                if e.is_not_signed_in() {
                    session.sign_out();
                }
            }
        }
    });
    let on_verify = Callback::new(move |tenant: TenantRef| {
        verify_popup.set_value(open_popup());
        attempt.update(|n| *n += 1);
        verify.dispatch(tenant);
    });

    // ---- Cancel pending setup ----
    let confirm_cancel = RwSignal::new(false);
    let cancel = Action::new_local(move |(): &()| {
        let company = company.get_untracked();
        async move { api::cancel(&company).await }
    });
    Effect::new(move |_| {
        if let Some(r) = cancel.value().get() {
            take(&r);
            if r.is_ok() {
                role_open.set(false);
                blocked_url.set(None);
                focus_id("cancelled-note");
            }
        }
    });
    let cancel_message = Signal::derive(move || {
        let current = overview.with(|o| {
            o.as_ref()
                .map_or("the current provider", |o| o.status.provider.display_name())
        });
        format!(
            "The switch to Azure Key Vault stops here and everything entered so far is discarded. Your current encryption ({current}) stays unchanged."
        )
    });

    let busy = Signal::derive(move || {
        start.pending().get()
            || grant.pending().get()
            || test.pending().get()
            || save.pending().get()
            || refresh.pending().get()
            || cancel.pending().get()
            || verify.pending().get()
    });

    // A new action starts with a clean slate: older failures are stale.
    Effect::new(move |first: Option<()>| {
        attempt.track();
        if first.is_none() {
            return;
        }
        for failed in [
            start.value(),
            grant.value(),
            test.value(),
            save.value(),
            refresh.value(),
            cancel.value(),
        ] {
            if failed.with_untracked(|v| matches!(v, Some(Err(_)))) {
                failed.set(None);
            }
        }
        if verify.value().with_untracked(|v| matches!(v, Some(Err(_)))) {
            verify.value().set(None);
        }
    });

    // ---- What the screen shows ----
    let status_region = move || {
        overview.get().map(|o| {
            view! { <StatusView status=o.status.clone()/> }
        })
    };
    let forbidden = move || load_error.with(|e| e.as_ref().is_some_and(ApiError::is_forbidden));

    let pending_view = move || {
        let (stage, true) = shape.get()? else {
            return None;
        };
        Some(view! {
            <PendingView
                company=company
                pending=pending
                stage=stage
                blocked_url=blocked_url
                on_test_connection=on_test_connection
                start_error=Signal::derive(move || start.value().get().and_then(Result::err))
                on_grant=Callback::new(on_grant)
                grant_error=Signal::derive(move || grant.value().get().and_then(Result::err))
                on_show_role=Callback::new(move |()| role_open.set(true))
                on_retest=on_completed
                test_error=Signal::derive(move || test.value().get().and_then(Result::err).filter(|_| !role_open.get()))
                on_save=Callback::new(move |()| { attempt.update(|n| *n += 1); save.dispatch(()); })
                save_error=Signal::derive(move || save.value().get().and_then(Result::err))
                on_verify=on_verify
                on_refresh=Callback::new(move |()| { attempt.update(|n| *n += 1); refresh.dispatch(()); })
                tenant_error=Signal::derive(move || {
                    refresh.value().get().and_then(Result::err).or_else(|| verify.value().get().and_then(Result::err))
                })
                on_cancel=Callback::new(move |()| confirm_cancel.set(true))
                cancel_error=Signal::derive(move || cancel.value().get().and_then(Result::err))
                busy=busy
                verify_blocked=verify_blocked
                in_dialog=Signal::derive(move || role_open.get() && test.value().with(|v| matches!(v, Some(Err(_)))))
            />
        })
    };

    let idle_view = move || {
        let (stage, false) = shape.get()? else {
            return None;
        };
        let done = stage == Stage::Done;
        let cancelled = stage == Stage::Cancelled;
        let provider =
            move || overview.with(|o| o.as_ref().map_or("", |o| o.status.provider.display_name()));
        Some(view! {
            {done.then(|| view! {
                <CompletedView
                    company=company
                    on_exported=Callback::new(move |()| audit_version.update(|v| *v += 1))
                />
            })}
            {cancelled.then(|| view! {
                <p class="notice notice-info" id="cancelled-note" tabindex="-1">
                    "The pending setup was cancelled. Your current encryption ("{provider}") is unchanged."
                </p>
            })}
            <section class="card" aria-labelledby="switch-heading">
                <h2 id="switch-heading">"Switch to Azure Key Vault"</h2>
                <Show
                    when=move || show_form.get()
                    fallback=move || view! {
                        <p>"Put the master key that protects your backup encryption keys under your own Azure Key Vault RSA key."</p>
                        <button
                            type="button"
                            class="button button-primary"
                            on:click=move |_| { show_form.set(true); focus_id("vault-uri"); }
                        >
                            "Switch to Azure Key Vault"
                        </button>
                    }
                >
                    <SwitchForm
                        on_submit=on_test_connection
                        server_error=Signal::derive(move || start.value().get().and_then(Result::err))
                        busy=busy
                    />
                    <BlockedPopup url=blocked_url what="Microsoft's consent page"/>
                </Show>
            </section>
        })
    };

    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <ol>
                <li><a href="/">"Key Management"</a></li>
                <li><span aria-current="page">"Manage KMS"</span></li>
            </ol>
        </nav>
        <h1>"Manage KMS"</h1>
        <Show when=forbidden>
            <div class="notice notice-error" role="alert" data-code="forbidden_role">
                <p class="notice-title">"Your role can't manage KMS for this company"</p>
                <p class="notice-fix">
                    "Only a Partner Admin (for their companies) or a Company Admin (for their own company) can see or change Key Management. "
                    {move || load_error.get().and_then(|e| e.body().map(|b| b.fix.clone()))}
                </p>
            </div>
        </Show>
        <section class="card" aria-labelledby="current-provider-heading">
            <h2 id="current-provider-heading">"Current provider"</h2>
            <div aria-live="polite">
                {move || {
                    if overview.with(Option::is_none) && load_error.with(Option::is_none) {
                        Some(view! { <p class="muted">"Loading…"</p> })
                    } else {
                        None
                    }
                }}
                {status_region}
                {move || load_error.get().filter(|e| !e.is_forbidden()).map(|e| view! {
                    <ErrorNotice error=e/>
                    <button type="button" class="button" on:click=move |_| refetch()>"Try again"</button>
                })}
            </div>
        </section>
        // One short announcement per stage change, instead of re-reading
        // whole sections.
        <p class="sr-only" role="status" data-testid="stage-announcement">
            {move || stage.get().map(stage_announcement)}
        </p>
        {idle_view}
        {pending_view}
        <RoleAssignmentDialog
            open=role_open
            company=company
            on_completed=on_completed
            busy=Signal::derive(move || test.pending().get())
            test_error=test_error
        />
        <ConfirmDialog
            open=confirm_cancel
            id="cancel-dialog"
            title="Cancel pending setup?"
            message=cancel_message
            confirm_label="Cancel pending setup"
            dismiss_label="Keep setting up"
            on_confirm=Callback::new(move |()| { attempt.update(|n| *n += 1); cancel.dispatch(()); })
        />
        <Show when=move || overview.with(Option::is_some)>
            <AuditSection company=company version=audit_version/>
        </Show>
    }
}

/// What a screen reader hears when the setup moves on.
#[must_use]
pub fn stage_announcement(stage: Stage) -> &'static str {
    match stage {
        Stage::Idle => "",
        Stage::Draft => "Setup started. Grant admin consent, or change the vault or key.",
        Stage::AwaitingConsent => "Waiting for admin consent in the Microsoft window.",
        Stage::AwaitingRoleAssignment => {
            "Admin consent granted. Next: assign the Key Vault Crypto User role, then click Completed."
        }
        Stage::TestingConnection => "Testing the connection.",
        Stage::Tested => "The connection works. Next: Save.",
        Stage::VerifyingTenants => "Saved. Verify each tenant in the list.",
        Stage::Finalizing => "Every tenant is verified. Finalizing the switch.",
        Stage::Done => "Done: the company key is now protected by Azure Key Vault.",
        Stage::Cancelled => "Setup cancelled; encryption unchanged.",
    }
}

/// Shown when the browser blocked a sign-in popup: the same page as a link.
#[component]
fn BlockedPopup(
    /// The URL the popup should have opened.
    url: RwSignal<Option<String>>,
    /// What the page is, e.g. "Microsoft's consent page".
    what: &'static str,
) -> impl IntoView {
    move || {
        url.get().map(|u| view! {
            <div class="notice notice-warn" role="alert">
                <p class="notice-title">"Your browser blocked the pop-up window"</p>
                <p>
                    "Open "{what}" in a new tab instead. When the admin is done, come back to this tab: it updates by itself."
                </p>
                <a class="button button-primary" href=u target="_blank" rel="opener">
                    "Open "{what}
                </a>
            </div>
        })
    }
}

/// The provider in force, with the vault, key and version for Azure.
#[component]
pub fn StatusView(
    /// What the edge reported.
    status: KmsStatus,
) -> impl IntoView {
    let details = match &status.provider {
        Provider::Platform => None,
        Provider::AwsKms { key_id } => Some(
            view! {
                <dt>"AWS KMS key"</dt>
                <dd class="wrap"><code>{key_id.clone()}</code></dd>
            }
            .into_any(),
        ),
        Provider::AzureKeyVault {
            vault_uri,
            key_name,
            kid,
        } => {
            let version = kid.version().map(|v| v.to_string()).unwrap_or_default();
            Some(
                view! {
                    <dt>"Vault"</dt>
                    <dd class="wrap" data-testid="vault"><code>{vault_uri.to_string()}</code></dd>
                    <dt>"Key"</dt>
                    <dd data-testid="key"><code>{key_name.to_string()}</code></dd>
                    <dt>"Version"</dt>
                    <dd class="wrap" data-testid="version"><code>{version}</code></dd>
                }
                .into_any(),
            )
        }
    };
    view! {
        <dl class="facts">
            <dt>"Provider"</dt>
            <dd data-testid="provider">{status.provider.display_name()}</dd>
            {details}
            <dt>"Backup sets"</dt>
            <dd data-testid="backup-sets">{status.backup_set_count}</dd>
        </dl>
    }
}

/// A pending setup at its current step.
#[component]
#[allow(clippy::too_many_arguments)]
fn PendingView(
    /// The company.
    company: Signal<String>,
    /// The setup (updates in place).
    pending: Memo<Option<PendingSetup>>,
    /// Its stage.
    stage: Stage,
    /// Consent URL the browser did not let us open.
    blocked_url: RwSignal<Option<String>>,
    /// Test Connection with edited values.
    on_test_connection: Callback<ValidTarget>,
    /// Its failure.
    start_error: Signal<Option<ApiError>>,
    /// Grant admin consent (again).
    on_grant: Callback<leptos::ev::MouseEvent>,
    /// Its failure.
    grant_error: Signal<Option<ApiError>>,
    /// Show the role assignment steps.
    on_show_role: Callback<()>,
    /// Run the connection test again.
    on_retest: Callback<()>,
    /// Its failure (when the dialog is closed).
    test_error: Signal<Option<ApiError>>,
    /// Save.
    on_save: Callback<()>,
    /// Its failure.
    save_error: Signal<Option<ApiError>>,
    /// Verify a tenant.
    on_verify: Callback<TenantRef>,
    /// Refresh the tenant list.
    on_refresh: Callback<()>,
    /// Refresh or verification failure.
    tenant_error: Signal<Option<ApiError>>,
    /// Cancel pending setup clicked.
    on_cancel: Callback<()>,
    /// Its failure.
    cancel_error: Signal<Option<ApiError>>,
    /// A call is running.
    busy: Signal<bool>,
    /// The role dialog shows the last test failure itself.
    in_dialog: Signal<bool>,
    /// Sign-in URL of a tenant verification the browser did not let us open.
    verify_blocked: RwSignal<Option<String>>,
) -> impl IntoView {
    let get = move |f: fn(&PendingSetup) -> String| {
        pending.with(|p| p.as_ref().map(f).unwrap_or_default())
    };
    let initial = pending.get_untracked();
    let (vault_uri, key_name) = initial
        .as_ref()
        .map(|p| (p.vault_uri.to_string(), p.key_name.to_string()))
        .unwrap_or_default();
    let tenants = Signal::derive(move || {
        pending.with(|p| p.as_ref().map(|p| p.tenants.clone()).unwrap_or_default())
    });
    let tenant_names = Signal::derive(move || {
        pending.with(|p| {
            p.as_ref()
                .map(|p| p.tenant_names.clone())
                .unwrap_or_default()
        })
    });
    let consent = move || {
        pending.with(|p| {
            p.as_ref()
                .and_then(|p| p.consent.as_ref())
                .map(|c| format!(" for tenant {}", c.tenant))
        })
    };
    let tested_key = move || {
        pending.with(|p| {
            p.as_ref().and_then(|p| p.tested_key.as_ref()).map(|k| {
                let kty = match k.kty {
                    keyswitch_shared::key_check::RsaKeyType::Rsa => "RSA",
                    keyswitch_shared::key_check::RsaKeyType::RsaHsm => "RSA-HSM",
                };
                format!("{} · {} bits ({kty})", k.kid, k.size_bits)
            })
        })
    };
    // The setup's last failure, unless the action that caused it is showing
    // it right where it was clicked.
    let shown_in_place = move || {
        start_error.with(Option::is_some)
            || grant_error.with(Option::is_some)
            || test_error.with(Option::is_some)
            || in_dialog.get()
    };
    let last_error = move || {
        pending
            .with(|p| p.as_ref().and_then(|p| p.last_error.clone()))
            .filter(|_| stage != Stage::Tested && !shown_in_place())
            .map(|e| view! { <CatalogNotice body=e/> })
    };
    let step = match stage {
        Stage::Draft | Stage::AwaitingConsent => view! {
            <div class="step-panel">
                <h3>"Admin consent"</h3>
                <p>
                    "A Global Administrator or Privileged Role Administrator of the vault's Microsoft Entra tenant must grant admin consent in the Microsoft window. This page updates when they are done."
                </p>
                <div class="actions">
                    <button type="button" class="button button-primary" disabled=move || busy.get() on:click=move |ev| on_grant.run(ev)>
                        "Grant admin consent"
                    </button>
                    <button type="button" class="button" disabled=move || busy.get() on:click=move |_| on_retest.run(())>
                        "I've granted consent: test the connection"
                    </button>
                </div>
                <MaybeError error=grant_error/>
                <MaybeError error=test_error/>
                <BlockedPopup url=blocked_url what="Microsoft's consent page"/>
                <details class="edit-target">
                    <summary>"Change the vault or key"</summary>
                    <SwitchForm
                        initial_vault_uri=vault_uri
                        initial_key_name=key_name
                        on_submit=on_test_connection
                        server_error=start_error
                        busy=busy
                    />
                </details>
            </div>
        }
        .into_any(),
        Stage::AwaitingRoleAssignment | Stage::TestingConnection => view! {
            <div class="step-panel">
                <h3>"Role assignment"</h3>
                <p>
                    "Admin consent is granted"
                    {consent}
                    ". Your Azure admin must now assign the Key Vault Crypto User role to the CyberSentriq KMS Connector on the vault, then you click Completed."
                </p>
                <div class="actions">
                    <button type="button" class="button button-primary" on:click=move |_| on_show_role.run(())>
                        "Show role assignment steps"
                    </button>
                </div>
                <MaybeError error=test_error/>
            </div>
        }
        .into_any(),
        Stage::Tested => {
            let key = move || tested_key().map(|k| view! { <p class="wrap"><code>{k}</code></p> });
            view! {
                <div class="step-panel">
                    <div class="notice notice-ok" role="status" id="test-passed" tabindex="-1">
                        <p class="notice-title">"Connection test passed"</p>
                        <p>"CyberSentriq can wrap and unwrap with your key."</p>
                        {key}
                    </div>
                    <p>"Save to list the Microsoft 365 and Google Workspace tenants in your backup sets. Each must be verified before the switch can finish."</p>
                    <div class="actions">
                        <button type="button" class="button button-primary" disabled=move || busy.get() on:click=move |_| on_save.run(())>
                            "Save"
                        </button>
                    </div>
                    <MaybeError error=save_error/>
                </div>
            }
            .into_any()
        }
        Stage::VerifyingTenants => view! {
            <div class="step-panel">
                <p>"When every tenant is verified, the switch finishes by itself."</p>
                <TenantList tenants=tenants names=tenant_names on_verify=on_verify on_refresh=on_refresh busy=busy/>
                <MaybeError error=tenant_error/>
                <BlockedPopup url=verify_blocked what="sign-in page for this tenant"/>
            </div>
        }
        .into_any(),
        Stage::Finalizing => view! { <FinalizeView company=company/> }.into_any(),
        Stage::Idle | Stage::Done | Stage::Cancelled => view! { <span></span> }.into_any(),
    };
    view! {
        <section class="card" aria-labelledby="pending-heading">
            <div class="card-head">
                <h2 id="pending-heading" tabindex="-1">"Pending setup: Azure Key Vault"</h2>
                <button type="button" class="button button-danger-outline" disabled=move || busy.get() on:click=move |_| on_cancel.run(())>
                    "Cancel pending setup"
                </button>
            </div>
            <MaybeError error=cancel_error/>
            <Progress stage=Signal::stored(stage)/>
            <dl class="facts">
                <dt>"Vault URI"</dt>
                <dd class="wrap" data-testid="pending-vault"><code>{move || get(|p| p.vault_uri.to_string())}</code></dd>
                <dt>"Key Name"</dt>
                <dd data-testid="pending-key"><code>{move || get(|p| p.key_name.to_string())}</code></dd>
                <dt>"Vault tenant"</dt>
                <dd class="wrap"><code>{move || get(|p| p.vault_tenant.as_ref().map(ToString::to_string).unwrap_or_else(|| "not known yet".to_owned()))}</code></dd>
                <dt>"Started"</dt>
                <dd>{move || get(|p| format!("{} · {}", p.started_by, format_time(p.started_at_ms)))}</dd>
            </dl>
            {last_error}
            {step}
        </section>
    }
}

/// The audit trail, read again after every change.
#[component]
fn AuditSection(
    /// The company.
    company: Signal<String>,
    /// Bumped after every change.
    version: RwSignal<u32>,
) -> impl IntoView {
    let trail = LocalResource::new(move || {
        version.track();
        let company = company.get();
        async move { api::audit(&company).await }
    });
    view! {
        <section class="card" aria-labelledby="audit-heading">
            <h2 id="audit-heading">"Audit trail"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || trail.get().map(|r| match r {
                    Ok(t) => view! { <AuditTable events=t.events/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}
