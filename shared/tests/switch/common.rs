//! Fixtures and a small driver shared by the walk-throughs and the property
//! tests: one company, two vaults, a handful of tenants, and `Run`, which
//! feeds events to `update` and checks what every step must satisfy.

use keyswitch_shared::api::TestedKey;
use keyswitch_shared::key_check::RsaKeyType;
use keyswitch_shared::switch::{
    Company, Ctx, Effect, Event, Inventory, InventoryTenant, Policy, SignIn, Target, TenantRef,
    WrappedKey, update,
};
use keyswitch_shared::{Actor, AuditAction, CatalogError, CompanyId, KeyId, Outcome, Role};
use keyswitch_shared::{Provider, TenantId};

/// Unix milliseconds when every run starts.
pub const T0: u64 = 1_700_000_000_000;
/// The tenant that owns the vaults.
pub const VAULT_TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
/// Another Microsoft Entra tenant.
pub const OTHER_TENANT: &str = "11111111-2222-3333-4444-555555555555";
/// The company every test works on.
pub const COMPANY: &str = "acme";

pub fn company_id() -> CompanyId {
    COMPANY.parse().unwrap()
}

pub fn admin() -> Actor {
    Actor {
        sub: "u-1".into(),
        name: "Alice Admin".into(),
        role: Role::PartnerAdmin,
        companies: vec![COMPANY.into()],
    }
}

pub fn tenant_id(s: &str) -> TenantId {
    s.parse().unwrap()
}

/// Vault `n`'s key `cmk`.
pub fn target(n: usize) -> Target {
    Target {
        vault_uri: format!("https://vault{n}.vault.azure.net").parse().unwrap(),
        key_name: "cmk".parse().unwrap(),
    }
}

/// The versioned kid of `t` with version number `v`.
pub fn kid(t: &Target, v: u64) -> KeyId {
    format!("{}/keys/{}/{v:032x}", t.vault_uri, t.key_name)
        .parse()
        .unwrap()
}

pub fn tested(t: &Target, v: u64, at_ms: u64) -> TestedKey {
    TestedKey {
        kid: kid(t, v),
        size_bits: 4096,
        kty: RsaKeyType::Rsa,
        tested_at_ms: at_ms,
    }
}

pub fn m365(s: &str) -> TenantRef {
    TenantRef::Microsoft365 {
        tenant_id: tenant_id(s),
    }
}

pub fn google(s: &str) -> TenantRef {
    TenantRef::GoogleWorkspace {
        customer_id: s.parse().unwrap(),
    }
}

/// Every tenant a backup set may hold in these tests.
pub fn tenant_pool() -> Vec<TenantRef> {
    vec![
        m365(VAULT_TENANT),
        m365(OTHER_TENANT),
        m365("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"),
        google("C01abcd23"),
        google("C99zz"),
        google("C7x"),
    ]
}

pub fn inventory(tenants: &[TenantRef]) -> Inventory {
    tenants
        .iter()
        .enumerate()
        .map(|(i, t)| InventoryTenant {
            tenant: t.clone(),
            name: (i % 2 == 0).then(|| format!("Tenant {i}")),
        })
        .collect::<Vec<_>>()
        .into()
}

pub fn platform_key() -> WrappedKey {
    WrappedKey {
        blob: "platform-blob-0".into(),
        created_at_ms: T0 - 1,
        azure_tenant: None,
    }
}

/// A company on the platform key.
pub fn new_company() -> Company {
    Company::new(company_id(), Provider::Platform, platform_key())
}

/// A sign-in as the edge prepares it; its OIDC nonce names it so the
/// interpreter can tell the exchange effect apart.
pub fn sign_in(label: &str) -> SignIn {
    SignIn {
        authorize_url: format!("https://login.example/authorize?state={label}"),
        pkce_verifier: keyswitch_shared::switch::OAuthSecret::new(format!("pkce-{label}")),
        oidc_nonce: format!("oidc-{label}"),
    }
}

/// Whether the event is the result of an effect (no expired lease is
/// resolved before it).
pub fn is_result(event: &Event) -> bool {
    matches!(
        event,
        Event::ConsentProven { .. }
            | Event::VaultProbed { .. }
            | Event::ConnectionTested { .. }
            | Event::InventoryRead { .. }
            | Event::BackupSetsCounted { .. }
            | Event::CodeExchanged { .. }
            | Event::Wrapped { .. }
            | Event::WrapVerified { .. }
            | Event::Exported { .. }
            | Event::MovedToAws { .. }
            | Event::BindingRecorded { .. }
            | Event::KeyChecked { .. }
            | Event::KeyProbed { .. }
            | Event::ConfigurationChecked { .. }
            | Event::KeyVersionRead { .. }
            | Event::Rewrapped { .. }
            | Event::RewrapVerified { .. }
            | Event::WebhookAnswered { .. }
    )
}

/// One effect as the walk-throughs compare it: audit entries by who, what,
/// outcome and detail (sequence, stages and time are checked for every step
/// by [`Run`]); every other effect exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fx {
    Audit(&'static str, AuditAction, Outcome, Option<String>),
    Do(Effect),
}

/// `sub` of the admin and of keyswitch itself, as [`Fx::Audit`] names them.
pub const ADMIN: &str = "u-1";
pub const SYSTEM: &str = "keyswitch";

pub fn audit(who: &'static str, action: AuditAction, outcome: Outcome) -> Fx {
    Fx::Audit(who, action, outcome, None)
}

pub fn audit_note(who: &'static str, action: AuditAction, outcome: Outcome, note: &str) -> Fx {
    Fx::Audit(who, action, outcome, Some(note.to_owned()))
}

/// Drives one company through `update`, one event at a time.
pub struct Run {
    pub m: Company,
    pub now: u64,
    pub policy: Policy,
    nonces: u64,
    /// The random part handed to the last update.
    pub last_nonce: String,
    /// The alarm as the effects left it.
    pub alarm: Option<u64>,
}

impl Run {
    pub fn new(m: Company) -> Self {
        Self {
            m,
            now: T0,
            // Walk-throughs run tests back to back; the rate limit has its own.
            policy: Policy {
                test_interval_ms: 0,
                ..Policy::default()
            },
            nonces: 0,
            last_nonce: String::new(),
            alarm: None,
        }
    }

    /// The one-time export by the admin, whose sign-in is a second old.
    pub fn export(&self) -> Event {
        Event::Export {
            actor: admin(),
            signed_in_at: Some(i64::try_from(self.now / 1000).unwrap()),
        }
    }

    /// The pending setup as the SPA is shown it now.
    pub fn view(&self) -> keyswitch_shared::api::PendingSetup {
        let now = i64::try_from(self.now / 1000).unwrap();
        self.m.pending_view(now, &self.policy).unwrap()
    }

    /// A fresh context at the current time.
    pub fn ctx(&mut self) -> Ctx {
        self.nonces += 1;
        self.last_nonce = format!("nonce{:038}", self.nonces);
        Ctx {
            now_ms: self.now,
            nonce: self.last_nonce.clone(),
            policy: self.policy.clone(),
        }
    }

    /// Applies `event` one second after the previous step; it must be
    /// accepted. Checks the audit entries' sequence, stages and time and
    /// tracks the alarm.
    pub fn ok(&mut self, event: Event) -> Vec<Effect> {
        self.now += 1_000;
        self.ok_now(event)
    }

    /// Applies `event` at the current time; it must be accepted.
    pub fn ok_now(&mut self, event: Event) -> Vec<Effect> {
        let ctx = self.ctx();
        let name = event.name();
        let before = self.m.clone();
        let (next, effects) = update(&self.m, event, &ctx)
            .unwrap_or_else(|e| panic!("{name} refused in {:?}: {e:?}", self.m.stage()));
        check_step(&before, &next, &effects, self.now);
        check_json(&next);
        for e in &effects {
            match e {
                Effect::ArmAlarm { at_ms } => self.alarm = Some(*at_ms),
                Effect::ClearAlarm => self.alarm = None,
                _ => {}
            }
        }
        assert_eq!(self.alarm, next.next_deadline_ms(), "alarm after {name}");
        self.m = next;
        effects
    }

    /// Applies `event` one second later; it must be refused. Returns the error.
    pub fn refused(&mut self, event: Event) -> CatalogError {
        self.now += 1_000;
        let ctx = self.ctx();
        let name = event.name();
        match update(&self.m, event, &ctx) {
            Ok((_, fx)) => panic!("{name} accepted in {:?}: {fx:?}", self.m.stage()),
            Err(e) => e,
        }
    }

    /// Like [`Run::ok`], returning the effects in the form the walk-throughs compare.
    pub fn fx(&mut self, event: Event) -> Vec<Fx> {
        let effects = self.ok(event);
        project(&effects)
    }

    /// The lease attempt in flight.
    pub fn attempt(&self) -> u32 {
        self.m.lease().expect("a step in flight").attempt
    }
}

pub fn project(effects: &[Effect]) -> Vec<Fx> {
    effects
        .iter()
        .map(|e| match e {
            Effect::Audit(a) => Fx::Audit(
                match a.actor.sub.as_str() {
                    ADMIN => ADMIN,
                    SYSTEM => SYSTEM,
                    other => panic!("audit by an unexpected actor {other}"),
                },
                a.action,
                a.outcome,
                a.detail.clone(),
            ),
            other => Fx::Do(other.clone()),
        })
        .collect()
}

/// What every accepted step satisfies, whatever the event: audit entries come
/// first, numbered on from the model's sequence, stamped with the step's time
/// and stages; at most one alarm effect, right after them.
pub fn check_step(before: &Company, next: &Company, effects: &[Effect], now: u64) {
    let audits: Vec<_> = effects
        .iter()
        .take_while(|e| matches!(e, Effect::Audit(_)))
        .collect();
    assert_eq!(
        audits.len(),
        effects
            .iter()
            .filter(|e| matches!(e, Effect::Audit(_)))
            .count(),
        "audit entries come first: {effects:?}"
    );
    for (i, e) in audits.iter().enumerate() {
        let Effect::Audit(a) = e else { unreachable!() };
        assert_eq!(a.seq, before.audit_seq() + 1 + i as u64, "audit sequence");
        assert_eq!((a.from, a.to), (before.stage(), next.stage()), "stages");
        assert_eq!(a.at_ms, now, "audit time");
        assert!(
            a.action.in_company_trail(),
            "{:?} in the company's trail",
            a.action
        );
    }
    assert_eq!(next.audit_seq(), before.audit_seq() + audits.len() as u64);
    let alarms = effects
        .iter()
        .filter(|e| matches!(e, Effect::ArmAlarm { .. } | Effect::ClearAlarm))
        .count();
    assert!(alarms <= 1, "one alarm effect at most: {effects:?}");
    if alarms == 1 {
        // Armed before any outside call starts.
        assert!(
            matches!(
                effects.get(audits.len()),
                Some(Effect::ArmAlarm { .. } | Effect::ClearAlarm)
            ),
            "the alarm comes right after the audit entries: {effects:?}"
        );
    }
}

/// The model as the Durable Object stores it survives the trip.
pub fn check_json(m: &Company) {
    let json = serde_json::to_string(m).unwrap();
    assert_eq!(&serde_json::from_str::<Company>(&json).unwrap(), m);
}
